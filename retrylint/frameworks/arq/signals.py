"""The retry signal in a job body: each ``raise Retry(...)``, the ``except`` clause around it, and
the delay its ``defer`` asks for, read from how it uses the job's try counter
(``ctx["job_try"]``).
"""

from __future__ import annotations

from typing import Literal

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.frameworks.arq.records import RetrySignal
from retrylint.frameworks.common import BodyVisitor
from retrylint.model import NO_DELAY, Delay, Marker
from retrylint.values import as_seconds, exception_names, is_number

RETRY = frozenset({"arq.Retry", "arq.worker.Retry"})
JOB_TRY = "job_try"


class _SignalFinder(BodyVisitor):
    """``raise Retry(...)`` statements in one body, with the ``except`` clause around each."""

    def __init__(self, ctx: FileContext, job_try_names: set[str], ctx_param: str | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.job_try_names = job_try_names
        self.ctx_param = ctx_param
        self.signals: list[RetrySignal] = []

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        if exc is None:
            return
        call = exc if isinstance(exc, cst.Call) else None
        if self.ctx.qualify(call.func if call else exc) not in RETRY:
            return
        defer = None
        if call is not None:
            for arg in call.args:
                if arg.keyword is None or arg.keyword.value == "defer":
                    defer = arg.value
                    break
        self.signals.append(
            RetrySignal(
                span=self.ctx.span(node),
                code=self.ctx.code(node).strip(),
                delay=_defer_delay(self.ctx, defer, self),
                handled=self._handled(),
            )
        )

    def _handled(self) -> tuple[str, ...] | Literal["all"] | Marker | None:
        if not self.handlers:
            return None
        handler = self.handlers[-1]
        if handler.type is None:
            return "all"
        return exception_names(self.ctx.evaluate(handler.type))

    def is_job_try(self, node: cst.BaseExpression) -> bool:
        """``ctx['job_try']``, ``ctx.get('job_try')`` or a local name bound to one of them."""
        if isinstance(node, cst.Name):
            return node.value in self.job_try_names
        return _is_job_try_read(node, self.ctx_param)


def retry_signals(ctx: FileContext, function: FunctionInfo) -> tuple[RetrySignal, ...]:
    params = function.node.params
    positional = [*params.posonly_params, *params.params]
    ctx_param = positional[0].name.value if positional else None
    job_try_names = {
        target.value
        for assignment in ctx.assignments
        if assignment.function is function and _is_job_try_read(assignment.value, ctx_param)
        for target in assignment.targets
        if isinstance(target, cst.Name)
    }
    finder = _SignalFinder(ctx, job_try_names, ctx_param)
    function.node.body.visit(finder)
    return tuple(finder.signals)


def _is_job_try_read(node: cst.BaseExpression, ctx_param: str | None) -> bool:
    if ctx_param is None:
        return False
    match node:
        case cst.Subscript(
            value=cst.Name(value=name),
            slice=[cst.SubscriptElement(slice=cst.Index(value=cst.SimpleString() as key))],
        ):
            return name == ctx_param and key.evaluated_value == JOB_TRY
        case cst.Call(
            func=cst.Attribute(value=cst.Name(value=name), attr=cst.Name(value="get")),
            args=[first, *_],
        ) if isinstance(first.value, cst.SimpleString):
            return name == ctx_param and first.value.evaluated_value == JOB_TRY
    return False


def _defer_delay(ctx: FileContext, node: cst.BaseExpression | None, finder: _SignalFinder) -> Delay:
    """The delay ``Retry(defer=...)`` asks for: constant, ``job_try * N`` linear, ``N ** job_try``
    exponential, ``min(..., cap)`` capped; anything else computed from ``job_try`` is custom."""
    if node is None:
        return NO_DELAY  # re-queued at once
    seconds = as_seconds(ctx.evaluate(node))
    if not isinstance(seconds, Marker):
        return NO_DELAY if seconds <= 0 else Delay("constant", seconds, seconds, False)
    match node:
        case cst.Call(func=cst.Name(value="min"), args=[first, second]):
            for inner, bound in ((first.value, second.value), (second.value, first.value)):
                cap = as_seconds(ctx.evaluate(bound))
                grown = _defer_delay(ctx, inner, finder)
                if not isinstance(cap, Marker) and grown.strategy in ("linear", "exponential"):
                    base = min(grown.base or 0.0, cap)
                    return Delay(grown.strategy, base, cap, False)
        case cst.BinaryOperation(operator=cst.Multiply(), left=left, right=right):
            for counter, factor in ((left, right), (right, left)):
                value = ctx.evaluate(factor)
                if finder.is_job_try(counter) and is_number(value):
                    return Delay("linear", float(value), None, False)  # type: ignore[arg-type]
        case cst.BinaryOperation(operator=cst.Power(), left=left, right=right):
            value = ctx.evaluate(left)
            if finder.is_job_try(right) and is_number(value):
                return Delay("exponential", float(value), None, False)  # type: ignore[arg-type]
    if _mentions_job_try(node, finder):
        return Delay("custom", None, None, None)
    return Delay("unknown")


def _mentions_job_try(node: cst.CSTNode, finder: _SignalFinder) -> bool:
    if isinstance(node, cst.BaseExpression) and finder.is_job_try(node):
        return True
    return any(_mentions_job_try(child, finder) for child in node.children)
