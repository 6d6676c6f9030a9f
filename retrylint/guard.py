"""A small runtime retry guard: an attempt budget with exponential backoff and full jitter.

retrylint's autofixes insert it into handwritten retry loops that no framework covers (a ``while
True`` around a flaky call, a polling loop), and it is usable by hand. It bounds the loop three
ways, which is what an unbounded handwritten retry usually lacks:

- an attempt budget (``attempts`` counts every execution, the first included);
- exponential backoff with *full* jitter: the n-th retry waits ``uniform(0, min(cap, base *
  2**(n-1)))``, so many workers failing together spread out instead of retrying in lock step;
- an optional total ``deadline`` in seconds on the monotonic clock (immune to wall-clock jumps).

When the budget or the deadline is spent, the *original* exception is re-raised, unchanged and
with its traceback, so error reporting and ``except`` clauses upstream see what really failed.

A retry loop::

    budget = RetryBudget(attempts=5, base=0.5, cap=30, deadline=120)
    while True:
        try:
            response = client.post(url, json=payload)
            break
        except ConnectionError:
            budget.sleep()  # waits, or re-raises this ConnectionError once the budget is spent

A decorator (each call gets a fresh budget)::

    @retry_budget(attempts=3, retry_on=(ConnectionError, TimeoutError))
    def fetch(url): ...

    @RetryBudget(attempts=3, deadline=10)
    async def fetch_async(url): ...

Thread safety: a ``RetryBudget`` object holds the state of *one* loop; use one object per loop
and do not share it across threads or tasks. Decorated functions are safe to call concurrently:
every call works on its own copy.

This module is imported by user applications at run time, so it depends on the standard
library only and imports nothing from retrylint (``retrylint/__init__`` is import-free).
"""

from __future__ import annotations

import functools
import inspect
import math
import random as _random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

__all__ = ["RetryBudget", "RetryBudgetExhausted", "retry_budget"]

P = ParamSpec("P")
R = TypeVar("R")

ExceptionTypes = type[BaseException] | tuple[type[BaseException], ...]


class RetryBudgetExhausted(TimeoutError):
    """Raised by a polling loop's ``sleep()`` when the budget or deadline is spent.

    Only when no exception is being handled: with one in flight, that exception is re-raised
    instead, because it says what actually went wrong.
    """


