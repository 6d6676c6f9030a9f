"""The effective policy of a Celery task (frameworks.md 1.4): attempts, delay, retried and
permanent exceptions, redelivery and time limit, from its option layers, retry paths and app.

A room of its own: Celery's retry arithmetic, apart from finding the options it works on.

Decisions:

- Several retry paths (autoretry and each ``self.retry``): the task's policy takes the worst
  attempts (largest, UNBOUNDED first, then UNKNOWN) and the weakest delay (none < constant <
  linear < exponential). When the paths differ in delay or in what they retry, each is also a
  policy of its own in ``Job.policies`` (a ``CallSite`` with method ``retry`` or ``autoretry``
  at the path's call or option), and rules judge those: a short race wait on a condition does
  not hide the exponential path without jitter of the same task.
- ``retry_on`` is ``"all"`` when the retried set holds ``Exception``/``BaseException`` or a bare
  ``except:`` calls ``self.retry``; a ``self.retry`` outside any ``except`` retries on a condition,
  which adds no exception. ``permanent`` is ``dont_autoretry_for``.
- With ``retry_jitter=False`` set, the autoretry delay's origin names it (``retry_backoff=30,
  retry_jitter=False``) but its span stays on ``retry_backoff``: the delay has one provenance, and
  RL201/RL203/RL102 point at the backoff that sets its base and cap.
- ``time_limit`` is the smaller of ``time_limit`` and ``soft_time_limit`` (options, then
  ``task_time_limit`` / ``task_soft_time_limit``); None when neither is set.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from retrylint.frameworks.celery.config import App
from retrylint.frameworks.celery.countdown import RetryCall, RetryPath
from retrylint.frameworks.celery.index import Project
from retrylint.frameworks.celery.names import FRAMEWORK, FROM_CONFIG, TASK_OPTIONS
from retrylint.frameworks.celery.options import Option, OptionLayers
from retrylint.frameworks.common import no_retry_policy
from retrylint.frameworks.defaults import (
    CELERY_ACKS_LATE,
    CELERY_DEFAULT_RETRY_DELAY,
    CELERY_MAX_RETRIES,
    CELERY_RETRY_BACKOFF_MAX,
    CELERY_RETRY_JITTER,
    CELERY_TIME_LIMIT,
)
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    CallSite,
    Delay,
    ExceptionsValue,
    FailureHook,
    Job,
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts
from retrylint.values import Ref, Value, as_seconds, is_number

_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_STRATEGY_RANK = {
    "none": 0,
    "constant": 1,
    "custom": 2,
    "unknown": 2,
    "linear": 3,
    "exponential": 4,
}


def _retry_text(call: RetryCall, arguments: str = "") -> str:
    """How an origin names the call: ``self.retry(...)``, or ``task.retry(...) in helper()``."""
    if call.helper is None:
        return f"self.retry({arguments})"
    return f"{call.receiver}.retry({arguments}) in {call.helper}()"


def job(
    state: Project,
    *,
    name: str,
    qualname: str,
    module: ModuleFacts,
    span: Span,
    function: str,
    layers: OptionLayers,
    app: App | None,
    retry_calls: list[RetryPath],
    hooks: tuple[FailureHook, ...],
    details: list[tuple[str, Any]],
    call_sites: tuple[CallSite, ...],
) -> Job:
    redelivery = _redelivery(state, layers, app)
    time_limit, limits = _time_limit(state, layers, app)
    autoretry = layers.get("autoretry_for")
    autoretry_names = _exceptions(state, autoretry) if autoretry else ()
    raised, never = _raisable(autoretry_names, limits[1])
    paths: tuple[tuple[CallSite, RetryPolicy], ...] = ()
    if raised == () and not retry_calls:
        origin = "no autoretry_for and no self.retry() (Celery retries only when asked)"
        if autoretry is not None and never:
            origin = f"{autoretry.origin}: {never}"
        elif autoretry is not None:
            origin = f"{autoretry.origin}: nothing to retry"
        policy = no_retry_policy(origin, redelivery=redelivery)
    else:
        policy, paths = _retry_policy(
            state,
            layers,
            autoretry,
            raised,
            retry_calls,
            redelivery,
            qualname,
            span,
            module.path,
        )
    sources = tuple(
        (option, found.sourced(found.value))
        for option in sorted(TASK_OPTIONS - {"name", "base", "bind"})
        if (found := layers.get(option)) is not None
    )
    details.extend(
        [
            ("sources", sources),
            ("time_limits", limits),
            (
                "reject_on_worker_lost",
                sourced_setting(state, layers, app, "reject_on_worker_lost"),
            ),
            ("annotations_applied", tuple(sorted(layers.annotations))),
            ("annotations_opaque", state.annotations_opaque(app)),
        ]
    )
    if app is not None and (opaque := state.opaque_config(app)) is not None:
        details.append(("opaque_config", opaque[1].value.code))
    return Job(
        name=name,
        qualname=qualname,
        framework=FRAMEWORK,
        kind="task",
        path=module.path,
        span=span,
        policy=policy,
        policies=paths,
        failure_hooks=hooks,
        time_limit=time_limit,
        call_sites=call_sites,
        function=function,
        details=tuple(details),
    )


def _resolve(state: Project, value: Value, module: ModuleFacts) -> tuple[Value, ModuleFacts]:
    """A name bound to a literal constant in another project module, and that module."""
    if isinstance(value, Ref):
        canonical = state.index.canonical(value.name, module)
        found = state.index.split(canonical)
        if found is not None:
            owner, attribute = found
            constants = dict(owner.facts.constants)
            if attribute in constants:
                return constants[attribute], owner
    return value, module


def _exceptions(state: Project, option: Option) -> tuple[str, ...] | Marker:
    value, owner = _resolve(state, option.value, option.module)
    if isinstance(value, Ref):
        value = (value,)
    if not isinstance(value, tuple):
        return UNKNOWN
    names: list[str] = []
    for item in value:
        if not isinstance(item, Ref):
            return UNKNOWN
        names.append(state.index.canonical(item.name, owner))
    return tuple(names)


def _handler_exceptions(state: Project, retry: RetryPath) -> ExceptionsValue:
    call = retry.call
    if not call.in_except:
        return ()  # a retry on a condition, not on an exception
    if call.handler is None:
        return "all"  # bare except:
    option = Option(call.handler.value, "explicit", "", None, None, retry.handler_module)
    names = _exceptions(state, option)
    return names


def _number(state: Project, option: Option) -> Value:
    """A number as written, or what the names in it stand for in the project (a constant, a
    settings class attribute, a Django setting, arithmetic over them)."""
    return state.index.literal(option.value, option.module)


def _retry_policy(
    state: Project,
    layers: OptionLayers,
    autoretry: Option | None,
    autoretry_names: tuple[str, ...] | Marker,
    retry_calls: list[RetryPath],
    redelivery: Sourced[bool | Marker],
    qualname: str,
    job_span: Span,
    job_path: str,
) -> tuple[RetryPolicy, tuple[tuple[CallSite, RetryPolicy], ...]]:
    """The task's policy, and one per retry path when its paths differ."""
    task_retries = _task_max_retries(state, layers)
    paths: list[tuple[CallSite, Sourced[int | Marker], Sourced[Delay], Sourced[Any]]] = []
    retry_on, permanent = _retry_on(state, layers, autoretry, autoretry_names, retry_calls)
    if autoretry is not None and autoretry_names != ():
        override = layers.entry("retry_kwargs", "max_retries")
        site = CallSite(autoretry.path or "", autoretry.span or job_span, "autoretry", qualname)
        own_retry_on, _ = _retry_on(state, layers, autoretry, autoretry_names, [])
        paths.append(
            (
                site,
                _attempts(state, override, task_retries),
                _autoretry_delay(state, layers),
                own_retry_on,
            )
        )
    for retry in retry_calls:
        call = retry.call
        override = None
        written = (
            _retry_text(call, f"max_retries={call.max_retries.code}") if call.max_retries else ""
        )
        if call.max_retries is not None and call.max_retries_parameter is None:
            override = Option(
                call.max_retries.value,
                "explicit",
                written,
                call.max_retries.span,
                retry.path(),
                retry.module,
            )
        attempts = _attempts(state, override, task_retries)
        if call.max_retries_parameter is not None:
            # max_retries=None is "the task's max_retries" (task.py), and None is what the
            # parameter holds unless a caller passes a number: the task's own limit applies.
            attempts = replace(
                attempts,
                origin=f"{attempts.origin}; {written} keeps it while the "
                f"{call.max_retries_parameter} parameter is left at its default None "
                "(a caller may pass another)",
            )
        site = CallSite(retry.path() or job_path, call.span, "retry", qualname)
        own_retry_on, _ = _retry_on(state, layers, None, (), [retry])
        paths.append((site, attempts, _manual_delay(state, layers, retry), own_retry_on))
    attempts = _worst_attempts([path[1] for path in paths])
    delay = min((path[2] for path in paths), key=_weakness)
    retries: Sourced[bool | Marker]
    if autoretry_names is UNKNOWN and not retry_calls and autoretry is not None:
        retries = autoretry.sourced(UNKNOWN)
    elif retry_calls:
        first = retry_calls[0]
        retries = Sourced(True, "explicit", _retry_text(first.call), first.call.span, first.path())
    else:
        assert autoretry is not None
        retries = autoretry.sourced(True)
    deadline: Sourced[SecondsValue] = default(None, "Celery has no total retry time cap")
    policy = RetryPolicy(retries, attempts, delay, deadline, retry_on, permanent, redelivery)
    if len(paths) < 2 or len({(p[2].value, p[3].value) for p in paths}) < 2:
        return policy, ()
    return policy, tuple(
        (
            site,
            RetryPolicy(retries, own_attempts, own_delay, deadline, own_on, permanent, redelivery),
        )
        for site, own_attempts, own_delay, own_on in paths
    )


