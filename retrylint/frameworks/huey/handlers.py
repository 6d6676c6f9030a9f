"""The failure handlers one file declares: ``@huey.signal(...)`` handlers of the failure signals
(or of every signal), and ``task.s(...).then(...).error(handler)`` handlers, which belong to the
head task.

A signal handler becomes a ``HookFact`` here only when its receiver is known to be Huey's (djhuey,
a ``huey`` name, Huey's own signal names, a Huey object of this file); every such handler is also
recorded in ``sink.data`` for the project phase (``hooks``) to match with its Huey object.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import HookFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import Decorator
from retrylint.frameworks.huey.records import DJHUEY, FRAMEWORK, ON_ERROR_KEY
from retrylint.frameworks.rq.facts import local_assignments
from retrylint.model import Span
from retrylint.values import Ref

# Signals that report a failed attempt, and their values (huey/signals.py).
FAILURE_SIGNALS = {"SIGNAL_ERROR": "error", "SIGNAL_TIMEOUT": "timeout"}
SIGNAL_VALUES = {value: name for name, value in FAILURE_SIGNALS.items()}


def signal_handlers(
    ctx: FileContext,
    sink: FactSink,
    function: FunctionInfo,
    decorator: Decorator,
    instances: set[str],
    imports_huey: bool,
) -> Iterator[tuple[str, str | None, str, str, Span]]:
    """``@huey.signal(SIGNAL_ERROR)`` handlers; the failure signals become HookFacts."""
    call = decorator.call
    assert call is not None
    receiver = decorator.receiver
    if decorator.qualified == f"{DJHUEY}.signal" or receiver == f"{DJHUEY}.HUEY":
        receiver_kind = "djhuey"
    elif receiver == "huey":
        receiver_kind = "shadow"
    else:
        receiver_kind = "object"
    kinds: list[str] = []
    huey_arguments = False
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            return
        value = ctx.evaluate(arg.value)
        if isinstance(value, Ref):
            huey_arguments |= value.name.split(".", 1)[0] == "huey"
            if value.last in FAILURE_SIGNALS:
                kinds.append(f"{value.last}-signal")
        elif isinstance(value, str) and value in SIGNAL_VALUES:
            kinds.append(f"{SIGNAL_VALUES[value]}-signal")
    if not call.args:
        kinds.append("any-signal")  # no signal given: the handler receives every signal
    if not kinds:
        return
    local_instance = (
        receiver is not None and receiver.startswith("$.") and receiver[2:] in instances
    )
    strong = receiver_kind != "object" or huey_arguments or local_instance
    span = ctx.span(function.node.name)
    for kind in kinds:
        if strong:
            sink.hooks.append(HookFact(FRAMEWORK, kind, function.qualname, span))
        yield receiver_kind, receiver, kind, function.qualname, span


def record_pipelines(ctx: FileContext, sink: FactSink) -> None:
    """``task.s(...).then(...).error(handler)``: the handler belongs to the head task."""
    found = []
    scopes: dict[int, dict[str, cst.BaseExpression]] | None = None
    for info in ctx.calls:
        func = info.node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "error":
            continue
        if scopes is None:
            scopes = local_assignments(ctx)
        local = scopes.get(id(info.function), {}) if info.function else {}
        handler_nodes = [a.value for a in info.node.args if a.keyword is None and not a.star]
        if not handler_nodes:
            continue
        node: cst.BaseExpression = func.value
        if isinstance(node, cst.Name) and node.value in local:
            node = local[node.value]  # pipeline = task.s(...).then(...); pipeline.error(h)
        task: str | None = None
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            attr = node.func.attr.value
            if attr == "s":
                task = ctx.qualify(node.func.value)
                break
            if attr not in ("then", "error"):
                break
            node = node.func.value
        if task is None:
            continue
        handler = ctx.qualify(handler_nodes[0]) or ctx.code(handler_nodes[0])
        span = ctx.span(info.node)
        found.append((task, handler, span))
        sink.hooks.append(HookFact(FRAMEWORK, "on_error", handler, span))
    if found:
        sink.data.append((ON_ERROR_KEY, tuple(found)))
