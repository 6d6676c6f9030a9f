"""The ``Delay`` of a retry library's wait: constant, growing (linear or exponential, capped or
not), and several waits combined (summed, or the largest).

Shared by every retry-library adapter. A growing wait whose ``max`` is a run-time value has
strategy ``unknown``: ``Delay.cap`` cannot say "unknown", and ``None`` would claim "uncapped".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from retrylint.frameworks.retry_library.options import seconds
from retrylint.model import NO_DELAY, Delay, DelayStrategy
from retrylint.values import Value

_GROWTH: dict[str, int] = {"none": 0, "constant": 1, "linear": 2, "exponential": 3, "custom": 4}


def constant_delay(base: float | None, *, jitter: bool = False, cap: float | None = None) -> Delay:
    if base == 0 and not jitter and not cap:
        return NO_DELAY
    return Delay("constant", base, cap if cap is not None else base, jitter)


def growing_delay(
    strategy: DelayStrategy, base: float | None, cap: Value, cap_given: bool, jitter: bool | None
) -> Delay:
    """A linear/exponential delay; an unknown ``max`` makes the strategy unknown (see above).

    A literal ``None`` cap is the libraries' own spelling of "no cap" (backoff ``max_value``).
    """
    if not cap_given or cap is None:
        return Delay(strategy, base, None, jitter)
    cap_seconds = seconds(cap)
    if cap_seconds is None:
        return Delay("unknown", base, None, jitter)
    return Delay(strategy, base, cap_seconds, jitter)


def jitter_of(delays: Iterable[Delay]) -> bool | None:
    flags = [d.jitter for d in delays]
    if any(flag is True for flag in flags):
        return True
    return None if any(flag is None for flag in flags) else False


def cap_of(delay: Delay) -> float | None:
    """The largest delay, None when it grows without a cap or is unknown."""
    if delay.strategy == "none":
        return 0.0
    return delay.cap


def summed_delay(delays: list[Delay]) -> Delay:
    """Waits added together (tenacity ``+`` / ``wait_combine``)."""
    return _combined(delays, sum)


def largest_delay(delays: list[Delay]) -> Delay:
    """The largest of several waits (retrying takes ``max`` over its wait kinds)."""
    return _combined(delays, max)


def _combined(delays: list[Delay], reduce: Callable[[list[float]], float]) -> Delay:
    """Several waits made into one: the fastest-growing strategy, bases and caps reduced."""
    jitter = jitter_of(delays)
    if not delays or any(d.strategy in ("unknown", "custom") for d in delays):
        strategy: DelayStrategy = "custom" if delays else "unknown"
        if any(d.strategy == "unknown" for d in delays):
            strategy = "unknown"
        return Delay(strategy, None, None, jitter)
    strategy = max((d.strategy for d in delays), key=lambda s: _GROWTH[s])
    if strategy == "none":
        return NO_DELAY
    bases = [0.0 if d.strategy == "none" else d.base for d in delays]
    caps = [cap_of(d) for d in delays]
    base = None if None in bases else reduce([b for b in bases if b is not None])
    cap = None if None in caps else reduce([c for c in caps if c is not None])
    return Delay(strategy, base, cap, jitter)
