"""taskiq: ``@broker.task`` functions, and the retry middleware their broker may carry.

taskiq retries nothing by default. A task is retried only when its broker has a retry
middleware (``SimpleRetryMiddleware`` / ``SmartRetryMiddleware``, via ``with_middlewares`` /
``add_middlewares``) **and** its ``retry_on_error`` label (or the middleware's
``default_retry_label``) is true. The ``max_retries`` label counts attempts: ``retries`` starts
at 1 and a retry happens while ``retries < max_retries``, so 3 means 3 runs. Smart: a constant
``delay`` (5 s), linear ``delay * retries`` capped at ``max_delay_exponent`` (60 s) when
``use_delay_exponent``, plus U(0, 1) s with ``use_jitter``. Sources: taskiq 0.13
``middlewares/simple_retry_middleware.py``, ``smart_retry_middleware.py``, ``abc/broker.py``.

``@X.task`` is also Celery's and Huey's decorator. A decorator is claimed when ``X`` resolves to
a taskiq broker; when ``X`` cannot be resolved, only when the labels are taskiq-only
(``task_name``, ``retry_on_error``) and the project imports taskiq.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import ConfigFact, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import call_shape, decorators, keyword_options
from retrylint.frameworks.defaults import (
    TASKIQ_DEFAULT_RETRY_COUNT,
    TASKIQ_SMART_DEFAULT_DELAY,
    TASKIQ_SMART_MAX_DELAY_EXPONENT,
)
from retrylint.model import (
    NO_DELAY,
    UNKNOWN,
    Delay,
    FailureHook,
    Job,
    Marker,
    RetryPolicy,
    SecondsValue,
    Source,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import (
    SELF_MODULE,
    CallValue,
    Located,
    Ref,
    Value,
    as_seconds,
    exception_names,
    is_number,
)

FRAMEWORK = "taskiq"
RETRY_MIDDLEWARES = frozenset({"SimpleRetryMiddleware", "SmartRetryMiddleware"})
HOOK_BASES = frozenset({"taskiq.TaskiqMiddleware", "taskiq.abc.middleware.TaskiqMiddleware"})
SHARED_BROKERS = frozenset(
    {"taskiq.async_shared_broker", "taskiq.brokers.shared_broker.async_shared_broker"}
)
# Labels only taskiq's decorator takes: enough to claim @x.task when x cannot be resolved.
TASKIQ_ONLY_LABELS = frozenset({"task_name", "retry_on_error"})
# Whether a worker crash gets the message delivered again. taskiq acks after the result is saved
# (AcknowledgeType.WHEN_SAVED) on brokers that ack at all; the ones below do not keep unacked
# messages (in-process queue, ZeroMQ PUB/SUB, Redis BRPOP lists and pub/sub). RabbitMQ keeps an
# unacked message and delivers it again. Any other broker: unknown.
REDELIVERY = {
    "InMemoryBroker": False,
    "ZeroMQBroker": False,
    "ListQueueBroker": False,
    "ListQueueClusterBroker": False,
    "ListQueueSentinelBroker": False,
    "PubSubBroker": False,
    "AioPikaBroker": True,
}
CHAIN_METHODS = frozenset(
    {
        "with_middlewares",
        "with_result_backend",
        "with_id_generator",
        "with_event_handlers",
        "with_serializer",
        "with_formatter",
    }
)


# ---------------------------------------------------------------------------------------------
# Per-file phase
# ---------------------------------------------------------------------------------------------


def extract(ctx: FileContext, sink: FactSink) -> None:
    uses_taskiq = any(target.startswith("taskiq") for target in ctx.imports.values())
    if uses_taskiq:
        _extract_brokers(ctx, sink)
        _extract_middleware_calls(ctx, sink)
        _extract_hooks(ctx, sink)
    _extract_tasks(ctx, sink)


def _is_broker_class(name: str | None) -> bool:
    if not name:
        return False
    return name.split(".", 1)[0].startswith(FRAMEWORK) and name.rsplit(".", 1)[-1].endswith(
        "Broker"
    )


def _constructor(ctx: FileContext, node: cst.BaseExpression) -> tuple[cst.Call, list[cst.Call]]:
    """Unwrap ``Broker(...).with_result_backend(...).with_middlewares(...)``.

    Returns the innermost call and the ``with_*`` calls around it (outermost first).
    """
    chain: list[cst.Call] = []
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in CHAIN_METHODS
    ):
        chain.append(node)
        node = node.func.value
    if isinstance(node, cst.Call):
        return node, chain
    raise LookupError


def _extract_brokers(ctx: FileContext, sink: FactSink) -> None:
    for assignment in ctx.assignments:
        if assignment.function is not None or assignment.class_name is not None:
            continue
        try:
            call, chain = _constructor(ctx, assignment.value)
        except LookupError:
            continue
        if not _is_broker_class(ctx.qualify(call.func)):
            continue
        for target in assignment.targets:
            if not isinstance(target, cst.Name):
                continue
            scope = f"{SELF_MODULE}.{target.value}"
            fact = ObjectFact(
                target.value, "taskiq-broker", FRAMEWORK, ctx.span(target), ctx.locate(call)
            )
            sink.objects.append(fact)
            for arg in call.args:
                value = arg.value
                keyword = arg.keyword.value if arg.keyword is not None else None
                if keyword == "middlewares" and isinstance(value, cst.List | cst.Tuple):
                    for element in value.elements:
                        _record_middleware(ctx, sink, element.value, scope)
            for link in chain:
                if isinstance(link.func, cst.Attribute) and link.func.attr.value == (
                    "with_middlewares"
                ):
                    for arg in link.args:
                        if arg.keyword is None and not arg.star:
                            _record_middleware(ctx, sink, arg.value, scope)


def _extract_middleware_calls(ctx: FileContext, sink: FactSink) -> None:
    """``broker.add_middlewares(...)`` / ``broker.with_middlewares(...)`` as statements."""
    for info in ctx.calls:
        func = info.node.func
        if not isinstance(func, cst.Attribute):
            continue
        if func.attr.value not in ("add_middlewares", "with_middlewares"):
            continue
        scope = ctx.qualify(func.value)
        if scope is None:
            continue  # a constructor chain, handled with the broker
        for arg in info.node.args:
            if arg.keyword is None and not arg.star:
                _record_middleware(ctx, sink, arg.value, scope)


def _record_middleware(
    ctx: FileContext, sink: FactSink, expression: cst.BaseExpression, scope: str
) -> None:
    node = expression
    if isinstance(node, cst.Name) and node.value not in ctx.imports:
        node = ctx.constants.get(node.value, node)
    name = (ctx.qualify(node.func) if isinstance(node, cst.Call) else None) or ""
    last = name.rsplit(".", 1)[-1]
    if isinstance(node, cst.Call) and last in RETRY_MIDDLEWARES and name.startswith(FRAMEWORK):
        sink.configs.append(ConfigFact(FRAMEWORK, "retry_middleware", ctx.locate(node), scope))
        for key, located in keyword_options(ctx, node):
            sink.configs.append(ConfigFact(FRAMEWORK, f"retry_middleware.{key}", located, scope))
        return
    sink.configs.append(ConfigFact(FRAMEWORK, "middleware", ctx.locate(node), scope))


def _extract_hooks(ctx: FileContext, sink: FactSink) -> None:
    """``TaskiqMiddleware`` subclasses that see every failed attempt: ``on_error``, and
    ``post_execute`` when it reads the result's ``is_err`` / ``error`` (it runs after every
    execution, failed or not: taskiq 0.13 ``receiver/receiver.py``)."""
    for info in ctx.classes.values():
        bases = {ctx.qualify(arg.value) for arg in info.node.bases}
        if not bases & HOOK_BASES:
            continue
        for method in ("on_error", "post_execute"):
            function = info.methods.get(method)
            if function is None:
                continue
            if method == "post_execute" and not re.search(
                r"\.(is_err|error)\b", ctx.code(function.node.body)
            ):
                continue
            target = f"{SELF_MODULE}.{info.qualname}"
            span = ctx.span(function.node.name)
            sink.hooks.append(HookFact(FRAMEWORK, f"middleware.{method}", target, span))


def _extract_tasks(ctx: FileContext, sink: FactSink) -> None:
    for function in ctx.functions:
        for decorator in decorators(ctx, function):
            if decorator.last != "task" or decorator.receiver is None:
                continue
            if _other_framework_object(ctx, decorator.receiver):
                continue
            call = decorator.call
            options = keyword_options(ctx, call)
            name: Value = None
            if call is not None:
                positional = [a.value for a in call.args if a.keyword is None and not a.star]
                if positional:
                    name = ctx.evaluate(positional[0])
            name = next((v.value for k, v in options if k == "task_name"), name)
            labels = tuple((k, v) for k, v in options if k != "task_name")
            sink.job_defs.append(
                JobDef(
                    function=function.qualname,
                    name=name if isinstance(name, str) else None,
                    kind="task",
                    span=ctx.span(function.node.name),
                    framework=FRAMEWORK,
                    receiver=decorator.receiver,
                    decorator=call_shape(ctx, decorator.node.decorator),
                    options=labels,
                    data=(
                        ("named", name is not None),
                        ("taskiq_only", any(k in TASKIQ_ONLY_LABELS for k, _ in options)),
                    ),
                )
            )
            break


def _other_framework_object(ctx: FileContext, receiver: str) -> bool:
    """``app`` bound in this file to something that is not a taskiq broker (``Celery()``)."""
    if not receiver.startswith(f"{SELF_MODULE}.") or receiver.count(".") != 1:
        return False
    node = ctx.constants.get(receiver[2:])
    if node is None:
        return False
    try:
        call, _ = _constructor(ctx, node)
    except LookupError:
        return False
    return not _is_broker_class(ctx.qualify(call.func))


# ---------------------------------------------------------------------------------------------
# Project phase
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    value: Value
    source: Source
    origin: str
    span: Span | None = None
    path: str | None = None

    def sourced(self, value: object, origin: str | None = None) -> Sourced:
        return Sourced(value, self.source, origin or self.origin, self.span, self.path)


@dataclass
class _Broker:
    name: str
    module: ModuleFacts
    fact: ObjectFact
    retry: _Option | None = None  # the retry middleware call
    retry_options: dict[str, _Option] = field(default_factory=dict)
    middleware: list[str] = field(default_factory=list)  # canonical class names

    @property
    def kind(self) -> str:
        constructor = self.fact.constructor
        value = constructor.value if constructor else None
        return value.last if isinstance(value, CallValue) else ""

    @property
    def smart(self) -> bool:
        value = self.retry.value if self.retry else None
        return isinstance(value, CallValue) and value.last == "SmartRetryMiddleware"


def build_jobs(project: ProjectIndex) -> Iterable[Job]:
    brokers = _brokers(project)
    shared = _shared_default(project, brokers)
    hooks: dict[str, list[tuple[str, HookFact]]] = {}
    for module, hook in project.hooks(FRAMEWORK):
        hooks.setdefault(project.canonical(hook.target, module), []).append((module.path, hook))
    uses_taskiq = any(root.startswith(FRAMEWORK) for root in project.frameworks_imported)
    for module, job_def in project.job_defs():
        if job_def.framework != FRAMEWORK or job_def.receiver is None:
            continue
        receiver = project.canonical(job_def.receiver, module)
        broker: _Broker | Marker | None
        if receiver in SHARED_BROKERS:
            broker = shared
        elif receiver in brokers:
            broker = brokers[receiver]
        elif project.object(job_def.receiver, module) is not None:
            continue  # another framework's app (Celery, Huey)
        elif job_def.datum("taskiq_only") and uses_taskiq:
            broker = UNKNOWN
        else:
            continue
        yield _build_task(project, module, job_def, broker, hooks)


def _brokers(project: ProjectIndex) -> dict[str, _Broker]:
    brokers: dict[str, _Broker] = {}
    for module, fact in project.objects(FRAMEWORK):
        if fact.kind == "taskiq-broker":
            name = f"{module.module}.{fact.name}"
            brokers.setdefault(name, _Broker(name, module, fact))
    for module, config in project.configs(FRAMEWORK):
        if config.scope is None:
            continue
        broker = brokers.get(project.canonical(config.scope, module))
        if broker is None:
            continue
        located = config.value
        if config.key == "retry_middleware":
            origin = _short(located.code)
            if broker.retry is None:
                broker.retry = _Option(
                    located.value, "app-config", origin, located.span, module.path
                )
        elif config.key.startswith("retry_middleware."):
            key = config.key.split(".", 1)[1]
            kind = located.value
            origin = f"{key}={located.code}"
            broker.retry_options.setdefault(
                key, _Option(kind, "app-config", origin, located.span, module.path)
            )
        elif config.key == "middleware":
            value = located.value
            if isinstance(value, CallValue) and value.func:
                broker.middleware.append(project.canonical(value.func, module))
            elif isinstance(value, Ref):
                broker.middleware.append(project.canonical(value.name, module))
    return brokers


def _shared_default(project: ProjectIndex, brokers: dict[str, _Broker]) -> _Broker | Marker:
    """The broker that runs ``async_shared_broker`` tasks: the project's only broker, if one."""
    if len(brokers) == 1:
        return next(iter(brokers.values()))
    return UNKNOWN


