"""RQ (and django-rq): jobs are plain functions; their retry policy is set where they are enqueued.

What is an RQ job here: a function passed to ``enqueue`` / ``enqueue_call`` / ``enqueue_in`` /
``enqueue_at`` / ``Queue.prepare_data`` (the items of ``enqueue_many``) on an RQ queue, or to
``rq.job.Job.create`` / ``django_rq.enqueue``, by reference or as a dotted string; and a function
decorated with ``rq.decorators.job(...)`` / ``django_rq.job`` (bare or called), whose
``.delay()`` / ``.enqueue()`` calls enqueue it with the decorator's options.

The invocation calls themselves are recorded framework-neutrally by ``frameworks.calls``; this
adapter decides which ``.enqueue*`` receivers are RQ queues. The receiver rule, in order:

1. an inline or local binding in the calling function: ``Queue(...).enqueue(f)``,
   ``q = django_rq.get_queue("high"); q.enqueue(f)`` -- a call of an RQ/django-rq API is a queue;
   a call of another class (CapWords name, e.g. ``Outbox()``, ``asyncio.Queue()``) is not; a
   local bound to anything else is undecided;
2. the receiver's qualified name: ``django_rq`` / ``rq.Queue`` (``Queue.prepare_data``) are RQ;
   a module-level name the project binds to ``Queue(...)`` (an ``rq-queue`` object, in any
   module) is RQ; one bound to another framework's object (a Huey instance) or to another class
   instance (``outbox = Outbox()``) is not;
   a receiver that is a project module (``jobs.enqueue(f)``: a function) or a project class
   (``Job.enqueue(f)``: its own classmethod, netbox; also a CapWords name from a project module
   that a star import hides) is not; nor is ``self.enqueue(f)`` / ``cls.enqueue(f)`` when the
   class, or a project base class, defines ``enqueue``;
3. a call of a project function that returns an RQ queue (a *queue getter*: it returns
   ``rq.Queue(...)`` directly or through a local name, a module-level queue, another getter's
   result, or is annotated ``-> rq.Queue``; ckan's ``get_queue``) is RQ in any file; one whose
   returns are all something else (``asyncio.Queue()``, ``Outbox()``) is not. Function bodies are
   read in files that import RQ and, elsewhere, for functions named like ``*queue*``;
4. undecided receivers (``self.queue``, parameters, other helpers' results) are taken as RQ only
   when the calling file imports ``rq`` or ``django_rq``.

Enqueue wrappers: a function (module-level or method) whose parameter P is passed, as it is, as
the job of an ``enqueue*`` call on an RQ queue is a wrapper (ckan's ``jobs.enqueue(fn, ...)``).
P is not a job; each call of the wrapper in the project (through imports and re-exports,
``self.x`` / ``cls.x`` methods, positional or keyword) is an enqueue site of the function it
passes as P. The wrapper's own options apply there; options the wrapper forwards from its
parameters take the call's argument, else the parameter's default, else are unknown; a
``**spread`` in the wrapper makes the retry policy unknown, except the wrapper's own
``**kwargs`` when the caller spreads nothing (it then holds exactly the caller's extra
keywords). One level: a wrapper of a wrapper is not followed, and a call passing its own
parameter on is no site. Only calls of functions named like an enqueue helper (enqueue, queue,
job, task, async, background, defer, schedule, submit, dispatch) or of a wrapper of the same
file are read as possible wrapper calls (the per-file phase must stay cheap). The site's
``method`` says ``"<method> (enqueued through <wrapper>)"`` and ``Job.details["wrappers"]``
lists the wrappers.

Policies: ``retry=Retry(max=N, interval=...)`` at a site is that site's policy (N+1 attempts);
no ``retry=`` means one attempt. ``Job.policies`` lists every site; ``Job.policy`` is the worst
site (most attempts; UNBOUNDED, then UNKNOWN, rank worst). The job timeout is ``job_timeout=`` on
``enqueue``/``enqueue_in``/``enqueue_at`` and ``timeout=`` on ``enqueue_call``/``prepare_data``/
``Job.create``/``@job``; ``timeout=`` on ``enqueue`` is passed to the function (recorded as a
note, not a timeout). A job whose function is not defined in the project (a dotted string into a
library, ``obj.method`` of a local object) is still reported, located at its first enqueue site;
``self.send`` / ``cls.handle`` / ``Mailer.send`` resolve to the method the class (or a project base
class) defines, and the job is located at that ``def``.

For fixes, each ``retry=Retry(...)`` call's shape is recorded (``RetryShape``: its CallShape and
the spans and code of its ``max`` / ``interval`` values) in ``EnqueueSite.retry_shape`` and, for an
``@job`` decorator, ``Job.details["decorator_retry"]``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo, walk
from retrylint.facts import CallFact, CallShape, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import (
    call_shape,
    decorators,
    invocation_keywords,
    invoked,
    keyword_options,
    make_policy,
    no_retry_policy,
    positional_args,
)
from retrylint.frameworks.defaults import (
    RQ_FAILURE_TTL,
    RQ_JOB_TIMEOUT,
    RQ_RETRY_INTERVAL,
)
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    CallSite,
    Delay,
    DelayStrategy,
    FailureHook,
    Job,
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import CallValue, Located, Ref, Value, is_number

FRAMEWORK = "rq"
RQ_ROOTS = frozenset({"rq", "django_rq"})
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
RETRY_CLASSES = frozenset({"rq.Retry", "rq.job.Retry", "rq.retry.Retry"})
CALLBACK_CLASSES = frozenset({"rq.Callback", "rq.callbacks.Callback", "rq.job.Callback"})
JOB_CREATE = frozenset({"rq.job.Job.create", "rq.Job.create"})
DJANGO_ENQUEUE = frozenset({"django_rq.enqueue", "django_rq.queues.enqueue"})
WORKER_NAMES = frozenset({"Worker", "SimpleWorker", "SpawnWorker", "RoundRobinWorker"})
# Queue methods whose first (or second) argument is the job function.
QUEUE_METHODS = frozenset({"enqueue", "enqueue_call", "enqueue_in", "enqueue_at", "prepare_data"})
# The keyword that sets the job timeout, per way of creating a job (frameworks.md 2.2).
TIMEOUT_KEYWORD = {
    "enqueue": "job_timeout",
    "enqueue_in": "job_timeout",
    "enqueue_at": "job_timeout",
    "enqueue_call": "timeout",
    "prepare_data": "timeout",
    "create": "timeout",
    "decorator": "timeout",
}
_TIMEOUT_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DEF_LINE = re.compile(r"^(?:async[ \t]+)?def[ \t]+([^\W\d]\w*)", re.MULTILINE)

# sink.data keys (per file)
FUNCTIONS_KEY = "rq.functions"  # ((name, line, column), ...) of module-level functions
BINDINGS_KEY = "rq.receivers"  # ((call span, binding), ...) for enqueue* receivers
MODULE_BINDINGS_KEY = "rq.module-bindings"  # ((name, callee), ...) module-level `x = Class()`
QUEUE_SUBCLASSES_KEY = "rq.queue-classes"  # names of classes deriving from rq.Queue

CLASSES_KEY = "rq.classes"  # ((class qualname, bases, method names), ...)
GETTERS_KEY = "rq.queue-getters"  # ((function, returns), ...): see _record_queue_getters
WRAPPERS_KEY = "rq.wrappers"  # (WrapperDef, ...): functions passing a parameter as the job
WRAPPER_CALLS_KEY = "rq.wrapper-calls"  # ((CallFact, caller's parameters), ...)
RETRY_SHAPES_KEY = "rq.retry-shapes"  # ((span of the Retry call, RetryShape), ...)

_CLASS_LINE = re.compile(r"^class[ \t]+([^\W\d]\w*)", re.MULTILINE)
_METHOD_LINE = re.compile(r"^([ \t]+)(?:async[ \t]+)?def[ \t]+([^\W\d]\w*)", re.MULTILINE)
_TOP_LEVEL_LINE = re.compile(r"^[^\s#)\]}]", re.MULTILINE)
# Names of functions that may be enqueue helpers (``jobs.enqueue``, ``enqueue_job``,
# ``run_async``): only calls of these are read as possible wrapper calls, which keeps the
# per-file phase from resolving positions in files without job code.
_WRAPPER_NAME = re.compile(r"enqueue|queue|job|task|async|background|defer|schedul|submit|dispatch")
_MAX_DEPTH = 8

Binding = tuple[str, str | None, Value]  # ("call", callee, CallValue) / ("name", target, None)


@dataclass(frozen=True)
class RetryArgument:
    """One argument of a ``Retry(...)`` call: its value's span and code (and, for a list or
    tuple written in the call, each element's code)."""

    span: Span
    code: str
    elements: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RetryShape:
    """A ``Retry(...)`` call as written: where a fix inserts or replaces its arguments.

    ``max`` and ``interval`` are bound as Python binds them (keyword, else position 0 / 1).
    """

    shape: CallShape
    max: RetryArgument | None
    interval: RetryArgument | None


