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
3. undecided receivers (``self.queue``, parameters, helper-function results) are taken as RQ only
   when the calling file imports ``rq`` or ``django_rq``.

Policies: ``retry=Retry(max=N, interval=...)`` at a site is that site's policy (N+1 attempts);
no ``retry=`` means one attempt. ``Job.policies`` lists every site; ``Job.policy`` is the worst
site (most attempts; UNBOUNDED, then UNKNOWN, rank worst). The job timeout is ``job_timeout=`` on
``enqueue``/``enqueue_in``/``enqueue_at`` and ``timeout=`` on ``enqueue_call``/``prepare_data``/
``Job.create``/``@job``; ``timeout=`` on ``enqueue`` is passed to the function (recorded as a
note, not a timeout). A job whose function is not defined in the project (a dotted string into a
library, ``self.method``) is still reported, located at its first enqueue site.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallFact, CallShape, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import (
    call_shape,
    decorators,
    invocation_keywords,
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

Binding = tuple[str, str | None, Value]  # ("call", callee, CallValue) / ("name", target, None)


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


# ---------------------------------------------------------------------------------------------
# per-file phase
# ---------------------------------------------------------------------------------------------


def extract(ctx: FileContext, sink: FactSink) -> None:
    _record_function_lines(ctx, sink)
    _record_receiver_bindings(ctx, sink)
    _record_module_bindings(ctx, sink)
    _record_settings_handlers(ctx, sink)
    if not any(target.split(".", 1)[0] in RQ_ROOTS for target in ctx.imports.values()):
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
    if not names:
        return
    starts = ctx.line_starts()
    found: dict[str, tuple[str, int, int]] = {}
    for match in _DEF_LINE.finditer(ctx.source):
        name = match.group(1)
        if name not in names:
            continue
        line = bisect.bisect_right(starts, match.start())
        column = match.start(1) - starts[line - 1] + 1
        found[name] = (name, line, column)  # the last definition wins, as in Python
    if found:
        sink.data.append((FUNCTIONS_KEY, tuple(found.values())))


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


@dataclass
class _JobGroup:
    key: str
    sites: list[_Site] = field(default_factory=list)
    job_def: tuple[ModuleFacts, JobDef] | None = None


def build_jobs(project: ProjectIndex) -> Iterator[Job]:
    groups: dict[str, _JobGroup] = {}
    decorated: dict[str, tuple[ModuleFacts, JobDef]] = {}
    for module, job_def in project.job_defs():
        if job_def.framework == FRAMEWORK and job_def.kind == "rq-job":
            key = f"{module.module}.{job_def.function}"
            decorated[key] = (module, job_def)
            groups.setdefault(key, _JobGroup(key)).job_def = (module, job_def)
    bindings = {module.path: _data(module, BINDINGS_KEY) for module in project}
    for module, call in project.calls():
        try:
            site = _site(project, module, call, decorated, bindings.get(module.path) or ())
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
            yield _job(project, group, handlers)


def _data(module: ModuleFacts, key: str) -> Any:
    return next((value for name, value in module.facts.data if name == key), None)


def _site(
    project: ProjectIndex,
    module: ModuleFacts,
    call: CallFact,
    decorated: dict[str, tuple[ModuleFacts, JobDef]],
    bindings: tuple[tuple[Span, Binding], ...],
) -> tuple[str, _Site] | None:
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
        if not _is_rq_receiver(project, module, call, binding):
            return None
    key = _job_key(project, module, call)
    options = dict(call.keywords)
    return key, _Site(
        module,
        call,
        options,
        module,
        TIMEOUT_KEYWORD.get(method, "job_timeout"),
        queue_default=_queue_default(project, module, call, binding),
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


def _is_rq_receiver(
    project: ProjectIndex, module: ModuleFacts, call: CallFact, binding: Binding | None
) -> bool:
    verdict = _receiver_verdict(project, module, call.receiver, binding)
    if verdict is None:
        return any(target.split(".", 1)[0] in RQ_ROOTS for _, target in module.facts.imports)
    return verdict


def _receiver_verdict(
    project: ProjectIndex, module: ModuleFacts, receiver: str | None, binding: Binding | None
) -> bool | None:
    if binding is not None:
        kind, name, _ = binding
        if kind == "call":
            return _callee_verdict(project, module, name)
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
    located = project.split(canonical)
    if located is not None:
        owner, attribute = located
        callee = dict(_data(owner, MODULE_BINDINGS_KEY) or ()).get(attribute)
        if callee is not None:
            return _callee_verdict(project, owner, callee)
    return None


def _callee_verdict(project: ProjectIndex, module: ModuleFacts, callee: str | None) -> bool | None:
    if callee is None:
        return None
    canonical = project.canonical(callee, module)
    if canonical.split(".", 1)[0] in RQ_ROOTS:
        return True
    located = project.split(canonical)
    if located is not None:
        owner, attribute = located
        if attribute in (_data(owner, QUEUE_SUBCLASSES_KEY) or ()):
            return True
    if canonical.rsplit(".", 1)[-1][:1].isupper():
        return False  # an instance of some other class: Outbox(), asyncio.Queue()
    return None  # a helper function's result: undecided


def _queue_default(
    project: ProjectIndex, module: ModuleFacts, call: CallFact, binding: Binding | None
) -> Sourced[SecondsValue] | None:
    """``Queue(..., default_timeout=N)`` where the queue's constructor is visible."""
    constructor: Value = None
    span: Span | None = None
    path: str | None = None
    if binding is not None and binding[0] == "call":
        constructor = binding[2]
        span, path = call.span, module.path
    elif call.receiver is not None:
        found = project.object(call.receiver, module)
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


def _job_key(project: ProjectIndex, module: ModuleFacts, call: CallFact) -> str:
    target = call.target or ""
    if _target_is_string(call) or target.startswith(("$", ".")):
        return project.canonical(target, module)
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


def _job(project: ProjectIndex, group: _JobGroup, handlers: list[FailureHook]) -> Job:
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
        call_site, policy, limit, site_hooks, detail = _call_site(project, site, path)
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
    if job_def is not None:
        job_details.append(("decorator", job_def.decorator))
        job_details.append(("variant", job_def.datum("variant")))
    job_details.append(("sites", tuple(details)))
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
            return owner.path, Span(line, column, line, column + len(name)), name
    return None


def _call_site(
    project: ProjectIndex, site: _Site, job_path: str
) -> tuple[CallSite, RetryPolicy, Sourced[SecondsValue], list[FailureHook], EnqueueSite]:
    options, where = site.options, site.options_module
    shown_path = where.path if where.path != job_path else None
    retry = options.get("retry")
    spread = options.get("**")
    if retry is None and spread is not None:
        policy = _spread_policy(spread, shown_path)
    else:
        policy = _retry_policy(project, where, retry, shown_path)
    limit = _time_limit(
        project,
        where,
        site.timeout_keyword,
        options.get(site.timeout_keyword),
        site.queue_default,
        shown_path,
    )
    failure_ttl = _failure_ttl(project, where, options.get("failure_ttl"), shown_path)
    hooks = _hooks(project, where, options.get("on_failure"), shown_path)
    call = site.call
    call_site = CallSite(
        path=site.module.path,
        span=call.span,
        method=call.method,
        target=call.target or "",
        keywords=tuple(name for name, _ in call.keywords),
        policy=policy,
        job_timeout=limit,
        failure_hooks=tuple(hook.target for hook in hooks),
        failure_ttl=failure_ttl,
    )
    misplaced = call.keyword("timeout") if site.timeout_keyword == "job_timeout" else None
    notes = list(_interval_notes(project, where, retry))
    if misplaced is not None:
        notes.append(
            f"timeout= on {call.method}() is passed to the job function, not a job timeout "
            "(use job_timeout=)"
        )
    detail = EnqueueSite(
        path=site.module.path,
        span=call.span,
        method=call.method,
        shape=site.decorator if site.decorator is not None else call.shape,
        retry=retry,
        timeout_passed_to_function=misplaced,
        notes=tuple(notes),
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


def _spread_policy(spread: Located, path: str | None) -> RetryPolicy:
    """``enqueue(f, **params)``: ``params`` may hold a ``retry`` key, so the policy is unknown."""
    origin = f"**{spread.code} may carry retry= (computed at run time)"
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