def _weakness(delay: Sourced[Delay]) -> tuple[int, float]:
    return _STRATEGY_RANK.get(delay.value.strategy, 2), delay.value.base or 0.0


def _task_max_retries(state: Project, layers: OptionLayers) -> Sourced[int | Marker]:
    """Retries allowed by the task attribute: an int, UNBOUNDED (None) or UNKNOWN."""
    option = layers.get("max_retries")
    if option is None:
        return default(CELERY_MAX_RETRIES, f"max_retries={CELERY_MAX_RETRIES} (Celery default)")
    value = _number(state, option)
    if value is None:
        return option.sourced(UNBOUNDED)
    if isinstance(value, int) and not isinstance(value, bool):
        return option.sourced(value)
    return option.sourced(UNKNOWN)


def _attempts(
    state: Project, override: Option | None, task_retries: Sourced[int | Marker]
) -> Sourced[int | Marker]:
    """Attempts on one retry path. An override of None (``self.retry(max_retries=None)``,
    ``retry_kwargs={'max_retries': None}``) means "the task's default", not forever."""
    retries: Sourced[int | Marker] = task_retries
    if override is not None:
        value = _number(state, override)
        if isinstance(value, int) and not isinstance(value, bool):
            retries = override.sourced(value)
        elif value is not None:
            retries = override.sourced(UNKNOWN)
    count = retries.value
    if isinstance(count, int):
        total: int | Marker = 1 + max(count, 0)
    else:
        total = count
    return Sourced(total, retries.source, retries.origin, retries.span, retries.path)


