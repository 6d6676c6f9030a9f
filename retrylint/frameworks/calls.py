"""Invocation sites shared by every framework: ``x.delay()``, ``q.enqueue(f)``, ``a.send()``.

Per file we cannot know whether ``send_email`` (imported) is a Celery task, a Dramatiq actor or
a Huey task, so every call through a known invocation method is recorded once, framework-neutral;
``retrylint.linking`` attaches it to the job its target resolves to, and the RQ adapter reads
the ``enqueue*`` ones to build RQ jobs and their per-site policies.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import CallFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import (
    call_shape,
    invocation_keywords,
    invoked,
    positional_args,
)
from retrylint.frameworks.names import BY_ARGUMENT_METHODS, BY_NAME_FUNCTIONS, JOB_METHODS

# enqueue_in / enqueue_at take the time first, the function second.
_FUNCTION_ARGUMENT = {"enqueue_in": 1, "enqueue_at": 1}


def extract(ctx: FileContext, sink: FactSink) -> None:
    for info in ctx.calls:
        node = info.node
        invocation = invoked(ctx, node)  # positions come from node
        func, arguments = invocation.func, invocation.args
        receiver: str | None
        if isinstance(func, cst.Name):
            by_name = BY_NAME_FUNCTIONS.get(ctx.qualify(func) or "")
            if by_name is None:
                continue
            method, receiver = by_name
        elif isinstance(func, cst.Attribute):
            method = func.attr.value
            if method not in JOB_METHODS and method not in BY_ARGUMENT_METHODS:
                continue
            receiver = ctx.qualify(func.value)
        else:
            continue
        args = positional_args(ctx, invocation)
        target = _argument_target(method, arguments, ctx)
        if target is None:
            if method not in JOB_METHODS or receiver is None:
                continue
            target, receiver = receiver, None
        sink.calls.append(
            CallFact(
                method=method,
                target=target,
                span=ctx.span(node),
                receiver=receiver,
                args=args,
                keywords=invocation_keywords(ctx, invocation),
                shape=call_shape(ctx, node),
                function=info.function.qualname if info.function else None,
            )
        )


def _argument_target(method: str, arguments: Sequence[cst.Arg], ctx: FileContext) -> str | None:
    """What a by-argument call names: ``q.enqueue(send)`` -> ``$.send``; ``send_task("a.b")``."""
    if method not in BY_ARGUMENT_METHODS:
        return None
    index = _FUNCTION_ARGUMENT.get(method, 0)
    keyword = {"enqueue_call": "func", "send_task": "name", "signature": "varies"}.get(method)
    expression: cst.BaseExpression | None = None
    for arg in arguments:
        if arg.keyword is not None and arg.keyword.value in ("f", "func", keyword):
            expression = arg.value
    positional = [a.value for a in arguments if a.keyword is None and not a.star]
    if expression is None and index < len(positional):
        expression = positional[index]
    if expression is None:
        return None
    if isinstance(expression, cst.SimpleString | cst.ConcatenatedString):
        value = expression.evaluated_value
        return value if isinstance(value, str) else None
    if method in ("signature", "send_task", "enqueue_job"):
        return None  # these take names; a variable name is not a job reference
    return ctx.qualify(expression)


def build_jobs(project: object) -> tuple:
    return ()
