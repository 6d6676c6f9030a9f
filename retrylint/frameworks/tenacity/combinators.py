"""What tenacity's ``stop=``, ``wait=`` and ``retry=`` strategies mean, alone and combined with
``|`` / ``&`` / ``+`` or their ``stop_any`` / ``wait_combine`` / ``retry_all`` spellings:

- ``stop``: ``stop_after_attempt(n)`` -> n attempts; ``stop_after_delay(s)`` /
  ``stop_before_delay(s)`` -> deadline s with UNBOUNDED attempts; ``stop_never`` -> UNBOUNDED.
  ``a | b`` (``stop_any``) stops at the first: the smallest known attempt bound and
  deadline (an unknown stop beside a known one still leaves the known one as an upper bound).
  ``a & b`` (``stop_all``) stops only when both hold: the larger attempt bound (UNBOUNDED when a
  side bounds only time) and the larger deadline; ``stop_after_attempt(3) & stop_after_delay(60)``
  is therefore UNBOUNDED attempts within about 60 s (more when 3 attempts take longer).
- ``wait``: ``wait_fixed(s)`` constant s; ``None`` / ``wait_none()`` / ``0`` none;
  ``wait_random(a, b)`` does not grow, so it is ``constant`` with base a, cap b and jitter;
  ``wait_incrementing`` linear; ``wait_exponential`` exponential without jitter (base =
  ``multiplier`` clamped by ``min``/``max``); ``wait_random_exponential`` / ``wait_full_jitter`` /
  ``wait_exponential_jitter`` exponential with jitter; ``a + b`` sums (the faster-growing strategy
  wins, a random term gives jitter); ``wait_chain`` custom (with a schedule when all parts are
  fixed); ``wait_exception`` custom.
- ``retry``: ``retry_if_exception_type(X)`` -> X;
  ``retry_if_not_exception_type(X)`` / ``retry_unless_exception_type(X)`` -> all with X permanent;
  ``retry_if_result`` / ``retry_if_not_result`` -> ``()`` (exceptions are not retried, results
  are); predicates over exceptions -> UNKNOWN; ``|`` / ``retry_any`` union, ``&`` / ``retry_all``
  intersection; ``retry_never`` -> no retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrylint.context import FileContext
from retrylint.frameworks.defaults import (
    TENACITY_EXPONENTIAL_BASE,
    TENACITY_EXPONENTIAL_JITTER,
    TENACITY_EXPONENTIAL_MULTIPLIER,
    TENACITY_INCREMENTING,
    TENACITY_WAIT_RANDOM,
)
from retrylint.frameworks.retry_library.delays import (
    cap_of,
    constant_delay,
    growing_delay,
    jitter_of,
    summed_delay,
)
from retrylint.frameworks.retry_library.options import (
    called,
    count,
    exception_refs,
    library_name,
    seconds,
)
from retrylint.frameworks.tenacity.names import FRAMEWORK
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    AttemptsValue,
    Delay,
    ExceptionsValue,
    Marker,
    SecondsValue,
)
from retrylint.values import CallValue, OpValue, Ref, Value, is_number

StopBounds = tuple[AttemptsValue, SecondsValue]  # (attempts, deadline) of a stop strategy


def stop_bounds(value: Value) -> StopBounds:
    """(attempts, deadline) of a stop strategy."""
    found = called(value, FRAMEWORK)
    if found is not None:
        name, call = found
        if name == "stop_after_attempt":
            number = count(call.arg(0, "max_attempt_number"))
            return (max(number, 1) if isinstance(number, int) else number), None
        if name in ("stop_after_delay", "stop_before_delay"):
            limit = seconds(call.arg(0, "max_delay"))
            return UNBOUNDED, UNKNOWN if limit is None else limit
        if name == "stop_any":
            return _stop_any([stop_bounds(v) for v in call.args])
        if name == "stop_all":
            return _stop_all([stop_bounds(v) for v in call.args])
        return UNKNOWN, UNKNOWN
    if isinstance(value, Ref) and library_name(value.name, FRAMEWORK) == "stop_never":
        return UNBOUNDED, None
    if isinstance(value, OpValue) and value.op in ("|", "&"):
        parts = [stop_bounds(value.left), stop_bounds(value.right)]
        return _stop_any(parts) if value.op == "|" else _stop_all(parts)
    return UNKNOWN, UNKNOWN


def _stop_any(parts: list[StopBounds]) -> StopBounds:
    """Stop at the first condition: the smallest known bound is an upper bound."""
    if not parts:
        return UNBOUNDED, None
    counts = [a for a, _ in parts if isinstance(a, int)]
    limits = [d for _, d in parts if isinstance(d, float)]
    attempts: AttemptsValue = (
        min(counts) if counts else UNKNOWN if any(a is UNKNOWN for a, _ in parts) else UNBOUNDED
    )
    deadline: SecondsValue = (
        min(limits) if limits else UNKNOWN if any(d is UNKNOWN for _, d in parts) else None
    )
    return attempts, deadline


def _stop_all(parts: list[StopBounds]) -> StopBounds:
    """Stop when every condition holds: the larger bounds; a never-stop side never stops."""
    if not parts or any(a is UNBOUNDED and d is None for a, d in parts):
        return UNBOUNDED, None
    if any(a is UNKNOWN for a, _ in parts):
        attempts: AttemptsValue = UNKNOWN
    elif any(a is UNBOUNDED for a, _ in parts):
        attempts = UNBOUNDED
    else:
        attempts = max(a for a, _ in parts if isinstance(a, int))
    limits = [d for _, d in parts if isinstance(d, float)]
    if any(d is UNKNOWN for _, d in parts):
        deadline: SecondsValue = UNKNOWN
    else:
        deadline = max(limits) if limits else None
    return attempts, deadline


def wait_delay(value: Value) -> Delay:
    """The Delay of a tenacity wait strategy (seconds; numbers or ``timedelta``)."""
    if value is None or (is_number(value) and value == 0):
        return NO_DELAY
    if isinstance(value, OpValue):
        if value.op == "+":
            return summed_delay([wait_delay(value.left), wait_delay(value.right)])
        return UNKNOWN_DELAY
    found = called(value, FRAMEWORK)
    if found is None:
        return UNKNOWN_DELAY
    name, call = found
    match name:
        case "wait_none":
            return NO_DELAY
        case "wait_fixed":
            return constant_delay(seconds(call.arg(0, "wait")))
        case "wait_random":
            low = seconds(call.arg(0, "min", TENACITY_WAIT_RANDOM[0]))
            high = seconds(call.arg(1, "max", TENACITY_WAIT_RANDOM[1]))
            return Delay("constant", low, high, True)
        case "wait_incrementing":
            start = seconds(call.arg(0, "start", TENACITY_INCREMENTING[0]))
            return growing_delay(
                "linear", start, call.arg(2, "max"), len(call.args) > 2 or call.has("max"), False
            )
        case "wait_exponential" | "wait_random_exponential" | "wait_full_jitter":
            multiplier = call.arg(0, "multiplier", TENACITY_EXPONENTIAL_MULTIPLIER)
            return _exponential(call, multiplier, 3, jitter=name != "wait_exponential")
        case "wait_exponential_jitter":
            initial = call.arg(0, "initial", TENACITY_EXPONENTIAL_MULTIPLIER)
            multiplier = call.kwarg("multiplier", initial)
            jitter = seconds(call.arg(3, "jitter", TENACITY_EXPONENTIAL_JITTER))
            return _exponential(call, multiplier, 4, jitter=None if jitter is None else jitter > 0)
        case "wait_combine":
            return summed_delay([wait_delay(v) for v in call.args]) if call.args else NO_DELAY
        case "wait_chain":
            return _chain([wait_delay(v) for v in call.args])
        case "wait_exception":
            return Delay("custom", None, None, None)
    return UNKNOWN_DELAY


def _exponential(call: CallValue, multiplier: Value, min_index: int, jitter: bool | None) -> Delay:
    """multiplier * exp_base ** (n - 1), clamped to [min, max]: the first delay is the base."""
    first = seconds(multiplier)
    low = seconds(call.arg(min_index, "min", 0))
    cap_given = len(call.args) > 1 or call.has("max")
    high = seconds(call.arg(1, "max")) if cap_given else None
    exp_base = call.arg(2, "exp_base", TENACITY_EXPONENTIAL_BASE)
    if first is not None and low is not None:
        first = max(first, low)
        if high is not None:
            first = min(first, high)
    if is_number(exp_base) and exp_base <= 1:  # type: ignore[operator]
        return constant_delay(first, jitter=bool(jitter))
    return growing_delay("exponential", first, call.arg(1, "max"), cap_given, jitter)


def _chain(delays: list[Delay]) -> Delay:
    """``wait_chain``: each strategy for one attempt, the last one thereafter."""
    if not delays:
        return UNKNOWN_DELAY
    jitter = jitter_of(delays)
    caps = [cap_of(d) for d in delays]
    cap = None if any(c is None for c in caps) else max(c for c in caps if c is not None)
    schedule = None
    if all(d.strategy in ("none", "constant") and not d.jitter for d in delays):
        bases = [0.0 if d.strategy == "none" else d.base for d in delays]
        if all(b is not None for b in bases):
            schedule = tuple(b for b in bases if b is not None)
    if any(d.strategy == "unknown" for d in delays):
        return Delay("unknown", delays[0].base, None, jitter)
    return Delay("custom", delays[0].base, cap, jitter, schedule)


@dataclass(frozen=True)
class RetryOn:
    """What a retry predicate retries: exceptions, the ones excluded, and failed results."""

    exceptions: ExceptionsValue
    permanent: tuple[str, ...] = ()
    on_result: bool = False
    never: bool = False


def retry_predicate(value: Value, ctx: FileContext) -> RetryOn:
    if isinstance(value, OpValue) and value.op in ("|", "&"):
        parts = [retry_predicate(value.left, ctx), retry_predicate(value.right, ctx)]
        return _union(parts) if value.op == "|" else _intersection(parts)
    if isinstance(value, Ref):
        name = library_name(value.name, FRAMEWORK)
        if name == "retry_always":
            return RetryOn("all", on_result=True)
        if name == "retry_never":
            return RetryOn((), never=True)
        return RetryOn(UNKNOWN)
    found = called(value, FRAMEWORK)
    if found is None:
        return RetryOn(UNKNOWN)
    name, call = found
    match name:
        case "retry_if_exception_type":
            if not call.args and not call.kwargs:
                return RetryOn("all")
            return RetryOn(exception_refs(call.arg(0, "exception_types"), ctx))
        case "retry_if_not_exception_type" | "retry_unless_exception_type":
            if not call.args and not call.kwargs:
                excluded: tuple[str, ...] | Marker = ("Exception",)
            else:
                excluded = exception_refs(call.arg(0, "exception_types"), ctx)
            permanent = excluded if isinstance(excluded, tuple) else ()
            return RetryOn("all", permanent, on_result=name == "retry_unless_exception_type")
        case "retry_if_result" | "retry_if_not_result":
            return RetryOn((), on_result=True)
        case "retry_any":
            return _union([retry_predicate(v, ctx) for v in call.args])
        case "retry_all":
            return _intersection([retry_predicate(v, ctx) for v in call.args])
    return RetryOn(UNKNOWN)


def _union(parts: list[RetryOn]) -> RetryOn:
    on_result = any(p.on_result for p in parts)
    if not parts or any(p.exceptions is UNKNOWN for p in parts):
        return RetryOn(UNKNOWN, on_result=on_result)
    listed = [name for p in parts if isinstance(p.exceptions, tuple) for name in p.exceptions]
    alls = [p for p in parts if p.exceptions == "all"]
    if alls:
        excluded = set(alls[0].permanent).intersection(*(p.permanent for p in alls[1:]))
        permanent = tuple(n for n in alls[0].permanent if n in excluded and n not in listed)
        return RetryOn("all", permanent, on_result)
    return RetryOn(tuple(dict.fromkeys(listed)), (), on_result, all(p.never for p in parts))


def _intersection(parts: list[RetryOn]) -> RetryOn:
    on_result = bool(parts) and all(p.on_result for p in parts)
    permanent = tuple(dict.fromkeys(n for p in parts for n in p.permanent))
    if not parts or any(p.exceptions is UNKNOWN for p in parts):
        return RetryOn(UNKNOWN, permanent, on_result)
    listed = [p.exceptions for p in parts if isinstance(p.exceptions, tuple)]
    if not listed:
        return RetryOn("all", permanent, on_result)
    common = [n for n in listed[0] if all(n in other for other in listed[1:])]
    return RetryOn(tuple(common), permanent, on_result, any(p.never for p in parts))
