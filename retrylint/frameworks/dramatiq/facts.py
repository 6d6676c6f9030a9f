"""What one file says about Dramatiq: actors, actor classes, brokers and their middleware.

Per file we record actors (JobDef), brokers (ObjectFact), broker middleware options and
``set_broker`` (ConfigFact), failure hooks (HookFact) and the analysis of ``retry_when``
predicates (``FileFacts.data``, keyed by the predicate's span, made by ``retry_when``).

The per-file half of the engine's seam: nothing here reads another file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import ConfigFact, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import BodyVisitor, call_shape, decorators, keyword_options
from retrylint.frameworks.dramatiq.from_declarations import (
    class_job_def,
    class_span,
    literal_name,
    subclass_strength,
)
from retrylint.frameworks.dramatiq.names import (
    ACTOR_DECORATORS,
    BUILT_BY,
    CONFIG_MIDDLEWARE,
    FRAMEWORK,
    GET_BROKER,
    HOOK_METHODS,
    RETRY,
    RETRY_RAISES_DATA,
    SET_BROKER,
    SUBCLASS_DATA,
)
from retrylint.frameworks.dramatiq.retry_when import analyse_retry_when, record_retry_when
from retrylint.frameworks.loops.observation import missing_statuses
from retrylint.model import Marker, Span
from retrylint.values import SELF_MODULE, Located, Ref, exception_names


@dataclass(frozen=True)
class RetryRaise:
    """``raise Retry(delay=...)`` in a function: Dramatiq retries after ``delay`` ms instead of
    its backoff, for the failures of the ``except`` clause around it (None: outside any)."""

    span: Span
    code: str
    delay: Located | None
    handled: tuple[str, ...] | Literal["all"] | Marker | None


class _RetryRaiseFinder(BodyVisitor):
    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.found: list[RetryRaise] = []
        # The tests of the ``if`` bodies around the node, each with the number of ``except``
        # clauses it sits in: those inside the innermost clause filter what it retries.
        self.tests: list[tuple[int, cst.BaseExpression]] = []

    def visit_If_body(self, node: cst.If) -> None:
        self.tests.append((len(self.handlers), node.test))

    def leave_If_body(self, node: cst.If) -> None:
        self.tests.pop()

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        call = exc if isinstance(exc, cst.Call) else None
        if exc is None or self.ctx.qualify(call.func if call else exc) not in RETRY:
            return
        delay = None
        for position, arg in enumerate(call.args if call else ()):
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword == "delay" or (keyword is None and position == 1):  # Retry(message, delay)
                delay = self.ctx.locate(arg.value)
        handled: tuple[str, ...] | Literal["all"] | Marker | None = None
        if self.handlers:
            handler = self.handlers[-1]
            handled = (
                "all" if handler.type is None else exception_names(self.ctx.evaluate(handler.type))
            )
            # ``except ClientError as e: if e.status_code == 404: raise Retry(delay=1000)``:
            # only a missing resource is retried at that pace, whatever the clause catches.
            depth = len(self.handlers)
            missing = missing_statuses(self.ctx, [t for at, t in self.tests if at == depth])
            handled = missing or handled
        span = self.ctx.span(node)
        self.found.append(RetryRaise(span, self.ctx.code(node).strip(), delay, handled))


def extract(ctx: FileContext, sink: FactSink) -> None:
    if _imports_dramatiq(ctx):
        _extract_retry_raises(ctx, sink)
        _extract_actors(ctx, sink)
        _extract_brokers(ctx, sink)
        _extract_broker_calls(ctx, sink)
        _extract_middleware_hooks(ctx, sink)
    _extract_actor_classes(ctx, sink)


def _imports_dramatiq(ctx: FileContext) -> bool:
    return any(target.split(".", 1)[0] == FRAMEWORK for target in ctx.imports.values())


def _extract_retry_raises(ctx: FileContext, sink: FactSink) -> None:
    """Every module-level function's ``raise Retry(...)``: actors made by a project factory are
    only known in the project phase, so their bodies are read here all the same."""
    if "Retry" not in ctx.source:
        return
    for function in ctx.module_functions():
        finder = _RetryRaiseFinder(ctx)
        function.node.body.visit(finder)
        if finder.found:
            sink.data.append((RETRY_RAISES_DATA, (function.qualname, tuple(finder.found))))


def _extract_actors(ctx: FileContext, sink: FactSink) -> None:
    for function in ctx.functions:
        for decorator in decorators(ctx, function):
            if decorator.qualified not in ACTOR_DECORATORS:
                continue
            options = keyword_options(ctx, decorator.call)
            data: list[tuple[str, object]] = [("is_async", function.is_async)]
            if decorator.call is not None:
                analyse_retry_when(ctx, decorator.call, sink)
            sink.job_defs.append(
                JobDef(
                    function=function.qualname,
                    name=literal_name(options, "actor_name"),
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
    are kept as ``FileFacts.data`` entries (see ``declared``) -- unless their ``Meta`` holds no
    actor option (a Django model's).
    """
    imports_dramatiq = _imports_dramatiq(ctx)
    declarations = ctx.declarations()
    recorded: set[str] = set()
    for info, declared_class in zip(ctx.classes.values(), declarations.classes, strict=True):
        strength = subclass_strength(declared_class, recorded, imports_dramatiq)
        if strength is None:
            continue
        meta = info.inner_classes.get("Meta")
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
                record_retry_when(ctx, retry_when, sink)
        strong = strength == "strong"
        span = None if strong or meta else class_span(declarations, declared_class)
        job_def = class_job_def(declared_class, span or ctx.span(info.node.name), options, abstract)
        if strong:
            sink.job_defs.append(job_def)
        else:
            sink.data.append((SUBCLASS_DATA, job_def))
        if strong and not abstract:
            _option_hooks(options, sink)


