"""``build_jobs``: the ``Job`` of each task whose decorator is Huey's.

``retries``/``retry_delay``/``retry_backoff`` passed at a call site (``task(x, retries=2)``,
``.s(...)``, ``.schedule(...)``) override the decorator there: those sites are ``Job.policies``
and ``Job.policy`` is the worst of definition and sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from retrylint.facts import CallFact, JobDef
from retrylint.frameworks.huey.hooks import SignalHook, job_hooks, on_error_hooks, signal_hooks
from retrylint.frameworks.huey.policy import (
    CANCEL_EXECUTION,
    RETRY_TASK,
    Option,
    huey_policy,
    is_one_of,
    time_limit,
)
from retrylint.frameworks.huey.receivers import task_instance
from retrylint.frameworks.huey.records import FRAMEWORK, HueyRaise
from retrylint.model import CallSite, FailureHook, Job, RetryPolicy
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Value

OVERRIDE_OPTIONS = ("retries", "retry_delay", "retry_backoff")
SITE_METHODS = frozenset({"call", "s", "schedule"})


def build_jobs(project: ProjectIndex) -> Iterator[Job]:
    signals = list(signal_hooks(project))
    on_error = on_error_hooks(project)
    sites = _override_sites(project)
    for module, job_def in project.job_defs():
        if job_def.framework != FRAMEWORK:
            continue
        instance = task_instance(project, module, job_def)
        if instance is False:
            continue
        try:
            yield _job(project, module, job_def, instance, signals, on_error, sites)
        except Exception:  # an odd shape in one task never stops the project phase
            continue


def _override_sites(project: ProjectIndex) -> dict[str, list[tuple[ModuleFacts, CallFact]]]:
    """Calls that pass retries / retry_delay / retry_backoff, by the target they name."""
    found: dict[str, list[tuple[ModuleFacts, CallFact]]] = {}
    for module, call in project.calls():
        if call.method not in SITE_METHODS or call.target is None:
            continue
        if not any(name in OVERRIDE_OPTIONS for name, _ in call.keywords):
            continue
        found.setdefault(project.canonical(call.target, module), []).append((module, call))
    return found


def _job(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    instance: tuple[str | None, Value] | bool,
    signals: list[SignalHook],
    on_error: dict[str, list[FailureHook]],
    sites: dict[str, list[tuple[ModuleFacts, CallFact]]],
) -> Job:
    instance_key, constructor = instance if isinstance(instance, tuple) else (None, None)
    qualname = f"{module.module}.{job_def.function}"
    options = {name: Option(located, module) for name, located in job_def.options}
    raises: tuple[HueyRaise, ...] = job_def.datum("raises", ())
    policy = huey_policy(project, module, options, raises)
    policies: list[tuple[CallSite, RetryPolicy]] = []
    for site_module, call in sorted(sites.get(qualname, ()), key=lambda s: (s[0].path, s[1].span)):
        path = site_module.path if site_module.path != module.path else None
        overrides = {
            name: Option(located, site_module, path, at_site=True)
            for name, located in call.keywords
            if name in OVERRIDE_OPTIONS
        }
        site_policy = huey_policy(project, module, {**options, **overrides}, raises)
        site = CallSite(
            path=site_module.path,
            span=call.span,
            method=call.method,
            target=call.target or "",
            keywords=tuple(name for name, _ in call.keywords),
            policy=site_policy,
        )
        policies.append((site, site_policy))
    details: list[tuple[str, Any]] = [
        ("decorator", job_def.decorator),
        ("decorator_name", job_def.datum("decorator_name")),
        ("huey_instance", instance_key),
        ("periodic", job_def.datum("periodic", False)),
        ("schedule", job_def.datum("schedule")),
        ("async", job_def.datum("async", False)),
        ("locks", job_def.datum("locks", ())),
        ("raises", raises),
        (
            "retry_task_raises",
            tuple(r.span for r in raises if is_one_of(project, module, r, RETRY_TASK)),
        ),
        (
            "cancel_retry_raises",
            tuple(
                r.span
                for r in raises
                if is_one_of(project, module, r, CANCEL_EXECUTION) and r.retry is True
            ),
        ),
        ("expires", job_def.option("expires")),
        ("options", job_def.options),
    ]
    name = job_def.name or job_def.function.rsplit(".", 1)[-1]
    return Job(
        name=name,
        qualname=qualname,
        framework=FRAMEWORK,
        kind="task",
        path=module.path,
        span=job_def.span,
        # The decorator's policy is what every call gets; calls that pass retries= /
        # retry_delay= / retry_backoff= carry their own in `policies`.
        policy=policy,
        policies=tuple(policies),
        failure_hooks=job_hooks(qualname, instance_key, constructor, signals, on_error),
        time_limit=time_limit(project, module, job_def.option("timeout")),
        function=job_def.function,
        details=tuple(details),
    )