@dataclass(frozen=True)
class WrapperDef:
    """A function that passes its parameter ``parameter`` as the job of an ``enqueue*`` call.

    ``parameters`` are the names a caller binds, positional ones first (without ``self`` /
    ``cls`` for a method called on an instance or a class); ``positional`` how many of them can
    be given by position.
    """

    function: str
    parameter: str
    index: int | None
    parameters: tuple[str, ...]
    positional: int
    defaults: tuple[tuple[str, Located], ...]
    var_keyword: str | None
    call_span: Span
    kind: str  # function, method, classmethod, staticmethod


@dataclass(frozen=True)
class EnqueueSite:
    """Job.details["sites"] entry: what a fix or rule needs about one enqueue site."""

    path: str
    span: Span
    method: str
    shape: CallShape | None  # the enqueue call, or the @job decorator for .delay/.enqueue
    retry: Located | None  # the retry= value that applies (decorator's for .delay sites)
    timeout_passed_to_function: Located | None = None  # `timeout=` on enqueue (2.2 gotcha)
    notes: tuple[str, ...] = ()
    retry_shape: RetryShape | None = None  # where the Retry(...) call's arguments are
    wrapper: str | None = None  # the enqueue wrapper this site goes through


# ---------------------------------------------------------------------------------------------
# per-file phase
# ---------------------------------------------------------------------------------------------


def extract(ctx: FileContext, sink: FactSink) -> None:
    _record_function_lines(ctx, sink)
    _record_classes(ctx, sink)
    _record_receiver_bindings(ctx, sink)
    _record_module_bindings(ctx, sink)
    _record_settings_handlers(ctx, sink)
    imports_rq = any(target.split(".", 1)[0] in RQ_ROOTS for target in ctx.imports.values())
    _record_queue_getters(ctx, sink, imports_rq)
    _record_wrappers(ctx, sink)
    _record_retry_shapes(ctx, sink)
    if not imports_rq:
        return
    _record_queues(ctx, sink)
    _record_job_decorators(ctx, sink)
    _record_rq_calls(ctx, sink)


def _record_function_lines(ctx: FileContext, sink: FactSink) -> None:
    """Where module-level functions are defined, without resolving positions for the file.

    Any module-level function may be enqueued from another module, and most such files hold no
    other job code; a regex over ``def`` lines at column 0 is far cheaper than libcst positions.
    """
    names = {f.name for f in ctx.module_functions()}
    starts = ctx.line_starts()
    found: dict[str, tuple[str, int, int]] = {}
    for match in _DEF_LINE.finditer(ctx.source) if names else ():
        name = match.group(1)
        if name not in names:
            continue
        line = bisect.bisect_right(starts, match.start())
        column = match.start(1) - starts[line - 1] + 1
        found[name] = (name, line, column)  # the last definition wins, as in Python
    _find_method_lines(ctx, starts, found)
    if found:
        sink.data.append((FUNCTIONS_KEY, tuple(found.values())))


def _find_method_lines(
    ctx: FileContext, starts: list[int], found: dict[str, tuple[str, int, int]]
) -> None:
    """``Class.method`` of module-level classes, found the same cheap way: a method can be
    enqueued (``q.enqueue(self.send)``) and its job is located at its ``def``.

    A class's body runs from its ``class`` line to the next line that starts at column 0 (a
    closing bracket of a multi-line header does not count); its methods are the ``def`` lines
    with the body's (smallest) indentation there.
    """
    classes = {
        info.name: info
        for info in ctx.classes.values()
        if "." not in info.qualname and info.methods
    }
    if not classes:
        return
    for match in _CLASS_LINE.finditer(ctx.source):
        info = classes.get(match.group(1))
        if info is None:
            continue
        header_end = ctx.source.find("\n", match.end())
        if header_end < 0:
            continue
        following = _TOP_LEVEL_LINE.search(ctx.source, header_end + 1)
        end = following.start() if following else len(ctx.source)
        defs = [
            m
            for m in _METHOD_LINE.finditer(ctx.source, header_end + 1, end)
            if m.group(2) in info.methods
        ]
        if not defs:
            continue
        indent = min(len(m.group(1)) for m in defs)
        for method in defs:
            if len(method.group(1)) != indent:
                continue
            line = bisect.bisect_right(starts, method.start(2))
            column = method.start(2) - starts[line - 1] + 1
            name = f"{info.name}.{method.group(2)}"
            found[name] = (name, line, column)


