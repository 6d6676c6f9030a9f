"""stamina: ``@stamina.retry(on=...)`` functions and ``for attempt in stamina.retry_context(...)``.

``@stamina.retry`` gives a ``decorated-function`` job; a ``for`` / ``async for`` over
``retry_context(...)`` a ``retry-block`` job (span at the ``for`` header). Modelling (stamina
26.1, ``frameworks.md`` 7.3, ``stamina/_core.py``):

- attempts default 10, timeout (deadline) default 45 s; ``None`` disables each; both ``None``
  -> UNBOUNDED attempts and no deadline.
- delay: min(wait_max, wait_initial * wait_exp_base ** (n - 1) + U(0, wait_jitter)):
  exponential, base ``wait_initial``, cap ``wait_max``, jitter when ``wait_jitter`` > 0
  (``wait_exp_base=1`` makes it constant). Times are seconds or ``timedelta``.
- ``on``: an exception class or tuple -> ``retry_on``; a function (a backoff hook deciding per
  exception) -> UNKNOWN.
- ``RetryingCaller`` objects are not modelled (the callee is only known at the call).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.defaults import (
    STAMINA_ATTEMPTS,
    STAMINA_TIMEOUT,
    STAMINA_WAIT_EXP_BASE,
    STAMINA_WAIT_INITIAL,
    STAMINA_WAIT_JITTER,
    STAMINA_WAIT_MAX,
)
from retrylint.frameworks.retry_library.delays import constant_delay
from retrylint.frameworks.retry_library.from_declarations import STAMINA_DECORATORS
from retrylint.frameworks.retry_library.jobs import (
    Bindings,
    Library,
    PolicyParts,
    applied_calls,
    block_qualname,
    dedupe_qualname,
    function_job,
    loop_header,
    retry_decorators,
    retry_loops,
    site_job,
    stack_retries,
)
from retrylint.frameworks.retry_library.options import (
    Options,
    bind_options,
    count,
    exception_refs,
    library_name,
    seconds,
)
from retrylint.model import (
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    AttemptsValue,
    Delay,
    FailureHook,
    Job,
    RetryPolicy,
    SecondsValue,
    Sourced,
    default,
    explicit,
)
from retrylint.values import is_number

FRAMEWORK = "stamina"
DECORATORS = STAMINA_DECORATORS
# retry() is keyword-only; retry_context(on, attempts, ...) also takes them by position.
POSITIONAL = (
    "on",
    "attempts",
    "timeout",
    "wait_initial",
    "wait_max",
    "wait_jitter",
    "wait_exp_base",
)
WAIT_OPTIONS = ("wait_initial", "wait_max", "wait_jitter", "wait_exp_base")
_NO_REDELIVERY = "in-process retries: no redelivery"
_DEFAULT_DELAY = (
    f"stamina default: wait_initial={STAMINA_WAIT_INITIAL:g}, wait_max={STAMINA_WAIT_MAX:g}, "
    f"wait_jitter={STAMINA_WAIT_JITTER:g}, wait_exp_base={STAMINA_WAIT_EXP_BASE:g}"
)


def _bind(ctx: FileContext, qualified: str, expression: cst.BaseExpression) -> Options | None:
    options = bind_options(ctx, expression)
    # bare `@stamina.retry` is a TypeError at import: `on` is required
    return options if options.shape.called else None


def _policy(ctx: FileContext, qualified: str, options: Options) -> PolicyParts:
    return stamina_policy(options, ctx)


LIBRARY = Library(FRAMEWORK, DECORATORS, _bind, _policy)


def extract(ctx: FileContext, sink: FactSink) -> None:
    if not LIBRARY.imported(ctx):
        return
    taken = {job.qualname for job in sink.jobs}
    for function in ctx.functions:
        for found in retry_decorators(ctx, function, DECORATORS):
            options = _bind(ctx, found.qualified, found.expression)
            if options is None:
                continue
            policy, hooks, details = stamina_policy(options, ctx)
            extra: tuple[tuple[str, Any], ...] = (
                ("decorator", options.shape),
                ("async", function.is_async),
            )
            if found.shared:
                extra += (("shared_policy", found.shared),)
            job = function_job(ctx, function, FRAMEWORK, policy, hooks, details + extra)
            sink.jobs.append(dedupe_qualname(job, taken))
    for loop, call in retry_loops(ctx, Bindings(ctx)):
        if library_name(ctx.qualify(call.func), FRAMEWORK) != "retry_context":
            continue
        options = bind_options(ctx, call, POSITIONAL)
        policy, hooks, details = stamina_policy(options, ctx)
        span = loop_header(ctx, loop.node)  # type: ignore[arg-type]
        enclosing = loop.function
        sink.jobs.append(
            site_job(
                ctx,
                name=enclosing.name if enclosing else "<module>",
                qualname=block_qualname(enclosing, "retry-block", span.line),
                framework=FRAMEWORK,
                kind="retry-block",
                span=span,
                function=enclosing.qualname if enclosing else None,
                policy=policy,
                hooks=hooks,
                details=(
                    *details,
                    ("policy_call", options.shape),
                    ("block", ctx.span(loop.node)),
                ),
            )
        )
    sink.jobs.extend(applied_calls(ctx, LIBRARY, {job.qualname for job in sink.jobs}))
    stack_retries(sink.jobs)


def build_jobs(project: object) -> tuple[Job, ...]:
    return ()


def stamina_policy(
    options: Options, ctx: FileContext
) -> tuple[RetryPolicy, tuple[FailureHook, ...], tuple[tuple[str, Any], ...]]:
    attempts = _attempts(options)
    deadline = _timeout(options)
    if attempts.value is UNBOUNDED and deadline.value is not None:
        attempts = Sourced(
            UNBOUNDED, attempts.source, f"{attempts.origin} (bounded by time only)", attempts.span
        )
    if options.has("on"):
        retry_on: Sourced[Any] = options.stated("on", exception_refs(options.value("on"), ctx))
    else:
        retry_on = explicit(UNKNOWN, "on= not given", options.starred or options.shape.span)
    policy = make_policy(
        max_attempts=attempts,
        delay=_delay(options),
        deadline=deadline,
        retry_on=retry_on,
        redelivery=default(False, _NO_REDELIVERY),
    )
    details: tuple[tuple[str, Any], ...] = (
        ("library", FRAMEWORK),
        ("options", options.located()),
        ("gives_up_with", "original"),
    )
    return policy, (), details


def _attempts(options: Options) -> Sourced[AttemptsValue]:
    if not options.has("attempts"):
        return options.unstated(STAMINA_ATTEMPTS, f"stamina default: attempts={STAMINA_ATTEMPTS}")
    value = options.value("attempts")
    number = UNBOUNDED if value is None else count(value)
    return options.stated("attempts", number)


def _timeout(options: Options) -> Sourced[SecondsValue]:
    if not options.has("timeout"):
        return options.unstated(STAMINA_TIMEOUT, f"stamina default: timeout={STAMINA_TIMEOUT:g}")
    value = options.value("timeout")
    limit = None if value is None else seconds(value)
    return options.stated("timeout", UNKNOWN if value is not None and limit is None else limit)


def _delay(options: Options) -> Sourced[Delay]:
    written = [options.get(name) for name in WAIT_OPTIONS]
    given = [option for option in written if option is not None]
    if not given:
        if options.starred is not None:
            return options.unstated(None, "", UNKNOWN_DELAY)
        delay = Delay(
            "exponential", STAMINA_WAIT_INITIAL, STAMINA_WAIT_MAX, STAMINA_WAIT_JITTER > 0
        )
        return default(delay, _DEFAULT_DELAY)

    def number(name: str, fallback: float) -> float | None:
        if options.has(name):
            return seconds(options.value(name))
        return None if options.starred is not None else fallback

    initial = number("wait_initial", STAMINA_WAIT_INITIAL)
    cap = number("wait_max", STAMINA_WAIT_MAX)
    jitter_size = number("wait_jitter", STAMINA_WAIT_JITTER)
    jitter = None if jitter_size is None else jitter_size > 0
    exp_base = options.value("wait_exp_base", STAMINA_WAIT_EXP_BASE)
    if cap is None:
        delay = Delay("unknown", initial, None, jitter)
    elif is_number(exp_base) and exp_base <= 1:  # type: ignore[operator]
        delay = constant_delay(None if initial is None else min(initial, cap), jitter=bool(jitter))
    else:
        delay = Delay("exponential", initial, cap, jitter)
    origin = ", ".join(option.origin for option in given)
    return explicit(delay, origin, given[0].span)
