"""Huey: ``@huey.task(...)`` / ``@huey.periodic_task(...)`` / ``@huey.context_task(...)`` and the
Django helpers ``huey.contrib.djhuey.task`` / ``periodic_task`` / ``db_task`` /
``db_periodic_task`` / ``on_commit_task``.

Detection. Celery (``@app.task``) and taskiq (``@broker.task``) use the same attribute, so a
decorator is claimed only when it is called (Huey's decorators must be) and its receiver is a Huey
object: a module-level ``RedisHuey(...)`` / ``SqliteHuey(...)`` / ... anywhere in the project
(``huey-instance`` objects), djhuey, or a ``huey`` name shadowing the imported module. When the
receiver cannot be resolved, the decorator is claimed only with Huey-only options (``retries=``,
``retry_delay=``; ``retry_backoff=`` too when Celery is not imported, since Celery has one) and
``huey`` imported somewhere in the project. ``lock_task`` is a lock wrapper, not a task: it is
recorded as a detail of the task it decorates.

Policy (frameworks.md 4.1): ``retries=N`` gives N+1 attempts (default 0); ``retry_delay`` seconds
(default 0, immediate); ``retry_backoff=b`` multiplies the delay after each retry (3.x; b > 1 is
exponential without cap or jitter). ``raise RetryTask(...)`` in the body never consumes a retry,
and ``raise CancelExecution(retry=True)`` re-arms one each time: both make attempts UNBOUNDED,
with the raise as provenance. ``retries``/``retry_delay``/``retry_backoff`` passed at a call site
(``task(x, retries=2)``, ``.s(...)``, ``.schedule(...)``) override the decorator there: those
sites are ``Job.policies`` and ``Job.policy`` is the worst of definition and sites.

Invocations: calling the task enqueues it. Plain calls are recorded (method ``call``) only where
they may name a Huey task without resolving every file's positions: calls of Huey-decorated
functions in their own file, calls through a ``tasks`` module (``from shop.tasks import x``,
``tasks.x(...)``), and calls of from-imported names in files that import ``huey``. ``.schedule``,
``.s`` and ``.map`` come from ``frameworks.calls``; ``retrylint.linking`` attaches them all.

Hooks: ``@huey.signal(SIGNAL_ERROR)`` (or no signal: every signal) and ``SIGNAL_TIMEOUT`` handlers
fire on every attempt; ``task.s(...).error(handler)`` runs on every failed attempt while
``store_intermediate_errors`` is on (3.x default), else only on the final one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallFact, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import (
    BodyVisitor,
    Decorator,
    call_shape,
    decorators,
    keyword_options,
    make_policy,
    positional_args,
)
from retrylint.frameworks.defaults import HUEY_RETRIES, HUEY_RETRY_DELAY
from retrylint.frameworks.rq.facts import local_assignments
from retrylint.frameworks.rq.records import MODULE_BINDINGS_KEY
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    CallSite,
    Delay,
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
from retrylint.values import CallValue, Located, Ref, Value, as_seconds, is_number

FRAMEWORK = "huey"
DJHUEY = "huey.contrib.djhuey"
HUEY_CLASSES = frozenset(
    {
        "Huey",
        "RedisHuey",
        "PriorityRedisHuey",
        "RedisExpireHuey",
        "PriorityRedisExpireHuey",
        "SqliteHuey",
        "FileHuey",
        "MemoryHuey",
        "BlackHoleHuey",
        "PostgresHuey",
        "CySqliteHuey",
        "SqlHuey",  # huey.contrib.sql_huey
    }
)
# Decorator methods of a Huey instance that make a task, with their positional parameters.
INSTANCE_DECORATORS: dict[str, tuple[str, ...]] = {
    "task": (
        "retries",
        "retry_delay",
        "retry_backoff",
        "priority",
        "context",
        "name",
        "expires",
        "timeout",
    ),
    "periodic_task": (
        "validate_datetime",
        "retries",
        "retry_delay",
        "retry_backoff",
        "priority",
        "context",
        "name",
        "expires",
        "timeout",
    ),
    "context_task": ("obj", "as_argument"),
}
# djhuey's module-level helpers forward their arguments to HUEY.task / HUEY.periodic_task.
DJHUEY_DECORATORS: dict[str, str] = {
    "task": "task",
    "periodic_task": "periodic_task",
    "db_task": "task",
    "db_periodic_task": "periodic_task",
    "on_commit_task": "task",
}
PERIODIC = frozenset({"periodic_task", "db_periodic_task"})
RETRY_TASK = frozenset({"huey.exceptions.RetryTask", "huey.RetryTask", "huey.api.RetryTask"})
CANCEL_EXECUTION = frozenset(
    {"huey.exceptions.CancelExecution", "huey.CancelExecution", "huey.api.CancelExecution"}
)
# Signals that report a failed attempt, and their values (huey/signals.py).
FAILURE_SIGNALS = {"SIGNAL_ERROR": "error", "SIGNAL_TIMEOUT": "timeout"}
SIGNAL_VALUES = {value: name for name, value in FAILURE_SIGNALS.items()}
OVERRIDE_OPTIONS = ("retries", "retry_delay", "retry_backoff")
SITE_METHODS = frozenset({"call", "s", "schedule"})

SIGNALS_KEY = "huey.signals"  # ((receiver kind, receiver, hook kind, handler, span), ...)
ON_ERROR_KEY = "huey.on-error"  # ((task, handler, span), ...)


@dataclass(frozen=True)
class HueyRaise:
    """A ``raise RetryTask(...)`` / ``raise CancelExecution(...)`` in a task body."""

    exception: str  # qualified as written
    span: Span
    code: str
    delay: Located | None = None  # RetryTask(delay=...) / eta=...
    retry: Value = None  # CancelExecution(retry=...)


# ---------------------------------------------------------------------------------------------
# per-file phase
# ---------------------------------------------------------------------------------------------


def extract(ctx: FileContext, sink: FactSink) -> None:
    imports_huey = any(t.split(".", 1)[0] == "huey" for t in ctx.imports.values())
    instances: set[str] = set()
    if imports_huey:
        instances = _record_instances(ctx, sink)
    task_names: set[str] = set()
    signals: list[tuple[str, str | None, str, str, Span]] = []
    for function in ctx.functions:
        found = list(decorators(ctx, function))
        task = _task_decorator(found)
        if task is not None:
            sink.job_defs.append(_job_def(ctx, function, task, found))
            if function.is_module_level:
                task_names.add(function.name)
        for decorator in found:
            if decorator.last == "signal" and decorator.call is not None:
                signals.extend(_signals(ctx, sink, function, decorator, instances, imports_huey))
    if signals:
        sink.data.append((SIGNALS_KEY, tuple(signals)))
    _record_pipelines(ctx, sink)
    _record_plain_calls(ctx, sink, task_names, imports_huey)


def _record_instances(ctx: FileContext, sink: FactSink) -> set[str]:
    names = set()
    for name, value in ctx.constants.items():
        if not isinstance(value, cst.Call) or (name in ctx.imports and name != "huey"):
            continue
        callee = ctx.qualify(value.func) or ""
        if callee.split(".", 1)[0] == "huey" and callee.rsplit(".", 1)[-1] in HUEY_CLASSES:
            located = ctx.locate(value)
            sink.objects.append(ObjectFact(name, "huey-instance", FRAMEWORK, located.span, located))
            names.add(name)
    return names


def _task_decorator(found: list[Decorator]) -> tuple[Decorator, str, str] | None:
    """(decorator, receiver kind, the Huey method it amounts to) for a task decorator."""
    for decorator in found:
        if decorator.call is None:
            continue  # Huey's decorators are always called; a bare @x.task is Celery's
        qualified, last = decorator.qualified, decorator.last
        if qualified == f"{DJHUEY}.{last}" and last in DJHUEY_DECORATORS:
            return decorator, "djhuey", DJHUEY_DECORATORS[last]
        if last not in INSTANCE_DECORATORS or decorator.receiver is None:
            continue
        if decorator.receiver == f"{DJHUEY}.HUEY":
            return decorator, "djhuey", last
        if decorator.receiver == "huey":
            # `huey` resolving to the module: the package has no task(), so the name is an
            # instance that shadows the import (`huey = huey.RedisHuey()`).
            return decorator, "shadow", last
        return decorator, "object", last
    return None


def _job_def(
    ctx: FileContext,
    function: FunctionInfo,
    task: tuple[Decorator, str, str],
    found: list[Decorator],
) -> JobDef:
    decorator, receiver_kind, method = task
    call = decorator.call
    assert call is not None
    options = list(keyword_options(ctx, call))
    given = {name for name, _ in options}
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    for name, expression in zip(INSTANCE_DECORATORS[method], positional, strict=False):
        if name not in given:
            options.append((name, ctx.locate(expression)))
    if method == "context_task":  # context_task(obj, as_argument, **task options)
        options = [(n, v) for n, v in options if n not in ("obj", "as_argument")]
    name_option = next((v for n, v in options if n == "name"), None)
    explicit_name = name_option.value if name_option is not None else None
    data: list[tuple[str, Any]] = [
        ("receiver_kind", receiver_kind),
        ("decorator_name", decorator.last),
        ("periodic", decorator.last in PERIODIC or method == "periodic_task"),
        ("async", function.is_async),
        ("raises", _raises(ctx, function)),
        (
            "locks",
            tuple(
                ctx.code(d.call.args[0].value) if d.call is not None and d.call.args else ""
                for d in found
                if d.last == "lock_task"
            ),
        ),
    ]
    if method == "periodic_task" and positional and decorator.last != "context_task":
        data.append(("schedule", ctx.locate(positional[0])))
    return JobDef(
        function=function.qualname,
        name=explicit_name if isinstance(explicit_name, str) else None,
        kind="task",
        span=ctx.span(function.node.name),
        framework=FRAMEWORK,
        receiver=decorator.receiver,
        decorator=call_shape(ctx, decorator.node.decorator),
        options=tuple(options),
        data=tuple(data),
    )


class _RaiseFinder(BodyVisitor):
    """``raise`` statements of one function body, not of the functions nested in it."""

    def __init__(self) -> None:
        super().__init__()
        self.raises: list[cst.Raise] = []

    def visit_Raise(self, node: cst.Raise) -> None:
        self.raises.append(node)


def _raises(ctx: FileContext, function: FunctionInfo) -> tuple[HueyRaise, ...]:
    finder = _RaiseFinder()
    function.node.body.visit(finder)
    found = []
    for node in finder.raises:
        expression = node.exc
        if expression is None:
            continue
        call = expression if isinstance(expression, cst.Call) else None
        qualified = ctx.qualify(call.func if call is not None else expression)
        if qualified is None:
            continue
        last = qualified.rsplit(".", 1)[-1]
        if last not in ("RetryTask", "CancelExecution"):
            continue
        delay: Located | None = None
        retry: Value = None
        if call is not None:
            value = ctx.evaluate(call)
            arguments = {n: a for n, a in _argument_nodes(call, ("msg", "eta", "delay"))}
            if last == "RetryTask":
                chosen = arguments.get("delay") or arguments.get("eta")
                delay = ctx.locate(chosen) if chosen is not None else None
            elif isinstance(value, CallValue):
                retry = value.arg(1, "retry")
        found.append(HueyRaise(qualified, ctx.span(node), ctx.code(node), delay, retry))
    return tuple(found)


def _argument_nodes(
    call: cst.Call, names: tuple[str, ...]
) -> Iterator[tuple[str, cst.BaseExpression]]:
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    yield from zip(names, positional, strict=False)
    for arg in call.args:
        if arg.keyword is not None:
            yield arg.keyword.value, arg.value


def _signals(
    ctx: FileContext,
    sink: FactSink,
    function: FunctionInfo,
    decorator: Decorator,
    instances: set[str],
    imports_huey: bool,
) -> Iterator[tuple[str, str | None, str, str, Span]]:
    """``@huey.signal(SIGNAL_ERROR)`` handlers; the failure signals become HookFacts."""
    call = decorator.call
    assert call is not None
    receiver = decorator.receiver
    if decorator.qualified == f"{DJHUEY}.signal" or receiver == f"{DJHUEY}.HUEY":
        receiver_kind = "djhuey"
    elif receiver == "huey":
        receiver_kind = "shadow"
    else:
        receiver_kind = "object"
    kinds: list[str] = []
    huey_arguments = False
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            return
        value = ctx.evaluate(arg.value)
        if isinstance(value, Ref):
            huey_arguments |= value.name.split(".", 1)[0] == "huey"
            if value.last in FAILURE_SIGNALS:
                kinds.append(f"{value.last}-signal")
        elif isinstance(value, str) and value in SIGNAL_VALUES:
            kinds.append(f"{SIGNAL_VALUES[value]}-signal")
    if not call.args:
        kinds.append("any-signal")  # no signal given: the handler receives every signal
    if not kinds:
        return
    local_instance = (
        receiver is not None and receiver.startswith("$.") and receiver[2:] in instances
    )
    strong = receiver_kind != "object" or huey_arguments or local_instance
    span = ctx.span(function.node.name)
    for kind in kinds:
        if strong:
            sink.hooks.append(HookFact(FRAMEWORK, kind, function.qualname, span))
        yield receiver_kind, receiver, kind, function.qualname, span


def _record_pipelines(ctx: FileContext, sink: FactSink) -> None:
    """``task.s(...).then(...).error(handler)``: the handler belongs to the head task."""
    found = []
    scopes: dict[int, dict[str, cst.BaseExpression]] | None = None
    for info in ctx.calls:
        func = info.node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "error":
            continue
        if scopes is None:
            scopes = local_assignments(ctx)
        local = scopes.get(id(info.function), {}) if info.function else {}
        handler_nodes = [a.value for a in info.node.args if a.keyword is None and not a.star]
        if not handler_nodes:
            continue
        node: cst.BaseExpression = func.value
        if isinstance(node, cst.Name) and node.value in local:
            node = local[node.value]  # pipeline = task.s(...).then(...); pipeline.error(h)
        task: str | None = None
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            attr = node.func.attr.value
            if attr == "s":
                task = ctx.qualify(node.func.value)
                break
            if attr not in ("then", "error"):
                break
            node = node.func.value
        if task is None:
            continue
        handler = ctx.qualify(handler_nodes[0]) or ctx.code(handler_nodes[0])
        span = ctx.span(info.node)
        found.append((task, handler, span))
        sink.hooks.append(HookFact(FRAMEWORK, "on_error", handler, span))
    if found:
        sink.data.append((ON_ERROR_KEY, tuple(found)))


def _record_plain_calls(
    ctx: FileContext, sink: FactSink, task_names: set[str], imports_huey: bool
) -> None:
    """``send_alert(...)``: a call that enqueues when the callee is a Huey task (see module doc)."""
    for info in ctx.calls:
        node = info.node
        func = node.func
        if isinstance(func, cst.Name):
            name = func.value
            target = ctx.imports.get(name)
            if target is None:
                if name not in task_names:
                    continue
                qualified = f"$.{name}"
            else:
                segments = target.split(".")
                via_tasks = "tasks" in segments[:-1]
                imported_name = len(segments) > 1 and segments[0] != "huey"
                if not (via_tasks or (imports_huey and imported_name)):
                    continue
                qualified = target
        elif isinstance(func, cst.Attribute):
            head = func.value
            while isinstance(head, cst.Attribute):
                head = head.value
            if not isinstance(head, cst.Name) or head.value not in ctx.imports:
                continue
            qualified = ctx.qualify(func) or ""
            if "tasks" not in qualified.split(".")[:-1]:
                continue
        else:
            continue
        sink.calls.append(
            CallFact(
                method="call",
                target=qualified,
                span=ctx.span(node),
                args=positional_args(ctx, node),
                keywords=keyword_options(ctx, node),
                shape=call_shape(ctx, node),
                function=info.function.qualname if info.function else None,
                framework=FRAMEWORK,
            )
        )


# ---------------------------------------------------------------------------------------------
# project phase
# ---------------------------------------------------------------------------------------------


def build_jobs(project: ProjectIndex) -> Iterator[Job]:
    signals = list(_signal_hooks(project))
    on_error = _on_error_hooks(project)
    sites = _override_sites(project)
    for module, job_def in project.job_defs():
        if job_def.framework != FRAMEWORK:
            continue
        instance = _instance(project, module, job_def)
        if instance is False:
            continue
        try:
            yield _job(project, module, job_def, instance, signals, on_error, sites)
        except Exception:  # an odd shape in one task never stops the project phase
            continue


def _instance(
    project: ProjectIndex, module: ModuleFacts, job_def: JobDef
) -> tuple[str | None, Value] | bool:
    """(instance key, constructor) of the task's Huey object; False when it is not Huey's."""
    kind = job_def.datum("receiver_kind")
    if kind == "djhuey":
        return DJHUEY, None
    if kind == "shadow":
        # `huey = huey.RedisHuey()`: the name resolves to the import, so look the object up here.
        fact = next((o for o in module.facts.objects if o.name == "huey"), None)
        constructor = fact.constructor.value if fact and fact.constructor else None
        return f"{module.module}.huey", constructor
    return _resolve_receiver(project, module, job_def.receiver, job_def)


def _resolve_receiver(
    project: ProjectIndex, module: ModuleFacts, receiver: str | None, job_def: JobDef | None
) -> tuple[str | None, Value] | bool:
    found = project.object(receiver, module) if receiver else None
    if found is not None:
        owner, fact = found
        if fact.framework != FRAMEWORK:
            return False
        constructor = fact.constructor.value if fact.constructor else None
        return f"{owner.module}.{fact.name}", constructor
    if receiver is not None and _other_instance(project, module, receiver):
        return False
    if job_def is None:
        return None, None
    imported = project.frameworks_imported
    options = {name for name, _ in job_def.options}
    huey_only = bool(options & {"retries", "retry_delay"}) or (
        "retry_backoff" in options and "celery" not in imported
    )
    if huey_only and "huey" in imported:
        return None, None
    return False


def _other_instance(project: ProjectIndex, module: ModuleFacts, receiver: str) -> bool:
    """The receiver is a module-level ``name = SomeClass(...)`` of a class that is not Huey's
    (``plugins = Registry()``, ``app = Celery()``), as recorded by the RQ adapter's extract."""
    found = project.split(project.canonical(receiver, module))
    if found is None:
        return False
    owner, attribute = found
    bindings = next((v for k, v in owner.facts.data if k == MODULE_BINDINGS_KEY), ())
    callee = dict(bindings).get(attribute)
    if callee is None:
        return False
    last = project.canonical(callee, owner).rsplit(".", 1)[-1]
    return last not in HUEY_CLASSES