def _record_classes(ctx: FileContext, sink: FactSink) -> None:
    """Every class's bases and method names: ``self.enqueue(f)`` in a class that defines (or
    inherits from a project class) ``enqueue`` calls that method, not an RQ queue."""
    found = tuple(
        (
            info.qualname,
            tuple(q for base in info.node.bases if (q := ctx.qualify(base.value)) is not None),
            tuple(info.methods),
        )
        for info in ctx.classes.values()
    )
    if found:
        sink.data.append((CLASSES_KEY, found))


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


def _record_wrappers(ctx: FileContext, sink: FactSink) -> None:
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
        if not (_WRAPPER_NAME.search(last.lower()) or last in local_wrappers):
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


def _record_module_bindings(ctx: FileContext, sink: FactSink) -> None:
    """Module-level ``name = SomeClass(...)``: a receiver imported from here is that class's."""
    found = []
    for name, value in ctx.constants.items():
        if isinstance(value, cst.Call) and name not in ctx.imports:
            callee = ctx.qualify(value.func)
            if callee and callee.rsplit(".", 1)[-1][:1].isupper():
                found.append((name, callee))
    if found:
        sink.data.append((MODULE_BINDINGS_KEY, tuple(found)))


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
                if (
                    arg.keyword is not None
                    and arg.keyword.value == "exception_handlers"
                    and isinstance(arg.value, cst.List | cst.Tuple)
                ):
                    _record_handlers(ctx, sink, [e.value for e in arg.value.elements])
        elif last == "push_exc_handler":
            _record_handlers(ctx, sink, [a.value for a in node.args if a.keyword is None])


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


# ---------------------------------------------------------------------------------------------
# project phase
# ---------------------------------------------------------------------------------------------


@dataclass
class _Site:
    """One enqueue site, before it becomes a CallSite with a policy."""

    module: ModuleFacts
    call: CallFact
    options: dict[str, Located]  # the options that apply: the call's, or the decorator's
    options_module: ModuleFacts  # where those options are written
    timeout_keyword: str
    queue_default: Sourced[SecondsValue] | None = None
    decorator: CallShape | None = None
    # For a call through an enqueue wrapper: options given at the call (forwarded to a wrapper
    # parameter) are written in the calling module, the wrapper's own in the wrapper's.
    option_modules: dict[str, ModuleFacts] = field(default_factory=dict)
    wrapper: str | None = None

    def where(self, key: str) -> ModuleFacts:
        return self.option_modules.get(key, self.options_module)


@dataclass
class _JobGroup:
    key: str
    sites: list[_Site] = field(default_factory=list)
    job_def: tuple[ModuleFacts, JobDef] | None = None


@dataclass(frozen=True)
class _Wrapper:
    """An enqueue wrapper found in the project: its definition and the RQ call inside it."""

    key: str  # canonical name of the wrapper function
    module: ModuleFacts
    definition: WrapperDef
    call: CallFact
    binding: Binding | None


class _Resolver:
    """Name resolution this adapter needs on top of the project index, with per-module caches."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self._classes: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        self._getters: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {}
        self._shapes: dict[str, dict[Span, RetryShape]] = {}

    def classes(self, module: ModuleFacts) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        found = self._classes.get(module.path)
        if found is None:
            found = {
                name: (bases, methods) for name, bases, methods in _data(module, CLASSES_KEY) or ()
            }
            self._classes[module.path] = found
        return found

    def getters(self, module: ModuleFacts) -> dict[str, tuple[tuple[str, ...], ...]]:
        found = self._getters.get(module.path)
        if found is None:
            found = dict(_data(module, GETTERS_KEY) or ())
            self._getters[module.path] = found
        return found

    def retry_shape(self, module: ModuleFacts, located: Located | None) -> RetryShape | None:
        if located is None:
            return None
        found = self._shapes.get(module.path)
        if found is None:
            found = dict(_data(module, RETRY_SHAPES_KEY) or ())
            self._shapes[module.path] = found
        return found.get(located.span)

    def project_class(self, canonical: str) -> tuple[ModuleFacts, str] | None:
        """(module, class qualname) when ``canonical`` names a class the project defines."""
        found = self.project.split(canonical)
        if found is not None and found[1] in self.classes(found[0]):
            return found
        return None

    def method(self, module: ModuleFacts, owner: str, name: str, depth: int = 0) -> str | None:
        """The canonical name of method ``name`` of class ``owner``, through project bases."""
        entry = self.classes(module).get(owner)
        if entry is None or depth > _MAX_DEPTH:
            return None
        bases, methods = entry
        if name in methods:
            return f"{module.module}.{owner}.{name}"
        for base in bases:
            found = self.project_class(self.project.canonical(base, module))
            if found is not None:
                resolved = self.method(found[0], found[1], name, depth + 1)
                if resolved is not None:
                    return resolved
        return None

    def enclosing_class(self, module: ModuleFacts, function: str | None) -> str | None:
        """The class a method belongs to, from the method's qualname."""
        if not function or "." not in function:
            return None
        owner = function.rsplit(".", 1)[0]
        return owner if owner in self.classes(module) else None

    def self_method(self, module: ModuleFacts, function: str | None, name: str) -> str | None:
        """``self.name`` / ``cls.name`` inside a method of a project class: the method's name."""
        head, _, attribute = name.partition(".")
        if head not in ("self", "cls") or not attribute or "." in attribute:
            return None
        owner = self.enclosing_class(module, function)
        return self.method(module, owner, attribute) if owner is not None else None

    def returned_name(self, module: ModuleFacts, callee: str | None) -> str | None:
        """The canonical module-level name a getter returns, when it returns only that."""
        if callee is None:
            return None
        canonical = self.project.canonical(callee, module)
        found = self.project.split(canonical)
        if found is None:
            return None
        returns = self.getters(found[0]).get(found[1])
        if returns is None or len(returns) != 1 or returns[0][0] != "name":
            return None
        return self.project.canonical(returns[0][1], found[0])

    def getter_verdict(self, canonical: str, depth: int) -> bool | None:
        """Whether a project function returns an RQ queue: True, False (it returns something
        else, e.g. an ``asyncio.Queue``), or None (unknown)."""
        found = self.project.split(canonical)
        if found is None or depth > _MAX_DEPTH:
            return None
        owner, attribute = found
        returns = self.getters(owner).get(attribute)
        if not returns:
            return None
        verdicts: list[bool | None] = []
        for item in returns:
            if item[0] == "rq":
                return True
            if item[0] == "call":
                verdicts.append(_callee_verdict(self, owner, item[1], depth + 1))
            elif item[0] == "name":
                verdicts.append(_receiver_verdict(self, owner, item[1], None, depth + 1))
        if any(verdicts):
            return True
        return False if verdicts and all(v is False for v in verdicts) else None


