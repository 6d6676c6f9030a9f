"""RL602 dead-letter-disabled: failed jobs are thrown away instead of kept for replay.

Reads each job's ``dead_letter`` (where the framework keeps a failed job, and for how long) and
its enqueue sites' ``failure_ttl``. Reported where the configuration throws failures away, once
per place (a broker's setting is one finding naming its actors):

- RQ ``failure_ttl=0`` at an enqueue site or ``@job``; a worker with
  ``disable_default_exception_handler=True`` (failed jobs never reach the FailedJobRegistry);
- Dramatiq ``dead_message_ttl=0``; a broker middleware list without ``Retries`` (nothing marks a
  message failed, so the worker acks it);
- Celery ``ignore_result=True`` (task option, annotation or ``task_ignore_result``) without
  ``store_errors_even_if_ignored``, for a task with no failure hook: its failure leaves no trace.

A framework default is never reported (Celery without a result backend is RL601's concern). A
job whose failures are thrown away but reported by a hook keeps its alert and loses only the
replay copy: one severity lower.
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project, make_finding
from retrylint.checks.visibility import queue_jobs, subject
from retrylint.explain import FRAMEWORK_DISPLAY_NAMES
from retrylint.findings import Finding, lower_severity
from retrylint.model import Job, SecondsValue, Sourced, Span

CODE = "RL602"
SEVERITY = "medium"
# What a zero TTL does, for settings whose origin does not say it.
_DROPPED = {
    "failure_ttl=": "RQ deletes a failed job from the FailedJobRegistry at once",
    "dead_message_ttl=": "the dead-letter queue drops a failed message at once",
}


def check_project(project: Project) -> Iterator[Finding]:
    places: dict[tuple[str, Span], tuple[Sourced[SecondsValue], list[Job]]] = {}
    for jobs in queue_jobs(project).values():
        for job in jobs:
            for kept in _discarded(job):
                if kept.span is None:
                    continue
                key = (kept.path or job.path, kept.span)
                places.setdefault(key, (kept, []))[1].append(job)
    for (path, span), (kept, jobs) in sorted(places.items()):
        yield _finding(path, span, kept, jobs)


def _discarded(job: Job) -> Iterator[Sourced[SecondsValue]]:
    """The settings that throw this job's failures away, written in the project."""
    dead_letter = job.dead_letter
    if job.framework == "rq":
        for site in job.call_sites:
            if site.failure_ttl is not None and site.failure_ttl.value == 0:
                yield site.failure_ttl
    if dead_letter is None or dead_letter.kept.value != 0 or dead_letter.kept.source == "default":
        return
    if job.framework == "celery" and job.failure_hooks:
        return  # reported by its hooks; nothing to replay from is Celery's normal state
    if job.framework != "rq" or dead_letter.kept.source == "app-config":
        yield dead_letter.kept


def _finding(path: str, span: Span, kept: Sourced[SecondsValue], jobs: list[Job]) -> Finding:
    framework = jobs[0].framework
    hooked = all(job.failure_hooks for job in jobs)
    if framework == "celery":
        what = "and no failure hook reports it: a failed task leaves only a worker log line"
    elif hooked:
        what = "a failed job is reported by its hooks but cannot be inspected or replayed"
    else:
        what = "a failed job leaves no trace to inspect or replay, and no hook reports it"
    who = (
        subject(jobs[0])
        if len(jobs) == 1
        else f"{len(jobs)} {FRAMEWORK_DISPLAY_NAMES[framework]} jobs ({', '.join(j.name for j in jobs[:3])}"
        + (", ..." if len(jobs) > 3 else "")
        + ")"
    )
    setting = kept.origin  # the finding points at the setting: no need to say where it is
    for name, dropped in _DROPPED.items():
        if setting.startswith(name):
            setting += f" ({dropped})"
    return make_finding(
        CODE,
        f"{who}: {setting}{', ' if framework == 'celery' else '; '}{what}",
        path,
        span,
        severity=lower_severity(SEVERITY) if hooked and framework != "celery" else SEVERITY,
        job=jobs[0].qualname if len(jobs) == 1 else None,
        jobs=tuple(dict.fromkeys(job.qualname for job in jobs)),
    )