# -- hooks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SignalHook:
    instance: str | None  # None: the receiver could not be resolved
    strong: bool
    hook: FailureHook


def _signal_hooks(project: ProjectIndex) -> Iterator[_SignalHook]:
    for module in project:
        entries = next((v for k, v in module.facts.data if k == SIGNALS_KEY), ())
        hooked = {(h.kind, h.target, h.span) for h in module.facts.hooks}
        for receiver_kind, receiver, kind, handler, span in entries:
            strong = (kind, handler, span) in hooked
            if receiver_kind == "djhuey":
                instance: str | None = DJHUEY
            elif receiver_kind == "shadow":
                instance = f"{module.module}.huey"
            else:
                resolved = _resolve_receiver(project, module, receiver, None)
                if resolved is False:
                    continue  # another framework's .signal()
                instance = resolved[0] if isinstance(resolved, tuple) else None
                strong = strong or instance is not None
            target = f"{module.module}.{handler}"
            hook = FailureHook(kind, target, span, every_attempt=True)
            yield _SignalHook(instance, strong, hook)


def _on_error_hooks(project: ProjectIndex) -> dict[str, list[FailureHook]]:
    hooks: dict[str, list[FailureHook]] = {}
    for module in project:
        entries = next((v for k, v in module.facts.data if k == ON_ERROR_KEY), ())
        for task, handler, span in entries:
            key = project.canonical(task, module)
            target = project.canonical(handler, module) if "(" not in handler else handler
            hooks.setdefault(key, []).append(FailureHook("on_error", target, span))
    return hooks


