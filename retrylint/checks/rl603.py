"""RL603 job-without-time-limit (off by default): a job that nothing ever stops.

Reads each queue job's ``time_limit``: its own option, then the app / broker / worker / queue
configuration the adapter found (Celery ``task_time_limit`` through ``config_from_object``
namespaces, RQ ``Queue(default_timeout=...)``, Dramatiq ``TimeLimit``, arq ``job_timeout``),
then the framework's default (RQ 180 s, Dramatiq 10 min, arq 300 s; none for Celery, Huey and
taskiq). Reported when that is known to be no limit at all: at the setting that removed the
limit, or at the job when a framework without a default was given none. Unknown limits (read
at run time) are not reported, nor Celery tasks whose callers set the limit per call
(``apply_async(time_limit=...)``, options spread with ``**`` or given as
``signature(..., options=...)``).
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project, make_finding
from retrylint.checks.visibility import queue_jobs, subject
from retrylint.findings import Finding
from retrylint.model import Job

CODE = "RL603"

# What a limit would be set with, per framework, for the message.
_SET_WITH = {
    "celery": "time_limit / soft_time_limit, or task_time_limit in the app config",
    "rq": "job_timeout= at enqueue (timeout= on @job), or Queue(default_timeout=...)",
    "dramatiq": "time_limit= or the TimeLimit middleware",
    "huey": "timeout= (Huey 3)",
    "arq": "func(..., timeout=) or WorkerSettings.job_timeout",
    "taskiq": "a timeout label",
}


# Why a job of a framework without a default limit has none.
_NONE_BY_DEFAULT = {
    "celery": "none on the task or in the app config, and Celery sets none by default",
    "huey": "no timeout=, and Huey sets none by default",
    "taskiq": "no timeout label, and taskiq sets none by default",
}


# Celery calls whose keywords are run options (delay / s pass the task's own arguments), and
# the options that limit that run; signature also takes them as an options={...} dict.
_OPTION_METHODS = frozenset({"apply_async", "signature", "subtask"})
_LIMITS = frozenset({"time_limit", "soft_time_limit", "**"})


def check_project(project: Project) -> Iterator[Finding]:
    for framework, jobs in sorted(queue_jobs(project).items()):
        for job in jobs:
            limit = job.time_limit
            if limit is None or limit.value is not None or _limited_per_call(job):
                continue
            path, span = job.path, job.span
            reason = f"{limit.describe()} switches it off"
            if limit.source == "default" or limit.span is None:
                reason = _NONE_BY_DEFAULT.get(framework, limit.describe())
            else:
                path, span = limit.path or job.path, limit.span
            yield make_finding(
                CODE,
                f"{subject(job)} has no time limit ({reason}): a call that never answers holds "
                f"its worker until someone restarts it, and no retry or failure hook ever runs; "
                f"set one with {_SET_WITH[framework]}",
                path,
                span,
                job=job.qualname,
                jobs=(job.qualname,),
            )


def _limited_per_call(job: Job) -> bool:
    """A Celery call site sets the limit (``apply_async(time_limit=...)``) or may
    (``**options``, ``signature(..., options=options)``): a task whose limit depends on what it
    runs (a build for this project) is given it there."""
    if job.framework != "celery":
        return False
    for site in job.call_sites:
        if site.method not in _OPTION_METHODS:
            continue
        keywords = set(site.keywords)
        if keywords & _LIMITS or (site.method != "apply_async" and "options" in keywords):
            return True
    return False