def build_jobs(project: ProjectIndex) -> Iterator[Job]:
    resolver = _Resolver(project)
    groups: dict[str, _JobGroup] = {}
    decorated: dict[str, tuple[ModuleFacts, JobDef]] = {}
    for module, job_def in project.job_defs():
        if job_def.framework == FRAMEWORK and job_def.kind == "rq-job":
            key = f"{module.module}.{job_def.function}"
            decorated[key] = (module, job_def)
            groups.setdefault(key, _JobGroup(key)).job_def = (module, job_def)
    bindings = {module.path: _data(module, BINDINGS_KEY) for module in project}
    wrappers = _find_wrappers(resolver, bindings)
    # The enqueue inside a wrapper enqueues its parameter, not a job; a call of a wrapper is
    # that wrapper's site, whatever frameworks.calls made of it.
    handled = {(w.module.path, w.call.span) for found in wrappers.values() for w in found}
    for key, found in _wrapper_sites(resolver, wrappers):
        groups.setdefault(key, _JobGroup(key)).sites.append(found)
        handled.add((found.module.path, found.call.span))
    for module, call in project.calls():
        if (module.path, call.span) in handled:
            continue
        try:
            site = _site(resolver, module, call, decorated, bindings.get(module.path) or ())
        except Exception:  # an odd shape in one call never stops the project phase
            site = None
        if site is None:
            continue
        key, found = site
        groups.setdefault(key, _JobGroup(key)).sites.append(found)
    handlers = [
        FailureHook("exception_handler", hook.target, hook.span, every_attempt=True)
        for _, hook in project.hooks(FRAMEWORK)
        if hook.kind == "exception_handler"
    ]
    for group in groups.values():
        if group.sites or group.job_def is not None:
            yield _job(resolver, group, handlers)


def _data(module: ModuleFacts, key: str) -> Any:
    return next((value for name, value in module.facts.data if name == key), None)


def _site(
    resolver: _Resolver,
    module: ModuleFacts,
    call: CallFact,
    decorated: dict[str, tuple[ModuleFacts, JobDef]],
    bindings: tuple[tuple[Span, Binding], ...],
) -> tuple[str, _Site] | None:
    project = resolver.project
    method = call.method
    if method not in QUEUE_METHODS and method not in ("delay", "create"):
        return None
    if method in ("delay", "enqueue"):
        # f.delay(...) / f.enqueue(...) on an @job function: the receiver (or, when the first
        # argument was not a name, the target) is the function.
        named = call.receiver if method == "enqueue" and call.receiver else call.target
        if named is not None and call.framework is None:
            key = project.canonical(named, module)
            if key in decorated:
                def_module, job_def = decorated[key]
                return key, _decorated_site(module, call, def_module, job_def)
        if method == "delay":
            return None
    if call.target is None:
        return None
    binding: Binding | None = None
    if call.framework == FRAMEWORK:
        pass  # recorded by this adapter: Job.create(f), django_rq's plain enqueue(f)
    elif method == "create":
        return None
    else:
        binding = next((b for span, b in bindings if span == call.span), None)
        if call.receiver is None and binding is None:
            return None  # x.enqueue(<not a name>): x is the call's target, not a queue
        if not _is_rq_receiver(resolver, module, call, binding):
            return None
    key = _job_key(resolver, module, call)
    options = dict(call.keywords)
    return key, _Site(
        module,
        call,
        options,
        module,
        TIMEOUT_KEYWORD.get(method, "job_timeout"),
        queue_default=_queue_default(resolver, module, call, binding),
    )


def _decorated_site(
    module: ModuleFacts, call: CallFact, def_module: ModuleFacts, job_def: JobDef
) -> _Site:
    return _Site(
        module,
        call,
        dict(job_def.options),
        def_module,
        TIMEOUT_KEYWORD["decorator"],
        decorator=job_def.decorator,
    )


# -- enqueue wrappers ----------------------------------------------------------------------------


def _find_wrappers(resolver: _Resolver, bindings: dict[str, Any]) -> dict[str, list[_Wrapper]]:
    """Functions whose parameter is the job of an ``enqueue*`` call on an RQ queue."""
    found: dict[str, list[_Wrapper]] = {}
    for module in resolver.project:
        definitions = _data(module, WRAPPERS_KEY)
        if not definitions:
            continue
        calls = {call.span: call for call in module.facts.calls if call.method in QUEUE_METHODS}
        for definition in definitions:
            call = calls.get(definition.call_span)
            if call is None:
                continue
            binding = next(
                (b for span, b in bindings.get(module.path) or () if span == call.span), None
            )
            if call.framework != FRAMEWORK:
                if call.receiver is None and binding is None:
                    continue
                if not _is_rq_receiver(resolver, module, call, binding):
                    continue
            key = f"{module.module}.{definition.function}"
            found.setdefault(key, []).append(_Wrapper(key, module, definition, call, binding))
    return found


def _wrapper_sites(
    resolver: _Resolver, wrappers: dict[str, list[_Wrapper]]
) -> Iterator[tuple[str, _Site]]:
    if not wrappers:
        return
    for module in resolver.project:
        for fact, parameters in _data(module, WRAPPER_CALLS_KEY) or ():
            callee, shift = _wrapper_callee(resolver, module, fact)
            for wrapper in wrappers.get(callee or "", ()):
                try:
                    site = _wrapper_site(resolver, module, fact, parameters, wrapper, shift)
                except Exception:  # an odd shape in one call never stops the project phase
                    site = None
                if site is not None:
                    yield site


def _wrapper_callee(
    resolver: _Resolver, module: ModuleFacts, fact: CallFact
) -> tuple[str | None, int]:
    """The canonical name of the function a call calls, and how many leading positional
    arguments bind ``self`` (1 for ``Class.method(obj, ...)``)."""
    name = fact.receiver or ""
    method = resolver.self_method(module, fact.function, name)
    if method is not None:
        return method, 0
    canonical = resolver.project.canonical(name, module)
    owner, _, _ = canonical.rpartition(".")
    return canonical, 1 if resolver.project_class(owner) is not None else 0


