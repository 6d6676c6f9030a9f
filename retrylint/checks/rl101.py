"""RL101 unbounded-retries: a retry policy with no attempt limit and no deadline."""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project
from retrylint.checks.policy import retrying_policies
from retrylint.findings import Finding
from retrylint.fixes import build_fix
from retrylint.model import UNBOUNDED


def check_project(project: Project) -> Iterator[Finding]:
    for judged in retrying_policies(project):
        policy = judged.policy
        if policy.max_attempts.value is not UNBOUNDED or policy.deadline.value is not None:
            continue
        path, span = judged.location(policy.max_attempts)
        yield from judged.report(
            project,
            "RL101",
            f"{judged.subject} retries forever: {policy.max_attempts.describe()}; "
            "nothing but success stops it",
            path,
            span,
            fix=build_fix("bound_attempts", judged, project),
        )