def _worst_attempts(paths: list[Sourced[int | Marker]]) -> Sourced[int | Marker]:
    for marker in (UNBOUNDED, UNKNOWN):
        for path in paths:
            if path.value is marker:
                return path
    return max(paths, key=lambda p: p.value if isinstance(p.value, int) else 0)


def _seconds(state: Project, option: Option) -> float | Marker:
    return as_seconds(_number(state, option))


def _autoretry_delay(state: Project, layers: OptionLayers) -> Sourced[Delay]:
    backoff = layers.get("retry_backoff")
    factor_value = _number(state, backoff) if backoff else False
    if backoff is not None and not (
        factor_value is None or isinstance(factor_value, bool | int | float)
    ):
        return backoff.sourced(UNKNOWN_DELAY)
    if factor_value:
        factor = float(int(max(1.0, float(factor_value))))  # type: ignore[arg-type]
        cap_option = layers.get("retry_backoff_max")
        cap: float | None = CELERY_RETRY_BACKOFF_MAX
        if cap_option is not None:
            seconds = _seconds(state, cap_option)
            cap = float(int(seconds)) if isinstance(seconds, float) else None
        jitter_option = layers.get("retry_jitter")
        jitter: bool | None = CELERY_RETRY_JITTER
        if jitter_option is not None:
            value = _number(state, jitter_option)
            jitter = bool(value) if isinstance(value, bool | int | float) else None
        assert backoff is not None
        origin = backoff.origin
        if jitter is False and jitter_option is not None:
            # The span stays on retry_backoff (the delay's shape, base and cap: RL201/RL203 point
            # there); the wording names the keyword that turned jitter off for RL202.
            origin = f"{origin}, {jitter_option.origin}"
        return backoff.sourced(Delay("exponential", factor, cap, jitter), origin)
    countdown = layers.entry("retry_kwargs", "countdown")
    if countdown is not None:
        return _constant(state, countdown)
    return _default_retry_delay(state, layers, "autoretry without retry_backoff")