def _wrapper_site(
    resolver: _Resolver,
    module: ModuleFacts,
    fact: CallFact,
    caller_parameters: tuple[str, ...],
    wrapper: _Wrapper,
    shift: int,
) -> tuple[str, _Site] | None:
    definition = wrapper.definition
    if definition.kind != "method":
        shift = 0  # Class.method(f) binds self only for a plain method
    given = _bound_argument(fact, definition, definition.parameter, shift)
    if given is None:
        return None
    value = given.value
    if isinstance(value, str):
        target, is_string = value, True
    elif isinstance(value, Ref):
        target, is_string = value.name, False
        if target in caller_parameters:
            return None  # a wrapper of a wrapper: one level is followed
    else:
        return None
    options: dict[str, Located] = {}
    modules: dict[str, ModuleFacts] = {}
    parameters = set(definition.parameters)
    defaults = dict(definition.defaults)
    for name, located in wrapper.call.keywords:
        forwarded = located.value
        if name == "**" and isinstance(forwarded, Ref) and forwarded.name == definition.var_keyword:
            # **kwargs of the wrapper: exactly the keywords the caller gives beyond the
            # wrapper's own parameters (or unknown when the caller spreads a dict itself).
            for key, item in fact.keywords:
                if key not in parameters:
                    options.setdefault(key, item)
                    modules.setdefault(key, module)
            continue
        if name != "**" and isinstance(forwarded, Ref) and forwarded.name in parameters:
            argument = _bound_argument(fact, definition, forwarded.name, shift)
            if argument is not None:
                options[name], modules[name] = argument, module
                continue
            if forwarded.name in defaults:
                options[name], modules[name] = defaults[forwarded.name], wrapper.module
                continue
        options.setdefault(name, located)
        modules.setdefault(name, wrapper.module)
    call = CallFact(
        method=wrapper.call.method,
        target=target,
        span=fact.span,
        receiver=fact.receiver,
        args=fact.args,
        keywords=fact.keywords,
        shape=fact.shape,
        function=fact.function,
        framework=FRAMEWORK,
    )
    key = _job_key(resolver, module, call, is_string)
    return key, _Site(
        module,
        call,
        options,
        wrapper.module,
        TIMEOUT_KEYWORD.get(wrapper.call.method, "job_timeout"),
        queue_default=_queue_default(resolver, wrapper.module, wrapper.call, wrapper.binding),
        option_modules=modules,
        wrapper=wrapper.key,
    )


def _bound_argument(
    fact: CallFact, definition: WrapperDef, name: str, shift: int
) -> Located | None:
    """The argument a call gives for the wrapper parameter ``name``, as Python binds it."""
    located = fact.keyword(name)
    if located is not None:
        return located
    if name not in definition.parameters:
        return None
    index = definition.parameters.index(name)
    if index >= definition.positional:
        return None  # keyword-only
    index += shift
    return fact.args[index] if index < len(fact.args) else None


# -- receivers -----------------------------------------------------------------------------------


def _is_rq_receiver(
    resolver: _Resolver, module: ModuleFacts, call: CallFact, binding: Binding | None
) -> bool:
    if (
        binding is None
        and call.receiver is not None
        and resolver.self_method(module, call.function, f"{call.receiver}.{call.method}")
    ):
        return False  # self.enqueue(f) on a class that defines enqueue(): its own method
    verdict = _receiver_verdict(resolver, module, call.receiver, binding)
    if verdict is None:
        return any(target.split(".", 1)[0] in RQ_ROOTS for _, target in module.facts.imports)
    return verdict


def _receiver_verdict(
    resolver: _Resolver,
    module: ModuleFacts,
    receiver: str | None,
    binding: Binding | None,
    depth: int = 0,
) -> bool | None:
    project = resolver.project
    if binding is not None:
        kind, name, _ = binding
        if kind == "call":
            return _callee_verdict(resolver, module, name, depth)
        if kind != "name" or name is None:
            return None
        receiver = name
    if receiver is None:
        return None
    canonical = project.canonical(receiver, module)
    if canonical.split(".", 1)[0] in RQ_ROOTS:
        return True  # django_rq.enqueue(...), rq.Queue.prepare_data(...)
    found = project.object(receiver, module)
    if found is not None:
        return found[1].framework == FRAMEWORK
    if canonical in project.modules:
        return False  # jobs.enqueue(f): a function of a project module
    located = project.split(canonical)
    if located is not None:
        owner, attribute = located
        if attribute in (_data(owner, QUEUE_SUBCLASSES_KEY) or ()):
            return True  # MyQueue.prepare_data(...)
        if attribute in resolver.classes(owner):
            return False  # Job.enqueue(f): a classmethod of a project class (netbox)
        callee = dict(_data(owner, MODULE_BINDINGS_KEY) or ()).get(attribute)
        if callee is not None:
            return _callee_verdict(resolver, owner, callee, depth)
        if _is_class_name(attribute):
            # A CapWords name from a project module that does not say what it is (a star
            # import, `from .jobs import *`): a class, whose `enqueue` is its own method.
            return False
    return None


def _is_class_name(name: str) -> bool:
    return name[:1].isupper() and not name.isupper() and "." not in name


def _callee_verdict(
    resolver: _Resolver, module: ModuleFacts, callee: str | None, depth: int = 0
) -> bool | None:
    if callee is None:
        return None
    project = resolver.project
    canonical = project.canonical(callee, module)
    if canonical.split(".", 1)[0] in RQ_ROOTS:
        return True
    located = project.split(canonical)
    if located is not None:
        owner, attribute = located
        if attribute in (_data(owner, QUEUE_SUBCLASSES_KEY) or ()):
            return True
        getter = resolver.getter_verdict(canonical, depth)
        if getter is not None:
            return getter  # get_queue(): a project function returning a queue (or not)
        if attribute in resolver.classes(owner):
            return False  # an instance of a project class that is not a queue
    if canonical.rsplit(".", 1)[-1][:1].isupper():
        return False  # an instance of some other class: Outbox(), asyncio.Queue()
    return None  # a helper function's result: undecided


