"""What a loop retries on: the exceptions its retrying handlers catch, the failure statuses
its checked result goes round on, and the exceptions it gives up on.

A handler catching ``Exception`` (or bare) retries ``"all"``, unless it filters the exception
first (``if not retryable(e): raise``): then what it retries is UNKNOWN. A poll that tests a
response for a failure status (``status_code == 429``) retries those statuses (``observation``);
any other poll retries no exception (``()``).
"""

from __future__ import annotations

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.loops.observation import failure_statuses
from retrylint.frameworks.loops.shapes import Retry, caught_by
from retrylint.frameworks.loops.syntax import (
    BREAK,
    RAISE,
    RETURN,
    block,
    flow_one,
    one_line,
    refs,
    walk_all,
)
from retrylint.model import (
    UNKNOWN,
    ExceptionsValue,
    Marker,
    Sourced,
    Span,
    default,
    explicit,
)


def exceptions_fields(
    ctx: FileContext,
    retry: Retry | None,
    body: list[cst.CSTNode],
    loop: cst.While | cst.For,
    span: Span,
) -> tuple[Sourced[ExceptionsValue], Sourced[tuple[str, ...]]]:
    """``retry_on`` and ``permanent`` of a loop: what its retrying handlers catch, and the
    failure statuses its checked result goes round on."""
    if retry is None:
        tests = [n.test for n in walk_all(body) if isinstance(n, cst.If)]
        if isinstance(loop, cst.While):
            tests.append(loop.test)
        statuses, checked = failure_statuses(ctx, tests)
        if checked is not None:
            origin = f"checks the response: {one_line(ctx.code(checked))}"
            return explicit(statuses, origin, ctx.span(checked)), default((), "none excluded")
        return explicit((), "polls a condition; no exception is retried", span), default(
            (), "none excluded"
        )
    names: list[str] = []
    broad: cst.ExceptHandler | None = None
    unknown: cst.ExceptHandler | None = None
    for handler in retry.handlers:
        caught = caught_by(ctx, handler)
        if caught == "all":
            broad = broad or handler
        elif isinstance(caught, Marker):
            unknown = unknown or handler
        else:
            names.extend(n for n in caught if n not in names)
    first = retry.handlers[0]
    where = ctx.span(first.type) if first.type is not None else ctx.span(first)
    origin = handler_code(ctx, first)
    value: ExceptionsValue
    if broad is not None:
        filtered = _filters_exception(broad)
        origin = handler_code(ctx, broad)
        where = ctx.span(broad.type) if broad.type is not None else ctx.span(broad)
        value = UNKNOWN if filtered else "all"
        if filtered:
            origin = f"{origin} filtered by a condition on the exception"
    elif unknown is not None:
        value, origin = UNKNOWN, handler_code(ctx, unknown)
    else:
        value = tuple(names)
        if len(retry.handlers) > 1:
            origin = ", ".join(handler_code(ctx, h) for h in retry.handlers)
    if retry.checked is not None:
        success = [
            *block(retry.node.body),
            *(block(retry.node.orelse.body) if retry.node.orelse else []),
        ]
        statuses, checked = failure_statuses(
            ctx, [n.test for n in walk_all(success) if isinstance(n, cst.If)]
        )
        if checked is not None and isinstance(value, tuple):
            value = (*value, *(s for s in statuses if s not in value))
            origin = f"{origin}; checks the response: {one_line(ctx.code(checked))}"
    permanent_names: list[str] = []
    for handler in retry.terminal:
        caught = caught_by(ctx, handler)
        if isinstance(caught, tuple):
            permanent_names.extend(caught)
    if permanent_names:
        first_terminal = retry.terminal[0]
        permanent = explicit(
            tuple(permanent_names),
            ", ".join(handler_code(ctx, h) for h in retry.terminal) + " gives up",
            ctx.span(first_terminal),
        )
    else:
        permanent = default((), "none excluded")
    return explicit(value, origin, where), permanent


def handler_code(ctx: FileContext, handler: cst.ExceptHandler) -> str:
    return f"except {one_line(ctx.code(handler.type))}" if handler.type is not None else "except:"


def _filters_exception(handler: cst.ExceptHandler) -> bool:
    """``except Exception as e: if not retryable(e): raise`` -- the handler picks what it retries."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    name = handler.name.name.value
    for node in walk_all(block(handler.body)):
        if (
            isinstance(node, cst.If)
            and name in refs(node.test)
            and flow_one(node) & {RAISE, RETURN, BREAK}
        ):
            return True
    return False
