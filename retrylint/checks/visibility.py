"""Shared by the visibility rules (RL601-RL603): the queue jobs per framework, how to name a
job, a hook and a dead-letter store in a message, and where a framework is defined.
"""

from __future__ import annotations

from collections.abc import Iterable

from retrylint.checks import Project
from retrylint.checks.policy import FRAMEWORK_LABEL
from retrylint.frameworks.celery.config import APP_FACTORY
from retrylint.model import DeadLetter, FailureHook, Job, Span
from retrylint.policy_math import format_duration
from retrylint.reach import QUEUE_FRAMEWORKS

# The objects a framework's jobs hang off, most telling first: where RL601 points.
ANCHOR_KINDS = {
    "celery": ("celery-app",),
    "rq": ("rq-queue",),
    "dramatiq": ("dramatiq-broker",),
    "huey": ("huey-instance",),
    "arq": ("arq-worker-settings",),
    "taskiq": ("taskiq-broker",),
}


def queue_jobs(project: Project) -> dict[str, list[Job]]:
    """The jobs of each queue framework the project uses, in the model's order."""
    found: dict[str, list[Job]] = {}
    for job in project.jobs:
        if job.framework in QUEUE_FRAMEWORKS:
            found.setdefault(job.framework, []).append(job)
    return found


def subject(job: Job) -> str:
    return f"{FRAMEWORK_LABEL.get(job.framework, job.framework)} `{job.name}`"


def describe_hook(hook: FailureHook) -> str:
    """``task_failure-signal alert (shop/signals.py:11, sender=charge_card)``."""
    parts = hook.target.split(".")
    target = ".".join(parts[-2:]) if parts[-1] == "on_failure" else parts[-1]
    if hook.kind == "sentry":
        target = "sentry_sdk.init"
    where = f"{hook.path}:{hook.span.line}" if hook.path and hook.span else ""
    extra = ", ".join(part for part in (where, hook.origin or "") if part)
    return f"{hook.kind} {target}" + (f" ({extra})" if extra else "")


def describe_dead_letter(dead_letter: DeadLetter | None) -> str:
    """Where failures end up, for a message: ``kept 1y in the FailedJobRegistry``."""
    if dead_letter is None:
        return ""
    kept = dead_letter.kept.value
    if not dead_letter.store or kept == 0:
        return dead_letter.kept.describe()
    if isinstance(kept, float | int):
        return f"failures sit in the {dead_letter.store} for {format_duration(float(kept))}"
    return f"failures go to the {dead_letter.store}"


def anchor(project: Project, framework: str, jobs: Iterable[Job]) -> tuple[str, Span] | None:
    """Where a framework is defined: its app / broker / instance / worker settings object (a
    Celery app a function builds: its constructor call). RQ
    has none to speak of (jobs are plain functions, queues often made per call): its first job.
    None when the analysed code defines none: a library of tasks, or a run over some files of a
    project, where the hooks may well be in the files left out."""
    candidates = sorted(
        (module.path, fact.span)
        for module, fact in project.index.objects(framework)
        if fact.kind in ANCHOR_KINDS.get(framework, ())
    )
    candidates.extend(
        sorted(
            (module.path, config.value.span)
            for module, config in project.index.configs(framework)
            if config.key == APP_FACTORY
        )
    )
    if candidates:
        return candidates[0]
    if framework != "rq":
        return None
    first = min(jobs, key=lambda job: (job.path, job.span))
    return first.path, first.span
