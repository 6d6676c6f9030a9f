"""The per-file phase: what one file says that the project phase will need.

It runs on every file of the project, most of which hold no job code, so it only records plain
facts and decides nothing that needs another module: where functions and methods are defined,
classes and their bases, queue getters, what ``enqueue*`` receivers are bound to, module-level
queues and other instances, ``@job`` decorators, the RQ calls ``frameworks.calls`` does not see,
exception handlers, and the shape of each ``Retry(...)``.
"""

from __future__ import annotations

import libcst as cst

from retrylint.collector import walk
from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallFact, ConfigFact, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import (
    call_shape,
    decorators,
    invocation_keywords,
    keyword_options,
    positional_args,
)
from retrylint.frameworks.rq.from_declarations import declared
from retrylint.frameworks.rq.records import (
    BINDINGS_KEY,
    DISABLE_DEFAULT_HANDLER,
    DJANGO_ENQUEUE,
    FRAMEWORK,
    GETTERS_KEY,
    QUEUE_METHODS,
    QUEUE_SUBCLASSES_KEY,
    RETRY_SHAPES_KEY,
    RQ_ROOTS,
    Binding,
    RetryArgument,
    RetryShape,
)
from retrylint.frameworks.rq.wrappers import record_wrappers
from retrylint.model import Span

# Calls that return an RQ queue.
QUEUE_FACTORIES = frozenset(
    {"rq.Queue", "rq.queue.Queue", "django_rq.get_queue", "django_rq.queues.get_queue"}
)
QUEUE_CLASSES = frozenset({"rq.Queue", "rq.queue.Queue"})
JOB_DECORATORS = {
    "rq.decorators.job": "rq",
    "django_rq.job": "django_rq",
    "django_rq.decorators.job": "django_rq",
}
JOB_CREATE = frozenset({"rq.job.Job.create", "rq.Job.create"})
WORKER_NAMES = frozenset({"Worker", "SimpleWorker", "SpawnWorker", "RoundRobinWorker"})


def extract(ctx: FileContext, sink: FactSink) -> None:
    sink.data.extend(declared(ctx.declarations()))
    _record_receiver_bindings(ctx, sink)
    _record_settings_handlers(ctx, sink)
    imports_rq = any(target.split(".", 1)[0] in RQ_ROOTS for target in ctx.imports.values())
    _record_queue_getters(ctx, sink, imports_rq)
    record_wrappers(ctx, sink)
    _record_retry_shapes(ctx, sink)
    if not imports_rq:
        return
    _record_queues(ctx, sink)
    _record_job_decorators(ctx, sink)
    _record_rq_calls(ctx, sink)


def _record_queue_getters(ctx: FileContext, sink: FactSink, imports_rq: bool) -> None:
    """Module-level functions that return an RQ queue (``def get_queue(): return Queue(...)``).

    What each ``return`` gives: ``("rq",)`` for an RQ queue (a queue factory call, directly or
    through a local name, or a ``-> rq.Queue`` annotation), ``("call", callee)`` for another
    function's result and ``("name", name)`` for a module-level name, decided in the project
    phase. Bodies are only read in files that import RQ, or of functions named like a queue
    getter: elsewhere a queue can only come from such a call.
    """
    found = []
    scopes: dict[int, dict[str, cst.BaseExpression]] | None = None
    for function in ctx.module_functions():
        returns: list[tuple[str, ...]] = []
        annotation = function.node.returns
        if annotation is not None and ctx.qualify(annotation.annotation) in QUEUE_CLASSES:
            returns.append(("rq",))
        if imports_rq or "queue" in function.name.lower():
            if scopes is None:
                scopes = local_assignments(ctx)
            local = scopes.get(id(function), {})
            for value in _returned_values(function.node):
                if isinstance(value, cst.Name) and value.value in local:
                    value = local[value.value]
                returns.append(_returned(ctx, value))
        returns = [item for item in returns if item[0] != "other"]
        if returns:
            found.append((function.name, tuple(dict.fromkeys(returns))))
    if found:
        sink.data.append((GETTERS_KEY, tuple(found)))


def _returned_values(node: cst.FunctionDef) -> list[cst.BaseExpression]:
    """The values of ``return`` statements in this function (not in nested functions)."""
    values: list[cst.BaseExpression] = []
    depth = [0]

    def enter_function(_: cst.FunctionDef) -> None:
        depth[0] += 1

    def leave_function(_: cst.FunctionDef) -> None:
        depth[0] -= 1

    def enter_return(statement: cst.Return) -> None:
        if depth[0] == 0 and statement.value is not None:
            values.append(statement.value)

    walk(
        node.body,
        {cst.FunctionDef: [enter_function], cst.Return: [enter_return]},
        {cst.FunctionDef: leave_function},
    )
    return values