def _job_hooks(
    qualname: str,
    instance: str | None,
    constructor: Value,
    signals: list[_SignalHook],
    on_error: dict[str, list[FailureHook]],
) -> tuple[FailureHook, ...]:
    hooks = [
        s.hook
        for s in signals
        if s.strong and (s.instance is None or instance is None or s.instance == instance)
    ]
    # 3.x default store_intermediate_errors=True: on_error runs after every failed attempt.
    intermediate = True
    if isinstance(constructor, CallValue) and constructor.has("store_intermediate_errors"):
        intermediate = constructor.kwarg("store_intermediate_errors") is not False
    hooks.extend(replace(h, every_attempt=intermediate) for h in on_error.get(qualname, ()))
    return tuple(dict.fromkeys(hooks))


# -- call-site overrides -----------------------------------------------------------------------


def _override_sites(project: ProjectIndex) -> dict[str, list[tuple[ModuleFacts, CallFact]]]:
    """Calls that pass retries / retry_delay / retry_backoff, by the target they name."""
    found: dict[str, list[tuple[ModuleFacts, CallFact]]] = {}
    for module, call in project.calls():
        if call.method not in SITE_METHODS or call.target is None:
            continue
        if not any(name in OVERRIDE_OPTIONS for name, _ in call.keywords):
            continue
        found.setdefault(project.canonical(call.target, module), []).append((module, call))
    return found