def _queue_default(
    resolver: _Resolver, module: ModuleFacts, call: CallFact, binding: Binding | None
) -> Sourced[SecondsValue] | None:
    """``Queue(..., default_timeout=N)`` where the queue's constructor is visible (also
    through a project getter that returns one module-level queue)."""
    project = resolver.project
    constructor: Value = None
    span: Span | None = None
    path: str | None = None
    receiver = call.receiver
    if binding is not None and binding[0] == "call":
        constructor = binding[2]
        span, path = call.span, module.path
        receiver = resolver.returned_name(module, binding[1])  # None unless a getter's call
    if receiver is not None:
        found = project.object(receiver, module)
        if found is not None and found[1].constructor is not None:
            owner, fact = found
            constructor, span, path = found[1].constructor.value, fact.span, owner.path
            module = owner
    if not isinstance(constructor, CallValue) or not constructor.has("default_timeout"):
        return None
    seconds = _timeout_seconds(project, module, constructor.kwarg("default_timeout"))
    if seconds is None:
        return None  # default_timeout=None: RQ's own default
    return Sourced(seconds, "app-config", "Queue(default_timeout=...)", span, path)


def _job_key(
    resolver: _Resolver, module: ModuleFacts, call: CallFact, is_string: bool | None = None
) -> str:
    project = resolver.project
    target = call.target or ""
    string = _target_is_string(call) if is_string is None else is_string
    if string or target.startswith(("$", ".")):
        return project.canonical(target, module)
    method = resolver.self_method(module, call.function, target)
    if method is not None:
        return method  # self.send / cls.handle: the method the class (or a base) defines
    head = target.split(".", 1)[0]
    roots = {value.split(".", 1)[0] for _, value in module.facts.imports}
    if head in roots:
        return project.canonical(target, module)
    # A local expression (self.process, a parameter) or a builtin: only meaningful in its module.
    return f"{module.module}:{target}"


def _target_is_string(call: CallFact) -> bool:
    located = [*call.args, *(value for name, value in call.keywords if name in ("f", "func"))]
    return any(isinstance(item.value, str) and item.value == call.target for item in located)


# -- the Job ------------------------------------------------------------------------------------


def _job(resolver: _Resolver, group: _JobGroup, handlers: list[FailureHook]) -> Job:
    project = resolver.project
    definition = _definition(project, group)
    if definition is not None:
        path, span, function = definition
        defined = True
    else:
        first = min(group.sites, key=lambda s: (s.module.path, s.call.span))
        path, span, function = first.module.path, first.call.span, None
        defined = False
    name = (function or group.key.rsplit(":", 1)[-1]).rsplit(".", 1)[-1]
    sites = sorted(group.sites, key=lambda s: (s.module.path, s.call.span))
    policies: list[tuple[CallSite, RetryPolicy]] = []
    limits: list[Sourced[SecondsValue]] = []
    hooks: list[FailureHook] = []
    details: list[EnqueueSite] = []
    for site in sites:
        call_site, policy, limit, site_hooks, detail = _call_site(resolver, site, path)
        policies.append((call_site, policy))
        limits.append(limit)
        hooks.extend(site_hooks)
        details.append(detail)
    job_def = group.job_def[1] if group.job_def else None
    if policies:
        policy = _worst(policies)
        time_limit: Sourced[SecondsValue] | None = _longest(limits)
    else:  # an @job function that is never enqueued in the project
        assert group.job_def is not None
        def_module, _ = group.job_def
        options = dict(job_def.options) if job_def else {}
        policy = _retry_policy(project, def_module, options.get("retry"), None)
        time_limit = _time_limit(project, def_module, "timeout", options.get("timeout"), None, None)
        hooks.extend(_hooks(project, def_module, options.get("on_failure"), None))
    unique_hooks = tuple(dict.fromkeys([*hooks, *handlers]))
    job_details: list[tuple[str, Any]] = [("defined_in_project", defined)]
    if job_def is not None and group.job_def is not None:
        job_details.append(("decorator", job_def.decorator))
        job_details.append(("variant", job_def.datum("variant")))
        retry_shape = resolver.retry_shape(group.job_def[0], job_def.option("retry"))
        job_details.append(("decorator_retry", retry_shape))
    job_details.append(("sites", tuple(details)))
    wrappers = tuple(dict.fromkeys(site.wrapper for site in sites if site.wrapper))
    if wrappers:
        job_details.append(("wrappers", wrappers))
    return Job(
        name=name,
        qualname=group.key,
        framework=FRAMEWORK,
        kind="rq-job",
        path=path,
        span=span,
        policy=policy,
        policies=tuple(policies),
        failure_hooks=unique_hooks,
        time_limit=time_limit,
        call_sites=tuple(site for site, _ in policies),
        function=function,
        details=tuple(job_details),
    )


def _definition(project: ProjectIndex, group: _JobGroup) -> tuple[str, Span, str] | None:
    if group.job_def is not None:
        module, job_def = group.job_def
        return module.path, job_def.span, job_def.function
    if ":" in group.key:
        return None
    found = project.split(group.key)
    if found is None:
        return None
    owner, attribute = found
    for name, line, column in _data(owner, FUNCTIONS_KEY) or ():
        if name == attribute:
            return owner.path, Span(line, column, line, column + len(name.rsplit(".", 1)[-1])), name
    return None


def _call_site(
    resolver: _Resolver, site: _Site, job_path: str
) -> tuple[CallSite, RetryPolicy, Sourced[SecondsValue], list[FailureHook], EnqueueSite]:
    project, options = resolver.project, site.options

    def shown(key: str) -> str | None:
        path = site.where(key).path
        return path if path != job_path else None

    retry = options.get("retry")
    spread = options.get("**")
    if retry is None and spread is not None:
        policy = _spread_policy(spread, shown("**"), site.wrapper)
    else:
        policy = _retry_policy(project, site.where("retry"), retry, shown("retry"))
    keyword = site.timeout_keyword
    if options.get(keyword) is None and spread is not None:
        # the spread dict may set the timeout as well (ckan's wrapper does, from its config)
        limit: Sourced[SecondsValue] = _sourced(
            UNKNOWN, f"**{spread.code} may carry {keyword}=", spread, shown("**")
        )
    else:
        limit = _time_limit(
            project,
            site.where(keyword),
            keyword,
            options.get(keyword),
            site.queue_default,
            shown(keyword),
        )
    failure_ttl = _failure_ttl(
        project, site.where("failure_ttl"), options.get("failure_ttl"), shown("failure_ttl")
    )
    hooks = _hooks(
        project, site.where("on_failure"), options.get("on_failure"), shown("on_failure")
    )
    call = site.call
    method = call.method
    if site.wrapper is not None:
        method = f"{method} (enqueued through {site.wrapper})"
    call_site = CallSite(
        path=site.module.path,
        span=call.span,
        method=method,
        target=call.target or "",
        keywords=tuple(options) if site.wrapper else tuple(name for name, _ in call.keywords),
        policy=policy,
        job_timeout=limit,
        failure_hooks=tuple(hook.target for hook in hooks),
        failure_ttl=failure_ttl,
    )
    misplaced = options.get("timeout") if keyword == "job_timeout" else None
    notes = list(_interval_notes(project, site.where("retry"), retry))
    if misplaced is not None:
        notes.append(
            f"timeout= on {call.method}() is passed to the job function, not a job timeout "
            "(use job_timeout=)"
        )
    if site.wrapper is not None:
        notes.append(f"enqueued through {site.wrapper}")
    detail = EnqueueSite(
        path=site.module.path,
        span=call.span,
        method=method,
        shape=site.decorator if site.decorator is not None else call.shape,
        retry=retry,
        timeout_passed_to_function=misplaced,
        notes=tuple(notes),
        retry_shape=resolver.retry_shape(site.where("retry"), retry),
        wrapper=site.wrapper,
    )
    return call_site, policy, limit, hooks, detail