def _constant(state: Project, option: Option) -> Sourced[Delay]:
    seconds = _seconds(state, option)
    if seconds is UNKNOWN or not isinstance(seconds, float):
        return option.sourced(UNKNOWN_DELAY)
    if seconds <= 0:
        return option.sourced(NO_DELAY)
    return option.sourced(Delay("constant", seconds, None, False))


def _default_retry_delay(state: Project, layers: OptionLayers, why: str) -> Sourced[Delay]:
    option = layers.get("default_retry_delay")
    if option is not None:
        return _constant(state, option)
    return default(
        Delay("constant", CELERY_DEFAULT_RETRY_DELAY, None, False),
        f"default_retry_delay={CELERY_DEFAULT_RETRY_DELAY:g}s (Celery default; {why})",
    )


def _manual_delay(state: Project, layers: OptionLayers, retry: RetryPath) -> Sourced[Delay]:
    call = retry.call
    if call.countdown is not None:
        countdown = call.countdown
        origin = _retry_text(call, f"countdown={countdown.code}")
        delay = call.delay
        if delay is None:
            seconds = as_seconds(state.index.literal(countdown.value, retry.module))
            if isinstance(seconds, float):
                delay = NO_DELAY if seconds <= 0 else Delay("constant", seconds, None, False)
            else:
                delay = UNKNOWN_DELAY
        return Sourced(delay, "explicit", origin, countdown.span, retry.path())
    if call.eta is not None:
        origin = _retry_text(call, f"eta={call.eta.code}")
        return Sourced(Delay("custom"), "explicit", origin, call.eta.span, retry.path())
    return _default_retry_delay(state, layers, f"{_retry_text(call)} without countdown")


def _retry_on(
    state: Project,
    layers: OptionLayers,
    autoretry: Option | None,
    autoretry_names: tuple[str, ...] | Marker,
    retry_calls: list[RetryPath],
) -> tuple[Sourced[ExceptionsValue], Sourced[tuple[str, ...]]]:
    parts: list[tuple[ExceptionsValue, Sourced[Any]]] = []
    if autoretry is not None and autoretry_names != ():
        parts.append((autoretry_names, autoretry.sourced(autoretry_names)))
    for retry in retry_calls:
        call = retry.call
        names = _handler_exceptions(state, retry)
        handler = call.handler.code if call.handler else ""
        origin = f"except {handler}: {_retry_text(call)}".replace("except :", "except:")
        if not call.in_except:
            origin = f"{_retry_text(call)} outside any except: retries on a condition"
        if call.handler_span is not None:
            span, path = call.handler_span, retry.path(retry.handler_module)
        else:
            span, path = call.span, retry.path()
        parts.append((names, Sourced(names, "explicit", origin, span, path)))
    retry_on: Sourced[ExceptionsValue] | None = None
    collected: list[str] = []
    for names, where in parts:
        if names == "all" or (isinstance(names, tuple) and set(names) & _BROAD):
            retry_on = Sourced("all", where.source, where.origin, where.span, where.path)
            break
        if names is UNKNOWN:
            retry_on = Sourced(UNKNOWN, where.source, where.origin, where.span, where.path)
        elif isinstance(names, tuple):
            collected.extend(n for n in names if n not in collected)
    if retry_on is None:
        first = parts[0][1]
        retry_on = Sourced(tuple(collected), first.source, first.origin, first.span, first.path)
    dont = layers.get("dont_autoretry_for")
    permanent: Sourced[tuple[str, ...]] = default((), "dont_autoretry_for=() (Celery default)")
    if dont is not None and autoretry is not None:
        excluded = _exceptions(state, dont)
        if isinstance(excluded, tuple):
            permanent = dont.sourced(excluded)
    return retry_on, permanent