def _returned(ctx: FileContext, value: cst.BaseExpression) -> tuple[str, ...]:
    if isinstance(value, cst.Call):
        callee = ctx.qualify(value.func)
        if callee is None:
            return ("other",)
        return ("rq",) if callee in QUEUE_FACTORIES else ("call", callee)
    if isinstance(value, cst.Name | cst.Attribute):
        name = ctx.qualify(value)
        if name is not None and "." in name:  # $.name, an imported name: not a local
            return ("name", name)
    return ("other",)


def _record_retry_shapes(ctx: FileContext, sink: FactSink) -> None:
    """Where the arguments of each ``retry=Retry(...)`` are, for fixes that edit them."""
    found = []
    for info in ctx.calls:
        for arg in info.node.args:
            if arg.keyword is None or arg.keyword.value != "retry":
                continue
            value = arg.value
            if not isinstance(value, cst.Call) or any(a.star for a in value.args):
                continue
            callee = ctx.qualify(value.func)
            if callee is None or callee.rsplit(".", 1)[-1] != "Retry":
                continue
            found.append((ctx.span(value), _retry_shape(ctx, value)))
    if found:
        sink.data.append((RETRY_SHAPES_KEY, tuple(found)))


def _retry_shape(ctx: FileContext, call: cst.Call) -> RetryShape:
    def argument(keyword: str, position: int) -> RetryArgument | None:
        chosen = next(
            (a for a in call.args if a.keyword is not None and a.keyword.value == keyword), None
        )
        if chosen is None:
            positional = [a for a in call.args if a.keyword is None]
            chosen = positional[position] if position < len(positional) else None
        if chosen is None:
            return None
        value = chosen.value
        elements = (
            tuple(ctx.code(element.value) for element in value.elements)
            if isinstance(value, cst.List | cst.Tuple)
            else None
        )
        return RetryArgument(ctx.span(value), ctx.code(value), elements)

    return RetryShape(call_shape(ctx, call), argument("max", 0), argument("interval", 1))


def _record_receiver_bindings(ctx: FileContext, sink: FactSink) -> None:
    """What the receiver of each ``x.enqueue*(...)`` is bound to, when this file says so."""
    locals_by_function: dict[int, dict[str, cst.BaseExpression]] | None = None
    found: list[tuple[Span, Binding]] = []
    for info in ctx.calls:
        func = info.node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in QUEUE_METHODS:
            continue
        receiver = func.value
        value: cst.BaseExpression | None = None
        if isinstance(receiver, cst.Call):
            value = receiver
        elif isinstance(receiver, cst.Name):
            if locals_by_function is None:
                locals_by_function = local_assignments(ctx)
            scope = locals_by_function.get(id(info.function)) if info.function else None
            if scope is not None and receiver.value in scope:
                value = scope[receiver.value]
            elif receiver.value in ctx.constants and receiver.value not in ctx.imports:
                value = ctx.constants[receiver.value]
        if value is None:
            continue
        found.append((ctx.span(info.node), _binding(ctx, value)))
    if found:
        sink.data.append((BINDINGS_KEY, tuple(found)))


def _binding(ctx: FileContext, value: cst.BaseExpression) -> Binding:
    if isinstance(value, cst.Call):
        return ("call", ctx.qualify(value.func), ctx.evaluate(value))
    if isinstance(value, cst.Name | cst.Attribute):
        return ("name", ctx.qualify(value), None)
    return ("other", None, None)


def local_assignments(ctx: FileContext) -> dict[int, dict[str, cst.BaseExpression]]:
    """Per function (by id of its FunctionInfo): local name -> the last value assigned to it."""
    scopes: dict[int, dict[str, cst.BaseExpression]] = {}
    for assignment in ctx.assignments:
        if assignment.function is None:
            continue
        for target in assignment.targets:
            if isinstance(target, cst.Name):
                scopes.setdefault(id(assignment.function), {})[target.value] = assignment.value
    return scopes


def _record_settings_handlers(ctx: FileContext, sink: FactSink) -> None:
    """django-rq's ``RQ_EXCEPTION_HANDLERS = ["path.to.handler"]`` setting."""
    value = ctx.constants.get("RQ_EXCEPTION_HANDLERS")
    if value is None or "RQ_EXCEPTION_HANDLERS" in ctx.imports:
        return
    located = ctx.locate(value)
    items = located.value if isinstance(located.value, tuple) else ()
    for item in items:
        if isinstance(item, str):
            sink.hooks.append(HookFact(FRAMEWORK, "exception_handler", item, located.span))


