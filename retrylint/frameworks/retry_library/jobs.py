"""Where a retry library applies in one file, and the ``Job`` made there: decorators that
resolve to the library (directly or through a module-level name bound to a call), names bound to
a retry object, ``for`` loops over one, calls wrapping a function; jobs anchored at a function
definition or at a statement or call, with unique qualnames.

Shared by every retry-library adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo, LoopInfo
from retrylint.frameworks.common import call_shape
from retrylint.frameworks.retry_library.options import Option, one_line
from retrylint.model import FailureHook, Job, JobKind, RetryPolicy, Span


@dataclass(frozen=True)
class Found:
    """A retry-library decorator on a function.

    ``expression`` holds the options: the decorator itself, or for ``@network_retry`` the call
    that module-level name is bound to (``network_retry = tenacity.retry(...)``).
    """

    qualified: str
    expression: cst.BaseExpression
    shared: str | None = None


def retry_decorators(
    ctx: FileContext, function: FunctionInfo, accepted: frozenset[str]
) -> Iterator[Found]:
    """The decorators of ``function`` that resolve to one of ``accepted`` (qualified names)."""
    for decorator in function.node.decorators:
        expression = decorator.decorator
        target = expression.func if isinstance(expression, cst.Call) else expression
        qualified = ctx.qualify(target)
        if qualified is None:
            continue
        if qualified in accepted:
            yield Found(qualified, expression)
            continue
        shared = module_call(ctx, target)
        if shared is not None and not isinstance(expression, cst.Call):
            inner = ctx.qualify(shared.func)
            if inner in accepted:
                yield Found(inner, shared, one_line(ctx.code(target)))


def module_call(ctx: FileContext, expression: cst.BaseExpression) -> cst.Call | None:
    """The call a module-level name is bound to (``network_retry = tenacity.retry(...)``)."""
    if not isinstance(expression, cst.Name) or expression.value in ctx.imports:
        return None
    value = ctx.constants.get(expression.value)
    return value if isinstance(value, cst.Call) else None


class Bindings:
    """What plain names are bound to in one file: ``r = Retrying(...)`` in a function or module.

    Built once per file (one pass over the assignments), so looking names up for every call and
    loop stays linear in the file's size. The last assignment in a function wins; a name not
    assigned in the function falls back to the module level.
    """

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.local: dict[tuple[int, str], cst.BaseExpression] = {}
        for assignment in ctx.assignments:
            if assignment.function is None:
                continue
            for target in assignment.targets:
                if isinstance(target, cst.Name):
                    self.local[(id(assignment.function), target.value)] = assignment.value

    def call(
        self, expression: cst.BaseExpression, function: FunctionInfo | None
    ) -> cst.Call | None:
        """The call ``expression`` is, or the call the name ``expression`` is bound to."""
        if isinstance(expression, cst.Call):
            return expression
        if not isinstance(expression, cst.Name):
            return None
        if function is not None:
            found = self.local.get((id(function), expression.value))
            if found is not None:
                return found if isinstance(found, cst.Call) else None
        return module_call(self.ctx, expression)


def function_job(
    ctx: FileContext,
    function: FunctionInfo,
    framework: str,
    policy: RetryPolicy,
    hooks: tuple[FailureHook, ...],
    details: tuple[tuple[str, Any], ...],
    qualname: str | None = None,
) -> Job:
    return Job(
        name=function.name,
        qualname=qualname or function.qualname,
        framework=framework,
        kind="decorated-function",
        path=ctx.path,
        span=ctx.span(function.node.name),
        policy=policy,
        failure_hooks=hooks,
        function=function.qualname,
        details=details,
    )


def site_job(
    ctx: FileContext,
    *,
    name: str,
    qualname: str,
    framework: str,
    kind: JobKind,
    span: Span,
    function: str | None,
    policy: RetryPolicy,
    hooks: tuple[FailureHook, ...],
    details: tuple[tuple[str, Any], ...],
) -> Job:
    """A job anchored at a statement or call rather than a function definition."""
    return Job(
        name=name,
        qualname=qualname,
        framework=framework,
        kind=kind,
        path=ctx.path,
        span=span,
        policy=policy,
        failure_hooks=hooks,
        function=function,
        details=details,
    )


def loop_header(ctx: FileContext, loop: cst.For) -> Span:
    """``for attempt in Retrying(...)``: from ``for`` (or ``async``) to the end of the iterable."""
    start = ctx.span(loop)
    end = ctx.span(loop.iter)
    return Span(start.line, start.column, end.end_line, end.end_column)


def retry_loops(ctx: FileContext, bindings: Bindings) -> Iterator[tuple[LoopInfo, cst.Call]]:
    """Every ``for`` loop with the call (or the name bound to it) it iterates over."""
    for loop in ctx.loops:
        node = loop.node
        if not isinstance(node, cst.For):
            continue
        call = bindings.call(node.iter, loop.function)
        if call is not None:
            yield loop, call


def block_qualname(function: FunctionInfo | None, tag: str, line: int) -> str:
    return f"{function.qualname if function else '<module>'}#{tag}@{line}"


def hook(option: Option | None, kind: str, every_attempt: bool) -> tuple[FailureHook, ...]:
    if option is None or option.value.value is None:
        return ()
    return (FailureHook(kind, one_line(option.value.code), option.span, every_attempt),)


def dedupe_qualname(job: Job, taken: set[str]) -> Job:
    """Two retry decorators on one function (tenacity over backoff): keep qualnames unique."""
    if job.qualname in taken:
        job = replace(job, qualname=f"{job.qualname}#{job.framework}")
    taken.add(job.qualname)
    return job


def wrapped_job(
    ctx: FileContext,
    enclosing: FunctionInfo | None,
    call: cst.Call,
    wrapped: cst.BaseExpression,
    framework: str,
    policy: RetryPolicy,
    hooks: tuple[FailureHook, ...],
    details: tuple[tuple[str, Any], ...],
) -> Job:
    span = ctx.span(call)
    target = local_function(ctx, wrapped, enclosing)
    return site_job(
        ctx,
        name=one_line(ctx.code(wrapped)),
        qualname=block_qualname(enclosing, "retry-call", span.line),
        framework=framework,
        kind="decorated-function",
        span=span,
        function=target.qualname if target else None,
        policy=policy,
        hooks=hooks,
        details=(*details, ("policy_call", call_shape(ctx, call))),
    )


def local_function(
    ctx: FileContext, expression: cst.BaseExpression, enclosing: FunctionInfo | None
) -> FunctionInfo | None:
    """The function of this file a name refers to: nested in ``enclosing``, or module-level."""
    if not isinstance(expression, cst.Name):
        return None
    scope = enclosing
    while scope is not None:
        found = ctx.function(f"{scope.qualname}.{expression.value}")
        if found is not None:
            return found
        scope = scope.parent
    found = ctx.function(expression.value)
    return found if found is not None and found.is_module_level else None
