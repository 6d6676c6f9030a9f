"""retrying (legacy): ``@retry`` / ``@retrying.retry(...)`` and ``Retrying(...).call(fn)``.

A decorated function is a ``decorated-function`` job; ``Retrying(...).call(fn, ...)`` (or through
a name bound to the constructor) a ``decorated-function`` job at the call. Modelling (retrying
1.4.2, ``frameworks.md`` 7.4, ``retrying.py``); every time option is in **milliseconds**:

- No ``stop_max_attempt_number`` / ``stop_max_delay`` -> never stops (UNBOUNDED). Both -> the
  first reached. ``stop="stop_after_attempt"`` / ``"stop_after_delay"`` name one check (with
  retrying's internal 5 attempts / 100 ms when the number is missing); ``stop_func`` -> UNKNOWN.
- The wait is the **largest** of every wait kind configured: ``wait_fixed`` (constant),
  ``wait_random_min/max`` (constant between them, jitter), ``wait_incrementing_*`` (linear),
  ``wait_exponential_multiplier/max`` (exponential; the first wait is 2 * multiplier); none ->
  no wait. ``wait_jitter_max`` adds U(0, jitter) to it. A ``max`` left at ``MAX_WAIT`` (~12 days)
  counts as uncapped. ``wait_func`` -> custom.
- ``retry_on_exception``: none -> every ``Exception``; a tuple -> those classes; a function ->
  UNKNOWN. A single exception **class** (not a tuple) is called as a predicate by retrying, and
  ``reject |= IOError(exc)`` raises TypeError on the first failure (verified): one attempt, the
  caller sees a TypeError instead of the error -> max_attempts 1, ``retry_on`` ``()``, said so.
- ``after_attempts`` is a hook after every failed attempt; ``wrap_exception`` goes into details.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.defaults import (
    RETRYING_MAX_WAIT,
    RETRYING_MS,
    RETRYING_STOP_MAX_ATTEMPT_NUMBER,
    RETRYING_STOP_MAX_DELAY,
    RETRYING_WAIT_EXPONENTIAL_MULTIPLIER,
    RETRYING_WAIT_FIXED,
    RETRYING_WAIT_INCREMENTING,
    RETRYING_WAIT_RANDOM,
)
from retrylint.frameworks.retry_library.delays import constant_delay, growing_delay, largest_delay
from retrylint.frameworks.retry_library.from_declarations import RETRYING_DECORATORS
from retrylint.frameworks.retry_library.jobs import (
    Bindings,
    Library,
    PolicyParts,
    applied_calls,
    dedupe_qualname,
    function_job,
    hook,
    retry_decorators,
    stack_retries,
    wrapped_job,
)
from retrylint.frameworks.retry_library.options import (
    Option,
    Options,
    bind_options,
    count,
    exception_refs,
    is_exception_like,
    library_name,
    seconds,
)
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
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
from retrylint.values import Ref, Value

FRAMEWORK = "retrying"
DECORATORS = RETRYING_DECORATORS
# Retrying.__init__ parameter order (retrying.py): retry(*dargs) passes them on.
POSITIONAL = (
    "stop",
    "wait",
    "stop_max_attempt_number",
    "stop_max_delay",
    "wait_fixed",
    "wait_random_min",
    "wait_random_max",
    "wait_incrementing_start",
    "wait_incrementing_increment",
    "wait_incrementing_max",
    "wait_exponential_multiplier",
    "wait_exponential_max",
    "retry_on_exception",
    "retry_on_result",
    "wrap_exception",
    "stop_func",
    "wait_func",
    "wait_jitter_max",
    "before_attempts",
    "after_attempts",
    "logger",
)
WAIT_OPTIONS = (
    "wait",
    "wait_func",
    "wait_fixed",
    "wait_random_min",
    "wait_random_max",
    "wait_incrementing_start",
    "wait_incrementing_increment",
    "wait_incrementing_max",
    "wait_exponential_multiplier",
    "wait_exponential_max",
    "wait_jitter_max",
)
_NEVER_STOPS = "retrying default: no stop_max_attempt_number / stop_max_delay (never stops)"
_NO_WAIT = "retrying default: no wait_* option (no wait)"
_EVERY_EXCEPTION = "retrying default: retry_on_exception=None (every Exception)"
_NO_REDELIVERY = "in-process retries: no redelivery"


def _bind(ctx: FileContext, qualified: str, expression: cst.BaseExpression) -> Options:
    return bind_options(ctx, expression, POSITIONAL)


def _policy(ctx: FileContext, qualified: str, options: Options) -> PolicyParts:
    return retrying_policy(options, ctx)


LIBRARY = Library(FRAMEWORK, DECORATORS, _bind, _policy)


def extract(ctx: FileContext, sink: FactSink) -> None:
    if not LIBRARY.imported(ctx):
        return
    taken = {job.qualname for job in sink.jobs}
    for function in ctx.functions:
        for found in retry_decorators(ctx, function, DECORATORS):
            options = bind_options(ctx, found.expression, POSITIONAL)
            policy, hooks, details = retrying_policy(options, ctx)
            extra: tuple[tuple[str, Any], ...] = (("decorator", options.shape),)
            if found.shared:
                extra += (("shared_policy", found.shared),)
            job = function_job(ctx, function, FRAMEWORK, policy, hooks, details + extra)
            sink.jobs.append(dedupe_qualname(job, taken))
    sink.jobs.extend(_wrapped_calls(ctx, Bindings(ctx)))
    sink.jobs.extend(applied_calls(ctx, LIBRARY, {job.qualname for job in sink.jobs}))
    stack_retries(sink.jobs)


def build_jobs(project: object) -> tuple[Job, ...]:
    return ()


def _wrapped_calls(ctx: FileContext, bindings: Bindings) -> Iterator[Job]:
    """``Retrying(...).call(fn, *args)`` and ``r.call(fn)`` with ``r = Retrying(...)``."""
    for info in ctx.calls:
        func = info.node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "call"):
            continue
        constructor = bindings.call(func.value, info.function)
        if constructor is None or library_name(ctx.qualify(constructor.func), FRAMEWORK) != (
            "Retrying"
        ):
            continue
        wrapped = next((a.value for a in info.node.args if a.keyword is None and not a.star), None)
        if wrapped is None:
            continue
        options = bind_options(ctx, constructor, POSITIONAL)
        policy, hooks, details = retrying_policy(options, ctx)
        yield wrapped_job(ctx, info.function, info.node, wrapped, FRAMEWORK, policy, hooks, details)


def retrying_policy(
    options: Options, ctx: FileContext
) -> tuple[RetryPolicy, tuple[FailureHook, ...], tuple[tuple[str, Any], ...]]:
    attempts, deadline = _stop(options)
    retry_on = _retry_on(options, ctx)
    wrap = options.value("wrap_exception", False)
    gives_up_with = "retrying.RetryError" if wrap is True else "original"
    broken = _class_not_tuple(options, ctx)
    if broken is not None:
        # `reject |= IOError(exc)` raises TypeError on the first failure: no retry at all.
        origin = (
            f"{broken.origin} (a class, not a tuple: retrying calls it as a predicate and "
            "fails with TypeError on the first exception, never retrying)"
        )
        attempts = explicit(1, origin, broken.span)
        retry_on = explicit((), origin, broken.span)
        gives_up_with = "TypeError"
    policy = make_policy(
        max_attempts=attempts,
        delay=_wait(options),
        deadline=deadline,
        retry_on=retry_on,
        redelivery=default(False, _NO_REDELIVERY),
    )
    hooks = hook(options.get("after_attempts"), "after_attempts", True)
    details: tuple[tuple[str, Any], ...] = (
        ("library", FRAMEWORK),
        ("options", options.located()),
        ("wrap_exception", wrap if isinstance(wrap, bool) else UNKNOWN),
        ("gives_up_with", gives_up_with),
        ("retry_on_result", _given(options, "retry_on_result") is not None),
    )
    return policy, hooks, details


def _given(options: Options, name: str) -> Option | None:
    """An option written with a value other than None (retrying treats None as not given)."""
    option = options.get(name)
    return option if option is not None and option.value.value is not None else None


def _ms(value: Value) -> float | None:
    return seconds(value, RETRYING_MS)


def _stop(options: Options) -> tuple[Sourced[AttemptsValue], Sourced[SecondsValue]]:
    number = _given(options, "stop_max_attempt_number")
    delay = _given(options, "stop_max_delay")
    if _given(options, "stop_func") is not None:
        return options.stated("stop_func", UNKNOWN), options.stated("stop_func", UNKNOWN)
    stop = _given(options, "stop")
    if stop is not None:
        return _named_stop(options, stop, number, delay)
    attempts: Sourced[AttemptsValue]
    deadline: Sourced[SecondsValue]
    if number is not None:
        value = count(number.value.value)
        attempts = options.stated(number.name, max(value, 1) if isinstance(value, int) else value)
    elif delay is not None:
        attempts = options.stated(delay.name, UNBOUNDED)
    else:
        attempts = options.unstated(UNBOUNDED, _NEVER_STOPS)
    if delay is not None:
        limit = _ms(delay.value.value)
        deadline = options.stated(delay.name, UNKNOWN if limit is None else limit)
    else:
        deadline = options.unstated(None, _NEVER_STOPS)
    return attempts, deadline


def _named_stop(
    options: Options, stop: Option, number: Option | None, delay: Option | None
) -> tuple[Sourced[AttemptsValue], Sourced[SecondsValue]]:
    """``stop="stop_after_attempt"``: one named check, with retrying's internal numbers."""
    match stop.value.value:
        case "stop_after_attempt":
            if number is None:
                value: AttemptsValue = RETRYING_STOP_MAX_ATTEMPT_NUMBER
                origin = f"{stop.origin} (retrying's internal {value} attempts)"
                return explicit(value, origin, stop.span), options.stated(stop.name, None)
            counted = count(number.value.value)
            return options.stated(number.name, counted), options.stated(stop.name, None)
        case "stop_after_delay":
            if delay is None:
                origin = f"{stop.origin} (retrying's internal 100 ms)"
                limit: SecondsValue = RETRYING_STOP_MAX_DELAY
                return options.stated(stop.name, UNBOUNDED), explicit(limit, origin, stop.span)
            found = _ms(delay.value.value)
            return options.stated(stop.name, UNBOUNDED), options.stated(
                delay.name, UNKNOWN if found is None else found
            )
    return options.stated(stop.name, UNKNOWN), options.stated(stop.name, UNKNOWN)