def _option_hooks(options: tuple[tuple[str, Located], ...], sink: FactSink) -> None:
    for name, located in options:
        if name in ("on_failure", "on_retry_exhausted"):
            sink.hooks.append(HookFact(FRAMEWORK, name, hook_target(located), located.span))


def hook_target(located: Located) -> str:
    value = located.value
    if isinstance(value, str):
        return value
    if isinstance(value, Ref):
        return value.name
    return located.code


def _extract_brokers(ctx: FileContext, sink: FactSink) -> None:
    """``broker = RedisBroker(...)`` (any ``dramatiq.*Broker``, or a ``*Broker`` subclass in a
    file importing dramatiq) and ``broker = get_broker()``.

    A broker built inside a function (``def get_broker(): ... return RoutingRedisBroker(...)``)
    is recorded under the name ``<function>()``: a module-level ``broker = get_broker()`` in
    any module is that broker (``brokers.all_brokers``).
    """
    for assignment in ctx.assignments:
        if assignment.class_name is not None:
            continue
        call = assignment.value
        if not isinstance(call, cst.Call) or not _is_broker_call(ctx, call):
            continue
        function = assignment.function
        for target in assignment.targets:
            if not isinstance(target, cst.Name):
                continue
            if function is None:
                _record_broker(ctx, sink, target.value, call, ctx.span(target))
            elif function.is_module_level:
                name = f"{function.qualname}{BUILT_BY}"
                _record_broker(ctx, sink, name, call, ctx.span(target), function)


def _is_broker_call(ctx: FileContext, call: cst.Call) -> bool:
    name = ctx.qualify(call.func) or ""
    if name in GET_BROKER:
        return True
    return name.rsplit(".", 1)[-1].endswith("Broker") and (
        name.split(".", 1)[0] == FRAMEWORK or _imports_dramatiq(ctx)
    )


def _record_broker(
    ctx: FileContext,
    sink: FactSink,
    name: str,
    call: cst.Call,
    span: Span,
    function: FunctionInfo | None = None,
) -> None:
    sink.objects.append(ObjectFact(name, "dramatiq-broker", FRAMEWORK, span, ctx.locate(call)))
    scope = f"{SELF_MODULE}.{name}"
    for arg in call.args:
        if arg.keyword is None:
            continue
        keyword = arg.keyword.value
        value = _local_value(ctx, arg.value, function)
        if keyword == "middleware":
            sink.configs.append(
                ConfigFact(FRAMEWORK, "middleware", _middleware_list(ctx, value), scope)
            )
            if isinstance(value, cst.List | cst.Tuple):
                for element in _listed(value):
                    _record_middleware(ctx, sink, element, scope, in_list=True)
        elif keyword == "dead_message_ttl":
            sink.configs.append(ConfigFact(FRAMEWORK, "dead_message_ttl", ctx.locate(value), scope))