# -- the Job -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    """An option's value with the module it is written in (for constants) and, for a call-site
    override in another file than the task, that file's path (for provenance)."""

    located: Located
    module: ModuleFacts
    path: str | None = None
    at_site: bool = False

    @property
    def code(self) -> str:
        return self.located.code

    def value(self, project: ProjectIndex) -> Value:
        return _resolve(project, self.module, self.located.value)

    def sourced(self, value: Any, origin: str) -> Sourced[Any]:
        return Sourced(value, "explicit", origin, self.located.span, self.path)


def _job(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    instance: tuple[str | None, Value] | bool,
    signals: list[_SignalHook],
    on_error: dict[str, list[FailureHook]],
    sites: dict[str, list[tuple[ModuleFacts, CallFact]]],
) -> Job:
    instance_key, constructor = instance if isinstance(instance, tuple) else (None, None)
    qualname = f"{module.module}.{job_def.function}"
    options = {name: _Option(located, module) for name, located in job_def.options}
    raises: tuple[HueyRaise, ...] = job_def.datum("raises", ())
    policy = _policy(project, module, options, raises)
    policies: list[tuple[CallSite, RetryPolicy]] = []
    for site_module, call in sorted(sites.get(qualname, ()), key=lambda s: (s[0].path, s[1].span)):
        path = site_module.path if site_module.path != module.path else None
        overrides = {
            name: _Option(located, site_module, path, at_site=True)
            for name, located in call.keywords
            if name in OVERRIDE_OPTIONS
        }
        site_policy = _policy(project, module, {**options, **overrides}, raises)
        site = CallSite(
            path=site_module.path,
            span=call.span,
            method=call.method,
            target=call.target or "",
            keywords=tuple(name for name, _ in call.keywords),
            policy=site_policy,
        )
        policies.append((site, site_policy))
    details: list[tuple[str, Any]] = [
        ("decorator", job_def.decorator),
        ("decorator_name", job_def.datum("decorator_name")),
        ("huey_instance", instance_key),
        ("periodic", job_def.datum("periodic", False)),
        ("schedule", job_def.datum("schedule")),
        ("async", job_def.datum("async", False)),
        ("locks", job_def.datum("locks", ())),
        ("raises", raises),
        (
            "retry_task_raises",
            tuple(r.span for r in raises if _is(project, module, r, RETRY_TASK)),
        ),
        (
            "cancel_retry_raises",
            tuple(
                r.span
                for r in raises
                if _is(project, module, r, CANCEL_EXECUTION) and r.retry is True
            ),
        ),
        ("expires", job_def.option("expires")),
        ("options", job_def.options),
    ]
    name = job_def.name or job_def.function.rsplit(".", 1)[-1]
    return Job(
        name=name,
        qualname=qualname,
        framework=FRAMEWORK,
        kind="task",
        path=module.path,
        span=job_def.span,
        # The decorator's policy is what every call gets; calls that pass retries= /
        # retry_delay= / retry_backoff= carry their own in `policies`.
        policy=policy,
        policies=tuple(policies),
        failure_hooks=_job_hooks(qualname, instance_key, constructor, signals, on_error),
        time_limit=_time_limit(project, module, job_def.option("timeout")),
        function=job_def.function,
        details=tuple(details),
    )


