"""``retry_when`` predicates: what ``retry_when(retries, exception)`` is known to allow.

A lambda, or a function in the same file whose body is one ``return``, is read into a
``RetryWhen`` (attempts, retried and never-retried exceptions) where it is written, and recorded
as ``FileFacts.data`` keyed by the predicate's span; ``jobs`` looks it up for the actor that uses
it. A room of its own: a small evaluator of boolean conditions on the retry counter and the
exception, which nothing else in the adapter needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.model import UNBOUNDED, UNKNOWN, ExceptionsValue, Marker
from retrylint.values import exception_names, is_number

RETRY_WHEN_DATA = "dramatiq.retry_when"


@dataclass(frozen=True)
class RetryWhen:
    """What a ``retry_when(retries, exception)`` predicate is known to allow.

    ``attempts`` counts executions (``lambda n, e: n < 3`` allows 4: the predicate sees the number
    of retries so far, 0 on the first failure); UNBOUNDED when it can answer yes forever,
    UNKNOWN when we cannot tell. ``function`` names a predicate defined elsewhere.
    """

    attempts: int | Marker
    retry_on: ExceptionsValue
    permanent: tuple[str, ...] = ()
    function: str | None = None


def analyse_retry_when(ctx: FileContext, call: cst.Call, sink: FactSink) -> None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "retry_when":
            record_retry_when(ctx, arg.value, sink)


def record_retry_when(ctx: FileContext, expression: cst.BaseExpression, sink: FactSink) -> None:
    sink.data.append((RETRY_WHEN_DATA, (ctx.span(expression), _retry_when(ctx, expression))))


def _retry_when(ctx: FileContext, expression: cst.BaseExpression) -> RetryWhen:
    """Read a predicate: a lambda, or a function in this file whose body is one ``return``."""
    if isinstance(expression, cst.Lambda):
        return _predicate(ctx, expression.params, expression.body)
    if isinstance(expression, cst.Name):
        function = ctx.function(expression.value)
        if function is not None and expression.value not in ctx.imports:
            body = function.node.body.body
            if len(body) == 1 and isinstance(body[0], cst.SimpleStatementLine):
                statement = body[0].body[0]
                if isinstance(statement, cst.Return) and statement.value is not None:
                    found = _predicate(ctx, function.node.params, statement.value)
                    return replace(found, function=ctx.qualify(expression))
    return RetryWhen(UNKNOWN, UNKNOWN, function=ctx.qualify(expression))


def _predicate(ctx: FileContext, params: cst.Parameters, body: cst.BaseExpression) -> RetryWhen:
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    counter = names[0] if names else None
    error = names[1] if len(names) > 1 else None
    return _condition(ctx, body, counter, error)


def _condition(
    ctx: FileContext, node: cst.BaseExpression, counter: str | None, error: str | None
) -> RetryWhen:
    value = ctx.evaluate(node)
    if value is True or (is_number(value) and value):
        return RetryWhen(UNBOUNDED, "all")
    if value is False or value == 0 or value is None:
        return RetryWhen(1, ())
    match node:
        case cst.Comparison(
            left=left, comparisons=[cst.ComparisonTarget(operator=op, comparator=right)]
        ):
            return _counter_bound(ctx, left, op, right, counter)
        case cst.Call(func=cst.Name(value="isinstance"), args=[first, second]) if _is_name(
            first.value, error
        ):
            names = exception_names(ctx.evaluate(second.value))
            return RetryWhen(UNBOUNDED, names if isinstance(names, tuple) else UNKNOWN)
        case cst.UnaryOperation(operator=cst.Not(), expression=inner):
            found = _condition(ctx, inner, counter, error)
            if isinstance(found.retry_on, tuple) and found.attempts is UNBOUNDED:
                # "not isinstance(e, X)": everything but X, forever.
                return RetryWhen(UNBOUNDED, "all", permanent=found.retry_on)
            return RetryWhen(UNKNOWN, UNKNOWN)
        case cst.BooleanOperation(operator=cst.And(), left=left, right=right):
            return _both(
                _condition(ctx, left, counter, error), _condition(ctx, right, counter, error)
            )
        case cst.BooleanOperation(operator=cst.Or(), left=left, right=right):
            return _either(
                _condition(ctx, left, counter, error), _condition(ctx, right, counter, error)
            )
    return RetryWhen(UNKNOWN, UNKNOWN)


def _is_name(node: cst.BaseExpression, name: str | None) -> bool:
    return name is not None and isinstance(node, cst.Name) and node.value == name


def _counter_bound(
    ctx: FileContext,
    left: cst.BaseExpression,
    op: cst.BaseCompOp,
    right: cst.BaseExpression,
    counter: str | None,
) -> RetryWhen:
    """``retries < N`` allows N retries (N + 1 attempts); ``retries <= N`` one more."""
    if _is_name(right, counter):
        left, right = right, left
        flipped = {cst.GreaterThan: cst.LessThan, cst.GreaterThanEqual: cst.LessThanEqual}
        op_type = flipped.get(type(op))
    else:
        op_type = type(op)
    limit = ctx.evaluate(right)
    if not _is_name(left, counter) or not isinstance(limit, int) or isinstance(limit, bool):
        return RetryWhen(UNKNOWN, UNKNOWN)
    if op_type is cst.LessThan:
        return RetryWhen(max(limit, 0) + 1, "all")
    if op_type is cst.LessThanEqual:
        return RetryWhen(max(limit + 1, 0) + 1, "all")
    return RetryWhen(UNKNOWN, UNKNOWN)


def _both(a: RetryWhen, b: RetryWhen) -> RetryWhen:
    """``a and b``: bounded by the tighter bound; retries only what both retry."""
    bounds = [x.attempts for x in (a, b) if isinstance(x.attempts, int)]
    if bounds:
        attempts: int | Marker = min(bounds)
    elif a.attempts is UNBOUNDED and b.attempts is UNBOUNDED:
        attempts = UNBOUNDED
    else:
        attempts = UNKNOWN
    if a.retry_on == "all":
        retry_on = b.retry_on
    elif b.retry_on == "all":
        retry_on = a.retry_on
    elif isinstance(a.retry_on, tuple) and isinstance(b.retry_on, tuple):
        retry_on = tuple(name for name in a.retry_on if name in b.retry_on)
    else:
        retry_on = UNKNOWN
    return RetryWhen(attempts, retry_on, tuple(dict.fromkeys(a.permanent + b.permanent)))


def _either(a: RetryWhen, b: RetryWhen) -> RetryWhen:
    """``a or b``: as many attempts as the looser side; retries what either retries."""
    if UNBOUNDED in (a.attempts, b.attempts):
        attempts: int | Marker = UNBOUNDED
    elif isinstance(a.attempts, int) and isinstance(b.attempts, int):
        attempts = max(a.attempts, b.attempts)
    else:
        attempts = UNKNOWN
    if "all" in (a.retry_on, b.retry_on):
        retry_on: ExceptionsValue = "all"
    elif isinstance(a.retry_on, tuple) and isinstance(b.retry_on, tuple):
        retry_on = tuple(dict.fromkeys(a.retry_on + b.retry_on))
    else:
        retry_on = UNKNOWN
    return RetryWhen(attempts, retry_on)
