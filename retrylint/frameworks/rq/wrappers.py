"""Enqueue wrappers, per file: the functions that pass a parameter on as the job of an
``enqueue*`` call, and the calls that may go through one.

Wrappers are their own room because they are found in one file and called from any other: this
module records both ends, and ``sites`` joins them in the project phase.

Enqueue wrappers: a function (module-level or method) whose parameter P is passed, as it is, as
the job of an ``enqueue*`` call on an RQ queue is a wrapper (ckan's ``jobs.enqueue(fn, ...)``).
Only calls of functions named like an enqueue helper (enqueue, queue, job, task, async,
background, defer, schedule, submit, dispatch) or of a wrapper of the same file are read as
possible wrapper calls (the per-file phase must stay cheap).
"""

from __future__ import annotations

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import call_shape, decorators, invocation_keywords, invoked
from retrylint.frameworks.rq.records import (
    DJANGO_ENQUEUE,
    FRAMEWORK,
    QUEUE_METHODS,
    RQ_ROOTS,
    WRAPPER_CALLS_KEY,
    WRAPPER_NAME,
    WRAPPERS_KEY,
    WrapperDef,
)
from retrylint.values import Located


def record_wrappers(ctx: FileContext, sink: FactSink) -> None:
    """Enqueue wrappers (``def enqueue(fn, ...): get_queue().enqueue_call(func=fn, ...)``) and
    the calls that may go through one.

    A wrapper is a function that passes one of its parameters, as it is, as the job of an
    ``enqueue*`` call; whether that call is on an RQ queue is decided in the project phase. The
    calls recorded as possibly going through a wrapper (``jobs.enqueue(build, [1])``) are those
    of a function named like an enqueue helper (or of a wrapper of this file) with an argument
    that can name a job: an imported or module-level name, ``self.x``/``cls.x``, or a dotted
    string. Which function they call, and whether it is a wrapper, is decided in the project
    phase; a parameter handed on to another wrapper is not followed (one level of wrapping).
    """
    wrappers: list[WrapperDef] = []
    for info in ctx.calls:
        if info.function is None:
            continue
        invocation = invoked(ctx, info.node)  # partial(queue.enqueue, fn): positions from node
        method = _queue_method(ctx, invocation)
        if method is None:
            continue
        expression = _job_expression(invocation, method)
        if not isinstance(expression, cst.Name):
            continue
        wrapper = _wrapper_def(ctx, info.function, expression.value, info.node)
        if wrapper is not None:
            wrappers.append(wrapper)
    if wrappers:
        sink.data.append((WRAPPERS_KEY, tuple(wrappers)))
    local_wrappers = {wrapper.function.rsplit(".", 1)[-1] for wrapper in wrappers}
    calls = []
    for info in ctx.calls:
        node = info.node
        callee = ctx.qualify(node.func)
        if callee is None or callee.split(".", 1)[0] in RQ_ROOTS:
            continue
        last = callee.rsplit(".", 1)[-1]
        if not (WRAPPER_NAME.search(last.lower()) or last in local_wrappers):
            continue
        parameters = _parameter_names(info.function) if info.function else frozenset()
        if not any(_may_name_a_job(ctx, arg.value, parameters) for arg in node.args):
            continue
        positional: list[Located] = []
        for arg in node.args:
            if arg.star:
                break
            if arg.keyword is None:
                positional.append(ctx.locate(arg.value))
        fact = CallFact(
            method=last,
            target=None,
            span=ctx.span(node),
            receiver=callee,
            args=tuple(positional),
            keywords=invocation_keywords(ctx, node),
            shape=call_shape(ctx, node),
            function=info.function.qualname if info.function else None,
            framework=FRAMEWORK,
        )
        calls.append((fact, tuple(sorted(parameters))))
    if calls:
        sink.data.append((WRAPPER_CALLS_KEY, tuple(calls)))


def _queue_method(ctx: FileContext, node: cst.Call) -> str | None:
    """The RQ method a call may be: ``x.enqueue*(...)``, ``django_rq.enqueue(...)``."""
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in QUEUE_METHODS:
        return func.attr.value
    if isinstance(func, cst.Name) and ctx.qualify(func) in DJANGO_ENQUEUE:
        return "enqueue"
    return None


def _job_expression(node: cst.Call, method: str) -> cst.BaseExpression | None:
    """The argument that is the job, as ``frameworks.calls`` reads it."""
    keyword = "func" if method == "enqueue_call" else None
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in ("f", "func", keyword):
            return arg.value
    index = 1 if method in ("enqueue_in", "enqueue_at") else 0
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def _parameter_names(function: FunctionInfo) -> frozenset[str]:
    params = function.node.params
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return frozenset(names)


def _wrapper_def(
    ctx: FileContext, function: FunctionInfo, parameter: str, call: cst.Call
) -> WrapperDef | None:
    params = function.node.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    keyword_only = [p.name.value for p in params.kwonly_params]
    if parameter not in positional and parameter not in keyword_only:
        return None
    kind = "function"
    if function.class_name is not None:
        names = {d.qualified for d in decorators(ctx, function)}
        kind = (
            "staticmethod"
            if "staticmethod" in names
            else "classmethod"
            if "classmethod" in names
            else "method"
        )
        if kind != "staticmethod":
            positional = positional[1:]  # self / cls: bound at the call
    defaults = tuple(
        (p.name.value, ctx.locate(p.default))
        for p in (*params.posonly_params, *params.params, *params.kwonly_params)
        if p.default is not None
    )
    var_keyword = params.star_kwarg.name.value if isinstance(params.star_kwarg, cst.Param) else None
    return WrapperDef(
        function=function.qualname,
        parameter=parameter,
        index=positional.index(parameter) if parameter in positional else None,
        parameters=(*positional, *keyword_only),
        positional=len(positional),
        defaults=defaults,
        var_keyword=var_keyword,
        call_span=ctx.span(call),
        kind=kind,
    )


def _may_name_a_job(
    ctx: FileContext, expression: cst.BaseExpression, parameters: frozenset[str]
) -> bool:
    if isinstance(expression, cst.SimpleString | cst.ConcatenatedString):
        value = expression.evaluated_value
        return isinstance(value, str) and "." in value
    if not isinstance(expression, cst.Name | cst.Attribute):
        return False
    head: cst.BaseExpression = expression
    while isinstance(head, cst.Attribute):
        head = head.value
    if not isinstance(head, cst.Name):
        return False
    name = head.value
    if name in ("self", "cls"):
        return isinstance(expression, cst.Attribute)
    return name not in parameters and (name in ctx.imports or name in ctx.module_names)