def _short(code: str, limit: int = 70) -> str:
    flat = " ".join(code.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _build_task(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    broker: _Broker | Marker | None,
    hooks: dict[str, list[tuple[str, HookFact]]],
) -> Job:
    labels = {key: located for key, located in job_def.options}
    function_name = job_def.function.rsplit(".", 1)[-1]
    name = job_def.name or f"{module.module}:{function_name}"
    policy = _policy(project, module, labels, broker)
    failure_hooks: list[FailureHook] = []
    if isinstance(broker, _Broker):
        origin = f"middleware of broker {broker.name}"
        for class_name in broker.middleware:
            for path, hook in hooks.get(class_name, ()):
                hook_of = FailureHook(hook.kind, class_name, hook.span, True, path, origin)
                failure_hooks.append(hook_of)
    details: list[tuple[str, object]] = [
        ("broker", broker.name if isinstance(broker, _Broker) else broker),
        ("labels", job_def.options),
    ]
    if job_def.decorator is not None:
        details.insert(0, ("decorator", job_def.decorator))
    if job_def.datum("named") and job_def.name is None:
        details.append(("task_name_unknown", True))
    retry_label = labels.get("retry_on_error")
    no_middleware = isinstance(broker, _Broker) and broker.retry is None
    if no_middleware and retry_label is not None and retry_label.value is True:
        details.append(("retry_label_without_middleware", retry_label))
    return Job(
        name=name,
        qualname=f"{module.module}.{job_def.function}",
        framework=FRAMEWORK,
        kind="task",
        path=module.path,
        span=job_def.span,
        policy=policy,
        failure_hooks=tuple(failure_hooks),
        time_limit=_timeout(labels),
        function=job_def.function,
        details=tuple(details),
    )


def _label(labels: dict[str, Located], key: str) -> _Option | None:
    located = labels.get(key)
    if located is None:
        return None
    return _Option(located.value, "explicit", f"{key}={located.code}", located.span)


def _timeout(labels: dict[str, Located]) -> Sourced[SecondsValue]:
    option = _label(labels, "timeout")
    if option is None:
        return default(None, "no timeout label (taskiq sets no time limit)")
    return option.sourced(None if option.value is None else as_seconds(option.value))


def _redelivery(broker: _Broker | Marker | None, labels: dict[str, Located]) -> Sourced:
    ack = _label(labels, "ack_type")
    if ack is not None and isinstance(ack.value, Ref) and ack.value.last == "WHEN_RECEIVED":
        return ack.sourced(False, f"{ack.origin}: acked before the task runs")
    if not isinstance(broker, _Broker):
        return default(UNKNOWN, "the task's broker is not known")
    kind = broker.kind
    if kind in REDELIVERY:
        verb = "redelivers" if REDELIVERY[kind] else "does not redeliver"
        return default(REDELIVERY[kind], f"{kind} {verb} a message after a worker crash")
    return default(UNKNOWN, f"{kind or 'this broker'}: redelivery after a crash not known")


def _policy(
    project: ProjectIndex,
    module: ModuleFacts,
    labels: dict[str, Located],
    broker: _Broker | Marker | None,
) -> RetryPolicy:
    redelivery = _redelivery(broker, labels)
    if isinstance(broker, _Broker) and broker.retry is None:
        origin = f"no retry middleware on {broker.fact.name} (taskiq retries nothing by default)"
        return _no_retry(default(False, origin), redelivery)
    enabled = _enabled(labels, broker)
    truth = _truth(enabled.value)
    if truth is False:
        return _no_retry(enabled.sourced(False), redelivery)
    attempts = _attempts(labels, broker)
    if not isinstance(broker, _Broker):
        unknown = "the task's broker (and its retry middleware) is not known"
        retries: Sourced[bool | Marker] = default(UNKNOWN, unknown)
    elif truth is UNKNOWN:
        retries = enabled.sourced(UNKNOWN)
    elif isinstance(attempts.value, int) and attempts.value <= 1:
        retries = Sourced(False, attempts.source, attempts.origin, attempts.span, attempts.path)
    elif attempts.value is UNKNOWN:
        retries = Sourced(UNKNOWN, attempts.source, attempts.origin, attempts.span, attempts.path)
    else:
        retries = enabled.sourced(True)
    return RetryPolicy(
        retries=retries,
        max_attempts=attempts,
        delay=_delay(labels, broker),
        deadline=default(None, "taskiq's retry middleware has no total deadline"),
        retry_on=_retry_on(project, module, labels, broker),
        permanent=default((), "none excluded"),
        redelivery=redelivery,
    )


def _enabled(labels: dict[str, Located], broker: _Broker | Marker | None) -> _Option:
    """``retry_on_error``: the label (None means "use the default"), else the middleware's."""
    option = _label(labels, "retry_on_error")
    if option is not None and option.value is not None:
        return option
    if isinstance(broker, _Broker):
        found = broker.retry_options.get("default_retry_label")
        if found is not None:
            return found
        return _Option(False, "default", "default_retry_label=False (taskiq default)")
    return _Option(UNKNOWN, "default", "retry_on_error not set; the broker is not known")


def _truth(value: Value) -> bool | Marker:
    """How the middleware reads the label: a bool, or a string compared with "true"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    return UNKNOWN


def _no_retry(flag: Sourced, redelivery: Sourced) -> RetryPolicy:
    def same(value: object) -> Sourced:
        return Sourced(value, flag.source, flag.origin, flag.span, flag.path)

    return RetryPolicy(
        retries=flag,
        max_attempts=same(1),
        delay=same(NO_DELAY),
        deadline=same(None),
        retry_on=same(()),
        permanent=same(()),
        redelivery=redelivery,
    )


def _attempts(labels: dict[str, Located], broker: _Broker | Marker | None) -> Sourced:
    option = _label(labels, "max_retries")
    if option is None and isinstance(broker, _Broker):
        option = broker.retry_options.get("default_retry_count")
    if option is None:
        origin = f"max_retries={TASKIQ_DEFAULT_RETRY_COUNT} (taskiq default: 3 attempts)"
        return default(TASKIQ_DEFAULT_RETRY_COUNT, origin)
    value = option.value
    if isinstance(value, int) and not isinstance(value, bool):
        return option.sourced(max(value, 1))
    if isinstance(value, str) and value.isdigit():
        return option.sourced(max(int(value), 1))
    return option.sourced(UNKNOWN)


def _delay(labels: dict[str, Located], broker: _Broker | Marker | None) -> Sourced:
    if not isinstance(broker, _Broker):
        return default(Delay("unknown"), "the task's broker is not known")
    assert broker.retry is not None
    if not broker.smart:
        return broker.retry.sourced(
            NO_DELAY, f"{broker.retry.origin}: re-sends a failed task at once"
        )
    options = broker.retry_options
    delay = _label(labels, "delay") or options.get("default_delay")
    exponent = options.get("use_delay_exponent")
    cap_option = options.get("max_delay_exponent")
    jitter_option = options.get("use_jitter")
    base = _seconds(delay.value) if delay else TASKIQ_SMART_DEFAULT_DELAY
    jitter = _flag(jitter_option.value) if jitter_option else False
    linear = _flag(exponent.value) if exponent else False
    if linear is True:
        cap = _seconds(cap_option.value) if cap_option else TASKIQ_SMART_MAX_DELAY_EXPONENT
        if base is not None and cap is not None:
            base = min(base, cap)
        value = Delay("linear", base, cap, jitter)
    elif linear is None:
        value = Delay("unknown", base, None, jitter)
    elif base == 0:
        value = Delay("none", 0.0, None, jitter)
    else:
        value = Delay("constant", base, base, jitter)
    # The first option that differs from the defaults is where a fix or a message points.
    setters = [o for o in (delay, exponent, cap_option, jitter_option) if o is not None]
    if not setters:
        return broker.retry.sourced(
            value, f"{broker.retry.origin}: default_delay=5 s (taskiq default)"
        )
    return setters[0].sourced(value, ", ".join(o.origin for o in setters))


def _seconds(value: Value) -> float | None:
    seconds = as_seconds(value)
    return None if isinstance(seconds, Marker) else seconds


def _flag(value: Value) -> bool | None:
    if isinstance(value, bool):
        return value
    if is_number(value):
        return bool(value)
    return None


def _retry_on(
    project: ProjectIndex,
    module: ModuleFacts,
    labels: dict[str, Located],
    broker: _Broker | Marker | None,
) -> Sourced:
    option = _label(labels, "types_of_exceptions")
    owner = module
    if option is None and isinstance(broker, _Broker):
        option = broker.retry_options.get("types_of_exceptions")
        owner = broker.module
    if option is None and not isinstance(broker, _Broker):
        return default(UNKNOWN, "the task's broker (and its retry middleware) is not known")
    if option is None or option.value is None:
        return default("all", "every exception (taskiq retry middleware default)")
    names = exception_names(option.value)
    if isinstance(names, tuple):
        names = tuple(project.canonical(name, owner) for name in names)
    return option.sourced(names)
