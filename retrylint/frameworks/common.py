"""Small pieces every adapter needs: decorators, call shapes, keyword options, policy building."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallShape
from retrylint.model import (
    NO_DELAY,
    UNKNOWN,
    Delay,
    ExceptionsValue,
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    Span,
    default,
)
from retrylint.values import Located


@dataclass(frozen=True)
class Decorator:
    """``@name`` or ``@name(...)``: the qualified name and, when called, the call node."""

    qualified: str
    node: cst.Decorator
    call: cst.Call | None

    @property
    def last(self) -> str:
        return self.qualified.rsplit(".", 1)[-1]

    @property
    def receiver(self) -> str | None:
        """``$.app`` for ``@app.task``: the object the decorator is an attribute of."""
        return self.qualified.rsplit(".", 1)[0] if "." in self.qualified else None


def decorators(ctx: FileContext, function: FunctionInfo | cst.ClassDef) -> Iterator[Decorator]:
    node = function.node if isinstance(function, FunctionInfo) else function
    for decorator in node.decorators:
        expression = decorator.decorator
        call = expression if isinstance(expression, cst.Call) else None
        qualified = ctx.qualify(call.func if call else expression)
        if qualified:
            yield Decorator(qualified, decorator, call)


class BodyVisitor(cst.CSTVisitor):
    """Visits one function body as the job runs it.

    Nested functions, classes and lambdas are their own scopes: a ``raise`` or ``self.retry``
    there is not this job's. ``handlers`` holds the ``except`` clauses around the node being
    visited, innermost last, so a finding knows which failures lead to it.
    """

    def __init__(self) -> None:
        self.handlers: list[cst.ExceptHandler | cst.ExceptStarHandler] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.handlers.append(node)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.handlers.pop()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.handlers.append(node)

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        self.handlers.pop()


def call_shape(ctx: FileContext, expression: cst.BaseExpression) -> CallShape:
    """Where a call's (or a bare decorator's) arguments are, for fixes that add keywords."""
    if not isinstance(expression, cst.Call):
        return CallShape(ctx.span(expression), called=False, args_end=None, has_args=False)
    args = [a for a in expression.args]
    if args:
        # The Arg's span includes a parenthesised value's parentheses (the value's does not)
        # and stops before a trailing comma: a new ", key=value" goes right there.
        last = ctx.span(args[-1])
        args_end = Span(last.end_line, last.end_column, last.end_line, last.end_column)
    else:
        func = ctx.span(expression.func)
        # "(" follows the function expression (possibly after whitespace we do not model):
        # insert right after it.
        column = func.end_column + 1 + len(ctx.code(expression.whitespace_after_func))
        args_end = Span(func.end_line, column, func.end_line, column)
    keyword_spans = tuple((a.keyword.value, ctx.span(a)) for a in args if a.keyword is not None)
    return CallShape(ctx.span(expression), True, args_end, bool(args), keyword_spans)


def keyword_options(ctx: FileContext, call: cst.Call | None) -> tuple[tuple[str, Located], ...]:
    if call is None:
        return ()
    return tuple(
        (arg.keyword.value, ctx.locate(arg.value)) for arg in call.args if arg.keyword is not None
    )


PARTIAL = frozenset({"functools.partial"})


def invoked(ctx: FileContext, call: cst.Call) -> cst.Call:
    """The call as it will run, seeing through ``functools.partial``.

    ``partial(queue.enqueue, func, job_id=...)`` handed to ``transaction.on_commit`` is how
    Django projects enqueue after the commit (netbox): an enqueue of ``func`` all the same. The
    result is a new node: take positions from ``call``, not from it.
    """
    func = call.func
    named_partial = (isinstance(func, cst.Name) and func.value == "partial") or (
        isinstance(func, cst.Attribute) and func.attr.value == "partial"
    )  # checked first: this runs for every call of every file
    if named_partial and call.args and ctx.qualify(func) in PARTIAL:
        first = call.args[0]
        if first.keyword is None and not first.star:
            return call.with_changes(func=first.value, args=call.args[1:])
    return call


def invocation_keywords(ctx: FileContext, call: cst.Call) -> tuple[tuple[str, Located], ...]:
    """Keyword arguments of a call that invokes a job, with ``**spread`` kept under ``"**"``.

    A spread dict can carry any option (``queue.enqueue(f, **params)`` with a ``retry`` key), so
    an adapter must read the options it does not see as unknown, not as absent.
    """
    keywords = list(keyword_options(ctx, call))
    keywords.extend(("**", ctx.locate(arg.value)) for arg in call.args if arg.star == "**")
    return tuple(keywords)


def positional_args(ctx: FileContext, call: cst.Call) -> tuple[Located, ...]:
    return tuple(ctx.locate(arg.value) for arg in call.args if arg.keyword is None and not arg.star)


def no_retry_policy(
    origin: str, *, redelivery: Sourced[bool | Marker] | None = None
) -> RetryPolicy:
    """The policy of a job that never retries by itself (Celery without autoretry, RQ without
    ``Retry``, Huey ``retries=0``): one attempt."""
    return RetryPolicy(
        retries=default(False, origin),
        max_attempts=default(1, origin),
        delay=default(NO_DELAY, origin),
        deadline=default(None, origin),
        retry_on=default((), origin),
        permanent=default((), origin),
        redelivery=redelivery or default(False, origin),
    )


def retries_flag(attempts: Sourced[int | Marker]) -> Sourced[bool | Marker]:
    """Whether a policy retries, derived from its attempts: more than one, unbounded, or unknown."""
    value = attempts.value
    if value is UNKNOWN:
        flag: bool | Marker = UNKNOWN
    else:
        flag = not (isinstance(value, int) and value <= 1)
    return Sourced(flag, attempts.source, attempts.origin, attempts.span, attempts.path)


def make_policy(
    *,
    max_attempts: Sourced[int | Marker],
    delay: Sourced[Delay],
    deadline: Sourced[SecondsValue],
    retry_on: Sourced[ExceptionsValue],
    permanent: Sourced[tuple[str, ...]] | None = None,
    redelivery: Sourced[bool | Marker] | None = None,
    retries: Sourced[bool | Marker] | None = None,
) -> RetryPolicy:
    return RetryPolicy(
        retries=retries or retries_flag(max_attempts),
        max_attempts=max_attempts,
        delay=delay,
        deadline=deadline,
        retry_on=retry_on,
        permanent=permanent or default((), "none excluded"),
        redelivery=redelivery or default(False, "no redelivery"),
    )
