"""RL401 non-idempotent-side-effect: a job that can run twice performs an unguarded effect.

Every catalogued side effect a job's code reaches with no visible guard (``effects.jobs``): a
charge without a stable idempotency key, an email, an HTTP POST without an ``Idempotency-Key``,
an insert, a publish, another job enqueued, in a job that can run more than once
(``Job.can_run_more_than_once``) in a way that repeats the effect:

- redelivery (``acks_late``, Dramatiq's acknowledgement after processing): a worker lost after
  the effect runs the job again, effect included;
- a retried failure of the effect's own call (``effects.retries``): a timeout after the
  provider acted is retried, and the provider acts again.

A failure later in the job that is retried repeats the effect too: that is RL402, which names
the later step; a job whose only retries come from before the effect (``send()`` fails, the
event row after it never ran) repeats nothing. The finding is at the call, names the jobs and
the call path, and says why the effect can run twice. Payments are high, the rest medium. The
fix adds a key from the job's id (``effects.fix``).
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project, make_finding
from retrylint.checks.policy import FRAMEWORK_LABEL
from retrylint.effects.fix import idempotency_key_fix
from retrylint.effects.jobs import (
    JobEffect,
    attempts_words,
    project_effects,
    redelivery_reason,
)
from retrylint.effects.retries import RetryPoints
from retrylint.findings import Finding

_RECORD = "record that it was done (a state field, a cache.add marker) and return early when it was"


def check_project(project: Project) -> Iterator[Finding]:
    effects = project_effects(project.index, project.jobs, project.reach)
    points = RetryPoints(effects)
    for job in effects.roots():
        if not job.can_run_more_than_once:
            continue
        redelivered = redelivery_reason(job)
        for effect in effects.of(job):
            if not effect.reported:
                continue
            reason = _own_failure(effect, points) or redelivered
            if reason is None:
                continue
            found = effect.effect
            yield make_finding(
                "RL401",
                message(effect, reason),
                effect.file,
                effect.span,
                severity="high" if effect.klass == "payment" else "medium",
                confidence="medium" if found and found.doubt else "high",
                job=job.qualname,
                fix=idempotency_key_fix(effect, project),
                jobs=(job.qualname,),
                call_path=effect.call_path if len(effect.path) > 1 else (),
            )


def _own_failure(effect: JobEffect, points: RetryPoints) -> str | None:
    why = points.own(effect)
    if why is None:
        return None
    return f"{why}, {attempts_words(effect.job)}"


def subject(effect: JobEffect) -> str:
    job = effect.job
    return f"{FRAMEWORK_LABEL.get(job.framework, job.framework)} `{job.name}`"


def message(effect: JobEffect, reason: str) -> str:
    found = effect.effect
    keyed = ""
    if found is not None and found.fresh is not None:
        keyed = f" with {found.fresh}, a key that is new on every run,"
    elif found is not None and found.offers is not None:
        keyed = " with no idempotency key"
    again = f"a second run {effect.repeats()}"
    text = (
        f"{effect.what()}{keyed} in {subject(effect)}, which can run it more than once "
        f"({reason}): {again}; {remedy(effect)}"
    )
    if found is not None and found.doubt:
        text += f" ({found.doubt}: a key there would not be seen)"
    return text


def remedy(effect: JobEffect) -> str:
    found = effect.effect
    if effect.enqueued is not None:
        return f"make `{effect.enqueued.name}` idempotent, or record progress before enqueueing it"
    if found is not None and found.offers is not None:
        text = f"pass {found.offers} derived from a stable id (the business object's, or the job's)"
        if effect.klass == "http":
            # A header only helps where the receiver honours it (Slack's Web API, for one,
            # ignores it): the other remedy is the job's own record.
            text += f", if the receiver honours one, or {_RECORD}"
        return text
    if effect.klass == "db":
        return "use get_or_create / update_or_create, or ignore_conflicts on a unique constraint"
    return _RECORD