# -- policy pieces ------------------------------------------------------------------------------


def _sourced(value: Any, origin: str, located: Located, path: str | None) -> Sourced[Any]:
    return Sourced(value, "explicit", origin, located.span, path)


def _resolve(project: ProjectIndex, module: ModuleFacts, value: Value) -> Value:
    """A Ref to a literal constant in another module becomes the constant."""
    if isinstance(value, Ref):
        return project.constant(value.name, module)
    if isinstance(value, tuple):
        return tuple(_resolve(project, module, item) for item in value)
    return value


def _spread_policy(spread: Located, path: str | None, wrapper: str | None = None) -> RetryPolicy:
    """``enqueue(f, **params)``: ``params`` may hold a ``retry`` key, so the policy is unknown."""
    origin = f"**{spread.code} may carry retry= (computed at run time)"
    if wrapper is not None:
        origin = f"**{spread.code} in {wrapper} may carry retry= (computed at run time)"
    return make_policy(
        max_attempts=_sourced(UNKNOWN, origin, spread, path),
        delay=_sourced(UNKNOWN_DELAY, origin, spread, path),
        deadline=default(None, "RQ: no total retry deadline"),
        retry_on=_sourced(UNKNOWN, origin, spread, path),
        redelivery=_sourced(UNKNOWN, origin, spread, path),
        retries=_sourced(UNKNOWN, origin, spread, path),
    )


def _retry_policy(
    project: ProjectIndex, module: ModuleFacts, retry: Located | None, path: str | None
) -> RetryPolicy:
    if retry is None:
        return no_retry_policy("no retry= (RQ default: retry=None, one attempt)")
    value = _resolve(project, module, retry.value)
    if value is None:
        origin = "retry=None (one attempt)"
        return make_policy(
            max_attempts=_sourced(1, origin, retry, path),
            delay=_sourced(NO_DELAY, origin, retry, path),
            deadline=default(None, "RQ: no total retry deadline"),
            retry_on=_sourced((), origin, retry, path),
            redelivery=_sourced(False, origin, retry, path),
        )
    if not (isinstance(value, CallValue) and _is_retry(project, module, value)):
        origin = f"retry={retry.code} (computed at run time)"
        return make_policy(
            max_attempts=_sourced(UNKNOWN, origin, retry, path),
            delay=_sourced(UNKNOWN_DELAY, origin, retry, path),
            deadline=default(None, "RQ: no total retry deadline"),
            retry_on=default("all", "any exception (RQ retries every failure when Retry is set)"),
            redelivery=_sourced(UNKNOWN, origin, retry, path),
        )
    maximum = _resolve(project, module, value.arg(0, "max"))
    if isinstance(maximum, int) and not isinstance(maximum, bool) and maximum >= 1:
        attempts: int | Marker = maximum + 1
        attempts_origin = f"Retry(max={maximum})"
    else:
        attempts, attempts_origin = UNKNOWN, f"Retry(max=...) in {retry.code}"
    max_attempts = _sourced(attempts, attempts_origin, retry, path)
    delay = _delay(project, module, value, attempts, retry, path)
    redelivery_value: bool | Marker = UNKNOWN if attempts is UNKNOWN else attempts > 1  # type: ignore[operator]
    return make_policy(
        max_attempts=max_attempts,
        delay=delay,
        deadline=default(None, "RQ: no total retry deadline"),
        retry_on=_sourced("all", f"{attempts_origin} (RQ retries on any exception)", retry, path),
        redelivery=_sourced(
            redelivery_value,
            f"{attempts_origin} (an abandoned job is retried while retries are left)",
            retry,
            path,
        ),
    )


def _is_retry(project: ProjectIndex, module: ModuleFacts, value: CallValue) -> bool:
    if value.func is None:
        return False
    canonical = project.canonical(value.func, module)
    # Only an RQ Retry makes sense as retry= of an RQ enqueue; accept an unresolvable `Retry`.
    return canonical in RETRY_CLASSES or canonical.rsplit(".", 1)[-1] == "Retry"


def _delay(
    project: ProjectIndex,
    module: ModuleFacts,
    value: CallValue,
    attempts: int | Marker,
    retry: Located,
    path: str | None,
) -> Sourced[Delay]:
    if not value.has("interval") and len(value.args) < 2:
        return default(NO_DELAY, f"interval={RQ_RETRY_INTERVAL:g} (RQ default: retried at once)")
    interval = _resolve(project, module, value.arg(1, "interval"))
    origin = f"Retry(interval={_show(interval)})"
    if is_number(interval):
        seconds = float(interval)  # type: ignore[arg-type]
        if seconds <= 0:
            return _sourced(Delay("none", 0.0, None, False), origin, retry, path)
        return _sourced(Delay("constant", seconds, seconds, False), origin, retry, path)
    if not isinstance(interval, tuple) or not interval or not all(map(is_number, interval)):
        return _sourced(UNKNOWN_DELAY, origin, retry, path)
    written = tuple(float(v) for v in interval)  # type: ignore[arg-type]
    if isinstance(attempts, int):
        schedule = effective_schedule(written, attempts - 1)
        base: float | None = schedule[0]
    else:
        schedule, base = written, None
    strategy = schedule_strategy(schedule)
    if strategy == "none":
        return _sourced(Delay("none", 0.0, None, False, schedule), origin, retry, path)
    return _sourced(Delay(strategy, base, max(written), False, schedule), origin, retry, path)