def _is(project: ProjectIndex, module: ModuleFacts, raised: HueyRaise, names: frozenset) -> bool:
    return project.canonical(raised.exception, module) in names


def _resolve(project: ProjectIndex, module: ModuleFacts, value: Value) -> Value:
    if isinstance(value, Ref):
        return project.constant(value.name, module)
    return value


def _policy(
    project: ProjectIndex,
    module: ModuleFacts,
    options: dict[str, _Option],
    raises: tuple[HueyRaise, ...],
) -> RetryPolicy:
    """The policy from the options (the decorator's, or merged with a call site's) and the raises
    in the body of the task defined in ``module``."""
    retries = options.get("retries")
    attempts = _attempts(project, retries)
    retry_task = [r for r in raises if _is(project, module, r, RETRY_TASK)]
    rearm = [r for r in raises if _is(project, module, r, CANCEL_EXECUTION) and r.retry is True]
    forever = retry_task[0] if retry_task else rearm[0] if rearm else None
    if forever is not None:
        reason = (
            "never consumes a retry"
            if forever in retry_task
            else "re-runs the task even with no retries left"
        )
        origin = f"{forever.code.strip()} ({reason})"
        attempts = Sourced(UNBOUNDED, "explicit", origin, forever.span)
    delay = _delay(project, options)
    if retry_task:
        delay = _retry_task_delay(project, module, retry_task, delay, retries)
    counted = attempts.value
    if forever is not None and (retries is None or retries.value(project) in (0, None)):
        names = tuple(sorted({r.exception for r in (retry_task or rearm)}))
        retry_on: Sourced[Any] = Sourced(names, "explicit", attempts.origin, forever.span)
    elif isinstance(counted, int) and counted <= 1:
        retry_on = default((), f"retries={HUEY_RETRIES} (Huey default): nothing is retried")
    else:
        retry_on = default("all", "any exception (Huey retries every exception)")
    return make_policy(
        max_attempts=attempts,
        delay=delay,
        deadline=default(None, "Huey: no total retry deadline"),
        retry_on=retry_on,
        redelivery=default(False, "Huey: a task lost with a crashed consumer is not re-run"),
    )