def _redelivery(state: Project, layers: OptionLayers, app: App | None) -> Sourced[bool | Marker]:
    sourced = sourced_setting(state, layers, app, "acks_late")
    value = sourced.value
    if isinstance(value, bool) or value is UNKNOWN:
        return sourced
    if value is None:
        return default(False, f"acks_late=False (Celery default task_acks_late={CELERY_ACKS_LATE})")
    return Sourced(bool(value), sourced.source, sourced.origin, sourced.span, sourced.path)


def sourced_setting(
    state: Project, layers: OptionLayers, app: App | None, attribute: str
) -> Sourced[Any]:
    """A from_config task attribute: the task's own value unless None, else the app setting."""
    option = layers.get(attribute)
    if option is not None:
        value = _number(state, option)
        if value is not None:
            if not isinstance(value, bool | int | float):
                value = UNKNOWN
            return option.sourced(value)
    setting = FROM_CONFIG[attribute]
    config = state.app_setting(app, setting)
    if config is not None:
        value = _number(state, config)
        if not (value is None or isinstance(value, bool | int | float)):
            value = UNKNOWN
        return config.sourced(value)
    if app is not None and (opaque := state.opaque_config(app)) is not None:
        module, fact = opaque
        return Sourced(
            UNKNOWN,
            "app-config",
            f"{setting} from config_from_object({fact.value.code}), not analysed",
            fact.value.span,
            module.path,
        )
    fallback = {"acks_late": CELERY_ACKS_LATE, "ignore_result": False}.get(attribute)
    return default(fallback, f"{setting}={fallback} (Celery default)")


_HARD_LIMIT = frozenset(
    {"celery.exceptions.TimeLimitExceeded", "billiard.exceptions.TimeLimitExceeded"}
)
_SOFT_LIMIT = frozenset(
    {"celery.exceptions.SoftTimeLimitExceeded", "billiard.exceptions.SoftTimeLimitExceeded"}
)


def _raisable(
    names: tuple[str, ...] | Marker, soft_limit: Sourced[Any]
) -> tuple[tuple[str, ...] | Marker, str]:
    """The autoretry exceptions the task can actually raise, and why the others never are.

    The hard time limit kills the worker process: ``TimeLimitExceeded`` is never raised inside
    the task, so autoretry never sees it. ``SoftTimeLimitExceeded`` is raised only under a soft
    limit (the option or ``task_soft_time_limit``).
    """
    if not isinstance(names, tuple) or not names:
        return names, ""
    no_soft = soft_limit.value is None
    never = [n for n in names if n in _HARD_LIMIT or (no_soft and n in _SOFT_LIMIT)]
    if not never:
        return names, ""
    why = "the hard time limit kills the worker, so TimeLimitExceeded never reaches the task"
    if any(n in _SOFT_LIMIT for n in never):
        why = "no soft_time_limit is set, so SoftTimeLimitExceeded is never raised"
        if any(n in _HARD_LIMIT for n in never):
            why += "; the hard limit kills the worker, so TimeLimitExceeded never reaches it"
    return tuple(n for n in names if n not in never), why


def _time_limit(
    state: Project, layers: OptionLayers, app: App | None
) -> tuple[Sourced[SecondsValue], tuple[Sourced[Any], Sourced[Any]]]:
    hard = sourced_setting(state, layers, app, "time_limit")
    soft = sourced_setting(state, layers, app, "soft_time_limit")
    limits = (hard, soft)
    known: list[tuple[float, Sourced[Any]]] = []
    for limit in limits:
        if limit.value is UNKNOWN:
            return Sourced(UNKNOWN, limit.source, limit.origin, limit.span, limit.path), limits
        if is_number(limit.value) and limit.value > 0:
            known.append((float(limit.value), limit))
    if known:
        seconds, limit = min(known, key=lambda item: item[0])
        return Sourced(seconds, limit.source, limit.origin, limit.span, limit.path), limits
    return default(CELERY_TIME_LIMIT, "no time_limit (Celery default: no limit)"), limits