def _wait(options: Options) -> Sourced[Delay]:
    written = [o for name in WAIT_OPTIONS if (o := _given(options, name)) is not None]
    if not written:
        return options.unstated(NO_DELAY, _NO_WAIT, Delay("unknown"))
    origin = ", ".join(o.origin for o in written)
    span = written[0].span
    if _given(options, "wait_func") is not None:
        return explicit(Delay("custom", None, None, None), origin, span)
    named = _given(options, "wait")
    if named is not None:
        kinds = {
            "fixed_sleep": ("fixed",),
            "random_sleep": ("random",),
            "incrementing_sleep": ("incrementing",),
            "exponential_sleep": ("exponential",),
            "no_sleep": (),
        }.get(named.value.value if isinstance(named.value.value, str) else "")
        if kinds is None:
            return explicit(Delay("unknown"), origin, span)
    else:
        kinds = tuple(
            kind
            for kind, names in (
                ("fixed", ("wait_fixed",)),
                ("random", ("wait_random_min", "wait_random_max")),
                ("incrementing", ("wait_incrementing_start", "wait_incrementing_increment")),
                ("exponential", ("wait_exponential_multiplier", "wait_exponential_max")),
            )
            if any(_given(options, n) is not None for n in names)
        )
    delay = largest_delay([NO_DELAY, *(_kind_delay(options, kind) for kind in kinds)])
    jitter_max = _given(options, "wait_jitter_max")
    if jitter_max is not None:
        extra = _ms(jitter_max.value.value)
        if extra is None:
            delay = Delay(delay.strategy, delay.base, None, None)
        elif extra > 0:
            strategy = "constant" if delay.strategy == "none" else delay.strategy
            cap = None if delay.cap is None and strategy != "constant" else (delay.cap or 0) + extra
            delay = Delay(strategy, delay.base or 0.0, cap, True)
    return explicit(delay, origin, span)


