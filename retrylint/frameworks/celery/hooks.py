"""Failure hooks: ``task_failure`` signal handlers, ``on_failure`` overrides, ``link_error``.

Per file we record signal handlers (with their ``sender=``) and errbacks (``on_failure`` methods
are found with the task classes in ``facts``); per task, ``failure_hooks`` keeps those that run
when it fails. A room of its own: a task's hooks are found apart from its retry options and
change nothing in its policy.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import HookFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.celery.facts import TaskClass
from retrylint.frameworks.celery.index import Project
from retrylint.frameworks.celery.names import FRAMEWORK
from retrylint.frameworks.common import decorators
from retrylint.model import FailureHook
from retrylint.project import ModuleFacts

TASK_FAILURE = frozenset({"celery.signals.task_failure", "celery.signals.task_failure.connect"})


def extract_hooks(ctx: FileContext, sink: FactSink) -> None:
    for function in ctx.functions:
        for decorator in decorators(ctx, function):
            if decorator.qualified not in TASK_FAILURE:
                continue
            handler = f"$.{function.qualname}"
            sink.hooks.append(
                HookFact(FRAMEWORK, "task_failure-signal", handler, ctx.span(function.node.name))
            )
            _signal_sender(ctx, sink, handler, decorator.call)
    for info in ctx.calls:
        node = info.node
        func = node.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method == "connect" and ctx.qualify(func.value) in TASK_FAILURE and node.args:
            first = node.args[0]
            connected = ctx.qualify(first.value) if first.keyword is None else None
            if connected:
                sink.hooks.append(
                    HookFact(FRAMEWORK, "task_failure-signal", connected, ctx.span(node))
                )
                _signal_sender(ctx, sink, connected, node)
        elif method == "apply_async":
            errback = next(
                (a.value for a in node.args if a.keyword and a.keyword.value == "link_error"), None
            )
            target = ctx.qualify(func.value)
            if errback is not None and target:
                _link_error(ctx, sink, target, node, errback)
        elif method in ("on_error", "link_error") and isinstance(func.value, cst.Call):
            inner = func.value.func
            if (
                isinstance(inner, cst.Attribute)
                and inner.attr.value in ("s", "si", "signature")
                and (target := ctx.qualify(inner.value))
                and node.args
            ):
                _link_error(ctx, sink, target, node, node.args[0].value)


def _link_error(
    ctx: FileContext, sink: FactSink, target: str, call: cst.Call, errback: cst.BaseExpression
) -> None:
    """``HookFact.target`` is the task the errback is attached to; the errback's code is data."""
    span = ctx.span(call)
    sink.hooks.append(HookFact(FRAMEWORK, "link_error", target, span))
    sink.data.append(("celery.errback", (span, ctx.code(errback))))


def _signal_sender(ctx: FileContext, sink: FactSink, handler: str, call: cst.Call | None) -> None:
    if call is None:
        return
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "sender":
            value = ctx.evaluate(arg.value)
            sender = value if isinstance(value, str) else ctx.qualify(arg.value)
            literal = isinstance(value, str)
            sink.data.append(("celery.signal_sender", (handler, (sender, literal))))


# -- project phase ----------------------------------------------------------------------------
def failure_hooks(
    state: Project,
    chain: list[tuple[ModuleFacts, TaskClass]],
    qualname: str,
    name: str,
    aliases: Iterable[str],
) -> tuple[FailureHook, ...]:
    hooks: list[FailureHook] = []
    for module, cls in chain:
        if cls.on_failure is not None:
            target = f"{module.module}.{cls.name}.on_failure"
            hooks.append(FailureHook("on_failure", target, cls.on_failure, False))
            break  # the most derived override is the one that runs
    targets = {qualname, *aliases}
    for module, hook in state.hooks:
        if hook.kind == "task_failure-signal":
            handler = state.index.canonical(hook.target, module)
            senders = state.senders.get(handler)
            if senders and not any(
                (sender == name if literal else sender in targets) for sender, literal in senders
            ):
                continue
            hooks.append(FailureHook("task_failure-signal", handler, hook.span, False))
        elif hook.kind == "link_error" and state.index.canonical(hook.target, module) in targets:
            errback = state.errbacks.get((module.path, hook.span), hook.target)
            hooks.append(FailureHook("link_error", errback, hook.span, False))
    return tuple(hooks)
