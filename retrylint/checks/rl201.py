"""RL201 retry-without-backoff: retries that wait nothing, or the same time, between attempts."""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project
from retrylint.checks.policy import may_be_transient, retrying_policies
from retrylint.findings import Finding
from retrylint.fixes import build_fix
from retrylint.model import UNBOUNDED, Delay
from retrylint.policy_math import format_duration


def check_project(project: Project) -> Iterator[Finding]:
    for judged in retrying_policies(project):
        policy = judged.policy
        if policy.retries.value is not True:
            continue
        delay = policy.delay.value
        pace = _steady_pace(delay)
        if pace is None:
            continue
        if judged.job.framework == "loop" and (
            judged.job.detail("shape") == "poll"
            or (
                policy.max_attempts.value is not UNBOUNDED
                and not may_be_transient(policy.retry_on.value)
            )
        ):
            # A steady polling cadence is the point of a poll (an unbounded one is RL101's); a
            # bounded conflict retry stresses nobody.
            continue
        path, span = judged.location(policy.delay)
        yield from judged.report(
            project,
            "RL201",
            f"{judged.subject} retries {pace} with no backoff ({policy.delay.describe()}): "
            "a struggling dependency is hit at full rate on every retry",
            path,
            span,
            fix=build_fix("add_backoff", judged, project),
        )


def _steady_pace(delay: Delay) -> str | None:
    """ "immediately" / "every 180 s" for steady delays; None when the delay grows or is unknown."""
    if delay.strategy == "none":
        return "immediately"
    if delay.schedule is not None:
        if len(set(delay.schedule)) == 1:
            return _every(delay.schedule[0])
        return None
    if delay.strategy == "constant" and delay.base is not None:
        return _every(delay.base)
    return None


def _every(seconds: float) -> str:
    return "immediately" if seconds <= 0 else f"every {format_duration(seconds)}"