def _kind_delay(options: Options, kind: str) -> Delay:
    def ms(name: str, fallback: float) -> float | None:
        option = _given(options, name)
        return fallback if option is None else _ms(option.value.value)

    def cap(name: str) -> tuple[Value, bool]:
        option = _given(options, name)
        if option is None:
            return None, False
        limit = _ms(option.value.value)
        if limit is not None and limit >= RETRYING_MAX_WAIT:
            return None, False
        return limit if limit is not None else UNKNOWN, True

    match kind:
        case "fixed":
            return constant_delay(ms("wait_fixed", RETRYING_WAIT_FIXED))
        case "random":
            low = ms("wait_random_min", RETRYING_WAIT_RANDOM[0])
            high = ms("wait_random_max", RETRYING_WAIT_RANDOM[1])
            return Delay("constant", low, high, True)
        case "incrementing":
            start = ms("wait_incrementing_start", RETRYING_WAIT_INCREMENTING[0])
            limit, given = cap("wait_incrementing_max")
            return growing_delay("linear", start, limit, given, False)
        case "exponential":
            multiplier = ms("wait_exponential_multiplier", RETRYING_WAIT_EXPONENTIAL_MULTIPLIER)
            first = None if multiplier is None else 2 * multiplier
            limit, given = cap("wait_exponential_max")
            if first is not None and isinstance(limit, float):
                first = min(first, limit)
            return growing_delay("exponential", first, limit, given, False)
    return Delay("unknown")


def _class_not_tuple(options: Options, ctx: FileContext) -> Option | None:
    """``retry_on_exception=IOError``: a single class where retrying wants a tuple or function."""
    option = _given(options, "retry_on_exception")
    if option is None:
        return None
    value = option.value.value
    return option if isinstance(value, Ref) and is_exception_like(value, ctx) else None


def _retry_on(options: Options, ctx: FileContext) -> Sourced[Any]:
    option = _given(options, "retry_on_exception")
    if option is None:
        return options.unstated("all", _EVERY_EXCEPTION)
    value = option.value.value
    if isinstance(value, Ref):
        return options.stated(option.name, UNKNOWN)  # a predicate function
    return options.stated(option.name, exception_refs(value, ctx))
