"""Tests for retrylint.guard, the runtime retry helper. Nothing sleeps for real: a fake clock
advances when the fake sleep is called."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest

from retrylint.guard import RetryBudget, RetryBudgetExhausted, retry_budget


class FakeTime:
    """A monotonic clock that only moves when something sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def budget(fake: FakeTime, **kwargs: Any) -> RetryBudget:
    kwargs.setdefault("random", lambda: 1.0)
    return RetryBudget(clock=fake.clock, sleep=fake.sleep, async_sleep=fake.async_sleep, **kwargs)


class Flaky(Exception):
    pass


def fail_always() -> None:
    raise Flaky("boom")


# --- delays -------------------------------------------------------------------------------------


def test_delays_double_up_to_the_cap_with_maximal_jitter(fake: FakeTime) -> None:
    b = budget(fake, attempts=7, base=1.0, cap=10.0)
    for _ in range(6):
        b.sleep()  # polling use: no exception in flight
    assert fake.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert b.attempts_made == 6


def test_jitter_scales_the_delay(fake: FakeTime) -> None:
    b = budget(fake, attempts=5, base=2.0, cap=60.0, random=lambda: 0.5)
    for _ in range(4):
        b.sleep()
    assert fake.sleeps == [1.0, 2.0, 4.0, 8.0]


def test_next_delay_is_the_delay_the_next_sleep_uses(fake: FakeTime) -> None:
    draws = iter([0.25, 0.75, 0.1])
    b = budget(fake, attempts=5, base=4.0, random=lambda: next(draws))
    assert b.next_delay() == 1.0  # 4 * 0.25, drawn now ...
    assert b.next_delay() == 1.0  # ... and kept, not redrawn
    b.sleep()
    assert fake.sleeps == [1.0]
    assert b.next_delay() == 6.0  # second retry: 8 * 0.75
    b.sleep()
    assert fake.sleeps == [1.0, 6.0]


def test_full_jitter_stays_within_bounds_with_the_real_random(fake: FakeTime) -> None:
    base, cap, attempts = 0.5, 5.0, 8
    rng = random.Random(20240601)
    per_retry: dict[int, list[float]] = {}
    for _ in range(2000):
        b = RetryBudget(
            attempts, base=base, cap=cap, clock=fake.clock, sleep=fake.sleep, random=rng.random
        )
        for retry in range(1, attempts):
            per_retry.setdefault(retry, []).append(b.next_delay())
            b.sleep()
    for retry, delays in per_retry.items():
        ceiling = min(cap, base * 2 ** (retry - 1))
        assert all(0.0 <= d <= ceiling for d in delays), retry
        mean = sum(delays) / len(delays)
        assert 0.4 * ceiling < mean < 0.6 * ceiling, (retry, mean)
        # Full jitter: values spread over the whole range, not clustered near the ceiling.
        assert min(delays) < 0.05 * ceiling and max(delays) > 0.95 * ceiling


def test_huge_attempt_counts_do_not_overflow(fake: FakeTime) -> None:
    b = budget(fake, attempts=5000, base=1.0, cap=3.0)
    for _ in range(2000):
        b.sleep()
    assert fake.sleeps[-1] == 3.0


# --- attempts budget ----------------------------------------------------------------------------


def test_always_failing_loop_runs_attempts_times_then_reraises_the_original(
    fake: FakeTime,
) -> None:
    b = budget(fake, attempts=4)
    raised: list[Flaky] = []
    calls = 0

    def attempt() -> None:
        nonlocal calls
        calls += 1
        exc = Flaky(f"attempt {calls}")
        raised.append(exc)
        raise exc

    with pytest.raises(Flaky) as info:
        while True:
            try:
                attempt()
            except Flaky:
                b.sleep()

    assert calls == 4
    assert b.attempts_made == 4
    assert info.value is raised[-1]  # the very object raised by the last attempt
    assert info.value.__context__ is None  # not chained to itself or to a guard error
    frames = [frame.f_code.co_name for frame, _ in traceback.walk_tb(info.value.__traceback__)]
    assert "attempt" in frames  # the original traceback is still there
    assert "_plan" not in frames and "sleep" not in frames  # and no guard frames were added
    assert fake.sleeps == [1.0, 2.0, 4.0]


def test_one_attempt_means_no_retry(fake: FakeTime) -> None:
    b = budget(fake, attempts=1)
    with pytest.raises(Flaky):
        try:
            fail_always()
        except Flaky:
            b.sleep()
    assert fake.sleeps == []


