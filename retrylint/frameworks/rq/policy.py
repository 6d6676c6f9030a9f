"""What one site's options mean: ``retry=`` as a ``RetryPolicy``, the job timeout, the failure
TTL and the failure hooks.

These are RQ's semantics (its defaults, ``Retry``'s interval list, ``parse_timeout``) and depend
on nothing but the option's value and the module it is written in, so they are kept apart from
finding the sites.

Policies: ``retry=Retry(max=N, interval=...)`` at a site is that site's policy (N+1 attempts);
no ``retry=`` means one attempt.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from retrylint.frameworks.common import make_policy, no_retry_policy
from retrylint.frameworks.defaults import RQ_FAILURE_TTL, RQ_JOB_TIMEOUT, RQ_RETRY_INTERVAL
from retrylint.model import (
    NO_DELAY,
    UNKNOWN,
    UNKNOWN_DELAY,
    Delay,
    DelayStrategy,
    FailureHook,
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import CallValue, Located, Ref, Value, is_number

RETRY_CLASSES = frozenset({"rq.Retry", "rq.job.Retry", "rq.retry.Retry"})
CALLBACK_CLASSES = frozenset({"rq.Callback", "rq.callbacks.Callback", "rq.job.Callback"})
_TIMEOUT_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def sourced(value: Any, origin: str, located: Located, path: str | None) -> Sourced[Any]:
    return Sourced(value, "explicit", origin, located.span, path)


def _resolve(project: ProjectIndex, module: ModuleFacts, value: Value) -> Value:
    """A Ref to a literal constant in another module becomes the constant."""
    if isinstance(value, Ref):
        return project.constant(value.name, module)
    if isinstance(value, tuple):
        return tuple(_resolve(project, module, item) for item in value)
    return value


def spread_policy(spread: Located, path: str | None, wrapper: str | None = None) -> RetryPolicy:
    """``enqueue(f, **params)``: ``params`` may hold a ``retry`` key, so the policy is unknown."""
    origin = f"**{spread.code} may carry retry= (computed at run time)"
    if wrapper is not None:
        origin = f"**{spread.code} in {wrapper} may carry retry= (computed at run time)"
    return make_policy(
        max_attempts=sourced(UNKNOWN, origin, spread, path),
        delay=sourced(UNKNOWN_DELAY, origin, spread, path),
        deadline=default(None, "RQ: no total retry deadline"),
        retry_on=sourced(UNKNOWN, origin, spread, path),
        redelivery=sourced(UNKNOWN, origin, spread, path),
        retries=sourced(UNKNOWN, origin, spread, path),
    )


def retry_policy(
    project: ProjectIndex, module: ModuleFacts, retry: Located | None, path: str | None
) -> RetryPolicy:
    if retry is None:
        return no_retry_policy("no retry= (RQ default: retry=None, one attempt)")
    value = _resolve(project, module, retry.value)
    if value is None:
        origin = "retry=None (one attempt)"
        return make_policy(
            max_attempts=sourced(1, origin, retry, path),
            delay=sourced(NO_DELAY, origin, retry, path),
            deadline=default(None, "RQ: no total retry deadline"),
            retry_on=sourced((), origin, retry, path),
            redelivery=sourced(False, origin, retry, path),
        )
    if not (isinstance(value, CallValue) and _is_retry(project, module, value)):
        origin = f"retry={retry.code} (computed at run time)"
        return make_policy(
            max_attempts=sourced(UNKNOWN, origin, retry, path),
            delay=sourced(UNKNOWN_DELAY, origin, retry, path),
            deadline=default(None, "RQ: no total retry deadline"),
            retry_on=default("all", "any exception (RQ retries every failure when Retry is set)"),
            redelivery=sourced(UNKNOWN, origin, retry, path),
        )
    maximum = _resolve(project, module, value.arg(0, "max"))
    if isinstance(maximum, int) and not isinstance(maximum, bool) and maximum >= 1:
        attempts: int | Marker = maximum + 1
        attempts_origin = f"Retry(max={maximum})"
    else:
        attempts, attempts_origin = UNKNOWN, f"Retry(max=...) in {retry.code}"
    max_attempts = sourced(attempts, attempts_origin, retry, path)
    delay = _delay(project, module, value, attempts, retry, path)
    redelivery_value: bool | Marker = UNKNOWN if attempts is UNKNOWN else attempts > 1  # type: ignore[operator]
    return make_policy(
        max_attempts=max_attempts,
        delay=delay,
        deadline=default(None, "RQ: no total retry deadline"),
        retry_on=sourced("all", f"{attempts_origin} (RQ retries on any exception)", retry, path),
        redelivery=sourced(
            redelivery_value,
            f"{attempts_origin} (an abandoned job is retried while retries are left)",
            retry,
            path,
        ),
    )


def _is_retry(project: ProjectIndex, module: ModuleFacts, value: CallValue) -> bool:
    if value.func is None:
        return False
    canonical = project.canonical(value.func, module)
    # Only an RQ Retry makes sense as retry= of an RQ enqueue; accept an unresolvable `Retry`.
    return canonical in RETRY_CLASSES or canonical.rsplit(".", 1)[-1] == "Retry"


def _delay(
    project: ProjectIndex,
    module: ModuleFacts,
    value: CallValue,
    attempts: int | Marker,
    retry: Located,
    path: str | None,
) -> Sourced[Delay]:
    if not value.has("interval") and len(value.args) < 2:
        return default(NO_DELAY, f"interval={RQ_RETRY_INTERVAL:g} (RQ default: retried at once)")
    interval = _resolve(project, module, value.arg(1, "interval"))
    origin = f"Retry(interval={_show(interval)})"
    if is_number(interval):
        seconds = float(interval)  # type: ignore[arg-type]
        if seconds <= 0:
            return sourced(Delay("none", 0.0, None, False), origin, retry, path)
        return sourced(Delay("constant", seconds, seconds, False), origin, retry, path)
    if not isinstance(interval, tuple) or not interval or not all(map(is_number, interval)):
        return sourced(UNKNOWN_DELAY, origin, retry, path)
    written = tuple(float(v) for v in interval)  # type: ignore[arg-type]
    if isinstance(attempts, int):
        schedule = effective_schedule(written, attempts - 1)
        base: float | None = schedule[0]
    else:
        schedule, base = written, None
    strategy = schedule_strategy(schedule)
    if strategy == "none":
        return sourced(Delay("none", 0.0, None, False, schedule), origin, retry, path)
    return sourced(Delay(strategy, base, max(written), False, schedule), origin, retry, path)


def effective_schedule(intervals: tuple[float, ...], retries: int) -> tuple[float, ...]:
    """The delay before each retry, as RQ indexes ``intervals`` (frameworks.md 2.1).

    Retry k (retries_left = retries - k) waits ``intervals[max(len - retries_left, 0)]``: a list
    shorter than ``max`` repeats its first value for the early retries; a longer one skips its
    first values.
    """
    return tuple(intervals[max(len(intervals) - (retries - k), 0)] for k in range(max(retries, 0)))


def schedule_strategy(schedule: tuple[float, ...]) -> DelayStrategy:
    """constant / linear / exponential when the list obviously is one, else custom."""
    if not schedule or all(v == 0 for v in schedule):
        return "none"
    if len(set(schedule)) == 1:
        return "constant"
    if len(schedule) >= 3:  # two values fit both a line and a curve: not obvious
        pairs = list(itertools.pairwise(schedule))
        steps = {round(b - a, 9) for a, b in pairs}
        if len(steps) == 1 and next(iter(steps)) > 0:
            return "linear"
        if schedule[0] > 0:
            ratios = {round(b / a, 9) for a, b in pairs}
            if len(ratios) == 1 and next(iter(ratios)) > 1:
                return "exponential"
    return "custom"


def interval_notes(
    project: ProjectIndex, module: ModuleFacts, retry: Located | None
) -> Iterator[str]:
    if retry is None:
        return
    value = _resolve(project, module, retry.value)
    if not isinstance(value, CallValue) or not _is_retry(project, module, value):
        return
    maximum = _resolve(project, module, value.arg(0, "max"))
    interval = _resolve(project, module, value.arg(1, "interval", 0))
    if isinstance(interval, tuple) and isinstance(maximum, int) and all(map(is_number, interval)):
        written = tuple(float(v) for v in interval)  # type: ignore[arg-type]
        schedule = ", ".join(f"{v:g}" for v in effective_schedule(written, maximum))
        if len(written) < maximum:
            yield (
                f"interval list shorter than max={maximum}: RQ repeats the first value for the "
                f"early retries ({schedule} s)"
            )
        elif len(written) > maximum:
            yield (
                f"interval list longer than max={maximum}: RQ skips its first values ({schedule} s)"
            )
    values = interval if isinstance(interval, tuple) else (interval,)
    if any(is_number(v) and float(v) > 0 for v in values):  # type: ignore[arg-type]
        yield "retries with an interval wait in the ScheduledJobRegistry: workers need --with-scheduler"


def _show(value: Value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Ref):
        return value.last
    if isinstance(value, Marker) or not isinstance(value, int | float | str):
        return "..."
    return repr(value) if isinstance(value, str) else str(value)


def timeout_seconds(project: ProjectIndex, module: ModuleFacts, value: Value) -> SecondsValue:
    """RQ's parse_timeout: int seconds or "10m"-style strings; -1 means no limit (None)."""
    value = _resolve(project, module, value)
    seconds: float | Marker
    if is_number(value):
        seconds = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            seconds = float(int(text))
        elif text[:-1].isdigit() and text[-1:].lower() in _TIMEOUT_UNITS:
            seconds = float(int(text[:-1]) * _TIMEOUT_UNITS[text[-1:].lower()])
        else:
            return UNKNOWN
    elif value is None:
        return None
    else:
        return UNKNOWN
    return None if seconds == -1 else seconds