def _attempts(project: ProjectIndex, retries: _Option | None) -> Sourced[int | Marker]:
    if retries is None:
        return default(HUEY_RETRIES + 1, f"retries={HUEY_RETRIES} (Huey default)")
    value = retries.value(project)
    origin = f"retries={retries.code}"
    if value is None or value is False:
        return retries.sourced(1, f"{origin} (no retries)")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            return retries.sourced(UNBOUNDED, f"{origin} (a negative count never reaches 0)")
        if retries.code.strip() != str(value):
            origin += f" (= {value})"  # a named constant
        return retries.sourced(value + 1, origin)
    return retries.sourced(UNKNOWN, origin)


def _delay(project: ProjectIndex, options: dict[str, _Option]) -> Sourced[Delay]:
    delay_option = options.get("retry_delay")
    backoff_option = options.get("retry_backoff")
    if delay_option is None:
        origin = f"retry_delay={HUEY_RETRY_DELAY:g} (Huey default: retried at once)"
        return default(NO_DELAY, origin)
    seconds = as_seconds(delay_option.value(project))
    origin = f"retry_delay={delay_option.code}"
    if backoff_option is not None:
        origin += f", retry_backoff={backoff_option.code}"
        if delay_option.at_site and not backoff_option.at_site:
            origin += " (from the decorator)"
    if isinstance(seconds, Marker):
        return delay_option.sourced(UNKNOWN_DELAY, origin)
    if seconds <= 0:
        return delay_option.sourced(Delay("none", 0.0, None, False), origin)
    backoff = backoff_option.value(project) if backoff_option is not None else 0
    if backoff is None or backoff is False or backoff is True:
        factor = 1.0 if backoff is True else 0.0
    elif is_number(backoff):
        factor = float(backoff)  # type: ignore[arg-type]
    else:
        return delay_option.sourced(Delay("unknown", seconds, None, False), origin)
    if factor > 1:
        shape = Delay("exponential", seconds, None, False)
    elif 0 < factor < 1:  # the delay shrinks after each retry
        shape = Delay("custom", seconds, seconds, False)
    else:  # 0 (off) or 1: the same delay every time
        shape = Delay("constant", seconds, seconds, False)
    return delay_option.sourced(shape, origin)