def test_polling_loop_raises_retry_budget_exhausted(fake: FakeTime) -> None:
    b = budget(fake, attempts=3)
    polls = 0
    with pytest.raises(RetryBudgetExhausted, match=r"3 of 3 attempts made \(3\.000s elapsed\)"):
        while True:
            polls += 1
            b.sleep()  # nothing ready yet
    assert polls == 3
    assert isinstance(RetryBudgetExhausted("x"), TimeoutError)


def test_exception_outside_retry_on_is_reraised_at_once(fake: FakeTime) -> None:
    b = budget(fake, attempts=5, retry_on=(ConnectionError,))
    with pytest.raises(KeyError):
        try:
            raise KeyError("permanent")
        except KeyError:
            b.sleep()
    assert fake.sleeps == []


def test_reset_starts_over(fake: FakeTime) -> None:
    b = budget(fake, attempts=3, deadline=10.0)
    b.sleep()
    b.sleep()
    assert b.attempts_made == 2
    b.reset()
    assert b.attempts_made == 0
    b.sleep()
    b.sleep()  # full budget and a new deadline window again (3 s slept before the reset)
    assert fake.sleeps == [1.0, 2.0, 1.0, 2.0]


# --- deadline -----------------------------------------------------------------------------------


def test_sleep_is_truncated_at_the_deadline_then_gives_up(fake: FakeTime) -> None:
    b = budget(fake, attempts=100, base=1.0, cap=60.0, deadline=10.0)
    exc = Flaky("late")
    with pytest.raises(Flaky) as info:
        while True:
            try:
                fake.now += 0.5  # each attempt takes half a second
                raise exc
            except Flaky:
                b.sleep()
    assert info.value is exc
    # 0.5 + 1 + 0.5 + 2 + 0.5 + 4 = 8.5 s; then 0.5 s of work leaves 1 s, not the 8 s backoff.
    assert fake.sleeps == [1.0, 2.0, 4.0, 1.0]
    assert fake.now == 1000.0 + 10.5
    assert b.attempts_made == 5


def test_deadline_reached_in_polling_loop(fake: FakeTime) -> None:
    b = budget(fake, attempts=100, deadline=5.0)
    with pytest.raises(RetryBudgetExhausted, match=r"deadline of 5\.0s reached after 4 attempts"):
        while True:
            b.sleep()
    assert fake.sleeps == [1.0, 2.0, 2.0]


def test_deadline_counts_from_construction(fake: FakeTime) -> None:
    b = budget(fake, attempts=10, deadline=3.0)
    fake.now += 3.0  # the first attempt alone used the whole window
    with pytest.raises(RetryBudgetExhausted):
        b.sleep()
    assert fake.sleeps == []


# --- decorator ----------------------------------------------------------------------------------


def test_decorator_retries_then_returns_the_value(fake: FakeTime) -> None:
    calls = 0

    @budget(fake, attempts=5, retry_on=(Flaky,))
    def work(x: int, *, y: int) -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise Flaky
        return x + y

    assert work(1, y=2) == 3
    assert calls == 3
    assert fake.sleeps == [1.0, 2.0]
    assert work.__name__ == "work"


def test_decorator_passes_other_exceptions_through_immediately(fake: FakeTime) -> None:
    calls = 0

    @budget(fake, attempts=5, retry_on=(Flaky,))
    def work() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("permanent")

    with pytest.raises(ValueError, match="permanent"):
        work()
    assert calls == 1
    assert fake.sleeps == []


def test_decorator_gives_up_with_the_original_and_each_call_has_a_fresh_budget(
    fake: FakeTime,
) -> None:
    raised: list[Flaky] = []

    @budget(fake, attempts=3)
    def work() -> None:
        raised.append(Flaky(len(raised)))
        raise raised[-1]

    with pytest.raises(Flaky) as first:
        work()
    assert first.value is raised[-1]
    assert len(raised) == 3
    with pytest.raises(Flaky) as second:
        work()  # a full budget again, not an already spent one
    assert second.value is raised[-1]
    assert len(raised) == 6
    assert fake.sleeps == [1.0, 2.0, 1.0, 2.0]


def test_decorator_does_not_touch_the_config_objects_state(fake: FakeTime) -> None:
    config = budget(fake, attempts=2)
    work = config(fail_always)
    with pytest.raises(Flaky):
        work()
    assert config.attempts_made == 0


def test_retry_budget_factory(fake: FakeTime) -> None:
    calls = 0

    @retry_budget(attempts=3, base=0.5, clock=fake.clock, sleep=fake.sleep, random=lambda: 1.0)
    def work() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise OSError("flaky disk")
        return "ok"

    assert work() == "ok"
    assert fake.sleeps == [0.5, 1.0]
    with pytest.raises(ValueError, match="attempts"):
        retry_budget(attempts=0)


