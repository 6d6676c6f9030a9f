"""Worst-case arithmetic over a retry policy: how long retrying can take, how long one wait can be.

Rules RL102 (window) and RL203 (uncapped growth) decide on these numbers, and their messages
quote them, so they live in one place with one set of conventions:

- retry k (k = 0, 1, ...) waits ``base`` (constant), ``base * (k + 1)`` (linear) or
  ``base * 2**k`` (exponential), then the cap applies; an explicit schedule is used as given.
- Jitter never makes the worst case longer except where the framework adds on top (not modelled:
  worst cases here are lower bounds of the framework's own worst case, and messages say "at least").
- A deadline caps the window.
"""

from __future__ import annotations

from retrylint.model import UNBOUNDED, UNKNOWN, Delay, Marker, RetryPolicy

_EXPONENT_LIMIT = 64  # beyond 2**64 every real cap has long been reached


def delay_before_retry(delay: Delay, k: int, stretch: float = 1.0) -> float | Marker:
    """The wait before retry ``k`` (0-based), cap applied; UNKNOWN when it cannot be told.

    ``stretch`` multiplies a growing wait before the cap: a framework whose jitter lengthens the
    wait (Dramatiq 2.x draws it from 1x to 2x) has a worst case ``stretch`` times longer.
    """
    if delay.strategy == "none":
        return 0.0
    if delay.schedule:
        schedule = delay.schedule
        return schedule[min(k, len(schedule) - 1)]
    if delay.base is None:
        return UNKNOWN
    match delay.strategy:
        case "constant":
            value = delay.base
        case "linear":
            value = delay.base * (k + 1)
        case "exponential":
            value = delay.base * 2 ** min(k, _EXPONENT_LIMIT) * stretch
        case _:
            return UNKNOWN
    return min(value, delay.cap) if delay.cap is not None else value


def retry_window(policy: RetryPolicy, stretch: float = 1.0) -> float | Marker:
    """Worst-case seconds spent waiting between the first attempt and giving up.

    UNBOUNDED when attempts are unbounded and nothing caps time; UNKNOWN when a needed value is
    run-time. Execution time is not counted (it is not known statically).
    """
    deadline = policy.deadline.value
    attempts = policy.max_attempts.value
    if attempts is UNBOUNDED:
        return deadline if isinstance(deadline, float | int) else UNBOUNDED
    if not isinstance(attempts, int):
        return UNKNOWN
    total = 0.0
    for k in range(max(attempts - 1, 0)):
        wait = delay_before_retry(policy.delay.value, k, stretch)
        if isinstance(wait, Marker):
            # At most the deadline, but it may be far shorter: "at least <deadline>" would be
            # a guess (arq's one-day expiry under a computed defer, for one).
            return UNKNOWN
        total += wait
        if isinstance(deadline, float | int) and total >= deadline:
            return float(deadline)
    return total


def longest_wait(policy: RetryPolicy) -> float | Marker:
    """The longest single wait the policy can reach: UNBOUNDED for uncapped growth that can go on."""
    delay = policy.delay.value
    attempts = policy.max_attempts.value
    if delay.strategy == "none":
        return 0.0
    if delay.schedule:
        return max(delay.schedule)
    growing = delay.strategy in ("linear", "exponential")
    if attempts is UNBOUNDED:
        if growing and delay.cap is None:
            return UNBOUNDED
        steady = delay.base if delay.base is not None else UNKNOWN
        return delay.cap if growing and delay.cap is not None else steady
    if not isinstance(attempts, int):
        return delay.cap if delay.cap is not None else UNKNOWN
    return delay_before_retry(delay, max(attempts - 2, 0))


def format_duration(seconds: float) -> str:
    """``3.2 days``, ``6 h``, ``45 min``, ``30 s``: the unit a person would say."""
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:g} s"