@dataclass(frozen=True)
class _Policy:
    """The configuration of a budget, kept apart from its state so the decorator can start a
    fresh state per call from the same configuration."""

    attempts: int
    base: float
    cap: float
    deadline: float | None
    retry_on: ExceptionTypes
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    async_sleep: Callable[[float], Awaitable[None]] | None
    random: Callable[[], float]

    def __post_init__(self) -> None:
        # bool is an int subclass; attempts=True is almost certainly a mistake.
        if not isinstance(self.attempts, int) or isinstance(self.attempts, bool):
            raise TypeError(f"attempts must be an int, got {self.attempts!r}")
        if self.attempts < 1:
            raise ValueError(
                f"attempts must be >= 1 (it counts the first execution too), got {self.attempts}"
            )
        _check_seconds("base", self.base)
        _check_seconds("cap", self.cap)
        if self.base <= 0:
            raise ValueError(f"base must be > 0 seconds, got {self.base}")
        if self.cap < self.base:
            raise ValueError(f"cap must be >= base ({self.base}), got {self.cap}")
        if self.deadline is not None:
            _check_seconds("deadline", self.deadline)
            if self.deadline <= 0:
                raise ValueError(f"deadline must be > 0 seconds or None, got {self.deadline}")
        retry_on = self.retry_on if isinstance(self.retry_on, tuple) else (self.retry_on,)
        if not retry_on or not all(
            isinstance(t, type) and issubclass(t, BaseException) for t in retry_on
        ):
            raise TypeError(
                "retry_on must be an exception class or a non-empty tuple of them, "
                f"got {self.retry_on!r}"
            )
        for name in ("clock", "sleep", "random"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{name} must be callable")
        if self.async_sleep is not None and not callable(self.async_sleep):
            raise TypeError("async_sleep must be callable or None")


def _check_seconds(name: str, value: object) -> None:
    # NaN compares false with everything and inf overflows time.sleep: reject both up front.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value}")


class RetryBudget:
    """An attempt budget with exponential backoff, full jitter, a cap and an optional deadline.

    ``attempts`` is the total number of executions including the first (``attempts=5``: the
    first try and up to 4 retries). ``base`` and ``cap`` are seconds: the n-th retry waits a
    uniformly random time in ``[0, min(cap, base * 2**(n-1))]``. ``deadline`` bounds the
    whole loop in seconds from construction (or ``reset()``) on ``clock``. ``retry_on`` is what
    counts as a retryable failure; anything else is re-raised at once. ``clock``, ``sleep``,
    ``async_sleep`` (``asyncio.sleep`` when None) and ``random`` are injectable for tests.

    One object holds the state of one loop: not thread-safe, do not share it. As a decorator,
    every call of the decorated function gets its own fresh state.
    """

    def __init__(
        self,
        attempts: int = 5,
        *,
        base: float = 1.0,
        cap: float = 60.0,
        deadline: float | None = None,
        retry_on: ExceptionTypes = Exception,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] | None = None,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._init_state(
            _Policy(
                attempts=attempts,
                base=base,
                cap=cap,
                deadline=deadline,
                retry_on=retry_on,
                clock=clock,
                sleep=sleep,
                async_sleep=async_sleep,
                random=random,
            )
        )

    def _init_state(self, policy: _Policy) -> None:
        self._policy = policy
        self._attempts_made = 0
        self._started_at = policy.clock()
        # A delay drawn by next_delay(), kept so the next sleep() uses exactly that value.
        self._drawn_delay: float | None = None

    @classmethod
    def _fresh(cls, policy: _Policy) -> RetryBudget:
        """A new budget with the same configuration and a clean state (one per decorated call)."""
        budget = cls.__new__(cls)
        budget._init_state(policy)
        return budget

    def __repr__(self) -> str:
        p = self._policy
        return (
            f"RetryBudget(attempts={p.attempts}, base={p.base}, cap={p.cap}, "
            f"deadline={p.deadline}, attempts_made={self._attempts_made})"
        )

    @property
    def attempts(self) -> int:
        """The total number of executions allowed, the first included."""
        return self._policy.attempts

    @property
    def attempts_made(self) -> int:
        """Executions counted so far: each ``sleep()``/``asleep()`` counts the one that just
        failed (or the poll that found nothing yet)."""
        return self._attempts_made

    def reset(self) -> None:
        """Start over: zero attempts, restart the deadline clock (e.g. a worker loop after a
        success, so one bad spell does not eat the budget of the next)."""
        self._init_state(self._policy)

    def next_delay(self) -> float:
        """The backoff delay the next ``sleep()``/``asleep()`` will use, before any truncation at
        the deadline. The jitter is drawn now and kept, so logging it tells the truth."""
        if self._drawn_delay is None:
            retry_number = self._attempts_made + 1
            p = self._policy
            try:
                ceiling = min(p.cap, p.base * 2.0 ** (retry_number - 1))
            except OverflowError:  # 2.0**n past ~1024: far beyond any cap
                ceiling = p.cap
            self._drawn_delay = ceiling * p.random()
        return self._drawn_delay

    def sleep(self) -> None:
        """Count a failed attempt, then wait before the next one, or give up.

        Call it where the loop would retry: inside the ``except`` block of a failed attempt, or
        in a polling loop. Gives up when the handled exception is not in ``retry_on``, when all
        ``attempts`` are spent, or when the deadline has passed: the exception being handled is
        re-raised unchanged (same object, same traceback); with none, RetryBudgetExhausted is
        raised. Otherwise sleeps the jittered delay, cut short so it never passes the deadline.
        """
        delay = self._plan()
        if delay is None:
            # Bare raise: re-raises the handled exception as is; the raising frame is not added
            # to its traceback, so the user sees their own frames, not the guard's.
            raise
        if delay > 0:
            self._policy.sleep(delay)

    async def asleep(self) -> None:
        """``sleep()`` for coroutines: the same decision, then ``await`` the async sleep."""
        delay = self._plan()
        if delay is None:
            raise  # the handled exception, unchanged (see sleep())
        async_sleep = self._policy.async_sleep
        if async_sleep is None:
            # Imported lazily: sync workers should not pay for importing asyncio.
            import asyncio

            async_sleep = asyncio.sleep
        # Sleep even for 0 s: it yields to the event loop, so a tight retry cannot starve it.
        await async_sleep(delay)

    def _plan(self) -> float | None:
        """Count the failed attempt and return how long to wait; None to give up by re-raising
        the handled exception (done by the caller, so no guard frame joins its traceback);
        raise RetryBudgetExhausted to give up when there is none.
        """
        p = self._policy
        handled = sys.exc_info()[1]
        delay = self.next_delay()
        self._drawn_delay = None
        self._attempts_made += 1
        elapsed = p.clock() - self._started_at

        if handled is not None and not isinstance(handled, p.retry_on):
            return None  # not retryable: give up at once
        if self._attempts_made >= p.attempts:
            reason = f"{self._attempts_made} of {p.attempts} attempts made"
        elif p.deadline is not None and elapsed >= p.deadline:
            reason = f"deadline of {p.deadline}s reached after {self._attempts_made} attempts"
        else:
            if p.deadline is not None:
                delay = min(delay, p.deadline - elapsed)
            return delay

        if handled is not None:
            return None
        raise RetryBudgetExhausted(f"retry budget exhausted: {reason} ({elapsed:.3f}s elapsed)")

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        """Decorate a sync or async function: retry it on ``retry_on`` within this budget.

        Each call starts from a fresh budget built from this object's configuration, so calls
        never share attempt counts (and concurrent calls are safe). Exceptions outside
        ``retry_on`` propagate at once; when the budget is spent, the last exception is
        re-raised unchanged.
        """
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            # Their body runs during iteration, after the wrapper has returned: nothing to retry.
            raise TypeError(f"cannot retry generator function {func.__qualname__!r}")
        policy = self._policy
        retry_on = policy.retry_on

        if inspect.iscoroutinefunction(func):
            async_func = cast(Callable[..., Awaitable[Any]], func)

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                budget = RetryBudget._fresh(policy)
                while True:
                    try:
                        return await async_func(*args, **kwargs)
                    except retry_on:
                        await budget.asleep()

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            budget = RetryBudget._fresh(policy)
            while True:
                try:
                    return func(*args, **kwargs)
                except retry_on:
                    budget.sleep()

        return wrapper


def retry_budget(
    attempts: int = 5,
    *,
    base: float = 1.0,
    cap: float = 60.0,
    deadline: float | None = None,
    retry_on: ExceptionTypes = Exception,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    async_sleep: Callable[[float], Awaitable[None]] | None = None,
    random: Callable[[], float] = _random.random,
) -> RetryBudget:
    """Decorator factory reading like other retry libraries: ``@retry_budget(attempts=3)``.

    The same as ``RetryBudget(...)``; arguments are validated here, at decoration time.
    """
    return RetryBudget(
        attempts,
        base=base,
        cap=cap,
        deadline=deadline,
        retry_on=retry_on,
        clock=clock,
        sleep=sleep,
        async_sleep=async_sleep,
        random=random,
    )