def effective_schedule(intervals: tuple[float, ...], retries: int) -> tuple[float, ...]:
    """The delay before each retry, as RQ indexes ``intervals`` (frameworks.md 2.1).

    Retry k (retries_left = retries - k) waits ``intervals[max(len - retries_left, 0)]``: a list
    shorter than ``max`` repeats its first value for the early retries; a longer one skips its
    first values.
    """
    return tuple(intervals[max(len(intervals) - (retries - k), 0)] for k in range(max(retries, 0)))


def schedule_strategy(schedule: tuple[float, ...]) -> DelayStrategy:
    """constant / linear / exponential when the list obviously is one, else custom."""
    if not schedule or all(v == 0 for v in schedule):
        return "none"
    if len(set(schedule)) == 1:
        return "constant"
    if len(schedule) >= 3:  # two values fit both a line and a curve: not obvious
        pairs = list(itertools.pairwise(schedule))
        steps = {round(b - a, 9) for a, b in pairs}
        if len(steps) == 1 and next(iter(steps)) > 0:
            return "linear"
        if schedule[0] > 0:
            ratios = {round(b / a, 9) for a, b in pairs}
            if len(ratios) == 1 and next(iter(ratios)) > 1:
                return "exponential"
    return "custom"


def _interval_notes(
    project: ProjectIndex, module: ModuleFacts, retry: Located | None
) -> Iterator[str]:
    if retry is None:
        return
    value = _resolve(project, module, retry.value)
    if not isinstance(value, CallValue) or not _is_retry(project, module, value):
        return
    maximum = _resolve(project, module, value.arg(0, "max"))
    interval = _resolve(project, module, value.arg(1, "interval", 0))
    if isinstance(interval, tuple) and isinstance(maximum, int) and all(map(is_number, interval)):
        written = tuple(float(v) for v in interval)  # type: ignore[arg-type]
        schedule = ", ".join(f"{v:g}" for v in effective_schedule(written, maximum))
        if len(written) < maximum:
            yield (
                f"interval list shorter than max={maximum}: RQ repeats the first value for the "
                f"early retries ({schedule} s)"
            )
        elif len(written) > maximum:
            yield (
                f"interval list longer than max={maximum}: RQ skips its first values ({schedule} s)"
            )
    values = interval if isinstance(interval, tuple) else (interval,)
    if any(is_number(v) and float(v) > 0 for v in values):  # type: ignore[arg-type]
        yield "retries with an interval wait in the ScheduledJobRegistry: workers need --with-scheduler"


def _show(value: Value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Ref):
        return value.last
    if isinstance(value, Marker) or not isinstance(value, int | float | str):
        return "..."
    return repr(value) if isinstance(value, str) else str(value)


def _timeout_seconds(project: ProjectIndex, module: ModuleFacts, value: Value) -> SecondsValue:
    """RQ's parse_timeout: int seconds or "10m"-style strings; -1 means no limit (None)."""
    value = _resolve(project, module, value)
    seconds: float | Marker
    if is_number(value):
        seconds = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            seconds = float(int(text))
        elif text[:-1].isdigit() and text[-1:].lower() in _TIMEOUT_UNITS:
            seconds = float(int(text[:-1]) * _TIMEOUT_UNITS[text[-1:].lower()])
        else:
            return UNKNOWN
    elif value is None:
        return None
    else:
        return UNKNOWN
    return None if seconds == -1 else seconds


def _time_limit(
    project: ProjectIndex,
    module: ModuleFacts,
    keyword: str,
    located: Located | None,
    queue_default: Sourced[SecondsValue] | None,
    path: str | None,
) -> Sourced[SecondsValue]:
    fallback: Sourced[SecondsValue] = queue_default or default(
        RQ_JOB_TIMEOUT, f"job_timeout={RQ_JOB_TIMEOUT:g}s (RQ default)"
    )
    if located is None or located.value is None:
        return fallback  # timeout=None: the queue's default applies
    seconds = _timeout_seconds(project, module, located.value)
    origin = f"{keyword}={located.code}"
    if seconds is None:
        origin += " (no time limit)"
    return _sourced(seconds, origin, located, path)


def _failure_ttl(
    project: ProjectIndex, module: ModuleFacts, located: Located | None, path: str | None
) -> Sourced[SecondsValue]:
    fallback: Sourced[SecondsValue] = default(RQ_FAILURE_TTL, "failure_ttl=1 year (RQ default)")
    if located is None:
        return fallback
    value = _resolve(project, module, located.value)
    if value is None:
        return fallback
    seconds = float(value) if is_number(value) else UNKNOWN  # type: ignore[arg-type]
    return _sourced(seconds, f"failure_ttl={located.code}", located, path)


def _hooks(
    project: ProjectIndex, module: ModuleFacts, located: Located | None, path: str | None
) -> list[FailureHook]:
    """``on_failure=f`` / ``"pkg.f"`` / ``Callback(f)``: runs on every failed attempt (2.4)."""
    if located is None or located.value is None:
        return []
    value: Value = located.value
    if (
        isinstance(value, CallValue)
        and value.func is not None
        and (project.canonical(value.func, module) in CALLBACK_CLASSES or value.last == "Callback")
    ):
        value = value.arg(0, "func")
    if isinstance(value, Ref):
        target = project.canonical(value.name, module)
    elif isinstance(value, str):
        target = value
    else:
        target = located.code
    return [FailureHook("on_failure", target, located.span, every_attempt=True)]


# -- worst cases ---------------------------------------------------------------------------------


def _attempts_rank(value: object) -> float:
    if value is UNBOUNDED:
        return float("inf")
    if value is UNKNOWN:
        return 1e300  # worse than any number, better than "forever"
    return float(value) if isinstance(value, int | float) else 0.0


def _worst(policies: Iterable[tuple[CallSite, RetryPolicy]]) -> RetryPolicy:
    best: RetryPolicy | None = None
    for _, policy in policies:
        if best is None or _attempts_rank(policy.max_attempts.value) > _attempts_rank(
            best.max_attempts.value
        ):
            best = policy
    assert best is not None
    return best


def _longest(limits: list[Sourced[SecondsValue]]) -> Sourced[SecondsValue] | None:
    """The weakest time limit among the sites: none, then unknown, then the largest."""

    def rank(limit: Sourced[SecondsValue]) -> float:
        if limit.value is None:
            return float("inf")
        if limit.value is UNKNOWN:
            return 1e300
        return float(limit.value)  # type: ignore[arg-type]

    return max(limits, key=rank) if limits else None