def _local_value(
    ctx: FileContext, value: cst.BaseExpression, function: FunctionInfo | None
) -> cst.BaseExpression:
    """What a local name passed to the broker was bound to in the same function, if once."""
    if function is None or not isinstance(value, cst.Name):
        return value
    bound = [
        a.value
        for a in ctx.assignments
        if a.function is function
        and any(isinstance(t, cst.Name) and t.value == value.value for t in a.targets)
    ]
    return bound[0] if len(bound) == 1 else value


def _listed(value: cst.List | cst.Tuple) -> list[cst.BaseExpression]:
    """The elements of a middleware list; a conditional splat (``*([M()] if db else [])``)
    counts its elements as present (the worst case for what the list may hold)."""
    found: list[cst.BaseExpression] = []
    for element in value.elements:
        if not isinstance(element, cst.StarredElement):
            found.append(element.value)
            continue
        inner = element.value
        branches = [inner.body, inner.orelse] if isinstance(inner, cst.IfExp) else [inner]
        for branch in branches:
            if isinstance(branch, cst.List | cst.Tuple):
                found.extend(
                    e.value for e in branch.elements if not isinstance(e, cst.StarredElement)
                )
    return found


def _middleware_list(ctx: FileContext, value: cst.BaseExpression) -> Located:
    if isinstance(value, cst.List | cst.Tuple):
        items = tuple(ctx.evaluate(element) for element in _listed(value))
        return Located(items, ctx.span(value), ctx.code(value))
    return ctx.locate(value)


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
            record_retry_when(ctx, arg.value, sink)


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
    """Custom ``Middleware`` subclasses that see failed messages: ``after_nack`` (a message
    failed for good), and ``after_process_message`` / ``after_skip_message`` when they read the
    failure (the ``exception`` argument, ``message.failed``). A metrics or logging middleware
    that only closes a span in ``after_process_message`` makes no failure visible."""
    for info in ctx.classes.values():
        bases = [ctx.qualify(arg.value) or "" for arg in info.node.bases]
        if not any(b.startswith("dramatiq") and b.endswith(".Middleware") for b in bases):
            continue
        for method in HOOK_METHODS:
            function = info.methods.get(method)
            if function is not None and (method == "after_nack" or _reads_failure(function)):
                target = f"{SELF_MODULE}.{info.qualname}"
                sink.hooks.append(
                    HookFact(
                        FRAMEWORK, f"middleware.{method}", target, ctx.span(function.node.name)
                    )
                )


def _reads_failure(function: FunctionInfo) -> bool:
    """Whether a middleware method does something with the message's failure: uses its
    ``exception`` parameter (by name, as Dramatiq passes it) other than to test it against
    None, or reads the message's ``failed`` / ``_exception``. A debounce middleware that only
    checks ``exception is None`` to clean up after a success reports nothing."""
    params = function.node.params
    names = {p.name.value for p in (*params.params, *params.kwonly_params)} & {"exception"}
    reads = _FailureReads(names)
    function.node.body.visit(reads)
    return reads.found


class _FailureReads(cst.CSTVisitor):
    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.found = False

    def visit_Comparison(self, node: cst.Comparison) -> bool:
        none_test = (
            isinstance(node.left, cst.Name)
            and node.left.value in self.names
            and all(
                isinstance(c.operator, cst.Is | cst.IsNot)
                and isinstance(c.comparator, cst.Name)
                and c.comparator.value == "None"
                for c in node.comparisons
            )
        )
        return not none_test

    def visit_Name(self, node: cst.Name) -> None:
        self.found |= node.value in self.names

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.found |= node.attr.value in ("failed", "_exception")
