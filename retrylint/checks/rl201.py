"""RL201 retry-without-backoff: retries that wait nothing, or the same time, between attempts.

Severity follows the load the policy puts on a struggling dependency, from its numbers:

- retrying forever at a steady pace is high;
- a burst (three or more retries within a minute, immediate retries included) is medium, as is
  a steady pace whose number of attempts cannot be told;
- a few retries minutes apart is low: no load to speak of, but the attempts are spent within a
  fixed time, so an outage longer than that exhausts them where growing waits would ride it out.

Waiting for a state rather than a dependency (a retry on a condition, a conflict, a row that is
not there yet) overloads nobody: a short race wait (three retries or fewer) is not reported; a
longer one is, low, because its attempts are spent within a fixed time that a backlog can
outlast. Polls are not reported (a steady cadence is their point; forever is RL101's), nor is a
bounded wait for a slot under a concurrency limit the job checks itself (admission control:
``autoretry_for=(BuildMaxConcurrencyError,)``), which is a queue, not a retry of a failure.
Contention for a lock is reported, low: the harm there is lockstep, not load.

A job whose steady delay comes from one retry path (``raise Retry(delay=1000)`` in one
``except``) is judged on that path's failures (the ``delay_retry_on`` detail), not on every
failure the job retries.
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project
from retrylint.checks.policy import (
    JudgedPolicy,
    may_be_transient,
    retrying_policies,
    waits_for_a_slot,
    waits_out_a_conflict,
)
from retrylint.findings import Finding
from retrylint.fixes import build_fix
from retrylint.model import UNBOUNDED, Delay, RetryPolicy
from retrylint.policy_math import format_duration

BURST_WINDOW = 60.0  # seconds: retries spent within it hit a dependency in one burst
BURST_RETRIES = 3


def check_project(project: Project) -> Iterator[Finding]:
    for judged in retrying_policies(project):
        policy = judged.policy
        if policy.retries.value is not True:
            continue
        pace = _steady_pace(policy.delay.value)
        if pace is None:
            continue
        unbounded = policy.max_attempts.value is UNBOUNDED and policy.deadline.value is None
        if judged.job.detail("shape") == "poll":
            continue  # a steady polling cadence is the point of a poll (forever is RL101's)
        if not unbounded and waits_for_a_slot(_retried(judged)):
            continue  # queueing for a slot under a concurrency limit: admission, not a failure
        state = not unbounded and _waits_for_a_state(judged)
        retries = _retries(policy, pace)
        short = retries is not None and retries <= BURST_RETRIES
        if state and (judged.job.framework == "loop" or short):
            continue  # a short race wait, or a loop retrying a conflict: it stresses nobody
        severity, consequence = (
            _state_wait(policy, pace) if state else _load(judged, pace, unbounded)
        )
        path, span = judged.location(policy.delay)
        yield from judged.report(
            project,
            "RL201",
            f"{judged.subject} {consequence} ({policy.delay.describe()})",
            path,
            span,
            severity=severity,
            fix=build_fix("add_backoff", judged, project),
        )


def _waits_for_a_state(judged: JudgedPolicy) -> bool:
    """Retries that wait for a state, not a dependency. Loops are found by shape, so they must
    show a failure that looks transient; jobs retry what their authors chose to."""
    retry_on = _retried(judged)
    if judged.job.framework == "loop":
        return not may_be_transient(retry_on)
    return waits_out_a_conflict(retry_on)


def _retried(judged: JudgedPolicy) -> object:
    """The failures the steady delay follows: its own retry path's, else the policy's."""
    return judged.job.detail("delay_retry_on", judged.policy.retry_on.value)


def _retries(policy: RetryPolicy, pace: float) -> int | None:
    """How many retries the policy makes: from its attempts, else from its deadline."""
    attempts, deadline = policy.max_attempts.value, policy.deadline.value
    if isinstance(attempts, int):
        return attempts - 1
    if isinstance(deadline, float | int) and pace > 0:
        return int(deadline // pace)
    return None


def _state_wait(policy: RetryPolicy, pace: float) -> tuple[str, str]:
    retries = _retries(policy, pace)
    every = "back to back" if pace <= 0 else f"every {format_duration(pace)}"
    if retries is None:
        return "low", f"waits for a state {every} with no backoff, an unknown number of times"
    total = format_duration(retries * pace)
    return "low", (
        f"waits for a state with {retries} retries {every} and no backoff: every attempt is "
        f"spent within {total}, so a backlog that delays the state longer fails the job; "
        "growing waits would cover far more time with the same attempts"
    )


def _steady_pace(delay: Delay) -> float | None:
    """The constant wait between attempts (0 for none); None when it grows or is unknown."""
    if delay.strategy == "none":
        return 0.0
    if delay.schedule is not None:
        return delay.schedule[0] if len(set(delay.schedule)) == 1 else None
    if delay.strategy == "constant" and delay.base is not None:
        return max(delay.base, 0.0)
    return None


def _load(judged: JudgedPolicy, pace: float, unbounded: bool) -> tuple[str, str]:
    """(severity, what the numbers mean) for retries ``pace`` seconds apart."""
    policy = judged.policy
    every = "back to back" if pace <= 0 else f"every {format_duration(pace)}"
    if _on_a_lock(policy.retry_on.value):
        return "low", (
            f"retries {every} with no backoff while waiting for a lock: the waits are all "
            "equal, so jobs contending for the same lock wake up and collide in lockstep"
        )
    if unbounded:
        return "high", (
            f"retries {every} forever with no backoff: a struggling dependency is hit at this "
            "pace for as long as it struggles"
        )
    retries = _retries(policy, pace)
    if retries is None:
        return "medium", (
            f"retries {every} with no backoff, an unknown number of times: "
            "a struggling dependency is hit at a steady pace"
        )
    total = retries * pace
    plural = "y" if retries == 1 else "ies"
    if retries >= BURST_RETRIES and total < BURST_WINDOW:
        within = "at once" if total <= 0 else f"within {format_duration(total)}"
        return "medium", (
            f"makes {retries} retr{plural} {every} with no backoff: a struggling dependency "
            f"gets {retries + 1} calls {within}, a burst when it can least take one"
        )
    spent = "at once" if total <= 0 else f"within {format_duration(total)}"
    return "low", (
        f"makes {retries} retr{plural} {every} with no backoff: every attempt is spent {spent}, "
        "so a longer outage exhausts them where growing waits would ride it out"
    )


def _on_a_lock(retry_on: object) -> bool:
    """Whether every retried exception is about a lock (``LockError``, ``LockNotAcquired``)."""
    return (
        isinstance(retry_on, tuple)
        and bool(retry_on)
        and all("lock" in name.rsplit(".", 1)[-1].lower() for name in retry_on)
    )
