"""RL101/RL102/RL201/RL202/RL203 decide on the job model alone: tested on hand-built jobs.

Adapter fixtures prove the same rules end to end; these tests pin the decisions and the
arithmetic (worst-case window, longest wait) independently of any framework's syntax.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from retrylint.checks import Project, rl101, rl102, rl201, rl202, rl203
from retrylint.checks.policy import UNREACHED_NOTE
from retrylint.config import Config
from retrylint.frameworks.common import make_policy
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    CallSite,
    Delay,
    Job,
    RetryPolicy,
    Span,
    default,
    explicit,
)
from retrylint.policy_math import format_duration, longest_wait, retry_window
from retrylint.project import ProjectIndex
from retrylint.reach import JobReach

SPAN = Span(3, 5, 3, 20)
JOB_SPAN = Span(2, 5, 2, 9)


def policy(attempts, delay=NO_DELAY, deadline=None, *, attempts_source="explicit") -> RetryPolicy:
    attempts_field = (
        explicit(attempts, "max_retries=None", SPAN)
        if attempts_source == "explicit"
        else default(attempts, "Dramatiq default: max_retries=20")
    )
    return make_policy(
        max_attempts=attempts_field,
        delay=explicit(delay, "delay", Span(4, 1, 4, 10)),
        deadline=explicit(deadline, "deadline", None),
        retry_on=default("all", "every exception"),
    )


def job(p: RetryPolicy, framework: str = "tenacity", policies=()) -> Job:
    return Job(
        name="sync",
        qualname="app.sync",
        framework=framework,
        kind="decorated-function",
        path="app.py",
        span=JOB_SPAN,
        policy=p,
        policies=policies,
    )


def project(*jobs: Job, **thresholds: float) -> Project:
    index = ProjectIndex([])
    config = Config(Path("."), None, **thresholds)
    return Project(index, tuple(jobs), config, JobReach(index, jobs, config.job_reach_depth))


def codes(module, *jobs: Job, **thresholds: float) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in module.check_project(project(*jobs, **thresholds))]


EXPO = Delay("exponential", 1.0, None, False)


class TestArithmetic:
    def test_window_constant(self) -> None:
        assert retry_window(policy(4, Delay("constant", 180.0, None, False))) == 540.0

    def test_window_exponential_capped(self) -> None:
        # Dramatiq defaults: 21 attempts, 15 s doubling, 7-day cap -> about 39 days.
        p = policy(21, Delay("exponential", 15.0, 604800.0, True))
        assert retry_window(p) == 15.0 * (2**16 - 1) + 4 * 604800.0

    def test_window_deadline_caps(self) -> None:
        assert retry_window(policy(100, Delay("constant", 60.0), deadline=300.0)) == 300.0

    def test_window_unbounded_and_unknown(self) -> None:
        assert retry_window(policy(UNBOUNDED)) is UNBOUNDED
        assert retry_window(policy(UNBOUNDED, deadline=30.0)) == 30.0
        assert retry_window(policy(UNKNOWN)) is UNKNOWN
        assert retry_window(policy(5, Delay("unknown"))) is UNKNOWN
        # a deadline bounds an unknown window from above only: still unknown, not "at least"
        assert retry_window(policy(5, Delay("unknown"), deadline=86400.0)) is UNKNOWN

    def test_window_schedule_repeats_last(self) -> None:
        p = policy(5, Delay("custom", 10.0, None, False, schedule=(10.0, 30.0)))
        assert retry_window(p) == 10 + 30 + 30 + 30

    def test_longest_wait(self) -> None:
        assert longest_wait(policy(UNBOUNDED, EXPO)) is UNBOUNDED
        assert longest_wait(policy(5, EXPO)) == 8.0  # waits 1, 2, 4, 8
        assert longest_wait(policy(UNBOUNDED, Delay("exponential", 1.0, 30.0, True))) == 30.0

    @pytest.mark.parametrize(
        ("seconds", "text"),
        [(30, "30 s"), (600, "10 min"), (7200, "2 h"), (5400, "1.5 h"), (604800, "7.0 days")],
    )
    def test_format_duration(self, seconds: float, text: str) -> None:
        assert format_duration(seconds) == text


class TestRL101:
    def test_unbounded_reported_at_the_setting(self) -> None:
        assert codes(rl101, job(policy(UNBOUNDED))) == [("RL101", 3)]

    def test_default_points_at_the_job(self) -> None:
        p = policy(UNBOUNDED, attempts_source="default")
        assert codes(rl101, job(p)) == [("RL101", 2)]

    def test_deadline_bounds_it(self) -> None:
        assert codes(rl101, job(policy(UNBOUNDED, deadline=60.0))) == []

    def test_bounded_and_unknown_are_not_reported(self) -> None:
        assert codes(rl101, job(policy(5)), job(policy(UNKNOWN))) == []

    def test_message_names_the_source(self) -> None:
        (finding,) = rl101.check_project(project(job(policy(UNBOUNDED))))
        assert "max_retries=None" in finding.message
        assert finding.job == "app.sync"

    def test_each_call_site_policy_is_judged(self) -> None:
        site = CallSite("views.py", Span(9, 1, 9, 30), "enqueue", "app.sync")
        j = job(policy(1), framework="rq", policies=((site, policy(UNBOUNDED)),))
        assert codes(rl101, j) == [("RL101", 3)]


class TestRL102:
    def test_long_window(self) -> None:
        p = policy(21, Delay("exponential", 15.0, 604800.0, True), attempts_source="default")
        (finding,) = rl102.check_project(project(job(p, framework="dramatiq")))
        assert "days" in finding.message and "max-retry-window 6 h" in finding.message
        # Dramatiq's defaults: 39.4 days nominal (1.x); 2.x draws each wait up to twice as long.
        assert "39.4 days in the worst case on Dramatiq 1.x and up to 46.4 days on 2.x" in (
            finding.message
        )

    def test_short_window_and_threshold(self) -> None:
        p = policy(4, Delay("constant", 180.0))
        assert codes(rl102, job(p)) == []
        assert codes(rl102, job(p), max_retry_window=300.0) == [("RL102", 3)]

    def test_not_where_rl101_is(self) -> None:
        assert codes(rl102, job(policy(UNBOUNDED))) == []

    def test_unknown_window_hint_only_where_a_deadline_exists(self) -> None:
        p = policy(5, Delay("unknown"))
        (finding,) = rl102.check_project(project(job(p)))
        assert finding.confidence == "low"
        assert codes(rl102, job(p, framework="celery")) == []


class TestRL201:
    @pytest.mark.parametrize(
        "delay",
        [NO_DELAY, Delay("constant", 5.0, None, False), Delay("custom", None, schedule=(5.0, 5.0))],
    )
    def test_steady_delays(self, delay: Delay) -> None:
        assert codes(rl201, job(policy(5, delay))) == [("RL201", 4)]

    @pytest.mark.parametrize(
        "delay",
        [EXPO, Delay("linear", 2.0), Delay("unknown"), Delay("custom", None, schedule=(5.0, 30.0))],
    )
    def test_growing_or_unknown(self, delay: Delay) -> None:
        assert codes(rl201, job(policy(5, delay))) == []

    def test_no_retries_no_finding(self) -> None:
        assert codes(rl201, job(policy(1))) == []


def rl201_finding(attempts, delay, retry_on: object = "all", deadline=None):
    p = make_policy(
        retries=explicit(True, "autoretry_for", SPAN),
        max_attempts=explicit(attempts, "max_retries", SPAN),
        delay=explicit(delay, "countdown", Span(4, 1, 4, 10)),
        deadline=explicit(deadline, "deadline", None),
        retry_on=explicit(retry_on, "autoretry_for", SPAN),
    )
    found = list(rl201.check_project(project(job(p, framework="celery"))))
    return found[0] if found else None


class TestRL201Load:
    """Severity and wording follow the numbers: the load on a dependency, or the time covered."""

    def test_unbounded_steady_pace_is_high(self) -> None:
        finding = rl201_finding(UNBOUNDED, Delay("constant", 5.0))
        assert finding.severity == "high"
        assert "retries every 5 s forever with no backoff" in finding.message

    def test_a_burst_is_medium(self) -> None:
        finding = rl201_finding(6, NO_DELAY)
        assert finding.severity == "medium"
        assert "makes 5 retries back to back" in finding.message
        assert "gets 6 calls at once" in finding.message
        finding = rl201_finding(11, Delay("constant", 5.0))
        assert finding.severity == "medium"
        assert "gets 11 calls within 50 s" in finding.message

    def test_a_few_retries_minutes_apart_are_low(self) -> None:
        finding = rl201_finding(4, Delay("constant", 180.0))
        assert finding.severity == "low"
        assert "makes 3 retries every 3 min" in finding.message
        assert "every attempt is spent within 9 min" in finding.message

    def test_unknown_attempts_are_medium(self) -> None:
        from retrylint.model import UNKNOWN

        assert rl201_finding(UNKNOWN, Delay("constant", 1.0)).severity == "medium"

    def test_a_deadline_counts_the_retries(self) -> None:
        finding = rl201_finding(UNBOUNDED, Delay("constant", 2.0), deadline=20.0)
        assert "makes 10 retries every 2 s" in finding.message

    def test_lock_contention_is_lockstep_not_load(self) -> None:
        finding = rl201_finding(10, Delay("constant", 1.0), retry_on=("redis.lock.LockError",))
        assert finding.severity == "low"
        assert "lockstep" in finding.message

    @pytest.mark.parametrize(
        "retry_on", [(), ("django.db.IntegrityError",), ("Order.DoesNotExist",)]
    )
    def test_waiting_for_a_state_is_left_alone(self, retry_on: tuple[str, ...]) -> None:
        assert rl201_finding(4, Delay("constant", 1.0), retry_on=retry_on) is None

    def test_queueing_for_a_concurrency_slot_is_left_alone(self) -> None:
        """Admission control (a limit the job checks itself) is a queue, not a failure."""
        retry_on = ("builds.errors.BuildMaxConcurrencyError",)
        assert rl201_finding(26, Delay("constant", 300.0), retry_on=retry_on) is None
        mixed = (*retry_on, "requests.ConnectionError")
        assert rl201_finding(26, Delay("constant", 300.0), retry_on=mixed) is not None
        forever = rl201_finding(UNBOUNDED, Delay("constant", 300.0), retry_on=retry_on)
        assert forever is not None and forever.severity == "high"

    def test_a_long_wait_for_a_state_is_low(self) -> None:
        finding = rl201_finding(21, Delay("constant", 1.0), retry_on=("ResourceNotFound",))
        assert finding.severity == "low"
        assert "waits for a state with 20 retries every 1 s" in finding.message
        assert "every attempt is spent within 20 s" in finding.message

    def test_the_steady_paths_own_failures_decide(self) -> None:
        """A job retrying everything with backoff, but `raise Retry(delay=1000)` on a condition:
        the steady path waits for a state."""
        p = make_policy(
            retries=explicit(True, "autoretry_for", SPAN),
            max_attempts=explicit(21, "max_retries", SPAN),
            delay=explicit(Delay("constant", 1.0), "raise Retry(delay=1000)", Span(4, 1, 4, 10)),
            deadline=explicit(None, "deadline", None),
            retry_on=explicit("all", "every exception", SPAN),
        )
        steady = replace(job(p, framework="dramatiq"), details=(("delay_retry_on", ()),))
        [finding] = rl201.check_project(project(steady))
        assert "waits for a state" in finding.message

    def test_outside_job_code_a_step_lower(self) -> None:
        p = policy(6, NO_DELAY)
        [finding] = rl201.check_project(project(job(p, framework="tenacity")))
        assert finding.severity == "low"
        assert finding.message.endswith(UNREACHED_NOTE)


class TestRL202:
    def test_growing_without_jitter(self) -> None:
        assert codes(rl202, job(policy(5, EXPO))) == [("RL202", 4)]
        assert codes(rl202, job(policy(5, Delay("linear", 2.0, None, False)))) == [("RL202", 4)]

    def test_jitter_or_unknown_jitter(self) -> None:
        assert codes(rl202, job(policy(5, Delay("exponential", 1.0, None, True)))) == []
        assert codes(rl202, job(policy(5, Delay("exponential", 1.0, None, None)))) == []

    def test_schedules_are_left_alone(self) -> None:
        delay = Delay("custom", 10.0, None, False, schedule=(10.0, 20.0, 40.0))
        assert codes(rl202, job(policy(4, delay), framework="rq")) == []


class TestRL203:
    def test_unbounded_uncapped(self) -> None:
        assert codes(rl203, job(policy(UNBOUNDED, EXPO))) == [("RL203", 4)]

    def test_bounded_growth_below_limit(self) -> None:
        assert codes(rl203, job(policy(5, EXPO))) == []  # longest wait 8 s

    def test_bounded_growth_above_limit(self) -> None:
        assert codes(rl203, job(policy(20, EXPO))) == [("RL203", 4)]  # 2**18 s

    def test_capped(self) -> None:
        assert codes(rl203, job(policy(UNBOUNDED, Delay("exponential", 1.0, 7200.0)))) == []


class TestRL201Loops:
    """A bounded loop retrying a conflict (or polling) needs no backoff; one retrying a
    struggling dependency does."""

    def loop(self, retry_on, attempts=3) -> Job:
        p = make_policy(
            max_attempts=explicit(attempts, "range(3)", SPAN),
            delay=explicit(NO_DELAY, "no sleep between attempts", Span(4, 1, 4, 10)),
            deadline=default(None, "no deadline"),
            retry_on=explicit(retry_on, "except", Span(5, 1, 5, 10)),
        )
        return Job("save#loop@3", "m.save#loop@3", "loop", "retry-loop", "m.py", JOB_SPAN, p)

    def test_conflict_retry_is_left_alone(self) -> None:
        assert codes(rl201, self.loop(("django.db.IntegrityError",))) == []

    def test_transient_or_broad_failures_are_reported(self) -> None:
        assert codes(rl201, self.loop(("requests.ConnectionError",))) == [("RL201", 4)]
        assert codes(rl201, self.loop("all")) == [("RL201", 4)]

    def test_unbounded_conflict_loop_is_reported(self) -> None:
        assert codes(rl201, self.loop(("IntegrityError",), attempts=UNBOUNDED)) == [("RL201", 4)]

    def test_subject_names_the_function(self) -> None:
        (finding,) = rl201.check_project(project(self.loop("all")))
        assert finding.message.startswith("retry loop in `save` makes 2 retries back to back")


def test_rl201_leaves_polling_loops_to_rl101() -> None:
    p = make_policy(
        max_attempts=explicit(UNBOUNDED, "while True with no counter or deadline", SPAN),
        delay=explicit(Delay("constant", 5.0), "time.sleep(5)", Span(4, 1, 4, 10)),
        deadline=default(None, "no deadline"),
        retry_on=default((), "nothing: it polls"),
    )
    poll = Job(
        "wait#loop@3",
        "m.wait#loop@3",
        "loop",
        "retry-loop",
        "m.py",
        JOB_SPAN,
        p,
        details=(("shape", "poll"),),
    )
    assert codes(rl201, poll) == []
    assert codes(rl101, poll) == [("RL101", 3)]
