"""The function registry, per file: ``WorkerSettings``-style classes and ``Worker(...)`` calls,
their worker-wide options, and each entry of their ``functions = [...]`` / ``cron_jobs = [...]``
(a coroutine, ``func(...)`` or ``cron(...)``, by reference or by import string).

A class counts when its name says ``WorkerSettings``, when it is passed to ``run_worker``, or
when its lists hold ``func(...)`` / ``cron(...)`` calls or coroutines of the file.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import ConfigFact, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.arq.records import (
    FRAMEWORK,
    REGISTRATION_DATA,
    SETTINGS_DATA,
    Registration,
    Settings,
)
from retrylint.frameworks.common import call_shape, keyword_options
from retrylint.values import SELF_MODULE, Located

FUNC = frozenset({"arq.func", "arq.worker.func"})
CRON = frozenset({"arq.cron", "arq.cron.cron"})
WORKER = frozenset({"arq.Worker", "arq.worker.Worker"})
RUN_WORKER = frozenset({"arq.run_worker", "arq.worker.run_worker"})
SETTINGS_KEYS = ("max_tries", "job_timeout", "retry_jobs", "keep_result", "expires_extra_ms")
# Worker hooks run after each job with its ``ctx`` only (arq 0.28 ``Worker.run_job``): a failure
# hook only when the function reads the job's outcome itself (``records.Coroutine``).
END_HOOKS = ("on_job_end", "after_job_end")


def extract_settings_classes(ctx: FileContext, sink: FactSink) -> None:
    async_defs = {f"{SELF_MODULE}.{f.qualname}" for f in ctx.module_functions() if f.is_async}
    run_worker_args = {
        name
        for info in ctx.calls
        if ctx.qualify(info.node.func) in RUN_WORKER and info.node.args
        if (name := ctx.qualify(info.node.args[0].value)) is not None
    }
    for info in ctx.classes.values():
        functions = _list_node(ctx, info.attributes.get("functions"))
        cron_jobs = _list_node(ctx, info.attributes.get("cron_jobs"))
        if functions is None and cron_jobs is None:
            continue
        elements = [e.value for e in (*(functions or ()), *(cron_jobs or ()))]
        accepted = (
            "WorkerSettings" in info.name
            or f"{SELF_MODULE}.{info.qualname}" in run_worker_args
            or any(_is_registration_call(ctx, e) or ctx.qualify(e) in async_defs for e in elements)
        )
        if not accepted:
            continue
        scope = f"{SELF_MODULE}.{info.qualname}"
        options = tuple(
            (key, ctx.locate(info.attributes[key]))
            for key in (*SETTINGS_KEYS, *END_HOOKS)
            if key in info.attributes
        )
        span = ctx.span(info.node.name)
        sink.data.append((SETTINGS_DATA, Settings(scope, info.name, span, options)))
        sink.objects.append(ObjectFact(info.qualname, "arq-worker-settings", FRAMEWORK, span))
        for key, located in options:
            sink.configs.append(ConfigFact(FRAMEWORK, key, located, scope))
        _record_registrations(ctx, sink, scope, functions or (), cron=False)
        _record_registrations(ctx, sink, scope, cron_jobs or (), cron=True)


def extract_worker_calls(ctx: FileContext, sink: FactSink) -> None:
    """``Worker(functions=[...], max_tries=..., ...)`` built by hand."""
    for info in ctx.calls:
        node = info.node
        if ctx.qualify(node.func) not in WORKER:
            continue
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        span = ctx.span(node)
        scope = f"{SELF_MODULE}.<Worker@{span.line}>"
        options = tuple(
            (key, ctx.locate(keywords[key]))
            for key in (*SETTINGS_KEYS, *END_HOOKS)
            if key in keywords
        )
        sink.data.append((SETTINGS_DATA, Settings(scope, "Worker(...)", span, options)))
        for key, located in options:
            sink.configs.append(ConfigFact(FRAMEWORK, key, located, scope))
        functions = _list_node(ctx, keywords.get("functions"))
        cron_jobs = _list_node(ctx, keywords.get("cron_jobs"))
        _record_registrations(ctx, sink, scope, functions or (), cron=False)
        _record_registrations(ctx, sink, scope, cron_jobs or (), cron=True)


def _list_node(
    ctx: FileContext, node: cst.BaseExpression | None
) -> tuple[cst.BaseElement, ...] | None:
    """The elements of a list/tuple literal, following a module-level name bound to one."""
    if isinstance(node, cst.Name) and node.value not in ctx.imports:
        node = ctx.constants.get(node.value, node)
    if isinstance(node, cst.List | cst.Tuple):
        return tuple(node.elements)
    return None


def _is_registration_call(ctx: FileContext, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and ctx.qualify(node.func) in FUNC | CRON


def _record_registrations(
    ctx: FileContext,
    sink: FactSink,
    scope: str,
    elements: Iterable[cst.BaseElement],
    *,
    cron: bool,
) -> None:
    for element in elements:
        if isinstance(element, cst.StarredElement):
            continue
        node = element.value
        options: tuple[tuple[str, Located], ...] = ()
        shape = None
        reference = node
        if isinstance(node, cst.Call):
            if not _is_registration_call(ctx, node):
                continue
            positional = [a.value for a in node.args if a.keyword is None and not a.star]
            keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            found = positional[0] if positional else keywords.get("coroutine")
            if found is None:
                continue
            reference = found
            options = tuple((k, v) for k, v in keyword_options(ctx, node) if k != "coroutine")
            shape = call_shape(ctx, node)
            cron = cron or ctx.qualify(node.func) in CRON
        by_string = isinstance(reference, cst.SimpleString | cst.ConcatenatedString)
        if by_string:
            value = ctx.evaluate(reference)
            target = value if isinstance(value, str) else None
        else:
            target = ctx.qualify(reference)
        if not target:
            continue
        name_value = next((v.value for k, v in options if k == "name"), None)
        sink.data.append(
            (
                REGISTRATION_DATA,
                Registration(
                    settings=scope,
                    target=target,
                    by_string=by_string,
                    name=name_value if isinstance(name_value, str) else None,
                    span=ctx.span(node),
                    options=options,
                    cron=cron,
                    shape=shape,
                ),
            )
        )
