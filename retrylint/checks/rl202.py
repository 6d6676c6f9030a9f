"""RL202 backoff-without-jitter: growing delays with no random term.

Without jitter, every job that failed together retries together: the retries of one outage
arrive as synchronized waves. RQ interval lists are not reported: RQ has no jitter option, and
an explicit list is a deliberate schedule (documented in rules/RL202.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project
from retrylint.checks.policy import retrying_policies
from retrylint.findings import Finding
from retrylint.fixes import build_fix


def check_project(project: Project) -> Iterator[Finding]:
    for judged in retrying_policies(project):
        policy = judged.policy
        delay = policy.delay.value
        if policy.retries.value is not True or delay.schedule is not None:
            continue
        if delay.strategy not in ("linear", "exponential") or delay.jitter is not False:
            continue
        path, span = judged.location(policy.delay)
        yield from judged.report(
            project,
            "RL202",
            f"{judged.subject} backs off {delay.strategy}ly without jitter "
            f"({policy.delay.describe()}): jobs that failed together retry together",
            path,
            span,
            fix=build_fix("add_jitter", judged, project),
        )