def job_timeout(
    project: ProjectIndex,
    module: ModuleFacts,
    keyword: str,
    located: Located | None,
    queue_default: Sourced[SecondsValue] | None,
    path: str | None,
) -> Sourced[SecondsValue]:
    fallback: Sourced[SecondsValue] = queue_default or default(
        RQ_JOB_TIMEOUT, f"job_timeout={RQ_JOB_TIMEOUT:g}s (RQ default)"
    )
    if located is None or located.value is None:
        return fallback  # timeout=None: the queue's default applies
    seconds = timeout_seconds(project, module, located.value)
    origin = written(keyword, located)
    if seconds is None:
        origin += " (no time limit)"
    return sourced(seconds, origin, located, path)


def failed_job_ttl(
    project: ProjectIndex, module: ModuleFacts, located: Located | None, path: str | None
) -> Sourced[SecondsValue]:
    fallback: Sourced[SecondsValue] = default(RQ_FAILURE_TTL, "failure_ttl=1 year (RQ default)")
    if located is None:
        return fallback
    value = _resolve(project, module, located.value)
    if value is None:
        return fallback
    seconds = float(value) if is_number(value) else UNKNOWN  # type: ignore[arg-type]
    return sourced(seconds, written("failure_ttl", located), located, path)


def written(keyword: str, located: Located) -> str:
    """``keyword=<code>`` as an origin; an option a job-decorator factory supplies already reads
    ``keyword=<code> (in factory)``."""
    code = located.code
    return code if code.startswith(f"{keyword}=") else f"{keyword}={code}"


def failure_hooks(
    project: ProjectIndex, module: ModuleFacts, located: Located | None, origin: str
) -> list[FailureHook]:
    """``on_failure=f`` / ``"pkg.f"`` / ``Callback(f)``: runs on every failed attempt (2.4).
    ``module`` is where the keyword is written; ``origin`` says which enqueues it covers."""
    if located is None or located.value is None:
        return []
    value: Value = located.value
    if (
        isinstance(value, CallValue)
        and value.func is not None
        and (project.canonical(value.func, module) in CALLBACK_CLASSES or value.last == "Callback")
    ):
        value = value.arg(0, "func")
    if isinstance(value, Ref):
        target = project.canonical(value.name, module)
    elif isinstance(value, str):
        target = value
    else:
        target = located.code
    return [FailureHook("on_failure", target, located.span, True, module.path, origin)]
