"""Invocations: calling the task enqueues it. Plain calls are recorded (method ``call``) only where
they may name a Huey task without resolving every file's positions: calls of Huey-decorated
functions in their own file, calls through a ``tasks`` module (``from shop.tasks import x``,
``tasks.x(...)``), and calls of from-imported names in files that import ``huey``. ``.schedule``,
``.s`` and ``.map`` come from ``frameworks.calls``; ``retrylint.linking`` attaches them all.
"""

from __future__ import annotations

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import CallFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import call_shape, keyword_options, positional_args
from retrylint.frameworks.huey.records import FRAMEWORK


def record_plain_calls(
    ctx: FileContext, sink: FactSink, task_names: set[str], imports_huey: bool
) -> None:
    """``send_alert(...)``: a call that enqueues when the callee is a Huey task (see module doc)."""
    for info in ctx.calls:
        node = info.node
        func = node.func
        if isinstance(func, cst.Name):
            name = func.value
            target = ctx.imports.get(name)
            if target is None:
                if name not in task_names:
                    continue
                qualified = f"$.{name}"
            else:
                segments = target.split(".")
                via_tasks = "tasks" in segments[:-1]
                imported_name = len(segments) > 1 and segments[0] != "huey"
                if not (via_tasks or (imports_huey and imported_name)):
                    continue
                qualified = target
        elif isinstance(func, cst.Attribute):
            head = func.value
            while isinstance(head, cst.Attribute):
                head = head.value
            if not isinstance(head, cst.Name) or head.value not in ctx.imports:
                continue
            qualified = ctx.qualify(func) or ""
            if "tasks" not in qualified.split(".")[:-1]:
                continue
        else:
            continue
        sink.calls.append(
            CallFact(
                method="call",
                target=qualified,
                span=ctx.span(node),
                args=positional_args(ctx, node),
                keywords=keyword_options(ctx, node),
                shape=call_shape(ctx, node),
                function=info.function.qualname if info.function else None,
                framework=FRAMEWORK,
            )
        )
