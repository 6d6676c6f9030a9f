"""RL503 payload-logged-wholesale: a whole job payload is written to the log.

Per file, in log calls, prints and warnings:

- Celery: ``self.request.args`` / ``.kwargs`` (or ``task.request`` / ``current_task.request``),
  and the whole ``self.request`` (its repr lists both) in a file that imports Celery; the
  ``args`` / ``kwargs`` parameters of Celery hooks and signal handlers (``on_failure(self, exc,
  task_id, args, kwargs, einfo)``, ``task_prerun`` handlers): a ``task_id`` parameter beside them
  says what they are.
- RQ: ``job.args`` / ``job.kwargs`` in a file that imports RQ (``get_current_job()``, exception
  handlers and callbacks receive the job).
- Dramatiq: ``message.args`` / ``message.kwargs`` in a file that imports Dramatiq (middleware).

Project phase: a job's own ``*args`` / ``**kwargs`` written to the log (the function must be
the job's, which only the job model knows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import libcst as cst

from retrylint.checks import Project, make_finding
from retrylint.context import FileContext, FunctionInfo
from retrylint.findings import Finding
from retrylint.model import Span
from retrylint.reach import QUEUE_FRAMEWORKS
from retrylint.secrets.names import words_of
from retrylint.secrets.scan import scan_of
from retrylint.secrets.sinks import Sink
from retrylint.secrets.values import leaves
from retrylint.secrets.wording import job_kind, written_by

CODE = "RL503"
KEY = "rl503"
ADVICE = "log the job id and the identifiers you need instead"
WHY = "every argument anyone ever passes to the job (tokens, emails, card data) lands in the log"
_PAYLOAD = frozenset({"args", "kwargs"})
_TASKS = frozenset({"self", "task", "current_task"})
_HOOK_MARKER = "task_id"
_CURRENT_JOB = "get_current_job"


@dataclass(frozen=True)
class LoggedSpread:
    """A function's ``*args`` / ``**kwargs`` written to the log; a finding if it is a job's."""

    function: str
    parameter: str  # "*args", "**kwargs"
    span: Span
    shown: str


class FileCheck:
    def handlers(self) -> dict[type, Callable[[Any, FileContext], None]]:
        return {}

    def findings(self, ctx: FileContext) -> Iterator[Finding]:
        scan = scan_of(ctx)
        frameworks = _frameworks(ctx)
        for sink in scan.sink_calls:
            for node, what in _payloads(ctx, sink, frameworks):
                message = f"{what} {written_by(sink.kind, sink.shown)}: {WHY}; {ADVICE}"
                yield make_finding(CODE, message, ctx.path, ctx.span(node))

    def facts(self, ctx: FileContext) -> Iterable[tuple[str, Any]]:
        spreads = tuple(_spreads(ctx))
        if spreads:
            yield KEY, spreads


def _frameworks(ctx: FileContext) -> frozenset[str]:
    tops = {target.split(".", 1)[0] for target in ctx.imports.values()}
    found: set[str] = {name for name in ("celery", "dramatiq", "arq") if name in tops}
    if tops & {"rq", "django_rq", "rq_scheduler"}:
        found.add("rq")
    return frozenset(found)


def _payloads(
    ctx: FileContext, sink: Sink, frameworks: frozenset[str]
) -> Iterator[tuple[cst.CSTNode, str]]:
    hook = _hook_parameters(sink.function)
    jobs = _current_jobs(ctx, sink.function)
    for written in sink.written():
        for leaf in leaves(written.value):
            if leaf.kind != "ref":
                continue
            what = _payload(leaf.node, frameworks, hook, jobs)
            if what is not None:
                yield leaf.node, what


def _current_jobs(ctx: FileContext, function: FunctionInfo | None) -> frozenset[str]:
    """Locals bound to the running RQ job: ``current = get_current_job()``."""
    if function is None:
        return frozenset()
    reader = scan_of(ctx).reader
    names = set()
    for assignment in ctx.assignments:
        if assignment.function is not function:
            continue
        for target in assignment.targets:
            if not isinstance(target, cst.Name):
                continue
            for value in reader.bound_to(function, target.value):
                if isinstance(value, cst.Call) and (
                    (ctx.qualify(value.func) or "").rsplit(".", 1)[-1] == _CURRENT_JOB
                ):
                    names.add(target.value)
    return frozenset(names)


def _payload(
    node: cst.CSTNode, frameworks: frozenset[str], hook: frozenset[str], jobs: frozenset[str]
) -> str | None:
    match node:
        case cst.Name(value=name) if name in hook:
            return f"`{name}` (the task's whole {_part(name)}, given to this Celery hook)"
        case cst.Attribute(value=cst.Name(value=owner), attr=cst.Name(value="request")) if (
            owner in _TASKS and "celery" in frameworks
        ):
            return f"`{owner}.request` (the Celery task's whole request: args and kwargs)"
        case cst.Attribute(
            value=cst.Attribute(value=cst.Name(value=owner), attr=cst.Name(value="request")),
            attr=cst.Name(value=part),
        ) if owner in _TASKS and part in _PAYLOAD:
            return f"`{owner}.request.{part}` (the Celery task's whole {_part(part)})"
        case cst.Attribute(value=cst.Name(value=owner), attr=cst.Name(value=part)) if (
            part in _PAYLOAD
        ):
            words = words_of(owner)
            if owner in jobs or ("rq" in frameworks and "job" in words):
                return f"`{owner}.{part}` (the RQ job's whole {_part(part)})"
            if "dramatiq" in frameworks and {"message", "msg"} & set(words):
                return f"`{owner}.{part}` (the Dramatiq message's whole {_part(part)})"
    return None


def _part(name: str) -> str:
    return "keyword arguments" if name == "kwargs" else "positional arguments"


def _hook_parameters(function: FunctionInfo | None) -> frozenset[str]:
    """``args`` / ``kwargs`` of a Celery hook or signal handler (it also takes ``task_id``)."""
    if function is None:
        return frozenset()
    names = {param.name.value for param in _named_parameters(function.node)}
    return frozenset(names & _PAYLOAD) if _HOOK_MARKER in names else frozenset()


def _named_parameters(node: cst.FunctionDef) -> Iterator[cst.Param]:
    params = node.params
    yield from (*params.posonly_params, *params.params, *params.kwonly_params)


def _spreads(ctx: FileContext) -> Iterator[LoggedSpread]:
    """``*args`` / ``**kwargs`` of a function written to a log by that function itself.

    Only functions that may be jobs are recorded (each costs the file its positions): decorated
    ones, and any in a file that imports RQ or arq (whose jobs are plain functions).
    """
    scan = scan_of(ctx)
    plain_jobs = not {"rq", "arq"}.isdisjoint(_frameworks(ctx))
    for sink in scan.sink_calls:
        function = sink.function
        if function is None or not (function.node.decorators or plain_jobs):
            continue
        params = function.node.params
        spreads = {}
        if isinstance(params.star_arg, cst.Param):
            spreads[params.star_arg.name.value] = "*"
        if params.star_kwarg is not None:
            spreads[params.star_kwarg.name.value] = "**"
        if not spreads:
            continue
        for written in sink.written():
            for leaf in leaves(written.value):
                node = leaf.node
                if leaf.kind == "ref" and isinstance(node, cst.Name) and node.value in spreads:
                    parameter = f"{spreads[node.value]}{node.value}"
                    yield LoggedSpread(function.qualname, parameter, ctx.span(node), sink.shown)


def check_project(project: Project) -> Iterator[Finding]:
    spreads: dict[tuple[str, str], list[LoggedSpread]] = {}
    for module in project.index:
        for spread in dict(module.facts.data).get(KEY, ()):
            spreads.setdefault((module.path, spread.function), []).append(spread)
    for job in project.jobs:
        if job.framework not in QUEUE_FRAMEWORKS or job.function is None:
            continue
        for spread in spreads.get((job.path, job.function), ()):
            owner = job_kind(job.framework, job.kind)
            what = f"`{spread.parameter}` of {owner} `{job.qualname}` (its whole payload)"
            message = f"{what} {written_by('log', spread.shown)}: {WHY}; {ADVICE}"
            yield make_finding(CODE, message, job.path, spread.span, job=job.qualname)