def _record_queues(ctx: FileContext, sink: FactSink) -> None:
    for name, value in ctx.constants.items():
        if (
            isinstance(value, cst.Call)
            and name not in ctx.imports
            and ctx.qualify(value.func) in QUEUE_FACTORIES
        ):
            sink.objects.append(
                ObjectFact(name, "rq-queue", FRAMEWORK, ctx.span(value), ctx.locate(value))
            )
    subclasses = tuple(
        info.qualname
        for info in ctx.classes.values()
        if any(ctx.qualify(base.value) in QUEUE_CLASSES for base in info.node.bases)
    )
    if subclasses:
        sink.data.append((QUEUE_SUBCLASSES_KEY, subclasses))


def _record_job_decorators(ctx: FileContext, sink: FactSink) -> None:
    for function in ctx.functions:
        for decorator in decorators(ctx, function):
            variant = JOB_DECORATORS.get(decorator.qualified)
            if variant is None:
                continue
            # Plain RQ needs the queue (and connection): a bare @rq.decorators.job turns the
            # function into a decorator object, not a job. django-rq's bare form means "default".
            if decorator.call is None and variant == "rq":
                continue
            sink.job_defs.append(_job_def(ctx, function, decorator.node, decorator.call, variant))


def _job_def(
    ctx: FileContext,
    function: FunctionInfo,
    node: cst.Decorator,
    call: cst.Call | None,
    variant: str,
) -> JobDef:
    options = list(keyword_options(ctx, call))
    if call is not None:
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if positional and not any(name == "queue" for name, _ in options):
            options.append(("queue", ctx.locate(positional[0])))
    return JobDef(
        function=function.qualname,
        name=None,
        kind="rq-job",
        span=ctx.span(function.node.name),
        framework=FRAMEWORK,
        decorator=call_shape(ctx, node.decorator),
        options=tuple(options),
        data=(("variant", variant), ("bare", call is None)),
    )


def _record_rq_calls(ctx: FileContext, sink: FactSink) -> None:
    """Calls ``frameworks.calls`` does not see: ``Job.create(f)``, plain ``enqueue(f)`` from
    django_rq, and worker exception handlers."""
    for info in ctx.calls:
        node = info.node
        qualified = ctx.qualify(node.func)
        if qualified is None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "push_exc_handler":
                _record_handlers(ctx, sink, [a.value for a in node.args if a.keyword is None])
            continue
        last = qualified.rsplit(".", 1)[-1]
        if qualified in JOB_CREATE or (
            qualified in DJANGO_ENQUEUE and isinstance(node.func, cst.Name)
        ):
            target = _first_argument_target(ctx, node)
            if target is None:
                continue
            method = "create" if qualified in JOB_CREATE else "enqueue"
            sink.calls.append(
                CallFact(
                    method=method,
                    target=target,
                    span=ctx.span(node),
                    receiver="rq.job.Job" if method == "create" else "django_rq",
                    args=positional_args(ctx, node),
                    keywords=invocation_keywords(ctx, node),
                    shape=call_shape(ctx, node),
                    function=info.function.qualname if info.function else None,
                    framework=FRAMEWORK,
                )
            )
        elif qualified.split(".", 1)[0] == "rq" and last in WORKER_NAMES:
            for arg in node.args:
                keyword = arg.keyword.value if arg.keyword is not None else None
                if keyword == "exception_handlers":
                    handlers = _literal(ctx, arg.value)
                    if isinstance(handlers, cst.List | cst.Tuple):
                        _record_handlers(ctx, sink, [e.value for e in handlers.elements])
                elif keyword == DISABLE_DEFAULT_HANDLER:
                    located = ctx.locate(arg.value)
                    sink.configs.append(ConfigFact(FRAMEWORK, DISABLE_DEFAULT_HANDLER, located))
        elif last == "push_exc_handler":
            _record_handlers(ctx, sink, [a.value for a in node.args if a.keyword is None])


def _literal(ctx: FileContext, node: cst.BaseExpression) -> cst.BaseExpression:
    """A module-level name's own expression (``HANDLERS = [...]``), else the node itself."""
    if isinstance(node, cst.Name) and node.value in ctx.constants and node.value not in ctx.imports:
        return ctx.constants[node.value]
    return node


def _record_handlers(ctx: FileContext, sink: FactSink, handlers: list[cst.BaseExpression]) -> None:
    for handler in handlers:
        target = ctx.qualify(handler) or ctx.code(handler)
        sink.hooks.append(HookFact(FRAMEWORK, "exception_handler", target, ctx.span(handler)))


def _first_argument_target(ctx: FileContext, node: cst.Call) -> str | None:
    expression: cst.BaseExpression | None = None
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in ("f", "func"):
            expression = arg.value
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    if expression is None and positional:
        expression = positional[0]
    if expression is None:
        return None
    if isinstance(expression, cst.SimpleString | cst.ConcatenatedString):
        value = expression.evaluated_value
        return value if isinstance(value, str) else None
    return ctx.qualify(expression)
