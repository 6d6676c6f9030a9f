"""The effective policy of a Huey task, and its time limit (frameworks.md 4.1).

``retries=N`` gives N+1 attempts (default 0); ``retry_delay`` seconds (default 0, immediate);
``retry_backoff=b`` multiplies the delay after each retry (3.x; b > 1 is exponential without cap
or jitter). ``raise RetryTask(...)`` in the body never consumes a retry, and
``raise CancelExecution(retry=True)`` re-arms one each time: both make attempts UNBOUNDED, with
the raise as provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrylint.frameworks.common import make_policy
from retrylint.frameworks.defaults import HUEY_RETRIES, HUEY_RETRY_DELAY
from retrylint.frameworks.huey.records import HueyRaise
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    Delay,
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Located, Ref, Value, as_seconds, is_number

RETRY_TASK = frozenset({"huey.exceptions.RetryTask", "huey.RetryTask", "huey.api.RetryTask"})
CANCEL_EXECUTION = frozenset(
    {"huey.exceptions.CancelExecution", "huey.CancelExecution", "huey.api.CancelExecution"}
)


@dataclass(frozen=True)
class Option:
    """An option's value with the module it is written in (for constants) and, for a call-site
    override in another file than the task, that file's path (for provenance)."""

    located: Located
    module: ModuleFacts
    path: str | None = None
    at_site: bool = False

    @property
    def code(self) -> str:
        return self.located.code

    def value(self, project: ProjectIndex) -> Value:
        return _resolve(project, self.module, self.located.value)

    def sourced(self, value: Any, origin: str) -> Sourced[Any]:
        return Sourced(value, "explicit", origin, self.located.span, self.path)


def is_one_of(
    project: ProjectIndex, module: ModuleFacts, raised: HueyRaise, names: frozenset
) -> bool:
    return project.canonical(raised.exception, module) in names


def _resolve(project: ProjectIndex, module: ModuleFacts, value: Value) -> Value:
    if isinstance(value, Ref):
        return project.constant(value.name, module)
    return value


def huey_policy(
    project: ProjectIndex,
    module: ModuleFacts,
    options: dict[str, Option],
    raises: tuple[HueyRaise, ...],
) -> RetryPolicy:
    """The policy from the options (the decorator's, or merged with a call site's) and the raises
    in the body of the task defined in ``module``."""
    retries = options.get("retries")
    attempts = _attempts(project, retries)
    retry_task = [r for r in raises if is_one_of(project, module, r, RETRY_TASK)]
    rearm = [
        r for r in raises if is_one_of(project, module, r, CANCEL_EXECUTION) and r.retry is True
    ]
    forever = retry_task[0] if retry_task else rearm[0] if rearm else None
    if forever is not None:
        reason = (
            "never consumes a retry"
            if forever in retry_task
            else "re-runs the task even with no retries left"
        )
        origin = f"{forever.code.strip()} ({reason})"
        attempts = Sourced(UNBOUNDED, "explicit", origin, forever.span)
    delay = _delay(project, options)
    if retry_task:
        delay = _retry_task_delay(project, module, retry_task, delay, retries)
    counted = attempts.value
    if forever is not None and (retries is None or retries.value(project) in (0, None)):
        names = tuple(sorted({r.exception for r in (retry_task or rearm)}))
        retry_on: Sourced[Any] = Sourced(names, "explicit", attempts.origin, forever.span)
    elif isinstance(counted, int) and counted <= 1:
        retry_on = default((), f"retries={HUEY_RETRIES} (Huey default): nothing is retried")
    else:
        retry_on = default("all", "any exception (Huey retries every exception)")
    return make_policy(
        max_attempts=attempts,
        delay=delay,
        deadline=default(None, "Huey: no total retry deadline"),
        retry_on=retry_on,
        redelivery=default(False, "Huey: a task lost with a crashed consumer is not re-run"),
    )


def _attempts(project: ProjectIndex, retries: Option | None) -> Sourced[int | Marker]:
    if retries is None:
        return default(HUEY_RETRIES + 1, f"retries={HUEY_RETRIES} (Huey default)")
    value = retries.value(project)
    origin = f"retries={retries.code}"
    if value is None or value is False:
        return retries.sourced(1, f"{origin} (no retries)")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            return retries.sourced(UNBOUNDED, f"{origin} (a negative count never reaches 0)")
        if retries.code.strip() != str(value):
            origin += f" (= {value})"  # a named constant
        return retries.sourced(value + 1, origin)
    return retries.sourced(UNKNOWN, origin)


def _delay(project: ProjectIndex, options: dict[str, Option]) -> Sourced[Delay]:
    delay_option = options.get("retry_delay")
    backoff_option = options.get("retry_backoff")
    if delay_option is None:
        origin = f"retry_delay={HUEY_RETRY_DELAY:g} (Huey default: retried at once)"
        return default(NO_DELAY, origin)
    seconds = as_seconds(delay_option.value(project))
    origin = f"retry_delay={delay_option.code}"
    if backoff_option is not None:
        origin += f", retry_backoff={backoff_option.code}"
        if delay_option.at_site and not backoff_option.at_site:
            origin += " (from the decorator)"
    if isinstance(seconds, Marker):
        return delay_option.sourced(UNKNOWN_DELAY, origin)
    if seconds <= 0:
        return delay_option.sourced(Delay("none", 0.0, None, False), origin)
    backoff = backoff_option.value(project) if backoff_option is not None else 0
    if backoff is None or backoff is False or backoff is True:
        factor = 1.0 if backoff is True else 0.0
    elif is_number(backoff):
        factor = float(backoff)  # type: ignore[arg-type]
    else:
        return delay_option.sourced(Delay("unknown", seconds, None, False), origin)
    if factor > 1:
        shape = Delay("exponential", seconds, None, False)
    elif 0 < factor < 1:  # the delay shrinks after each retry
        shape = Delay("custom", seconds, seconds, False)
    else:  # 0 (off) or 1: the same delay every time
        shape = Delay("constant", seconds, seconds, False)
    return delay_option.sourced(shape, origin)


def _retry_task_delay(
    project: ProjectIndex,
    module: ModuleFacts,
    raises: list[HueyRaise],
    delay: Sourced[Delay],
    retries: Option | None,
) -> Sourced[Delay]:
    """``RetryTask(delay=N)`` sets the delay of the re-runs it causes; without one, the task's
    ``retry_delay`` applies. Only a single known delay on every raise is modelled exactly."""
    given = [r for r in raises if r.delay is not None]
    if not given:
        return delay
    values = {as_seconds(_resolve(project, module, r.delay.value)) for r in given if r.delay}
    first = given[0]
    assert first.delay is not None
    origin = f"{first.code.strip()}"
    only_raises = retries is None and len(given) == len(raises)
    if len(values) == 1 and only_raises:
        (value,) = values
        if isinstance(value, float):
            shape = Delay("constant", value, value, False) if value > 0 else NO_DELAY
            return Sourced(shape, "explicit", origin, first.span)
    known = all(isinstance(v, float) for v in values)
    shape = Delay("custom" if known else "unknown", None, None, False)
    return Sourced(shape, "explicit", origin, first.span)


def time_limit(
    project: ProjectIndex, module: ModuleFacts, located: Located | None
) -> Sourced[SecondsValue]:
    if located is None or located.value is None:
        return default(None, "timeout=None (Huey default: no time limit)")
    seconds = as_seconds(_resolve(project, module, located.value))
    return Sourced(seconds, "explicit", f"timeout={located.code}", located.span)
