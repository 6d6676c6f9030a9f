"""RL601 no-failure-alert: a framework's jobs fail where nobody is looking.

Reads each job's ``failure_hooks`` (framework hooks and error trackers, as the adapters and
``frameworks.trackers`` found them). Two findings:

- a framework most of whose jobs have no hook: once, at the app / broker / instance definition
  (the rule's severity), saying where failures end up instead and naming the few hooks there
  are (a build task's ``on_failure`` is not the project's alerting). Code that defines no app
  (a library of shared tasks, a run over a few files of a project) is not judged: the hooks
  belong with the app;
- a job without a hook in a project where most jobs of the framework have one (a ``sender=``
  receiver for another task, ``on_failure`` on a base class it does not use): at the job, one
  severity lower, naming those hooks. A job that is itself a hook (Dramatiq's
  ``on_retry_exhausted`` actor) is not asked for one.

A project that names ``SENTRY_*`` settings but calls no ``sentry_sdk.init`` may set Sentry up
outside the analysed code (a deployment's settings): the framework finding says so, with low
confidence.
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project, make_finding
from retrylint.checks.visibility import (
    anchor,
    describe_dead_letter,
    describe_hook,
    queue_jobs,
    subject,
)
from retrylint.explain import FRAMEWORK_DISPLAY_NAMES
from retrylint.findings import Finding
from retrylint.frameworks.trackers import configured_elsewhere, silenced
from retrylint.model import FailureHook, Job, Span

CODE = "RL601"
_SHOWN_HOOKS = 2


def check_project(project: Project) -> Iterator[Finding]:
    elsewhere = configured_elsewhere(project.index)
    unreported = silenced(project.index)
    for framework, jobs in sorted(queue_jobs(project).items()):
        hooked = [job for job in jobs if job.failure_hooks]
        bare = [job for job in jobs if not job.failure_hooks]
        if not bare:
            continue
        hooks = _distinct(hook for job in hooked for hook in job.failure_hooks)
        if len(bare) > len(hooked):
            # Most jobs report nothing: the framework has no failure alert, whatever the few.
            place = anchor(project, framework, jobs)
            if place is not None:
                yield _framework_finding(
                    place, framework, jobs, bare, hooks, elsewhere, unreported.get(framework)
                )
            continue
        targets = {hook.target for hook in hooks}
        for job in bare:
            if job.name not in targets and job.qualname not in targets:
                yield _job_finding(job, len(hooked), len(jobs), hooks)


def _framework_finding(
    place: tuple[str, Span],
    framework: str,
    jobs: list[Job],
    bare: list[Job],
    hooks: list[FailureHook],
    elsewhere: tuple[str, str] | None,
    tracker_off: str | None,
) -> Finding:
    name = FRAMEWORK_DISPLAY_NAMES[framework]
    count = f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}"
    if hooks:
        shown = "; ".join(describe_hook(hook) for hook in hooks[:_SHOWN_HOOKS])
        none = (
            f"{len(bare)} have no failure hook (only {len(jobs) - len(bare)} do: {shown}); "
            f"wanted: {_WANTED[framework]}"
        )
    else:
        none = f"none has a failure hook ({_WANTED[framework]})"
    stores = sorted({text for job in bare if (text := describe_dead_letter(job.dead_letter))})
    after = f"; {stores[0]}" if len(stores) == 1 else ""
    note = f" ({tracker_off})" if tracker_off else ""
    if elsewhere is not None:
        note = (
            f" (the settings name {elsewhere[1]} in {elsewhere[0]}: if Sentry is set up outside "
            "this code, this job framework is covered)"
        )
    path, span = place
    return make_finding(
        CODE,
        f"{name} runs {count} here and {none}; a job that fails for good is seen only in a "
        f"worker log{after}{note}",
        path,
        span,
        confidence="low" if elsewhere is not None else "high",
        jobs=tuple(job.qualname for job in bare),
    )


def _job_finding(job: Job, hooked: int, total: int, hooks: list[FailureHook]) -> Finding:
    shown = "; ".join(describe_hook(hook) for hook in hooks[:_SHOWN_HOOKS])
    more = f" and {len(hooks) - _SHOWN_HOOKS} more" if len(hooks) > _SHOWN_HOOKS else ""
    where = describe_dead_letter(job.dead_letter)
    return make_finding(
        CODE,
        f"{subject(job)} has no failure hook, while {hooked} of the project's {total} "
        f"{FRAMEWORK_DISPLAY_NAMES[job.framework]} jobs have one ({shown}{more}), none of which "
        f"applies to it: its final failure reaches nobody" + (f"; {where}" if where else ""),
        job.path,
        job.span,
        severity="low",
        job=job.qualname,
        jobs=(job.qualname,),
    )


def _distinct(hooks: Iterator[FailureHook]) -> list[FailureHook]:
    seen: dict[tuple[str, str, str | None, int | None], FailureHook] = {}
    for hook in hooks:
        key = (hook.kind, hook.target, hook.path, hook.span.line if hook.span else None)
        seen.setdefault(key, hook)
    return sorted(seen.values(), key=lambda h: (h.path or "", h.span.line if h.span else 0, h.kind))


# What would count, in each framework's terms.
_WANTED = {
    "celery": "a task_failure receiver, on_failure, link_error, or an error tracker "
    "(sentry_sdk.init: CeleryIntegration is on by default)",
    "rq": "an on_failure callback, a worker exception handler, or an error tracker "
    "(sentry_sdk.init: RqIntegration is on by default)",
    "dramatiq": "an on_failure / on_retry_exhausted option, a middleware reading the failure, "
    "or an error tracker (sentry_sdk.init with DramatiqIntegration listed: it is not on by "
    "default)",
    "huey": "a SIGNAL_ERROR handler, on_error, or an error tracker (sentry_sdk.init: "
    "HueyIntegration is on by default)",
    "arq": "an error tracker (sentry_sdk.init: ArqIntegration is on by default), or an "
    "on_job_end / after_job_end hook that reads the job's result (arq passes them no outcome)",
    "taskiq": "a middleware with on_error, or a post_execute reading is_err",
}