def test_generator_functions_are_refused() -> None:
    def gen() -> Any:
        yield 1

    with pytest.raises(TypeError, match="generator"):
        RetryBudget()(gen)


# --- async --------------------------------------------------------------------------------------


def test_async_decorator(fake: FakeTime) -> None:
    calls = 0

    @budget(fake, attempts=4, retry_on=Flaky)
    async def work() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls < 4:
            raise Flaky
        return "done"

    assert asyncio.run(work()) == "done"
    assert calls == 4
    assert fake.sleeps == [1.0, 2.0, 4.0]


def test_async_decorator_gives_up_with_the_original(fake: FakeTime) -> None:
    raised: list[Flaky] = []

    @budget(fake, attempts=2)
    async def work() -> None:
        raised.append(Flaky())
        raise raised[-1]

    with pytest.raises(Flaky) as info:
        asyncio.run(work())
    assert info.value is raised[-1]
    assert len(raised) == 2


def test_asleep_in_an_async_loop(fake: FakeTime) -> None:
    b = budget(fake, attempts=3)
    exc = Flaky("async boom")

    async def loop() -> None:
        while True:
            try:
                await asyncio.sleep(0)
                raise exc
            except Flaky:
                await b.asleep()

    with pytest.raises(Flaky) as info:
        asyncio.run(loop())
    assert info.value is exc
    frames = [frame.f_code.co_name for frame, _ in traceback.walk_tb(info.value.__traceback__)]
    assert "asleep" not in frames and "_plan" not in frames
    assert fake.sleeps == [1.0, 2.0]


def test_asleep_polling_raises_exhausted(fake: FakeTime) -> None:
    b = budget(fake, attempts=2)

    async def poll() -> None:
        while True:
            await b.asleep()

    with pytest.raises(RetryBudgetExhausted):
        asyncio.run(poll())
    assert fake.sleeps == [1.0]


def test_asleep_defaults_to_asyncio_sleep() -> None:
    b = RetryBudget(3, base=0.001, cap=0.001, random=lambda: 0.0)  # zero delay: no real wait

    async def once() -> None:
        await b.asleep()

    asyncio.run(once())
    assert b.attempts_made == 1


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"attempts": 0}, ValueError, "attempts must be >= 1"),
        ({"attempts": -3}, ValueError, "attempts must be >= 1"),
        ({"attempts": 2.5}, TypeError, "attempts must be an int"),
        ({"attempts": True}, TypeError, "attempts must be an int"),
        ({"base": 0}, ValueError, "base must be > 0"),
        ({"base": -1.0}, ValueError, "base must be > 0"),
        ({"base": float("nan")}, ValueError, "base must be a finite"),
        ({"base": "1"}, TypeError, "base must be a number"),
        ({"base": 2.0, "cap": 1.0}, ValueError, r"cap must be >= base \(2.0\)"),
        ({"cap": float("inf")}, ValueError, "cap must be a finite"),
        ({"deadline": 0}, ValueError, "deadline must be > 0"),
        ({"deadline": -5.0}, ValueError, "deadline must be > 0"),
        ({"retry_on": ValueError("x")}, TypeError, "retry_on must be an exception class"),
        ({"retry_on": ()}, TypeError, "retry_on must be"),
        ({"retry_on": (ValueError, int)}, TypeError, "retry_on must be"),
        ({"sleep": 1}, TypeError, "sleep must be callable"),
    ],
)
def test_argument_validation(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        RetryBudget(**kwargs)


def test_valid_edge_arguments() -> None:
    b = RetryBudget(1, base=0.1, cap=0.1, deadline=0.5, retry_on=(OSError, ValueError))
    assert b.attempts == 1
    assert b.attempts_made == 0
    assert "attempts=1" in repr(b)


# --- import isolation ---------------------------------------------------------------------------


def test_import_guard_pulls_in_nothing_beyond_the_standard_library() -> None:
    code = (
        "import retrylint.guard, sys\n"
        "assert 'libcst' not in sys.modules\n"
        "assert 'yaml' not in sys.modules\n"
        "assert 'click' not in sys.modules\n"
        "assert 'rich' not in sys.modules\n"
        "ours = sorted(m for m in sys.modules if m.startswith('retrylint'))\n"
        "assert ours == ['retrylint', 'retrylint.guard'], ours\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,  # import this checkout's retrylint
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