def _retry_task_delay(
    project: ProjectIndex,
    module: ModuleFacts,
    raises: list[HueyRaise],
    delay: Sourced[Delay],
    retries: _Option | None,
) -> Sourced[Delay]:
    """``RetryTask(delay=N)`` sets the delay of the re-runs it causes; without one, the task's
    ``retry_delay`` applies. Only a single known delay on every raise is modelled exactly."""
    given = [r for r in raises if r.delay is not None]
    if not given:
        return delay
    values = {as_seconds(_resolve(project, module, r.delay.value)) for r in given if r.delay}
    first = given[0]
    assert first.delay is not None
    origin = f"{first.code.strip()}"
    only_raises = retries is None and len(given) == len(raises)
    if len(values) == 1 and only_raises:
        (value,) = values
        if isinstance(value, float):
            shape = Delay("constant", value, value, False) if value > 0 else NO_DELAY
            return Sourced(shape, "explicit", origin, first.span)
    known = all(isinstance(v, float) for v in values)
    shape = Delay("custom" if known else "unknown", None, None, False)
    return Sourced(shape, "explicit", origin, first.span)


def _time_limit(
    project: ProjectIndex, module: ModuleFacts, located: Located | None
) -> Sourced[SecondsValue]:
    if located is None or located.value is None:
        return default(None, "timeout=None (Huey default: no time limit)")
    seconds = as_seconds(_resolve(project, module, located.value))
    return Sourced(seconds, "explicit", f"timeout={located.code}", located.span)
