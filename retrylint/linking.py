"""Attach invocation sites to the jobs they invoke, across modules.

Runs after every adapter has built its jobs. A call ``send_email.delay(...)`` in a view is linked
to the Celery task whose qualified name its target resolves to (through imports and
re-exports); ``app.send_task("shop.tasks.x")`` and arq's ``enqueue_job("x")`` are linked by the
job's registered name. RQ builds its own call sites (they carry per-site policies), and retry
decorators and loops are plain calls, so they are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from retrylint.facts import CallFact
from retrylint.model import CallSite, Job
from retrylint.project import ModuleFacts, ProjectIndex

INVOCATIONS: dict[str, frozenset[str]] = {
    "celery": frozenset(
        {"delay", "apply_async", "s", "si", "signature", "subtask", "map", "starmap", "chunks"}
    ),
    "dramatiq": frozenset({"send", "send_with_options", "message", "message_with_options"}),
    "huey": frozenset({"schedule", "s", "map", "call"}),
    "taskiq": frozenset({"kiq", "kicker"}),
}
BY_NAME: dict[str, frozenset[str]] = {
    "celery": frozenset({"send_task", "signature"}),
    "arq": frozenset({"enqueue_job"}),
}


def call_site(module: ModuleFacts, call: CallFact) -> CallSite:
    return CallSite(
        path=module.path,
        span=call.span,
        method=call.method,
        target=call.target or "",
        keywords=tuple(name for name, _ in call.keywords),
    )


def link_call_sites(index: ProjectIndex, jobs: Iterable[Job]) -> list[Job]:
    jobs = list(jobs)
    by_qualname: dict[str, int] = {}
    by_name: dict[tuple[str, str], int] = {}
    for index_in_list, job in enumerate(jobs):
        if job.framework in INVOCATIONS or job.framework in BY_NAME:
            by_qualname.setdefault(job.qualname, index_in_list)
            by_name.setdefault((job.framework, job.name), index_in_list)
    sites: dict[int, list[CallSite]] = {}
    for module, call in index.calls():
        if call.target is None:
            continue
        position: int | None = _by_name(call, by_name)
        if position is None:
            target = index.canonical(call.target, module)
            position = by_qualname.get(target)
            if position is not None and call.method not in INVOCATIONS.get(
                jobs[position].framework, ()
            ):
                position = None
        if position is not None:
            sites.setdefault(position, []).append(call_site(module, call))
    for position, found in sites.items():
        job = jobs[position]
        ordered = sorted({*job.call_sites, *found}, key=lambda s: (s.path, s.span))
        jobs[position] = replace(job, call_sites=tuple(ordered))
    return jobs


def _by_name(call: CallFact, by_name: dict[tuple[str, str], int]) -> int | None:
    for framework, methods in BY_NAME.items():
        if call.method in methods and call.receiver is not None:
            position = by_name.get((framework, call.target or ""))
            if position is not None:
                return position
    return None
