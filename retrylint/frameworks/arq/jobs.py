"""``build_jobs``: one ``Job`` per registration, joined with its coroutine (found through the
project's imports, or by import string) and its settings, with its options in precedence order
and the ``enqueue_job("name")`` calls that enqueue it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from retrylint.frameworks.arq.policy import arq_policy
from retrylint.frameworks.arq.records import (
    COROUTINE_DATA,
    FRAMEWORK,
    REGISTRATION_DATA,
    SETTINGS_DATA,
    Coroutine,
    Registration,
    RetrySignal,
    Settings,
)
from retrylint.frameworks.arq.registry import END_HOOKS
from retrylint.frameworks.defaults import ARQ_CRON_MAX_TRIES, ARQ_JOB_TIMEOUT, ARQ_MAX_TRIES
from retrylint.linking import call_site
from retrylint.model import (
    UNKNOWN,
    CallSite,
    FailureHook,
    Job,
    Marker,
    SecondsValue,
    Source,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Ref, Value, as_seconds


@dataclass(frozen=True)
class _Option:
    value: Value
    source: Source
    origin: str
    span: Span | None
    path: str | None

    def sourced(self, value: object, origin: str | None = None) -> Sourced:
        return Sourced(value, self.source, origin or self.origin, self.span, self.path)


def build_jobs(project: ProjectIndex) -> Iterable[Job]:
    coroutines: dict[str, tuple[ModuleFacts, Coroutine]] = {}
    settings: dict[str, tuple[ModuleFacts, Settings]] = {}
    registrations: list[tuple[ModuleFacts, Registration]] = []
    for module in project:
        for key, value in module.facts.data:
            if key == COROUTINE_DATA:
                coroutines[f"{module.module}.{value.function}"] = (module, value)
            elif key == SETTINGS_DATA:
                settings[project.absolute(value.scope, module)] = (module, value)
            elif key == REGISTRATION_DATA:
                registrations.append((module, value))
    jobs = [
        _build_job(project, module, registration, coroutines, settings)
        for module, registration in registrations
    ]
    by_name = {job.name: position for position, job in enumerate(jobs)}
    sites: dict[int, list[CallSite]] = {}
    for module, call in project.calls():
        # linking.py links enqueue_job("name") only when the receiver is a plain name; arq code
        # usually enqueues from inside a job through ctx["redis"], so link every receiver here
        # (the CallSite is built the same way, so linking's own copy is deduplicated).
        if call.method == "enqueue_job" and call.target in by_name:
            sites.setdefault(by_name[call.target], []).append(call_site(module, call))
    for position, found in sites.items():
        job = jobs[position]
        ordered = sorted({*job.call_sites, *found}, key=lambda s: (s.path, s.span))
        jobs[position] = replace(job, call_sites=tuple(ordered))
    return jobs


def _build_job(
    project: ProjectIndex,
    module: ModuleFacts,
    registration: Registration,
    coroutines: dict[str, tuple[ModuleFacts, Coroutine]],
    settings: dict[str, tuple[ModuleFacts, Settings]],
) -> Job:
    if registration.by_string:
        target = registration.target
    else:
        target = project.canonical(registration.target, module)
    found = coroutines.get(target)
    function_name = target.rsplit(".", 1)[-1]
    name = registration.name or (registration.target if registration.by_string else function_name)
    if registration.cron and registration.name is None:
        name = f"cron:{name}"
    worker = settings.get(project.absolute(registration.settings, module))
    options = _Options(module, registration, worker)

    attempts = options.max_tries()
    retry_jobs = options.retry_jobs()
    if found is None:
        body_module, coroutine = None, None
        signals: tuple[RetrySignal, ...] = ()
    else:
        body_module, coroutine = found
        signals = coroutine.signals
    policy = arq_policy(project, body_module, coroutine, signals, attempts, retry_jobs)
    details: list[tuple[str, object]] = [
        ("registration", (module.path, registration.span)),
        ("settings", project.absolute(registration.settings, module) if worker else None),
        ("max_tries", attempts),
        ("retry_signals", signals),
        ("cron", registration.cron),
        ("options", registration.options),
    ]
    if registration.shape is not None:
        details.append(("decorator", registration.shape))
    if found is None:
        details.append(("unresolved_function", target))
    return Job(
        name=name,
        qualname=target if found is not None else f"{module.module}.{function_name}",
        framework=FRAMEWORK,
        kind="task",
        path=body_module.path if body_module else module.path,
        span=coroutine.span if coroutine else registration.span,
        policy=policy,
        failure_hooks=_end_hooks(project, worker, coroutines),
        time_limit=options.timeout(),
        function=coroutine.function if coroutine else None,
        details=tuple(details),
    )


def _end_hooks(
    project: ProjectIndex,
    worker: tuple[ModuleFacts, Settings] | None,
    coroutines: dict[str, tuple[ModuleFacts, Coroutine]],
) -> tuple[FailureHook, ...]:
    """The worker's ``on_job_end`` / ``after_job_end`` that read the job's result: arq passes
    them ``ctx`` only, so one that does not look the result up cannot tell a failure."""
    if worker is None:
        return ()
    module, settings = worker
    hooks = []
    for key, located in settings.options:
        if key not in END_HOOKS or not isinstance(located.value, Ref):
            continue
        target = project.canonical(located.value.name, module)
        found = coroutines.get(target)
        if found is not None and found[1].reads_job_result:
            origin = f"{settings.label} {key}, reads the job's result"
            hooks.append(FailureHook(key, target, located.span, False, module.path, origin))
    return tuple(hooks)


class _Options:
    """A registration's options: ``func()``/``cron()`` keywords, then the worker's, then arq's."""

    def __init__(
        self,
        module: ModuleFacts,
        registration: Registration,
        worker: tuple[ModuleFacts, Settings] | None,
    ) -> None:
        self.module = module
        self.registration = registration
        self.worker = worker

    def _own(self, key: str) -> _Option | None:
        for name, located in self.registration.options:
            if name == key:
                call = "cron" if self.registration.cron else "func"
                origin = f"{call}({key}={located.code})"
                return _Option(located.value, "explicit", origin, located.span, self.module.path)
        return None

    def _worker(self, key: str) -> _Option | None:
        if self.worker is None:
            return None
        module, settings = self.worker
        for name, located in settings.options:
            if name == key:
                if settings.label == "Worker(...)":
                    origin = f"Worker({key}={located.code})"
                else:
                    origin = f"{settings.label}.{key} = {located.code}"
                return _Option(located.value, "app-config", origin, located.span, module.path)
        return None

    def max_tries(self) -> Sourced[int | Marker]:
        own = self._own("max_tries")
        if own is not None and own.value is not None:
            return own.sourced(_count(own.value))
        if self.registration.cron and own is None:
            return default(ARQ_CRON_MAX_TRIES, "cron(max_tries=1) (arq default for cron jobs)")
        worker = self._worker("max_tries")
        if worker is not None:
            return worker.sourced(_count(worker.value))
        return default(ARQ_MAX_TRIES, f"max_tries={ARQ_MAX_TRIES} (arq default)")

    def retry_jobs(self) -> Sourced[bool | Marker] | None:
        worker = self._worker("retry_jobs")
        if worker is None:
            return None
        value = worker.value if isinstance(worker.value, bool) else UNKNOWN
        return worker.sourced(value)

    def timeout(self) -> Sourced[SecondsValue]:
        own = self._own("timeout")
        if own is not None and own.value is not None:
            return own.sourced(as_seconds(own.value))
        worker = self._worker("job_timeout")
        if worker is not None:
            return worker.sourced(None if worker.value is None else as_seconds(worker.value))
        return default(ARQ_JOB_TIMEOUT, "job_timeout=300 s (arq default)")


def _count(value: Value) -> int | Marker:
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 1)
    return UNKNOWN
