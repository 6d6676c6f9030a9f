"""Where a retry library applies in one file, and the ``Job`` made there: decorators that
resolve to the library (directly or through a module-level name bound to a call), names bound to
a retry object, ``for`` loops over one, calls wrapping a function; jobs anchored at a function
definition or at a statement or call, with unique qualnames.

A decorator applied as a call is the same policy on the function it is given:
``retry(stop=stop_after_attempt(3))(fetch)``, ``backoff.on_exception(...)(fetch)``,
``network_retry(fetch)`` (``applied_calls``). Stacked retries multiply: every attempt of the
outer one runs the inner one's attempts, so ``retry(stop=stop_after_attempt(3))(
retry(stop=stop_after_attempt(4))(fetch))`` calls ``fetch`` up to 12 times; the outer job's
``max_attempts`` says so (``stack_retries``), for calls and for decorators stacked on one
function, across libraries.

Shared by every retry-library adapter; ``Library`` is what each adapter tells them about itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo, LoopInfo
from retrylint.frameworks.common import call_shape
from retrylint.frameworks.retry_library.options import Option, Options, one_line
from retrylint.model import UNBOUNDED, UNKNOWN, Delay, FailureHook, Job, JobKind, RetryPolicy, Span

PolicyParts = tuple[RetryPolicy, tuple[FailureHook, ...], tuple[tuple[str, Any], ...]]


@dataclass(frozen=True)
class Library:
    """One retry library as the shared machinery sees it.

    ``bind`` binds a decorator expression's arguments (``None`` when the decorator cannot be
    used as written: ``@backoff.on_exception`` without arguments is a TypeError at import);
    ``policy`` reads the policy of bound options. Both take the decorator's qualified name
    (backoff's two decorators bind their positional arguments differently).
    """

    framework: str
    decorators: frozenset[str]
    bind: Callable[[FileContext, str, cst.BaseExpression], Options | None]
    policy: Callable[[FileContext, str, Options], PolicyParts]

    def imported(self, ctx: FileContext) -> bool:
        package = self.framework
        return any(t == package or t.startswith(package + ".") for t in ctx.imports.values())


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


# -- decorators applied as calls ----------------------------------------------------------------
def applied_calls(ctx: FileContext, library: Library, taken: set[str]) -> Iterator[Job]:
    """``retry(...)(fn)`` / ``on_exception(...)(fn)`` / ``network_retry(fn)``: a retry decorator
    of ``library`` applied by hand to the function it is given (through any retries stacked in
    between). Two on one line are told apart by column."""
    for info in ctx.calls:
        node = info.node
        decorator = node.func
        if isinstance(decorator, cst.Call):
            qualified = ctx.qualify(decorator.func)
        else:
            shared = module_call(ctx, decorator)
            if shared is None:
                continue
            qualified = ctx.qualify(shared.func)
            decorator = shared
        if qualified not in library.decorators:
            continue
        wrapped = next((a.value for a in node.args if a.keyword is None and not a.star), None)
        options = library.bind(ctx, qualified, decorator)
        if wrapped is None or options is None or _wraps_its_parameter(info.function, wrapped):
            continue
        policy, hooks, details = library.policy(ctx, qualified, options)
        details = (*details, ("decorator", options.shape))
        if isinstance(wrapped, cst.Call):
            details = (*details, ("wraps_call", ctx.span(wrapped)))
        function = _innermost(wrapped)
        job = wrapped_job(
            ctx, info.function, node, function, library.framework, policy, hooks, details
        )
        if job.qualname in taken:
            job = replace(job, qualname=f"{job.qualname}:{job.span.column}")
        taken.add(job.qualname)
        yield job


def _wraps_its_parameter(function: FunctionInfo | None, wrapped: cst.BaseExpression) -> bool:
    """``def db_retry(fn): return retry(...)(fn)``: a module-level wrapper, whose policy applies
    where it decorates (``shared``), not here."""
    if function is None or not function.is_module_level or not isinstance(wrapped, cst.Name):
        return False
    params = function.node.params.params
    return bool(params) and params[0].name.value == wrapped.value


def _innermost(wrapped: cst.BaseExpression) -> cst.BaseExpression:
    """``fetch`` in ``retry(...)(fetch)`` and in ``retry(...)(retry(...)(fetch))``."""
    while isinstance(wrapped, cst.Call) and isinstance(wrapped.func, cst.Call):
        inner = next((a.value for a in wrapped.args if a.keyword is None and not a.star), None)
        if inner is None:
            break
        wrapped = inner
    return wrapped


# -- stacked retries ------------------------------------------------------------------------------
def stack_retries(jobs: list[Job]) -> None:
    """Multiply the attempts of a retry wrapped around another (in place): a call wrapping a
    call that is itself a retry job, or the outer of two retry decorators on one function.

    Each adapter runs it after adding its jobs, so a stack across libraries is seen by the
    adapter that comes last; a job is multiplied once (its ``stacked_on`` detail)."""
    by_span = {(job.path, job.span): job for job in jobs}
    for position, job in enumerate(jobs):
        if job.detail("stacked_on") is not None:
            continue
        inner = _inner_retry(job, jobs, by_span)
        if inner is not None:
            jobs[position] = _multiplied(job, inner)


def _inner_retry(job: Job, jobs: list[Job], by_span: dict[tuple[str, Span], Job]) -> Job | None:
    wraps = job.detail("wraps_call")
    if isinstance(wraps, Span):
        return by_span.get((job.path, wraps))
    mine = _decorator_line(job)
    if job.kind != "decorated-function" or mine is None:
        return None
    below = [
        other
        for other in jobs
        if other is not job
        and other.kind == "decorated-function"
        and other.function == job.function
        and other.span == job.span
        and (line := _decorator_line(other)) is not None
        and line > mine
    ]
    return min(below, key=lambda other: _decorator_line(other) or 0, default=None)


def _decorator_line(job: Job) -> int | None:
    """The line of the job's own decorator on its function (None for a shared policy, whose
    decorator call is written elsewhere)."""
    shape = job.detail("decorator")
    if shape is None or job.detail("shared_policy") is not None or job.detail("wraps_call"):
        return None
    line: int = shape.span.line
    return line if line < job.span.line else None


def _multiplied(outer: Job, inner: Job) -> Job:
    mine, theirs = outer.policy.max_attempts, inner.policy.max_attempts
    if mine.value is UNBOUNDED or theirs.value is UNBOUNDED:
        value: int | Any = UNBOUNDED
    elif isinstance(mine.value, int) and isinstance(theirs.value, int):
        value = mine.value * theirs.value
    else:
        value = UNKNOWN
    origin = (
        f"{mine.origin}, around a {inner.framework} retry of {theirs.origin} "
        f"(line {inner.span.line}): every attempt runs all of its attempts, so they multiply"
    )
    policy = replace(outer.policy, max_attempts=replace(mine, value=value, origin=origin))
    outer_delay, inner_delay = outer.policy.delay, inner.policy.delay
    if outer_delay.value != inner_delay.value:  # the waits alternate: neither one is the pace
        jitter = outer_delay.value.jitter or inner_delay.value.jitter
        delay = Delay("custom", None, None, True if jitter else None)
        words = f"{outer_delay.origin} between rounds of {inner_delay.origin}"
        policy = replace(policy, delay=replace(outer_delay, value=delay, origin=words))
    return replace(outer, policy=policy, details=(*outer.details, ("stacked_on", inner.span)))
