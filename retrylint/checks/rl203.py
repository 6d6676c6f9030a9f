"""RL203 uncapped-backoff: exponential delays with no maximum, able to exceed ``max-backoff``."""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project
from retrylint.checks.policy import retrying_policies
from retrylint.findings import Finding
from retrylint.fixes import build_fix
from retrylint.model import UNBOUNDED
from retrylint.policy_math import format_duration, longest_wait


def check_project(project: Project) -> Iterator[Finding]:
    limit = project.config.max_backoff
    for judged in retrying_policies(project):
        policy = judged.policy
        delay = policy.delay.value
        if policy.retries.value is not True or delay.strategy != "exponential":
            continue
        if delay.cap is not None or delay.schedule is not None:
            continue
        longest = longest_wait(policy)
        if longest is UNBOUNDED:
            reach = "without limit"
        elif isinstance(longest, float | int) and longest > limit:
            reach = f"up to {format_duration(longest)}"
        else:
            continue
        path, span = judged.location(policy.delay)
        yield from judged.report(
            project,
            "RL203",
            f"{judged.subject} backs off exponentially with no cap ({policy.delay.describe()}): "
            f"one wait can grow {reach}, past max-backoff {format_duration(limit)}",
            path,
            span,
            fix=build_fix("cap_backoff", judged, project),
        )
