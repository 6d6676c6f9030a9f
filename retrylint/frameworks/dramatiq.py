"""Dramatiq: ``@dramatiq.actor`` functions and ``GenericActor`` classes, and their brokers.

Dramatiq retries by default (``Retries`` middleware: 20 retries, exponential backoff from 15 s to
7 days, every ``BaseException``), so the interesting facts are the ones that change that: actor
options (milliseconds), a ``Retries(...)`` / ``TimeLimit(...)`` / ``AgeLimit(...)`` middleware
given to the broker, a broker whose ``middleware=[...]`` leaves ``Retries`` out, ``retry_when``
(which replaces ``max_retries``), ``throws`` (never retried) and per-message
``send_with_options(max_retries=...)`` overrides.

Per file we record actors (JobDef), brokers (ObjectFact), broker middleware options and
``set_broker`` (ConfigFact), failure hooks (HookFact) and the analysis of ``retry_when``
predicates (``FileFacts.data``, keyed by the predicate's span). ``build_jobs`` picks each actor's
broker (``broker=``, else ``set_broker``, else the project's only broker) and computes the
effective policy: message options, then actor options, then broker middleware, then defaults.

Facts from the installed sources (dramatiq 2.2.1, ``middleware/retries.py``): the message option
wins over the actor option, which wins over the middleware's (``options.get(key, fallback)``, so
an explicit 0 or None counts); ``retry_when`` is read from the actor or the middleware only, and
when set it replaces ``max_retries``; ``throws`` is checked first; ``max_backoff`` is clamped to
7 days; ``Retries(min_backoff=0)`` falls back to the default (``min_backoff or DEFAULT``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import libcst as cst

from retrylint.context import SELF_MODULE, ClassInfo, FileContext
from retrylint.facts import CallFact, ConfigFact, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import call_shape, decorators, keyword_options, retries_flag
from retrylint.frameworks.defaults import (
    DRAMATIQ_MAX_BACKOFF,
    DRAMATIQ_MAX_RETRIES,
    DRAMATIQ_MIN_BACKOFF,
    DRAMATIQ_MS,
    DRAMATIQ_TIME_LIMIT,
)
from retrylint.linking import call_site
from retrylint.model import (
    UNBOUNDED,
    UNKNOWN,
    CallSite,
    Delay,
    ExceptionsValue,
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
from retrylint.values import CallValue, Located, Ref, Value, as_seconds, exception_names, is_number

FRAMEWORK = "dramatiq"
ACTOR_DECORATORS = frozenset({"dramatiq.actor", "dramatiq.actor.actor"})
GENERIC_ACTORS = frozenset({"dramatiq.GenericActor", "dramatiq.generic.GenericActor"})
SET_BROKER = frozenset({"dramatiq.set_broker", "dramatiq.broker.set_broker"})
GET_BROKER = frozenset({"dramatiq.get_broker", "dramatiq.broker.get_broker"})
# Middleware classes whose constructor keywords are broker-wide defaults for every actor.
CONFIG_MIDDLEWARE = {"Retries": "Retries", "TimeLimit": "TimeLimit", "AgeLimit": "AgeLimit"}
# Middleware methods that see a failed message: a custom one is a failure hook.
HOOK_METHODS = ("after_process_message", "after_skip_message", "after_nack")
# Options that a message may override with send_with_options / message_with_options.
MESSAGE_OPTIONS = ("max_retries", "min_backoff", "max_backoff", "throws", "time_limit", "max_age")
# Actor options (dramatiq 2.2 actor.py and the default middleware's actor_options).
ACTOR_OPTIONS = frozenset(
    {
        "abstract",
        "actor_name",
        "queue_name",
        "priority",
        "broker",
        "max_retries",
        "min_backoff",
        "max_backoff",
        "retry_when",
        "throws",
        "time_limit",
        "max_age",
        "on_failure",
        "on_success",
        "on_retry_exhausted",
        "notify_shutdown",
    }
)
RETRY_WHEN_DATA = "dramatiq.retry_when"
SUBCLASS_DATA = "dramatiq.subclass"


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


# ---------------------------------------------------------------------------------------------
# Per-file phase
# ---------------------------------------------------------------------------------------------


def extract(ctx: FileContext, sink: FactSink) -> None:
    if _imports_dramatiq(ctx):
        _extract_actors(ctx, sink)
        _extract_brokers(ctx, sink)
        _extract_broker_calls(ctx, sink)
        _extract_middleware_hooks(ctx, sink)
    _extract_actor_classes(ctx, sink)


def _imports_dramatiq(ctx: FileContext) -> bool:
    return any(target.split(".", 1)[0] == FRAMEWORK for target in ctx.imports.values())


def _extract_actors(ctx: FileContext, sink: FactSink) -> None:
    for function in ctx.functions:
        for decorator in decorators(ctx, function):
            if decorator.qualified not in ACTOR_DECORATORS:
                continue
            options = keyword_options(ctx, decorator.call)
            data: list[tuple[str, object]] = [("is_async", function.is_async)]
            if decorator.call is not None:
                _analyse_retry_when(ctx, decorator.call, sink)
            sink.job_defs.append(
                JobDef(
                    function=function.qualname,
                    name=_literal_name(options, "actor_name"),
                    kind="actor",
                    span=ctx.span(function.node.name),
                    framework=FRAMEWORK,
                    decorator=call_shape(ctx, decorator.node.decorator),
                    options=options,
                    data=tuple(data),
                )
            )
            _option_hooks(options, sink)
            break


def _extract_actor_classes(ctx: FileContext, sink: FactSink) -> None:
    """Classes that may be ``GenericActor`` subclasses; ``build_jobs`` follows their bases.

    Recorded as JobDefs: direct subclasses, subclasses of a class recorded earlier in this file,
    and, in files importing dramatiq, every class with a base. In other files a subclass of an
    abstract actor defined elsewhere (``class FooTask(BaseTask)`` under ``from app.base import
    BaseTask``) names dramatiq nowhere, so classes defining ``perform`` or with an imported base
    are kept as ``FileFacts.data`` entries -- unless their ``Meta`` holds no actor option (a
    Django model's). Those get a span from a text search, not libcst's position pass, which
    most files never need.
    """
    imports_dramatiq = _imports_dramatiq(ctx)
    recorded: set[str] = set()
    for info in ctx.classes.values():
        bases = tuple(
            name for arg in info.node.bases if (name := ctx.qualify(arg.value)) is not None
        )
        if not bases:
            continue
        meta = info.inner_classes.get("Meta")
        direct = any(base in GENERIC_ACTORS for base in bases)
        local_base = any(base in recorded for base in bases)
        strong = direct or local_base or imports_dramatiq
        if not strong:
            imported = any("." in b and not b.startswith(f"{SELF_MODULE}.") for b in bases)
            if not (imported or "perform" in info.methods):
                continue
            if meta is not None and not ACTOR_OPTIONS.intersection(meta.attributes):
                continue
        recorded.add(f"{SELF_MODULE}.{info.qualname}")
        options: tuple[tuple[str, Located], ...] = ()
        abstract = False
        if meta is not None:
            options = tuple(
                (name, ctx.locate(value))
                for name, value in meta.attributes.items()
                if not name.startswith("_") and name != "abstract"
            )
            abstract_node = meta.attributes.get("abstract")
            abstract = abstract_node is not None and ctx.evaluate(abstract_node) is True
            retry_when = meta.attributes.get("retry_when")
            if retry_when is not None:
                _record_retry_when(ctx, retry_when, sink)
        perform = info.methods.get("perform")
        job_def = JobDef(
            function=info.qualname,
            name=_literal_name(options, "actor_name"),
            kind="actor-class",
            span=ctx.span(info.node.name) if strong or meta else _class_span(ctx, info),
            framework=FRAMEWORK,
            options=options,
            data=(
                ("bases", bases),
                ("abstract", abstract),
                ("has_meta", meta is not None),
                ("perform", perform.qualname if perform is not None else None),
            ),
        )
        if strong:
            sink.job_defs.append(job_def)
        else:
            sink.data.append((SUBCLASS_DATA, job_def))
        if strong and not abstract:
            _option_hooks(options, sink)


def _class_span(ctx: FileContext, info: ClassInfo) -> Span:
    """The class name's span found in the text (cheap); the position pass if that fails."""
    name = info.name
    pattern = re.compile(rf"^[ \t]*class[ \t]+({re.escape(name)})\b", re.MULTILINE)
    match = pattern.search(ctx.source)
    if match is None:
        return ctx.span(info.node.name)
    starts = ctx.line_starts()
    line = bisect.bisect_right(starts, match.start(1))
    column = match.start(1) - starts[line - 1] + 1
    return Span(line, column, line, column + len(name))


def _literal_name(options: tuple[tuple[str, Located], ...], key: str) -> str | None:
    value = next((located.value for name, located in options if name == key), None)
    return value if isinstance(value, str) else None


def _option_hooks(options: tuple[tuple[str, Located], ...], sink: FactSink) -> None:
    for name, located in options:
        if name in ("on_failure", "on_retry_exhausted"):
            sink.hooks.append(HookFact(FRAMEWORK, name, _hook_target(located), located.span))


def _hook_target(located: Located) -> str:
    value = located.value
    if isinstance(value, str):
        return value
    if isinstance(value, Ref):
        return value.name
    return located.code


def _extract_brokers(ctx: FileContext, sink: FactSink) -> None:
    """``broker = RedisBroker(...)`` (any ``dramatiq.*Broker``) and ``broker = get_broker()``."""
    for assignment in ctx.assignments:
        if assignment.function is not None or assignment.class_name is not None:
            continue
        call = assignment.value
        if not isinstance(call, cst.Call) or not _is_broker_call(ctx, call):
            continue
        for target in assignment.targets:
            if isinstance(target, cst.Name):
                _record_broker(ctx, sink, target.value, call, ctx.span(target))


def _is_broker_call(ctx: FileContext, call: cst.Call) -> bool:
    name = ctx.qualify(call.func) or ""
    if name in GET_BROKER:
        return True
    return name.split(".", 1)[0] == FRAMEWORK and name.rsplit(".", 1)[-1].endswith("Broker")


def _record_broker(ctx: FileContext, sink: FactSink, name: str, call: cst.Call, span: Span) -> None:
    sink.objects.append(ObjectFact(name, "dramatiq-broker", FRAMEWORK, span, ctx.locate(call)))
    scope = f"{SELF_MODULE}.{name}"
    for arg in call.args:
        if arg.keyword is None:
            continue
        keyword = arg.keyword.value
        if keyword == "middleware":
            sink.configs.append(ConfigFact(FRAMEWORK, "middleware", ctx.locate(arg.value), scope))
            if isinstance(arg.value, cst.List | cst.Tuple):
                for element in arg.value.elements:
                    _record_middleware(ctx, sink, element.value, scope, in_list=True)
        elif keyword == "dead_message_ttl":
            sink.configs.append(
                ConfigFact(FRAMEWORK, "dead_message_ttl", ctx.locate(arg.value), scope)
            )


def _record_middleware(
    ctx: FileContext,
    sink: FactSink,
    expression: cst.BaseExpression,
    scope: str,
    *,
    in_list: bool = False,
) -> None:
    """``Retries(max_retries=3)`` given to a broker: one ConfigFact per keyword."""
    call = _resolve_call(ctx, expression)
    if call is None:
        if not in_list:
            sink.configs.append(
                ConfigFact(FRAMEWORK, "add_middleware", ctx.locate(expression), scope)
            )
        return
    name = ctx.qualify(call.func) or ""
    kind = CONFIG_MIDDLEWARE.get(name.rsplit(".", 1)[-1]) if name.startswith("dramatiq") else None
    if kind is None:
        if not in_list:
            sink.configs.append(ConfigFact(FRAMEWORK, "add_middleware", ctx.locate(call), scope))
        return
    if not in_list:
        sink.configs.append(ConfigFact(FRAMEWORK, f"{kind}()", ctx.locate(call), scope))
    for arg in call.args:
        if arg.keyword is None:
            continue
        key = f"{kind}.{arg.keyword.value}"
        sink.configs.append(ConfigFact(FRAMEWORK, key, ctx.locate(arg.value), scope))
        if key == "Retries.retry_when":
            _record_retry_when(ctx, arg.value, sink)


def _resolve_call(ctx: FileContext, expression: cst.BaseExpression) -> cst.Call | None:
    """The call an expression is, or a module-level name is bound to (``retries = Retries()``)."""
    if isinstance(expression, cst.Name) and expression.value not in ctx.imports:
        expression = ctx.constants.get(expression.value, expression)
    return expression if isinstance(expression, cst.Call) else None


def _extract_broker_calls(ctx: FileContext, sink: FactSink) -> None:
    """``broker.add_middleware(...)`` and ``dramatiq.set_broker(...)`` anywhere in the file."""
    for info in ctx.calls:
        node = info.node
        func = node.func
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if isinstance(func, cst.Attribute) and func.attr.value == "add_middleware" and positional:
            scope = ctx.qualify(func.value)
            if scope is not None:
                _record_middleware(ctx, sink, positional[0], scope)
            continue
        if ctx.qualify(func) not in SET_BROKER or not positional:
            continue
        argument = positional[0]
        if isinstance(argument, cst.Call) and _is_broker_call(ctx, argument):
            line = ctx.span(argument).line
            name = f"<broker@{line}>"
            _record_broker(ctx, sink, name, argument, ctx.span(argument))
            target = f"{SELF_MODULE}.{name}"
        else:
            target = ctx.qualify(argument) or ""
        located = Located(Ref(target), ctx.span(argument), ctx.code(argument))
        sink.configs.append(ConfigFact(FRAMEWORK, "set_broker", located, None))


def _extract_middleware_hooks(ctx: FileContext, sink: FactSink) -> None:
    """Custom ``Middleware`` subclasses that see failed messages."""
    for info in ctx.classes.values():
        bases = [ctx.qualify(arg.value) or "" for arg in info.node.bases]
        if not any(b.startswith("dramatiq") and b.endswith(".Middleware") for b in bases):
            continue
        for method in HOOK_METHODS:
            function = info.methods.get(method)
            if function is not None:
                target = f"{SELF_MODULE}.{info.qualname}"
                sink.hooks.append(
                    HookFact(
                        FRAMEWORK, f"middleware.{method}", target, ctx.span(function.node.name)
                    )
                )


# -- retry_when ---------------------------------------------------------------------------------


def _analyse_retry_when(ctx: FileContext, call: cst.Call, sink: FactSink) -> None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "retry_when":
            _record_retry_when(ctx, arg.value, sink)


def _record_retry_when(ctx: FileContext, expression: cst.BaseExpression, sink: FactSink) -> None:
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


# ---------------------------------------------------------------------------------------------
# Project phase
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """An option's value and where it was set, before it is turned into a policy field."""

    value: Value
    source: Source
    origin: str  # "max_retries=None", "Retries(max_retries=3)"
    span: Span | None = None
    path: str | None = None

    def sourced(self, value: object, origin: str | None = None) -> Sourced:
        return Sourced(value, self.source, origin or self.origin, self.span, self.path)


@dataclass
class Broker:
    """One broker object (a module-level name) and the configuration the project gives it."""

    name: str  # canonical
    module: ModuleFacts
    fact: ObjectFact
    settings: dict[str, Setting] = field(default_factory=dict)
    middleware_list: Setting | None = None  # middleware=[...] replaces the default set
    middleware: list[tuple[str, Setting]] = field(default_factory=list)  # (class name, where)
    config_calls: list[str] = field(default_factory=list)  # "Retries()" added with add_middleware


def build_jobs(project: ProjectIndex) -> Iterable[Job]:
    brokers = _brokers(project)
    chosen = _default_broker(project, brokers)
    local = _local_brokers(project)
    retry_whens: dict[tuple[str, Span], RetryWhen] = {}
    for module in project:
        for key, value in module.facts.data:
            if key == RETRY_WHEN_DATA:
                span, analysis = value
                retry_whens[(module.path, span)] = analysis
    hooks: dict[str, tuple[ModuleFacts, HookFact]] = {}
    for module, hook in project.hooks(FRAMEWORK):
        if hook.kind.startswith("middleware."):
            hooks.setdefault(project.canonical(hook.target, module), (module, hook))
    candidates = [
        (module, job_def)
        for module, job_def in project.job_defs()
        if job_def.framework == FRAMEWORK and job_def.kind in ("actor", "actor-class")
    ]
    for module in project:
        for key, value in module.facts.data:
            if key == SUBCLASS_DATA:
                candidates.append((module, value))
    classes = {
        f"{module.module}.{job_def.function}": (module, job_def)
        for module, job_def in candidates
        if job_def.kind == "actor-class"
    }
    overrides = _message_overrides(project)
    for module, job_def in candidates:
        if job_def.kind == "actor-class":
            resolved = _resolve_actor_class(project, module, job_def, classes)
            if resolved is None:
                continue
            job_def = resolved
        elif job_def.kind != "actor":
            continue
        broker = _actor_broker(project, module, job_def, brokers, chosen, local)
        yield _build_actor(project, module, job_def, broker, retry_whens, hooks, overrides)


def _brokers(project: ProjectIndex) -> dict[str, Broker]:
    brokers: dict[str, Broker] = {}
    for module, fact in project.objects(FRAMEWORK):
        if fact.kind == "dramatiq-broker":
            name = f"{module.module}.{fact.name}"
            brokers.setdefault(name, Broker(name, module, fact))
    for module, config in project.configs(FRAMEWORK):
        if config.scope is None:
            continue
        broker = brokers.get(project.canonical(config.scope, module))
        if broker is None:
            continue
        located = config.value
        setting = Setting(
            located.value, "app-config", _config_origin(config), located.span, module.path
        )
        if config.key == "middleware":
            broker.middleware_list = setting
        elif config.key == "add_middleware" or config.key.endswith("()"):
            broker.middleware.append((_middleware_class(project, module, located), setting))
            if config.key.endswith("()"):
                broker.config_calls.append(config.key)
        elif "." in config.key:
            broker.settings.setdefault(config.key, setting)
    for broker in brokers.values():
        if broker.middleware_list is not None and isinstance(broker.middleware_list.value, tuple):
            module = broker.module
            for item in broker.middleware_list.value:
                if isinstance(item, CallValue) and item.func:
                    name = project.canonical(item.func, module)
                    broker.middleware.append((name, broker.middleware_list))
    return brokers


def _config_origin(config: ConfigFact) -> str:
    kind, _, option = config.key.partition(".")
    if option:
        return f"{kind}({option}={config.value.code})"
    if config.key == "middleware":
        return f"middleware={_short(config.value.code)}"
    return _short(config.value.code)


def _short(code: str, limit: int = 60) -> str:
    flat = " ".join(code.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _middleware_class(project: ProjectIndex, module: ModuleFacts, located: Located) -> str:
    value = located.value
    if isinstance(value, CallValue) and value.func:
        return project.canonical(value.func, module)
    if isinstance(value, Ref):
        return project.canonical(value.name, module)
    return ""


def _default_broker(project: ProjectIndex, brokers: dict[str, Broker]) -> str | Marker | None:
    """The broker actors use when they name none: ``set_broker``'s, or the only one there is.

    Test modules (a ``StubBroker`` in ``conftest.py``) only count when nothing else does. None:
    no broker in the project (Dramatiq's own default broker, default middleware); UNKNOWN:
    several candidates.
    """
    chosen = [
        (module.path, project.canonical(config.value.value.name, module))
        for module, config in project.configs(FRAMEWORK)
        if config.key == "set_broker" and isinstance(config.value.value, Ref)
    ]
    if not chosen:
        chosen = [(broker.module.path, name) for name, broker in brokers.items()]
    candidates = {name for _, name in chosen}
    if len(candidates) > 1:
        candidates = {name for path, name in chosen if not _is_test_path(path)} or candidates
    if not candidates:
        return None
    if len(candidates) == 1:
        return next(iter(candidates))
    # Several brokers that configure retries the same way (often: not at all) are one answer.
    if len({_signature(brokers.get(name)) for name in candidates}) == 1:
        return min(candidates)
    return UNKNOWN


def _signature(broker: Broker | None) -> tuple[object, ...]:
    """What in a broker changes an actor's policy: Retries/TimeLimit/AgeLimit options and a
    middleware list that replaces the defaults. (Other middleware only adds hooks.)"""
    if broker is None:
        return ()
    settings = tuple(sorted((key, repr(s.value)) for key, s in broker.settings.items()))
    listed = repr(broker.middleware_list.value) if broker.middleware_list else None
    return settings, listed, tuple(sorted(broker.config_calls))


def _local_brokers(project: ProjectIndex) -> dict[str, list[tuple[int, str]]]:
    """``set_broker`` calls per file, by line: an actor binds to the broker that is global when
    its decorator runs, so a ``set_broker`` above it in the same module decides."""
    found: dict[str, list[tuple[int, str]]] = {}
    for module, config in project.configs(FRAMEWORK):
        value = config.value.value
        if config.key == "set_broker" and isinstance(value, Ref):
            name = project.canonical(value.name, module)
            found.setdefault(module.path, []).append((config.value.span.line, name))
    return found


def _is_test_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(p in ("tests", "test", "conftest.py") or p.startswith("test_") for p in parts)


def _actor_broker(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    brokers: dict[str, Broker],
    chosen: str | Marker | None,
    local: dict[str, list[tuple[int, str]]],
) -> Broker | Marker | None:
    option = job_def.option("broker")
    if option is not None:
        if isinstance(option.value, Ref):
            return brokers.get(project.canonical(option.value.name, module), UNKNOWN)
        return UNKNOWN
    above = [name for line, name in local.get(module.path, ()) if line < job_def.span.line]
    if above:
        return brokers.get(above[-1])
    if isinstance(chosen, str):
        return brokers.get(chosen)  # None when set_broker names something we did not see
    return chosen


def _resolve_actor_class(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    classes: dict[str, tuple[ModuleFacts, JobDef]],
) -> JobDef | None:
    """A concrete GenericActor subclass with its effective Meta options, or None.

    Dramatiq resets ``abstract`` to False on an abstract base's Meta once the base is created, so
    a subclass without its own Meta is concrete and inherits the base's options; a subclass with
    its own Meta uses only that one.
    """
    if job_def.datum("abstract"):
        return None
    is_actor = False
    options = job_def.options if job_def.datum("has_meta") else None
    options_path = module.path
    seen: set[str] = set()
    pending = [(module, base) for base in job_def.datum("bases", ())]
    while pending:
        owner, base = pending.pop(0)
        name = project.canonical(base, owner)
        if name in GENERIC_ACTORS:
            is_actor = True
            continue
        if name in seen or name not in classes:
            continue
        seen.add(name)
        base_module, base_def = classes[name]
        if options is None and base_def.datum("has_meta"):
            options, options_path = base_def.options, base_module.path
        pending.extend((base_module, b) for b in base_def.datum("bases", ()))
    if not is_actor:
        return None
    options = options or ()
    data = (*job_def.data, ("options_path", options_path))
    return replace(job_def, options=options, name=_literal_name(options, "actor_name"), data=data)


def _message_overrides(project: ProjectIndex) -> dict[str, list[tuple[ModuleFacts, CallFact]]]:
    found: dict[str, list[tuple[ModuleFacts, CallFact]]] = {}
    for module, call in project.calls():
        if call.method not in ("send_with_options", "message_with_options") or not call.target:
            continue
        if any(call.keyword(key) is not None for key in MESSAGE_OPTIONS):
            found.setdefault(project.canonical(call.target, module), []).append((module, call))
    return found


def _build_actor(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    broker: Broker | Marker | None,
    retry_whens: dict[tuple[str, Span], RetryWhen],
    hooks: dict[str, tuple[ModuleFacts, HookFact]],
    overrides: dict[str, list[tuple[ModuleFacts, CallFact]]],
) -> Job:
    qualname = f"{module.module}.{job_def.function}"
    function = job_def.function
    if job_def.kind == "actor-class":
        function = job_def.datum("perform") or function
    actor = {name: located for name, located in job_def.options}
    options_path = job_def.datum("options_path", module.path)
    resolver = _Resolver(project, module, actor, broker, retry_whens, options_path=options_path)
    policy = resolver.policy({})
    policies: list[tuple[CallSite, RetryPolicy]] = []
    for call_module, call in overrides.get(qualname, ()):
        message = {name: located for name, located in call.keywords if name in MESSAGE_OPTIONS}
        site_policy = _Resolver(
            project, module, actor, broker, retry_whens, call_module.path, options_path
        ).policy(message)
        site = replace(call_site(call_module, call), policy=site_policy)
        policies.append((site, site_policy))
    details: list[tuple[str, object]] = [
        ("broker", broker.name if isinstance(broker, Broker) else broker),
        ("retries_middleware", resolver.retries_middleware()),
        ("options", job_def.options),
    ]
    if job_def.decorator is not None:
        details.insert(0, ("decorator", job_def.decorator))
    if job_def.kind == "actor-class":
        details.append(("actor_class", True))
    for key in ("retry_when", "throws", "queue_name"):
        if key in actor:
            details.append((key, actor[key]))
    when = resolver.retry_when()
    if when is not None and when[1].function is not None:
        details.append(("retry_when_function", when[1].function))
    if job_def.name is None and "actor_name" in actor:
        details.append(("actor_name_unknown", actor["actor_name"]))
    return Job(
        name=job_def.name or job_def.function.rsplit(".", 1)[-1],
        qualname=qualname,
        framework=FRAMEWORK,
        kind="actor",
        path=module.path,
        span=job_def.span,
        policy=policy,
        policies=tuple(policies),
        failure_hooks=_failure_hooks(project, actor, broker, hooks),
        time_limit=resolver.time_limit({}),
        function=function,
        details=tuple(details),
    )


def _failure_hooks(
    project: ProjectIndex,
    actor: dict[str, Located],
    broker: Broker | Marker | None,
    hooks: dict[str, tuple[ModuleFacts, HookFact]],
) -> tuple[FailureHook, ...]:
    found: list[FailureHook] = []
    for key, every_attempt in (("on_failure", True), ("on_retry_exhausted", False)):
        if key in actor:
            located = actor[key]
            found.append(FailureHook(key, _hook_target(located), located.span, every_attempt))
    if isinstance(broker, Broker):
        for class_name, _ in broker.middleware:
            if class_name in hooks:
                _, hook = hooks[class_name]
                found.append(FailureHook(hook.kind, class_name, hook.span, every_attempt=True))
    return tuple(found)


class _Resolver:
    """One actor's options in precedence order: message, actor, broker middleware, default."""

    def __init__(
        self,
        project: ProjectIndex,
        module: ModuleFacts,
        actor: dict[str, Located],
        broker: Broker | Marker | None,
        retry_whens: dict[tuple[str, Span], RetryWhen],
        message_path: str | None = None,
        options_path: str | None = None,
    ) -> None:
        self.project = project
        self.module = module
        self.actor = actor
        self.broker = broker
        self.retry_whens = retry_whens
        self.message_path = message_path
        # Options inherited from a base class's Meta live in the base's file.
        self.options_path = None if options_path == module.path else options_path

    def setting(
        self, key: str, middleware: str | None, message: dict[str, Located]
    ) -> Setting | None:
        if key in message:
            located = message[key]
            return Setting(
                located.value, "explicit", f"{key}={located.code}", located.span, self.message_path
            )
        if key in self.actor:
            located = self.actor[key]
            origin = f"{key}={located.code}"
            return Setting(located.value, "explicit", origin, located.span, self.options_path)
        if middleware is not None and isinstance(self.broker, Broker):
            return self.broker.settings.get(f"{middleware}.{key}")
        if middleware is not None and self.broker is UNKNOWN:
            return Setting(UNKNOWN, "app-config", f"{key} (the actor's broker is not known)")
        return None

    def middleware_state(self, kind: str) -> tuple[str, Setting | None]:
        """ "default", "configured", "absent" (a middleware list without it) or "unknown"."""
        broker = self.broker
        if not isinstance(broker, Broker):
            return ("unknown" if broker is UNKNOWN else "default"), None
        listed = broker.middleware_list
        if listed is not None:
            if not isinstance(listed.value, tuple):
                return "unknown", listed
            names = [i.last for i in listed.value if isinstance(i, CallValue)]
            if len(names) != len(listed.value):
                return "unknown", listed
            if kind not in names:
                return "absent", listed
            return "configured", listed
        if f"{kind}()" in broker.config_calls:
            # add_middleware() on a broker that already has the default one: two of them.
            return "added", None
        return "default", None

    def retries_middleware(self) -> str:
        return self.middleware_state("Retries")[0]

    def retry_when(self) -> tuple[Setting, RetryWhen] | None:
        setting = self.setting("retry_when", "Retries", {})
        if setting is None or setting.value is None:
            return None
        if setting.span is None:
            return setting, RetryWhen(UNKNOWN, UNKNOWN)
        path = setting.path or self.options_path or self.module.path
        analysis = self.retry_whens.get((path, setting.span), RetryWhen(UNKNOWN, UNKNOWN))
        return setting, analysis

    def policy(self, message: dict[str, Located]) -> RetryPolicy:
        state, listed = self.middleware_state("Retries")
        redelivery: Sourced[bool | Marker] = default(
            True, "Dramatiq acks a message after processing it: a worker crash redelivers it"
        )
        permanent = self.permanent(message)
        if state == "absent" and listed is not None:
            origin = f"{listed.origin} without Retries (failures are not retried)"
            off = listed.sourced(False, origin)
            return RetryPolicy(
                retries=off,
                max_attempts=listed.sourced(1, origin),
                delay=listed.sourced(Delay("none", 0.0, None, False), origin),
                deadline=listed.sourced(None, origin),
                retry_on=listed.sourced((), origin),
                permanent=permanent,
                redelivery=redelivery,
            )
        attempts, retry_on = self.attempts(message)
        if state == "unknown" and listed is not None:
            unknown = f"{listed.origin} (Retries may be missing)"
            if attempts.source == "default":
                attempts = listed.sourced(UNKNOWN, unknown)
        if isinstance(attempts.value, int) and attempts.value <= 1:
            # max_retries=0 (or a retry_when that always says no): one run, nothing retried.
            def same(value: object) -> Sourced:
                return Sourced(
                    value, attempts.source, attempts.origin, attempts.span, attempts.path
                )

            return RetryPolicy(
                retries=same(False),
                max_attempts=attempts,
                delay=same(Delay("none", 0.0, None, False)),
                deadline=same(None),
                retry_on=same(()),
                permanent=permanent,
                redelivery=redelivery,
            )
        return RetryPolicy(
            retries=retries_flag(attempts),
            max_attempts=attempts,
            delay=self.delay(message),
            deadline=self.deadline(message),
            retry_on=retry_on,
            permanent=permanent,
            redelivery=redelivery,
        )

    def attempts(self, message: dict[str, Located]) -> tuple[Sourced, Sourced]:
        every = default("all", "every exception, BaseException included (Dramatiq default)")
        when = self.retry_when()
        if when is not None:
            # retry_when replaces max_retries entirely, message options included.
            setting, analysis = when
            if analysis.retry_on == "all":
                retry_on = every
            elif isinstance(analysis.retry_on, tuple):
                retry_on = setting.sourced(self.names(setting, analysis.retry_on))
            else:
                retry_on = setting.sourced(analysis.retry_on)
            return setting.sourced(analysis.attempts), retry_on
        found = self.setting("max_retries", "Retries", message)
        if found is None:
            origin = f"max_retries={DRAMATIQ_MAX_RETRIES} (Dramatiq default)"
            return default(DRAMATIQ_MAX_RETRIES + 1, origin), every
        value = found.value
        if value is None:
            attempts: int | Marker = UNBOUNDED
        elif isinstance(value, int) and not isinstance(value, bool):
            attempts = max(value, 0) + 1
        else:
            attempts = UNKNOWN
        return found.sourced(attempts), every

    def permanent(self, message: dict[str, Located]) -> Sourced:
        setting = self.setting("throws", None, message)
        when = self.retry_when()
        excluded = self.names(when[0], when[1].permanent) if when is not None else ()
        if setting is None or setting.value is None:
            if when is not None and excluded:
                return when[0].sourced(excluded)
            return default((), "no throws= (Dramatiq retries every exception)")
        names = exception_names(setting.value)
        if isinstance(names, tuple):
            names = tuple(dict.fromkeys(self.names(setting, names) + excluded))
        return setting.sourced(names)

    def names(self, setting: Setting, names: tuple[str, ...]) -> tuple[str, ...]:
        """Exception names qualified in the module the setting was written in."""
        path = setting.path or self.options_path or self.module.path
        owner = self.project.by_path.get(path, self.module)
        return tuple(self.project.canonical(name, owner) for name in names)

    def delay(self, message: dict[str, Located]) -> Sourced:
        low = self.setting("min_backoff", "Retries", message)
        high = self.setting("max_backoff", "Retries", message)
        base = _milliseconds(low, DRAMATIQ_MIN_BACKOFF, middleware_or_default=True)
        cap = _milliseconds(high, DRAMATIQ_MAX_BACKOFF, middleware_or_default=True)
        # Dramatiq clamps max_backoff to 7 days, so an unknown cap is still at most that.
        cap = DRAMATIQ_MAX_BACKOFF if cap is None else min(cap, DRAMATIQ_MAX_BACKOFF)
        if base == 0.0:
            delay = Delay("none", 0.0, None, False)
        else:
            # 1.x: min(min_backoff * 2**k, max_backoff), jittered down to [d/2, d];
            # 2.x: min_backoff * 2**k * U(1, 2), over the cap -> max_backoff * U(0.5, 1).
            # Either way min_backoff is the scale of the first delay: base = min_backoff.
            delay = Delay("exponential", base, cap, True)
        sources = [s for s in (low, high) if s is not None]
        if not sources:
            return default(
                delay,
                "exponential backoff from min_backoff=15000 to max_backoff=604800000 ms "
                "with jitter (Dramatiq default)",
            )
        first = sources[0]
        origins = [s.origin for s in sources]
        if len(sources) == 2 and all(o.startswith("Retries(") for o in origins):
            origins = [f"Retries({origins[0][8:-1]}, {origins[1][8:-1]})"]
        return first.sourced(delay, ", ".join(origins))

    def deadline(self, message: dict[str, Located]) -> Sourced:
        setting = self.setting("max_age", "AgeLimit", message)
        if setting is not None and setting.value not in (None, 0):
            # A message older than max_age is failed before it runs, retries included (they
            # keep the first message's timestamp): a total cap on the retry window.
            return setting.sourced(as_seconds(setting.value, DRAMATIQ_MS))
        return default(None, "no max_age (Dramatiq has no total retry deadline)")

    def time_limit(self, message: dict[str, Located]) -> Sourced[SecondsValue]:
        state, listed = self.middleware_state("TimeLimit")
        if state == "absent" and listed is not None:
            return listed.sourced(None, f"{listed.origin} without TimeLimit")
        setting = self.setting("time_limit", "TimeLimit", message)
        if setting is None:
            return default(DRAMATIQ_TIME_LIMIT, "time_limit=600000 ms (Dramatiq default)")
        value = setting.value
        seconds: SecondsValue = None if value in (None, 0) else as_seconds(value, DRAMATIQ_MS)
        return setting.sourced(seconds)


def _milliseconds(
    setting: Setting | None, fallback: float, *, middleware_or_default: bool
) -> float | None:
    """Seconds from a millisecond option; None when unknown.

    ``Retries(min_backoff=0)`` means the default (the middleware does ``value or DEFAULT``); an
    actor or message option of 0 is used as is.
    """
    if setting is None:
        return fallback
    if setting.source == "app-config" and middleware_or_default and not setting.value:
        return fallback if setting.value in (0, None) else None
    seconds = as_seconds(setting.value, DRAMATIQ_MS)
    return None if isinstance(seconds, Marker) else seconds
