"""RL402 side-effect-before-retry-point: an effect, then something that can fail into a retry.

The seed case: the charge succeeds, sending the receipt times out, the timeout is retried and
the whole job runs again, charge included. For each unguarded effect in the code of a job whose
policy retries, the first later step whose failure reaches a retry (``effects.retries``): in the
effect's function, then after the call leading to it in each caller up to the job's body, or
the effect itself failing for the next item of a loop. Reported at the effect, naming the retry
point and what makes it retry. No fix: the remedies restructure the job.
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project, make_finding
from retrylint.checks.rl401 import subject
from retrylint.effects.jobs import project_effects
from retrylint.effects.retries import RetryPoints
from retrylint.findings import Finding


def check_project(project: Project) -> Iterator[Finding]:
    effects = project_effects(project.index, project.jobs, project.reach)
    points = RetryPoints(effects)
    for job in effects.roots():
        for effect in effects.of(job):
            if not effect.reported:
                continue
            point = points.after(effect)
            if point is None:
                continue
            again = f"the retry {effect.repeats()}"
            if point.next_pass:
                then = f"in a loop, and a later pass can fail into a retry ({point.why})"
            elif point.failure.explicit:
                then = f"then {point.describe()} retries the job"
            else:
                then = f"then {point.describe()} can fail into a retry ({point.why})"
            yield make_finding(
                "RL402",
                f"{effect.what()} in {subject(effect)}, {then}: {again}; guard the effect "
                "(a stable idempotency key, a recorded state checked first) or move what can "
                "fail before it or into a job of its own",
                effect.file,
                effect.span,
                job=job.qualname,
                jobs=(job.qualname,),
                call_path=effect.call_path if len(effect.path) > 1 else (),
            )
