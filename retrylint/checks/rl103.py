"""RL103 risky-job-retried-too-often: a job that moves money allows too many attempts.

A job whose code reaches a payment-class side effect (``effects.jobs``; guarded or not: guards
are imperfect and Stripe forgets keys after a day) and whose policy allows more than
``max-attempts-risky`` attempts (default 3), counting every execution. Reported where the
attempts are decided (the option, the app config, or the job when a default decides), once per
policy. Unknown attempt counts are not reported. The fix (unsafe, Celery and Dramatiq) lowers
``max_retries`` in the job's own decorator (``effects.attempts_fix``).
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project
from retrylint.checks.policy import retrying_policies
from retrylint.effects.attempts_fix import lower_attempts
from retrylint.effects.jobs import is_root, project_effects
from retrylint.findings import Finding
from retrylint.model import UNBOUNDED


def check_project(project: Project) -> Iterator[Finding]:
    effects = project_effects(project.index, project.jobs, project.reach)
    limit = project.config.max_attempts_risky
    for judged in retrying_policies(project):
        job, policy = judged.job, judged.policy
        if not is_root(job):
            continue
        attempts = policy.max_attempts
        if policy.retries.value is not True:
            continue
        if attempts.value is UNBOUNDED:
            allowed = "allows attempts without limit"
        elif isinstance(attempts.value, int) and attempts.value > limit:
            allowed = f"allows {attempts.value} attempts"
        else:
            continue
        payments = [e for e in effects.of(job) if e.klass == "payment"]
        if not payments:
            continue
        first = payments[0]
        where = first.place.ref.qualname
        more = f" and {len(payments) - 1} more" if len(payments) > 1 else ""
        path, span = judged.location(attempts)
        yield from judged.report(
            project,
            "RL103",
            f"{judged.subject} moves money (`{first.step.text}` in {where}{more}) and "
            f"{allowed} ({attempts.describe()}), more than max-attempts-risky {limit}: each "
            "extra attempt is another chance to charge twice, and payments that keep failing "
            "need a person",
            path,
            span,
            fix=lower_attempts(judged, project),
        )
