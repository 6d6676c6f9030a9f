"""backoff: ``@backoff.on_exception`` / ``@backoff.on_predicate`` decorated functions.

Each decorated function is a ``decorated-function`` job, complete within its file; so is a
function given to ``backoff.on_exception(...)(fn)``. A decorator shared from another module, or
made by a project factory returning ``backoff.on_exception(...)``, is read in
``retry_library.shared``. Modelling
(backoff 2.2.1, ``frameworks.md`` 7.2):

- ``max_tries`` counts every call; neither it nor ``max_time`` -> UNBOUNDED attempts.
  ``max_tries=0`` (or negative) also retries forever: backoff stops on ``tries == max_tries``.
  ``max_time`` -> deadline, and a cap on every wait too: backoff never sleeps past the time
  left (``_next_wait``: ``min(seconds, max_time - elapsed)``). A callable or run-time value ->
  UNKNOWN.
- ``wait_gen``: ``backoff.expo(base=2, factor=1, max_value=None)`` -> exponential, base =
  ``factor`` (the first wait), cap ``max_value``; ``backoff.fibo`` -> exponential too (Fibonacci
  grows like 1.618**n), base 1; ``backoff.constant(interval=1)`` -> constant, or with a list of
  intervals a custom schedule that gives up once the list is used up (attempts <= len + 1);
  ``backoff.runtime`` -> custom. Generator options are read from the decorator's extra keywords
  (``on_exception(backoff.expo, E, max_value=60)``) or a ``lambda: backoff.expo(...)``.
- ``jitter`` defaults to ``full_jitter`` (jitter True); ``jitter=None`` -> False; another function
  -> unknown (None).
- ``on_exception``'s ``exception`` (required) -> ``retry_on``; ``on_predicate`` retries on return
  values, not exceptions, so ``retry_on`` is ``()``.
- Hooks: ``on_backoff`` (every retry), ``on_giveup`` (once). ``giveup`` (a predicate that stops
  early) and ``raise_on_giveup=False`` (a give-up returns None: the failure is dropped) are kept
  in details for rules.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.defaults import (
    BACKOFF_CONSTANT_INTERVAL,
    BACKOFF_EXPO_BASE,
    BACKOFF_EXPO_FACTOR,
    BACKOFF_JITTER,
)
from retrylint.frameworks.retry_library.delays import constant_delay, growing_delay
from retrylint.frameworks.retry_library.from_declarations import BACKOFF_DECORATORS
from retrylint.frameworks.retry_library.jobs import (
    Library,
    PolicyParts,
    applied_calls,
    dedupe_qualname,
    function_job,
    hook,
    retry_decorators,
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
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    default,
    explicit,
)
from retrylint.values import CallValue, LambdaValue, Ref, Value

FRAMEWORK = "backoff"
DECORATORS = BACKOFF_DECORATORS
POSITIONAL = {"on_exception": ("wait_gen", "exception"), "on_predicate": ("wait_gen", "predicate")}
# Keywords the decorators take themselves; any other keyword goes to the wait generator.
DECORATOR_KEYWORDS = frozenset(
    {
        "wait_gen",
        "exception",
        "predicate",
        "max_tries",
        "max_time",
        "jitter",
        "giveup",
        "on_success",
        "on_backoff",
        "on_giveup",
        "raise_on_giveup",
        "logger",
        "backoff_log_level",
        "giveup_log_level",
    }
)
_NO_LIMIT = "backoff default: max_tries=None, max_time=None (retries forever)"
_NO_TIME_LIMIT = "backoff default: max_time=None"
_NO_REDELIVERY = "in-process retries: no redelivery"


def _bind(ctx: FileContext, qualified: str, expression: cst.BaseExpression) -> Options | None:
    options = bind_options(ctx, expression, POSITIONAL[qualified.rsplit(".", 1)[-1]])
    # `@backoff.on_exception` without arguments is a TypeError at import
    return options if options.shape.called else None


def _policy(ctx: FileContext, qualified: str, options: Options) -> PolicyParts:
    return backoff_policy(options, qualified.rsplit(".", 1)[-1], ctx)


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
            policy, hooks, details = _policy(ctx, found.qualified, options)
            extra: tuple[tuple[str, Any], ...] = (
                ("decorator", options.shape),
                ("async", function.is_async),
            )
            if found.shared:
                extra += (("shared_policy", found.shared),)
            job = function_job(ctx, function, FRAMEWORK, policy, hooks, details + extra)
            sink.jobs.append(dedupe_qualname(job, taken))
    sink.jobs.extend(applied_calls(ctx, LIBRARY, {job.qualname for job in sink.jobs}))
    stack_retries(sink.jobs)


def build_jobs(project: object) -> tuple[Job, ...]:
    return ()


def backoff_policy(
    options: Options, kind: str, ctx: FileContext
) -> tuple[RetryPolicy, tuple[FailureHook, ...], tuple[tuple[str, Any], ...]]:
    attempts, deadline = _limits(options)
    delay, schedule_attempts = _delay(options)
    delay = _capped_by_deadline(delay, deadline)
    if isinstance(schedule_attempts, int) and not (
        isinstance(attempts.value, int) and attempts.value <= schedule_attempts
    ):
        wait_gen = options.get("wait_gen")
        assert wait_gen is not None
        attempts = explicit(
            schedule_attempts,
            f"{wait_gen.origin} (gives up when the intervals run out)",
            wait_gen.span,
        )

    if kind == "on_predicate":
        retry_on: Sourced[Any] = explicit(
            (), "on_predicate (retries on return values, not exceptions)", options.shape.span
        )
    elif options.has("exception"):
        retry_on = options.stated("exception", exception_refs(options.value("exception"), ctx))
    else:
        retry_on = explicit(UNKNOWN, "exception not given", options.shape.span)

    policy = make_policy(
        max_attempts=attempts,
        delay=delay,
        deadline=deadline,
        retry_on=retry_on,
        redelivery=default(False, _NO_REDELIVERY),
    )
    hooks = (
        *hook(options.get("on_backoff"), "on_backoff", True),
        *hook(options.get("on_giveup"), "on_giveup", False),
    )
    raise_on_giveup = options.value("raise_on_giveup", True)
    giveup = options.get("giveup")
    details: tuple[tuple[str, Any], ...] = (
        ("library", FRAMEWORK),
        ("options", options.located()),
        ("decorator_kind", kind),
        *((("shape", "poll"),) if kind == "on_predicate" else ()),  # retries on a result: a poll
        ("giveup", giveup.value if giveup is not None else None),
        ("raise_on_giveup", raise_on_giveup if isinstance(raise_on_giveup, bool) else UNKNOWN),
        ("gives_up_with", "original" if raise_on_giveup is not False else "None returned"),
    )
    return policy, hooks, details


def _limits(options: Options) -> tuple[Sourced[AttemptsValue], Sourced[SecondsValue]]:
    if options.has("max_time"):
        value = options.value("max_time")
        limit: SecondsValue = None if value is None else seconds(value)
        deadline: Sourced[SecondsValue] = options.stated(
            "max_time", UNKNOWN if value is not None and limit is None else limit
        )
    else:
        deadline = options.unstated(None, _NO_TIME_LIMIT)
    if options.has("max_tries"):
        value = options.value("max_tries")
        number = UNBOUNDED if value is None else count(value)
        if isinstance(number, int) and number <= 0:
            option = options.get("max_tries")
            assert option is not None
            origin = f"{option.origin} (backoff stops on tries == max_tries: never)"
            return explicit(UNBOUNDED, origin, option.span), deadline
        return options.stated("max_tries", number), deadline
    if options.has("max_time") and deadline.value is not None:
        return options.stated("max_time", UNBOUNDED), deadline
    return options.unstated(UNBOUNDED, _NO_LIMIT), deadline


def _delay(options: Options) -> tuple[Sourced[Delay], int | Marker | None]:
    """The delay, and the attempts a finite ``constant(interval=[...])`` schedule allows."""
    wait_gen = options.get("wait_gen")
    if wait_gen is None:
        span = options.starred or options.shape.span
        return explicit(UNKNOWN_DELAY, "wait_gen not given", span), None
    generator = wait_gen.value.value
    if isinstance(generator, LambdaValue):
        generator = generator.body
    kwargs: dict[str, Value] = {}
    if isinstance(generator, CallValue):
        kwargs.update(zip(("#0", "#1", "#2"), generator.args, strict=False))
        kwargs.update(generator.kwargs)
        name = library_name(generator.func, FRAMEWORK)
    elif isinstance(generator, Ref):
        name = library_name(generator.name, FRAMEWORK)
    else:
        name = None
    extra = [o for o in options.entries if o.name not in DECORATOR_KEYWORDS and "#" not in o.name]
    kwargs.update((o.name, o.value.value) for o in extra)
    delay, schedule_attempts = _generator_delay(name, kwargs, options.starred is not None)
    delay = _with_jitter(delay, options)

    written = [wait_gen.origin, *(o.origin for o in extra)]
    jitter = options.get("jitter")
    if jitter is not None:
        written.append(jitter.origin)
    else:
        written.append(f"jitter={BACKOFF_JITTER} (default)")
    return explicit(delay, ", ".join(written), wait_gen.span), schedule_attempts


def _generator_delay(
    name: str | None, kwargs: dict[str, Value], starred: bool
) -> tuple[Delay, int | Marker | None]:
    def get(key: str, position: int, fallback: Value) -> Value:
        if key in kwargs:
            return kwargs[key]
        if f"#{position}" in kwargs:
            return kwargs[f"#{position}"]
        return UNKNOWN if starred else fallback

    def given(key: str, position: int) -> bool:
        return key in kwargs or f"#{position}" in kwargs or starred

    match name:
        case "expo":
            factor = seconds(get("factor", 1, BACKOFF_EXPO_FACTOR))
            base = get("base", 0, BACKOFF_EXPO_BASE)
            if isinstance(base, int | float) and not isinstance(base, bool) and base <= 1:
                return constant_delay(factor), None
            return growing_delay(
                "exponential", factor, get("max_value", 2, None), given("max_value", 2), False
            ), None
        case "fibo":
            return growing_delay(
                "exponential", 1.0, get("max_value", 0, None), given("max_value", 0), False
            ), None
        case "constant":
            interval = get("interval", 0, BACKOFF_CONSTANT_INTERVAL)
            if isinstance(interval, tuple):
                steps = [seconds(v) for v in interval]
                if not steps or any(s is None for s in steps):
                    return Delay("custom", None, None, False), UNKNOWN
                known = tuple(s for s in steps if s is not None)
                return Delay("custom", known[0], max(known), False, known), len(known) + 1
            return constant_delay(seconds(interval)), None
        case "runtime":
            return Delay("custom", None, None, False), None
    return UNKNOWN_DELAY, None


def _capped_by_deadline(delay: Sourced[Delay], deadline: Sourced[SecondsValue]) -> Sourced[Delay]:
    """A growing delay with no cap (or a larger one) is capped by ``max_time``: no wait can
    outlast the time left."""
    wait, limit = delay.value, deadline.value
    if wait.strategy not in ("linear", "exponential") or not isinstance(limit, float | int):
        return delay
    if wait.cap is not None and wait.cap <= limit:
        return delay
    capped = Delay(wait.strategy, wait.base, float(limit), wait.jitter, wait.schedule)
    return replace(delay, value=capped, origin=f"{delay.origin}, capped by {deadline.origin}")


def _with_jitter(delay: Delay, options: Options) -> Delay:
    if options.has("jitter"):
        value = options.value("jitter")
        if value is None:
            jitter: bool | None = False
        elif isinstance(value, Ref) and library_name(value.name, FRAMEWORK) in (
            "full_jitter",
            "random_jitter",
        ):
            jitter = True
        else:
            jitter = None
    elif options.starred is not None:
        jitter = None
    else:
        jitter = True  # full_jitter
    if delay.strategy == "none":
        return delay
    return Delay(delay.strategy, delay.base, delay.cap, jitter, delay.schedule)
