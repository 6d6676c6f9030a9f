"""What one file says about Celery apps and tasks: app objects, task decorators, task classes.

Per file (``extract``) we record what the file says and nothing more:

- ``X = Celery(...)`` as an ``ObjectFact`` (kind ``celery-app``) whatever ``X`` is called, and the
  constructor's settings keywords (``task_acks_late=True``, ``changes={...}``) as config;
- ``@<recv>.task`` / ``@shared_task`` / ``@current_app.task`` functions as ``JobDef`` (kind
  ``celery-task``); a ``.task`` receiver is only a *candidate* until ``build_jobs`` resolves it;
- classes that may be ``Task`` subclasses or custom bases (``TaskClass`` in ``data``).

The per-file half of the engine's seam for tasks: nothing here reads another file.

Decisions:

- Class-based task options are evaluated in the class body's scope: ``retry_kwargs =
  {"max_retries": max_retries}`` after ``max_retries = 8`` is 8; a name assigned later in the
  body is the module's, as Python reads it. ``retry_kwargs`` entries written in a class body keep
  their own spans; ``dict(max_retries=...)`` counts as a written-out dict.

Not modelled: legacy ``celery.task``/``celery.decorators``, ``app.task(fn)`` called as a plain
function, Celery subclasses as app constructors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.celery.config import constructor_config, literal_node
from retrylint.frameworks.celery.countdown import HelperCall, RetryCall, scan_body
from retrylint.frameworks.celery.from_declarations import declared
from retrylint.frameworks.celery.names import (
    APP_CONSTRUCTORS,
    CURRENT_APP,
    FRAMEWORK,
    OTHER_FRAMEWORK_ROOTS,
    RETRY_ATTRIBUTES,
    TASK_KIND,
    TASK_OPTIONS,
    words,
)
from retrylint.frameworks.common import call_shape, decorators, keyword_options
from retrylint.model import UNKNOWN, Span
from retrylint.values import DictValue, Located, Value

SHARED_TASK = frozenset({"celery.shared_task", "celery.app.shared_task"})

# Decorator keywords only Celery takes (frameworks.md 1.1). ``max_retries`` is left out: taskiq
# labels use the same word. ``name`` is left out: Huey takes it too.
CELERY_ONLY_KWARGS = words(
    "bind autoretry_for dont_autoretry_for retry_kwargs default_retry_delay retry_backoff "
    "retry_backoff_max retry_jitter acks_late base soft_time_limit serializer "
    "reject_on_worker_lost"
)
# Keywords of Huey's / taskiq's ``.task`` that Celery does not take: never ours.
OTHER_FRAMEWORK_KWARGS = frozenset(
    {"retries", "retry_delay", "context", "task_name", "retry_on_error", "broker"}
)
# Classes with a ``run`` method that are certainly not tasks.
_NOT_TASK_BASE_ROOTS = frozenset(
    {"threading", "multiprocessing", "abc", "typing", "enum", "unittest", "asyncio", "object"}
)


@dataclass(frozen=True)
class TaskClass:
    """A class that may be a ``Task`` subclass (a class-based task or a custom ``base=``)."""

    name: str  # qualname within the module
    span: Span
    bases: tuple[str, ...]  # qualified names
    attributes: tuple[tuple[str, Located], ...] = ()  # Celery options set as class attributes
    run: str | None = None  # qualname of the run method
    run_span: Span | None = None
    retry_calls: tuple[RetryCall, ...] = ()
    on_failure: Span | None = None
    helper_calls: tuple[HelperCall, ...] = ()
    # ``retry_kwargs.<key>`` entries of a dict written in the class body, each with its own span
    # and class-body names resolved (``retry_kwargs = {"max_retries": max_retries}``).
    entries: tuple[tuple[str, Located], ...] = ()


def extract_apps_and_bindings(ctx: FileContext, sink: FactSink) -> None:
    sink.data.extend(declared(ctx.declarations()))
    for assignment in ctx.assignments:
        if assignment.function is not None or assignment.class_name is not None:
            continue
        value = assignment.value
        if not isinstance(value, cst.Call):
            continue
        callee = ctx.qualify(value.func)
        for target in assignment.targets:
            if not isinstance(target, cst.Name):
                continue
            name = target.value
            if callee in APP_CONSTRUCTORS:
                sink.objects.append(
                    ObjectFact(name, "celery-app", FRAMEWORK, ctx.span(target), ctx.locate(value))
                )
                constructor_config(ctx, sink, value, f"$.{name}")
            elif _is_register_task(value):
                registered = value.args[0].value if value.args else None
                if isinstance(registered, cst.Call):
                    cls = ctx.qualify(registered.func)
                    if cls:
                        sink.data.append(("celery.instance", (name, cls)))
    for info in ctx.calls:
        node = info.node
        if _is_register_task(node) and node.args:
            registered = node.args[0].value
            inner = registered.func if isinstance(registered, cst.Call) else registered
            cls = ctx.qualify(inner)
            receiver = ctx.qualify(node.func.value)  # type: ignore[attr-defined]
            if cls:
                sink.data.append(("celery.registration", ((cls, receiver), ctx.span(node))))


def _is_register_task(node: cst.Call) -> bool:
    return isinstance(node.func, cst.Attribute) and node.func.attr.value == "register_task"


def extract_tasks(ctx: FileContext, sink: FactSink) -> None:
    for function in ctx.functions:
        if function.class_name is not None:
            continue  # Celery tasks are functions; a method decorated @app.task is not modelled
        for decorator in decorators(ctx, function):
            form, receiver = _task_decorator(decorator.qualified, decorator.receiver)
            if form is None:
                continue
            options = _options(ctx, decorator.call)
            sink.job_defs.append(_job_def(ctx, function, decorator, form, receiver, options))
            break


def _task_decorator(qualified: str, receiver: str | None) -> tuple[str | None, str | None]:
    """("shared_task" | "current_app" | "app", receiver) for a Celery-looking task decorator."""
    if qualified in SHARED_TASK:
        return "shared_task", None
    if receiver is None or not qualified.endswith(".task"):
        return None, None
    if receiver in CURRENT_APP:
        return "current_app", receiver
    if receiver.split(".", 1)[0] in OTHER_FRAMEWORK_ROOTS:
        return None, None
    return "app", receiver


def _options(ctx: FileContext, call: cst.Call | None) -> tuple[tuple[str, Located], ...]:
    """Keyword options, plus ``retry_kwargs.<key>`` entries pointing into a literal dict."""
    found = list(keyword_options(ctx, call))
    if call is not None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "retry_kwargs":
                found.extend(_dict_entries(ctx, arg.value, "retry_kwargs."))
    return tuple(found)


def _dict_entries(
    ctx: FileContext, node: cst.BaseExpression, prefix: str
) -> list[tuple[str, Located]]:
    node = literal_node(ctx, node)
    entries: list[tuple[str, Located]] = []
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = ctx.evaluate(element.key)
                if isinstance(key, str):
                    entries.append((prefix + key, ctx.locate(element.value)))
    elif isinstance(node, cst.Call) and ctx.qualify(node.func) == "dict":
        for arg in node.args:
            if arg.keyword is not None:
                entries.append((prefix + arg.keyword.value, ctx.locate(arg.value)))
    return entries


def _job_def(
    ctx: FileContext,
    function: FunctionInfo,
    decorator: Any,
    form: str,
    receiver: str | None,
    options: tuple[tuple[str, Located], ...],
) -> JobDef:
    option = dict(options)
    bind = option["bind"].value if "bind" in option else False
    name = option["name"].value if "name" in option else None
    params = function.node.params.params
    first = params[0].name.value if params else None
    receivers = {function.name}
    bound = first if bind is not False else None
    if bound is not None:
        receivers.add(bound)
    kwargs = {key for key, _ in keyword_options(ctx, decorator.call)}
    scan = scan_body(ctx, function.node, receivers, bound)
    data: tuple[tuple[str, Any], ...] = (
        ("form", form),
        ("bind", bind),
        ("name_known", "name" not in option or isinstance(name, str)),
        ("retry_calls", tuple(scan.found)),
        ("helper_calls", tuple(scan.helpers)),
        ("celery_only_kwargs", bool(kwargs & CELERY_ONLY_KWARGS)),
        ("other_framework_kwargs", bool(kwargs & OTHER_FRAMEWORK_KWARGS)),
        (
            "bare_name",
            isinstance(
                decorator.call.func if decorator.call else decorator.node.decorator, cst.Name
            ),
        ),
    )
    return JobDef(
        function=function.qualname,
        name=name if isinstance(name, str) else None,
        kind=TASK_KIND,
        span=ctx.span(function.node.name),
        framework=FRAMEWORK if form in ("shared_task", "current_app") else None,
        receiver=receiver,
        decorator=call_shape(ctx, decorator.call or decorator.node.decorator),
        options=options,
        data=data,
    )


# -- classes ----------------------------------------------------------------------------------
def extract_classes(ctx: FileContext, sink: FactSink) -> None:
    imports_celery = any(target.split(".", 1)[0] == "celery" for target in ctx.imports.values())
    for info in ctx.classes.values():
        bases = tuple(
            qualified
            for arg in info.node.bases
            if arg.keyword is None and (qualified := ctx.qualify(arg.value))
        )
        if not bases:
            continue
        run = info.methods.get("run")
        on_failure = info.methods.get("on_failure")
        looks_like_task = any(
            base.split(".", 1)[0] == "celery" or base.endswith("Task") for base in bases
        )
        # Cheap gate before any span is asked for (spans cost a position pass over the file):
        # threads, models and enums also have ``run`` methods and ``name`` attributes.
        if not (
            looks_like_task
            or imports_celery
            or RETRY_ATTRIBUTES.intersection(info.attributes)
            or (
                (run or on_failure)
                and not any(base.split(".", 1)[0] in _NOT_TASK_BASE_ROOTS for base in bases)
            )
        ):
            continue
        located, entries = _class_attributes(ctx, info.qualname)
        attributes = tuple(
            (name, located.get(name) or ctx.locate(expression))
            for name, expression in info.attributes.items()
            if name in TASK_OPTIONS
        )
        retry_calls: tuple[RetryCall, ...] = ()
        helper_calls: tuple[HelperCall, ...] = ()
        if run is not None:
            params = run.node.params.params
            bound = params[0].name.value if params else None
            scan = scan_body(ctx, run.node, {bound} if bound else set(), bound)
            retry_calls, helper_calls = tuple(scan.found), tuple(scan.helpers)
        sink.data.append(
            (
                "celery.class",
                (
                    info.qualname,
                    TaskClass(
                        name=info.qualname,
                        span=ctx.span(info.node.name),
                        bases=bases,
                        attributes=attributes,
                        run=run.qualname if run else None,
                        run_span=ctx.span(run.node.name) if run else None,
                        retry_calls=retry_calls,
                        on_failure=ctx.span(on_failure.node.name) if on_failure else None,
                        helper_calls=helper_calls,
                        entries=entries,
                    ),
                ),
            )
        )
        if on_failure is not None and looks_like_task:
            sink.hooks.append(
                HookFact(
                    FRAMEWORK,
                    "on_failure",
                    f"$.{info.qualname}.on_failure",
                    ctx.span(on_failure.node.name),
                )
            )


def _class_attributes(
    ctx: FileContext, qualname: str
) -> tuple[dict[str, Located], tuple[tuple[str, Located], ...]]:
    """Task options of a class body evaluated in the class scope, as Python runs it: a name
    assigned earlier in the same body (``max_retries = 8``, then ``retry_kwargs = {"max_retries":
    max_retries}``) stands for that value. Also the ``retry_kwargs`` entries, each with its span.

    Only options whose expression names an earlier class attribute are returned (the others are
    located as usual); entries are returned for a dict literal written in the class body.
    """
    scope: dict[str, Value] = {}
    located: dict[str, Located] = {}
    entries: tuple[tuple[str, Located], ...] = ()
    for assignment in ctx.assignments:
        if assignment.class_name != qualname or assignment.function is not None:
            continue
        node = assignment.value
        names = [t.value for t in assignment.targets if isinstance(t, cst.Name)]
        if not names:
            continue
        uses_scope = bool(scope) and bool(_names_in(node) & scope.keys())
        value = _class_value(ctx, node, scope) if uses_scope else None
        for name in names:
            if name in TASK_OPTIONS and uses_scope:
                located[name] = Located(value, ctx.span(node), ctx.code(node))
            elif name in located:
                del located[name]  # reassigned later without class names: located as usual
            if name == "retry_kwargs":
                entries = tuple(_class_dict_entries(ctx, node, scope))
        for name in names:
            scope[name] = value if uses_scope else ctx.evaluate(node)
    return located, entries


def _names_in(node: cst.BaseExpression) -> set[str]:
    """Bare names read by an expression (not attribute names, keywords or dict keys' text)."""
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    node.visit(Names())
    return found


def _class_value(ctx: FileContext, node: cst.BaseExpression, scope: dict[str, Value]) -> Value:
    """``ctx.evaluate`` with the names of the class body bound first."""
    match node:
        case cst.Name(value=name) if name in scope:
            return scope[name]
        case cst.Tuple(elements=elements) | cst.List(elements=elements):
            if any(isinstance(e, cst.StarredElement) for e in elements):
                return UNKNOWN
            return tuple(_class_value(ctx, e.value, scope) for e in elements)
        case cst.Dict(elements=elements):
            items: list[tuple[Value, Value]] = []
            for element in elements:
                if not isinstance(element, cst.DictElement):
                    return UNKNOWN
                key = _class_value(ctx, element.key, scope)
                items.append((key, _class_value(ctx, element.value, scope)))
            return DictValue(tuple(items))
        case cst.Call() if ctx.qualify(node.func) == "dict" and not any(a.star for a in node.args):
            return DictValue(
                tuple(
                    (a.keyword.value, _class_value(ctx, a.value, scope))
                    for a in node.args
                    if a.keyword is not None
                )
            )
    if _names_in(node) & scope.keys():
        return UNKNOWN  # arithmetic or a call on a class attribute: not followed
    return ctx.evaluate(node)


def _class_dict_entries(
    ctx: FileContext, node: cst.BaseExpression, scope: dict[str, Value]
) -> list[tuple[str, Located]]:
    entries: list[tuple[str, Located]] = []
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = _class_value(ctx, element.key, scope)
                if isinstance(key, str):
                    value = _class_value(ctx, element.value, scope)
                    entries.append(
                        (
                            f"retry_kwargs.{key}",
                            Located(value, ctx.span(element.value), ctx.code(element.value)),
                        )
                    )
    elif isinstance(node, cst.Call) and ctx.qualify(node.func) == "dict":
        for arg in node.args:
            if arg.keyword is not None and not arg.star:
                value = _class_value(ctx, arg.value, scope)
                entries.append(
                    (
                        f"retry_kwargs.{arg.keyword.value}",
                        Located(value, ctx.span(arg.value), ctx.code(arg.value)),
                    )
                )
    return entries
