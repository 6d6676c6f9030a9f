"""Celery: tasks (decorated functions and ``Task`` classes), app configuration, retry policies.

Per file (``extract``) we record what the file says and nothing more:

- ``X = Celery(...)`` as an ``ObjectFact`` (kind ``celery-app``) whatever ``X`` is called, and the
  constructor's settings keywords (``task_acks_late=True``, ``changes={...}``) as config;
- ``@<recv>.task`` / ``@shared_task`` / ``@current_app.task`` functions as ``JobDef`` (kind
  ``celery-task``); a ``.task`` receiver is only a *candidate* until ``build_jobs`` resolves it;
- classes that may be ``Task`` subclasses or custom bases (``TaskClass`` in ``data``);
- ``self.retry(...)`` / ``<task>.retry(...)`` calls in task bodies with the ``except`` clause
  around each (``RetryCall``) and the shape of their ``countdown`` (constant, exponential ...);
- calls passing the bound task to a function (``HelperCall``: ``retryable_smtp(self)``), and
  module-level functions calling ``<parameter>.retry(...)`` (``RetryHelper``);
- app config: ``app.conf.X = ...``, ``app.conf["X"] = ...``, ``app.conf.update(...)``,
  ``config_from_object(...)``, module-level / config-class settings (``CELERY_TASK_ACKS_LATE``,
  ``task_acks_late``), ``task_annotations`` expanded per entry, ``beat_schedule`` entries
  (``ConfigFact`` key ``beat_schedule_entry``, value = the ``"task"`` string);
- failure hooks: ``task_failure`` signal handlers, ``on_failure`` overrides, ``link_error``.

Per project (``build_jobs``) the receivers are resolved, options are merged with Celery's own
precedence (verified on 5.7.0, see ``_OptionLayers``), and the effective policy is computed as
frameworks.md 1.4 says.

Decisions (each checked against celery 5.7.0 where it is behaviour):

- A ``.task`` decorator is Celery's when its receiver resolves to a ``Celery(...)`` object, is
  ``celery.current_app``; never when it resolves to another framework's object or to a name
  built by a huey/taskiq constructor; otherwise (imported from outside, built by a factory)
  when it passes a Celery-only keyword, or the project imports celery and neither huey nor
  taskiq. Decorators passing Huey/taskiq-only keywords (``retries``, ``task_name`` ...) never are.
- ``task_annotations``: the first map naming the task is applied, then the first ``'*'`` map on
  top of it, so ``'*'`` wins over a task-specific entry (celery/app/annotations.py resolve_all).
  The six autoretry-wrapper options read decorator keywords before the annotated class.
- App config: ``app.conf`` assignments / ``update`` and ``Celery(**settings)`` beat a
  ``config_from_object`` source whatever the order. Conflicting values for one key in different
  places are UNKNOWN. A source that cannot be read (a variable, a module outside the project)
  makes ``task_acks_late`` / time limits UNKNOWN instead of the framework default.
- Several retry paths (autoretry and each ``self.retry``): attempts are the worst (largest,
  UNBOUNDED first, then UNKNOWN); the delay is the weakest (none < constant < linear <
  exponential) so a backoff rule points at the path that lacks one.
- ``retry_on`` is ``"all"`` when the retried set holds ``Exception``/``BaseException`` or a bare
  ``except:`` calls ``self.retry``; a ``self.retry`` outside any ``except`` retries on a condition,
  which adds no exception. ``permanent`` is ``dont_autoretry_for``.
- A bound task passing itself to a function (``retryable_smtp(self)``, ``later(task=self)``)
  retries through that function's ``<parameter>.retry(...)`` calls when the function is defined
  at module level in the project (same module or imported); followed one level, spans point into
  the helper (with its path when it is another file). A helper retrying outside any ``except``
  takes the ``except`` clause around the call in the task. Not followed: the task by its
  module-level name, helper methods, wrapper objects holding the task (``self.task.retry()``).
- ``self.retry(max_retries=p)`` where ``p`` is a parameter of the function defaulting to None
  (and not reassigned before the call) is the task's own ``max_retries`` (task.py: None means the
  task default): attempts follow the task, the origin says a caller may pass another value.
  Another default (a number) stays UNKNOWN: any caller can change it.
- Class-based task options are evaluated in the class body's scope: ``retry_kwargs =
  {"max_retries": max_retries}`` after ``max_retries = 8`` is 8; a name assigned later in the
  body is the module's, as Python reads it. ``retry_kwargs`` entries written in a class body keep
  their own spans; ``dict(max_retries=...)`` counts as a written-out dict.
- With ``retry_jitter=False`` set, the autoretry delay's origin names it (``retry_backoff=30,
  retry_jitter=False``) but its span stays on ``retry_backoff``: the delay has one provenance, and
  RL201/RL203/RL102 point at the backoff that sets its base and cap.
- ``time_limit`` is the smaller of ``time_limit`` and ``soft_time_limit`` (options, then
  ``task_time_limit`` / ``task_soft_time_limit``); None when neither is set.

Not modelled: legacy ``celery.task``/``celery.decorators``, ``app.task(fn)`` called as a plain
function, ``config_from_envvar``, annotation *objects* (``annotate(task)`` methods: recorded as
``annotations_opaque``), Celery subclasses as app constructors, ``Celery(task_cls=...)`` bases
outside the project, namespaces other than ``CELERY`` for module-level settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallShape, ConfigFact, HookFact, JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import (
    BodyVisitor,
    call_shape,
    decorators,
    keyword_options,
    no_retry_policy,
)
from retrylint.frameworks.defaults import (
    CELERY_ACKS_LATE,
    CELERY_DEFAULT_RETRY_DELAY,
    CELERY_MAX_RETRIES,
    CELERY_RETRY_BACKOFF_MAX,
    CELERY_RETRY_JITTER,
    CELERY_TIME_LIMIT,
)
from retrylint.linking import INVOCATIONS, call_site
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
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
from retrylint.values import (
    CallValue,
    DictValue,
    Located,
    Ref,
    Value,
    as_seconds,
    is_number,
)

FRAMEWORK = "celery"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TASK_KIND = "celery-task"

APP_CONSTRUCTORS = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
SHARED_TASK = frozenset({"celery.shared_task", "celery.app.shared_task"})
CURRENT_APP = frozenset(
    {"celery.current_app", "celery.app.current_app", "celery._state.current_app"}
)
TASK_BASES = frozenset({"celery.Task", "celery.app.task.Task", "celery.app.Task"})
TASK_FAILURE = frozenset({"celery.signals.task_failure", "celery.signals.task_failure.connect"})

# Decorator keywords only Celery takes (frameworks.md 1.1). ``max_retries`` is left out: taskiq
# labels use the same word. ``name`` is left out: Huey takes it too.
CELERY_ONLY_KWARGS = _words(
    "bind autoretry_for dont_autoretry_for retry_kwargs default_retry_delay retry_backoff "
    "retry_backoff_max retry_jitter acks_late base soft_time_limit serializer "
    "reject_on_worker_lost"
)
# Keywords of Huey's / taskiq's ``.task`` that Celery does not take: never ours.
OTHER_FRAMEWORK_KWARGS = frozenset(
    {"retries", "retry_delay", "context", "task_name", "retry_on_error", "broker"}
)
OTHER_FRAMEWORK_ROOTS = frozenset({"huey", "taskiq", "dramatiq", "rq", "arq", "django_rq"})

# Task attributes that decide the policy (decorator keywords = class attributes = annotations).
TASK_OPTIONS = _words(
    "autoretry_for dont_autoretry_for retry_kwargs max_retries default_retry_delay "
    "retry_backoff retry_backoff_max retry_jitter acks_late acks_on_failure_or_timeout "
    "reject_on_worker_lost time_limit soft_time_limit ignore_result throws name bind base"
)
# Read by the autoretry wrapper at registration from the decorator keywords first, then the
# class (celery/app/autoretry.py): for these a decorator keyword beats task_annotations.
WRAPPER_OPTIONS = _words(
    "autoretry_for dont_autoretry_for retry_kwargs retry_backoff retry_backoff_max retry_jitter"
)
# Class attributes that mark a class as a (base) task even when its bases do not say so.
RETRY_ATTRIBUTES = TASK_OPTIONS - {"name", "throws", "ignore_result", "bind", "base"}
# Classes with a ``run`` method that are certainly not tasks.
_NOT_TASK_BASE_ROOTS = frozenset(
    {"threading", "multiprocessing", "abc", "typing", "enum", "unittest", "asyncio", "object"}
)
# Task attributes that fall back to an app setting when left at None (celery/app/task.py
# Task.from_config).
FROM_CONFIG = {
    "acks_late": "task_acks_late",
    "time_limit": "task_time_limit",
    "soft_time_limit": "task_soft_time_limit",
    "reject_on_worker_lost": "task_reject_on_worker_lost",
    "acks_on_failure_or_timeout": "task_acks_on_failure_or_timeout",
    "ignore_result": "task_ignore_result",
}
# App settings worth recording (new lowercase names).
SETTINGS = frozenset({*FROM_CONFIG.values(), "task_annotations", "beat_schedule"})
# Pre-4.0 upper-case names still accepted without a namespace (celery/app/defaults.py).
OLD_SETTINGS = {
    "CELERY_ACKS_LATE": "task_acks_late",
    "CELERYD_TASK_TIME_LIMIT": "task_time_limit",
    "CELERYD_TASK_SOFT_TIME_LIMIT": "task_soft_time_limit",
    "CELERY_REJECT_ON_WORKER_LOST": "task_reject_on_worker_lost",
    "CELERY_ACKS_ON_FAILURE_OR_TIMEOUT": "task_acks_on_failure_or_timeout",
    "CELERY_IGNORE_RESULT": "task_ignore_result",
    "CELERY_ANNOTATIONS": "task_annotations",
    "CELERYBEAT_SCHEDULE": "beat_schedule",
}
DJANGO_SETTINGS = "django.conf:settings"
SETTINGS_SCOPE = "settings:"  # ConfigFact.scope prefix for module / config-class settings
ANNOTATION_SEPARATOR = "|"  # ConfigFact key "<setting>|<list index>|<attr>|<task name>"
BEAT_ENTRY = "beat_schedule_entry"
CONFIG_SOURCE = "config_from_object"
CONFIG_NAMESPACE = "config_namespace"
TASK_CLS = "task_cls"

# Celery.__init__ parameters that are not settings.
_CONSTRUCTOR_PARAMETERS = _words(
    "main loader backend amqp events log control set_as_current tasks broker include changes "
    "config_source fixups task_cls autofinalize namespace strict_typing config_source_silent"
)
_RETRY_PARAMETERS = ("args", "kwargs", "exc", "throw", "eta", "countdown", "max_retries")
_RANDOM_FUNCTIONS = frozenset({"random", "uniform", "randint", "randrange", "choice", "triangular"})
_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_STRATEGY_RANK = {
    "none": 0,
    "constant": 1,
    "custom": 2,
    "unknown": 2,
    "linear": 3,
    "exponential": 4,
}


# -- per-file facts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryCall:
    """One ``self.retry(...)`` / ``<task>.retry(...)`` call in a task body.

    ``handler`` is the type expression of the innermost ``except`` clause around the call
    (``None`` with ``in_except`` for a bare ``except:``); ``delay`` is the countdown's shape as
    far as this file can tell (``None`` when it names a constant of another module).
    """

    span: Span
    receiver: str
    countdown: Located | None = None
    eta: Located | None = None
    max_retries: Located | None = None
    exc: Located | None = None
    throw: Located | None = None
    in_except: bool = False
    handler: Located | None = None
    handler_span: Span | None = None
    delay: Delay | None = None
    # Where a fix can add ``countdown=``; None when ``*args`` / ``**options`` may already hold it.
    shape: CallShape | None = None
    # ``max_retries=<p>`` where ``<p>`` is a parameter of the function defaulting to None.
    max_retries_parameter: str | None = None
    # Set in the project phase: the helper function the call is written in (its qualname), for a
    # task passing itself to it, and the call's file when it is not the task's.
    helper: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class HelperCall:
    """A call in a task body passing the bound task on: ``retryable_smtp(self)``.

    ``position`` / ``keyword`` say which argument the task is; the ``except`` clause around the
    call decides the retried exceptions of a ``task.retry()`` the helper makes outside one.
    """

    callee: str  # qualified name of the called function
    position: int | None
    keyword: str | None
    span: Span
    in_except: bool = False
    handler: Located | None = None
    handler_span: Span | None = None


@dataclass(frozen=True)
class RetryHelper:
    """A module-level function calling ``<parameter>.retry(...)``: a task passing itself as that
    parameter retries through it (``def retryable_smtp(task): ... raise task.retry(...)``)."""

    name: str  # qualname within the module
    positional: tuple[str, ...]  # positional parameter names, in order
    keyword_only: tuple[str, ...]
    retry_calls: tuple[tuple[str, tuple[RetryCall, ...]], ...]  # parameter -> its retry calls

    def calls_for(self, position: int | None, keyword: str | None) -> tuple[RetryCall, ...]:
        if keyword is not None:
            parameter: str | None = keyword
        elif position is not None and position < len(self.positional):
            parameter = self.positional[position]
        else:
            parameter = None
        return dict(self.retry_calls).get(parameter, ()) if parameter else ()


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


def extract(ctx: FileContext, sink: FactSink) -> None:
    _extract_apps_and_bindings(ctx, sink)
    _extract_tasks(ctx, sink)
    _extract_classes(ctx, sink)
    _extract_config(ctx, sink)
    _extract_hooks(ctx, sink)
    _extract_helpers(ctx, sink)


def _extract_apps_and_bindings(ctx: FileContext, sink: FactSink) -> None:
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
            if callee is not None:
                # What a module-level name was built by: tells a Huey/taskiq object (or a
                # factory's result) from a Celery app when the receiver is resolved later.
                sink.data.append(("celery.binding", (name, callee)))
            if callee in APP_CONSTRUCTORS:
                sink.objects.append(
                    ObjectFact(name, "celery-app", FRAMEWORK, ctx.span(target), ctx.locate(value))
                )
                _constructor_config(ctx, sink, value, f"$.{name}")
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


def _constructor_config(ctx: FileContext, sink: FactSink, call: cst.Call, scope: str) -> None:
    for arg in call.args:
        if arg.keyword is None or arg.star:
            continue
        key = arg.keyword.value
        if key == "changes":
            _dict_config(ctx, sink, arg.value, scope)
        elif key == "config_source":
            sink.configs.append(ConfigFact(FRAMEWORK, CONFIG_SOURCE, ctx.locate(arg.value), scope))
        elif key == "namespace":
            sink.configs.append(
                ConfigFact(FRAMEWORK, CONFIG_NAMESPACE, ctx.locate(arg.value), scope)
            )
        elif key == "task_cls":
            sink.configs.append(ConfigFact(FRAMEWORK, TASK_CLS, ctx.locate(arg.value), scope))
        elif key not in _CONSTRUCTOR_PARAMETERS:
            _setting(ctx, sink, key, arg.value, scope)


def _extract_tasks(ctx: FileContext, sink: FactSink) -> None:
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
    node = _literal_node(ctx, node)
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


def _literal_node(ctx: FileContext, node: cst.BaseExpression) -> cst.BaseExpression:
    """A module-level constant's own expression, so dict entries keep their spans."""
    if isinstance(node, cst.Name) and node.value in ctx.constants and node.value not in ctx.imports:
        return ctx.constants[node.value]
    return node


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
    scan = _scan(ctx, function.node, receivers, bound)
    data: tuple[tuple[str, Any], ...] = (
        ("form", form),
        ("bind", bind),
        ("name_known", "name" not in option or isinstance(name, str)),
        ("retry_calls", tuple(scan.found)),
        ("helper_calls", tuple(scan.helpers)),
        ("celery_only_kwargs", bool(kwargs & CELERY_ONLY_KWARGS)),
        ("other_framework_kwargs", bool(kwargs & OTHER_FRAMEWORK_KWARGS)),
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


# -- task bodies: self.retry calls and their except clauses -----------------------------------
class _RetryScan(BodyVisitor):
    """``<receiver>.retry(...)`` calls in one function body, and calls passing ``bound`` (the
    bound task parameter) on to another function."""

    def __init__(
        self,
        ctx: FileContext,
        root: cst.FunctionDef,
        receivers: set[str],
        bound: str | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.root = root
        self.receivers = receivers
        self.bound = bound
        self.found: list[RetryCall] = []
        self.helpers: list[HelperCall] = []
        self.locals: dict[str, cst.BaseExpression] = {}  # name -> its latest assignment so far
        self.rebound: set[str] = set()  # names assigned in the body before the current node
        params = root.params
        self.none_parameters = {
            param.name.value
            for param in (*params.posonly_params, *params.params, *params.kwonly_params)
            if isinstance(param.default, cst.Name) and param.default.value == "None"
        }

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self.locals[node.targets[0].target.value] = node.value
        for target in node.targets:
            self._rebind(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._rebind(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._rebind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._rebind(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._rebind(node.target)

    def _rebind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.rebound.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._rebind(element.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root  # nested functions are not the task body

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "retry"
            and isinstance(func.value, cst.Name)
            and func.value.value in self.receivers
        ):
            self._retry(node, func.value.value)
        elif self.bound is not None:
            self._helper(node)

    def _retry(self, node: cst.Call, receiver: str) -> None:
        ctx = self.ctx
        arguments: dict[str, Located] = {}
        positional = 0
        for arg in node.args:
            if arg.star:
                continue
            if arg.keyword is not None:
                arguments[arg.keyword.value] = ctx.locate(arg.value)
            elif positional < len(_RETRY_PARAMETERS):
                arguments[_RETRY_PARAMETERS[positional]] = ctx.locate(arg.value)
                positional += 1
        handler = self.handlers[-1] if self.handlers else None
        countdown_node = next(
            (
                a.value
                for a in node.args
                if a.keyword is not None and a.keyword.value == "countdown"
            ),
            None,
        )
        max_retries = arguments.get("max_retries")
        parameter = None
        if (
            max_retries is not None
            and max_retries.code in self.none_parameters
            and max_retries.code not in self.rebound
        ):
            parameter = max_retries.code  # the task's own default unless a caller passes one
        self.found.append(
            RetryCall(
                span=ctx.span(node),
                receiver=receiver,
                countdown=arguments.get("countdown"),
                eta=arguments.get("eta"),
                max_retries=max_retries,
                exc=arguments.get("exc"),
                throw=arguments.get("throw"),
                in_except=handler is not None,
                handler=ctx.locate(handler.type) if handler and handler.type else None,
                handler_span=ctx.span(handler) if handler else None,
                delay=_countdown_delay(ctx, self._expression(countdown_node))
                if countdown_node
                else None,
                shape=None if any(arg.star for arg in node.args) else call_shape(ctx, node),
                max_retries_parameter=parameter,
            )
        )

    def _helper(self, node: cst.Call) -> None:
        """``retryable_smtp(self)`` / ``notify(order, task=self)``: the task is passed on."""
        position: int | None = 0
        for arg in node.args:
            if arg.star:
                position = None  # positions after *args are not known
                continue
            passes = isinstance(arg.value, cst.Name) and arg.value.value == self.bound
            if passes and (arg.keyword is not None or position is not None):
                callee = self.ctx.qualify(node.func)
                if callee is None or callee.split(".", 1)[0] == self.bound:
                    return
                handler = self.handlers[-1] if self.handlers else None
                ctx = self.ctx
                self.helpers.append(
                    HelperCall(
                        callee=callee,
                        position=position if arg.keyword is None else None,
                        keyword=arg.keyword.value if arg.keyword is not None else None,
                        span=ctx.span(node),
                        in_except=handler is not None,
                        handler=ctx.locate(handler.type) if handler and handler.type else None,
                        handler_span=ctx.span(handler) if handler else None,
                    )
                )
                return
            if arg.keyword is None and position is not None:
                position += 1

    def _expression(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """``delay`` in ``countdown=delay`` stands for the expression last assigned to it."""
        if isinstance(node, cst.Name) and node.value in self.locals:
            return self.locals[node.value]
        return node


def _scan(
    ctx: FileContext, node: cst.FunctionDef, receivers: set[str], bound: str | None = None
) -> _RetryScan:
    scan = _RetryScan(ctx, node, receivers, bound)
    node.visit(scan)
    return scan


def _retry_calls(ctx: FileContext, node: cst.FunctionDef, receivers: set[str]) -> list[RetryCall]:
    return _scan(ctx, node, receivers).found


def _extract_helpers(ctx: FileContext, sink: FactSink) -> None:
    """Module-level functions that call ``<parameter>.retry(...)`` (cheap gate: ctx.calls)."""
    wanted: dict[str, tuple[FunctionInfo, set[str]]] = {}
    for info in ctx.calls:
        function = info.function
        func = info.node.func
        if (
            function is None
            or not function.is_module_level
            or not isinstance(func, cst.Attribute)
            or func.attr.value != "retry"
            or not isinstance(func.value, cst.Name)
        ):
            continue
        params = function.node.params
        names = {p.name.value for p in (*params.posonly_params, *params.params)}
        names.update(p.name.value for p in params.kwonly_params)
        if func.value.value in names:
            wanted.setdefault(function.qualname, (function, set()))[1].add(func.value.value)
    for qualname, (function, receivers) in wanted.items():
        calls = _retry_calls(ctx, function.node, receivers)
        if not calls:
            continue  # the .retry call sits in a nested function
        params = function.node.params
        by_parameter = tuple(
            (name, tuple(call for call in calls if call.receiver == name))
            for name in sorted(receivers)
        )
        helper = RetryHelper(
            name=qualname,
            positional=tuple(p.name.value for p in (*params.posonly_params, *params.params)),
            keyword_only=tuple(p.name.value for p in params.kwonly_params),
            retry_calls=by_parameter,
        )
        sink.data.append(("celery.helper", (qualname, helper)))


class _Countdown:
    """Evaluates a countdown expression at retry k (``self.request.retries`` = k)."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.jitter = False
        self.power = False
        self.retries_seen = 0

    def at(self, node: cst.BaseExpression, k: int) -> float | None:
        ctx = self.ctx
        if isinstance(node, cst.Integer | cst.Float):
            return float(node.evaluated_value)
        if isinstance(node, cst.Name | cst.Attribute):
            last = node.value if isinstance(node, cst.Name) else node.attr.value
            if "retries" in last or last in ("retry_count", "retry_number"):
                self.retries_seen += 1
                return float(k)
            value = ctx.evaluate(node)
            return float(value) if is_number(value) else None  # type: ignore[arg-type]
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.at(node.expression, k)
            return None if inner is None else -inner
        if isinstance(node, cst.BinaryOperation):
            left = self.at(node.left, k)
            before = self.retries_seen
            right = self.at(node.right, k)
            if isinstance(node.operator, cst.Power) and self.retries_seen > before:
                self.power = True
            if left is None or right is None:
                return None
            return _arithmetic(node.operator, left, right)
        if isinstance(node, cst.Call):
            return self._call(node, k)
        return None

    def _call(self, node: cst.Call, k: int) -> float | None:
        qualified = self.ctx.qualify(node.func) or ""
        last = qualified.rsplit(".", 1)[-1]
        args = [self.at(a.value, k) for a in node.args if a.keyword is None and not a.star]
        if qualified.startswith("random.") or (
            last in _RANDOM_FUNCTIONS and qualified.startswith(("random", "secrets"))
        ):
            self.jitter = True
            if last == "random":
                return 1.0
            known = [a for a in args if a is not None]
            return max(known) if known and len(known) == len(args) else None
        if qualified in ("min", "max") and args and None not in args:
            values = [a for a in args if a is not None]
            return min(values) if qualified == "min" else max(values)
        if qualified in ("int", "float", "round", "abs") and len(args) >= 1:
            return args[0]
        if qualified == "pow" and len(args) == 2:
            before = self.retries_seen
            self.at(node.args[1].value, k)
            if self.retries_seen > before:
                self.power = True
            if args[0] is None or args[1] is None:
                return None
            return _arithmetic(cst.Power(), args[0], args[1])
        return None


def _arithmetic(operator: cst.BaseBinaryOp, left: float, right: float) -> float | None:
    try:
        match operator:
            case cst.Add():
                return left + right
            case cst.Subtract():
                return left - right
            case cst.Multiply():
                return left * right
            case cst.Divide():
                return left / right
            case cst.FloorDivide():
                return float(left // right)
            case cst.Power() if abs(right) <= 64:
                return float(left**right)
    except (ZeroDivisionError, OverflowError):
        return None
    return None


def _countdown_delay(ctx: FileContext, node: cst.BaseExpression) -> Delay | None:
    """The delay a ``countdown=`` expression gives; None when it names another module's constant."""
    value = ctx.evaluate(node)
    if isinstance(value, Ref):
        return None
    if is_number(value):
        seconds = float(value)  # type: ignore[arg-type]
        return NO_DELAY if seconds <= 0 else Delay("constant", seconds, None, False)
    counter = _Countdown(ctx)
    samples = [counter.at(node, k) for k in range(4)]
    far, farther = counter.at(node, 40), counter.at(node, 50)
    jitter = counter.jitter
    if any(sample is None for sample in samples):
        if counter.power:
            return Delay("exponential", None, None, jitter)
        return Delay("unknown", None, None, True if jitter else None)
    v0, v1, v2, v3 = (float(sample or 0.0) for sample in samples)
    if v0 == v1 == v2 == v3:
        if v0 <= 0 and not jitter:
            return NO_DELAY
        return Delay("constant", max(v0, 0.0), None, jitter)
    cap = far if far is not None and far == farther else None
    # The model's conventions (policy_math): exponential waits base * 2**k, linear base * (k + 1).
    # A growing shape that does not fit them keeps its strategy but no base, so nothing computes
    # a window from a formula the code does not use.
    doubling = v0 > 0 and all(
        b == min(2 * a, cap or 2 * a) for a, b in ((v0, v1), (v1, v2), (v2, v3))
    )
    if doubling or counter.power:
        return Delay("exponential", v0 if doubling else None, cap, jitter)
    stepping = v0 > 0 and all(
        v == min(v0 * (k + 1), cap or v0 * (k + 1)) for k, v in enumerate((v0, v1, v2, v3))
    )
    if stepping:
        return Delay("linear", v0, cap, jitter)
    return Delay("custom", v0, cap, jitter)


# -- classes ----------------------------------------------------------------------------------
def _extract_classes(ctx: FileContext, sink: FactSink) -> None:
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
            scan = _scan(ctx, run.node, {bound} if bound else set(), bound)
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


# -- configuration ----------------------------------------------------------------------------
def _extract_config(ctx: FileContext, sink: FactSink) -> None:
    for assignment in ctx.assignments:
        if assignment.function is not None:
            continue
        for target in assignment.targets:
            _config_assignment(ctx, sink, target, assignment.value, assignment.class_name)
    for info in ctx.calls:
        node = info.node
        func = node.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method == "update" and _conf_receiver(func.value) is not None:
            scope = ctx.qualify(_conf_receiver(func.value))  # type: ignore[arg-type]
            if scope is None:
                continue
            for arg in node.args:
                if arg.keyword is not None:
                    _setting(ctx, sink, arg.keyword.value, arg.value, scope)
                elif arg.star in ("", "**"):
                    _dict_config(ctx, sink, arg.value, scope)
        elif method == "config_from_object" and node.args:
            scope = ctx.qualify(func.value)
            if scope is None:
                continue
            source = node.args[0].value
            sink.configs.append(ConfigFact(FRAMEWORK, CONFIG_SOURCE, ctx.locate(source), scope))
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "namespace":
                    sink.configs.append(
                        ConfigFact(FRAMEWORK, CONFIG_NAMESPACE, ctx.locate(arg.value), scope)
                    )


def _conf_receiver(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``app`` for ``app.conf``; None otherwise."""
    if isinstance(node, cst.Attribute) and node.attr.value == "conf":
        return node.value
    return None


def _config_assignment(
    ctx: FileContext,
    sink: FactSink,
    target: cst.BaseExpression,
    value: cst.BaseExpression,
    class_name: str | None,
) -> None:
    if isinstance(target, cst.Name):
        name = target.value
        if _is_setting_name(name):
            scope = SETTINGS_SCOPE + ("$" if class_name is None else f"$.{class_name}")
            _setting(ctx, sink, name, value, scope)
        return
    if class_name is not None:
        return
    # app.conf.X = v / app.conf["X"] = v / app.conf.beat_schedule["entry"] = {...}
    if isinstance(target, cst.Attribute) and (app := _conf_receiver(target.value)) is not None:
        if (owner := ctx.qualify(app)) is not None:
            _setting(ctx, sink, target.attr.value, value, owner)
    elif isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        key = ctx.evaluate(index.value) if isinstance(index, cst.Index) else None
        if not isinstance(key, str):
            return
        if (app := _conf_receiver(target.value)) is not None:
            if (owner := ctx.qualify(app)) is not None:
                _setting(ctx, sink, key, value, owner)
        elif (
            isinstance(target.value, cst.Attribute)
            and target.value.attr.value == "beat_schedule"
            and (app := _conf_receiver(target.value.value)) is not None
            and (owner := ctx.qualify(app)) is not None
        ):
            _beat_entry(ctx, sink, value, owner)


def _is_setting_name(name: str) -> bool:
    return name in SETTINGS or (name.isupper() and name.startswith("CELERY"))


def normalise_setting(raw: str, namespace: str | None) -> str | None:
    """The new lower-case setting a name stands for under ``namespace`` (None: no namespace)."""
    if namespace:
        prefix = namespace + "_"
        return raw[len(prefix) :].lower() if raw.startswith(prefix) else None
    if raw in OLD_SETTINGS:
        return OLD_SETTINGS[raw]
    return raw if raw.islower() else None


def _setting(
    ctx: FileContext, sink: FactSink, raw: str, value: cst.BaseExpression, scope: str
) -> None:
    keys = {normalise_setting(raw, None), normalise_setting(raw, "CELERY")}
    sink.configs.append(ConfigFact(FRAMEWORK, raw, ctx.locate(value), scope))
    if "task_annotations" in keys:
        _annotations(ctx, sink, raw, value, scope)
    if "beat_schedule" in keys:
        node = _literal_node(ctx, value)
        if isinstance(node, cst.Dict):
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    _beat_entry(ctx, sink, element.value, scope)


def _dict_config(ctx: FileContext, sink: FactSink, node: cst.BaseExpression, scope: str) -> None:
    node = _literal_node(ctx, node)
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = ctx.evaluate(element.key)
                if isinstance(key, str):
                    _setting(ctx, sink, key, element.value, scope)
    elif isinstance(node, cst.Call) and ctx.qualify(node.func) == "dict":
        for arg in node.args:
            if arg.keyword is not None:
                _setting(ctx, sink, arg.keyword.value, arg.value, scope)


def _annotations(
    ctx: FileContext, sink: FactSink, raw: str, value: cst.BaseExpression, scope: str
) -> None:
    node = _literal_node(ctx, value)
    maps = [e.value for e in node.elements] if isinstance(node, cst.List | cst.Tuple) else [node]
    for index, mapping in enumerate(maps):
        mapping = _literal_node(ctx, mapping)
        if not isinstance(mapping, cst.Dict):
            continue
        for element in mapping.elements:
            if not isinstance(element, cst.DictElement):
                continue
            task = ctx.evaluate(element.key)
            attributes = _literal_node(ctx, element.value)
            if not isinstance(task, str) or not isinstance(attributes, cst.Dict):
                continue
            for entry in attributes.elements:
                if not isinstance(entry, cst.DictElement):
                    continue
                attribute = ctx.evaluate(entry.key)
                if isinstance(attribute, str):
                    key = ANNOTATION_SEPARATOR.join((raw, str(index), attribute, task))
                    sink.configs.append(ConfigFact(FRAMEWORK, key, ctx.locate(entry.value), scope))


def _beat_entry(ctx: FileContext, sink: FactSink, entry: cst.BaseExpression, scope: str) -> None:
    entry = _literal_node(ctx, entry)
    if isinstance(entry, cst.Dict):
        for element in entry.elements:
            if isinstance(element, cst.DictElement) and ctx.evaluate(element.key) == "task":
                sink.configs.append(
                    ConfigFact(FRAMEWORK, BEAT_ENTRY, ctx.locate(element.value), scope)
                )
    elif isinstance(entry, cst.Call) and ctx.qualify(entry.func) == "dict":
        for arg in entry.args:
            if arg.keyword is not None and arg.keyword.value == "task":
                sink.configs.append(ConfigFact(FRAMEWORK, BEAT_ENTRY, ctx.locate(arg.value), scope))


# -- hooks ------------------------------------------------------------------------------------
def _extract_hooks(ctx: FileContext, sink: FactSink) -> None:
    for function in ctx.functions:
        for decorator in decorators(ctx, function):
            if decorator.qualified not in TASK_FAILURE:
                continue
            handler = f"$.{function.qualname}"
            sink.hooks.append(
                HookFact(FRAMEWORK, "task_failure-signal", handler, ctx.span(function.node.name))
            )
            _signal_sender(ctx, sink, handler, decorator.call)
    for info in ctx.calls:
        node = info.node
        func = node.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method == "connect" and ctx.qualify(func.value) in TASK_FAILURE and node.args:
            first = node.args[0]
            connected = ctx.qualify(first.value) if first.keyword is None else None
            if connected:
                sink.hooks.append(
                    HookFact(FRAMEWORK, "task_failure-signal", connected, ctx.span(node))
                )
                _signal_sender(ctx, sink, connected, node)
        elif method == "apply_async":
            errback = next(
                (a.value for a in node.args if a.keyword and a.keyword.value == "link_error"), None
            )
            target = ctx.qualify(func.value)
            if errback is not None and target:
                _link_error(ctx, sink, target, node, errback)
        elif method in ("on_error", "link_error") and isinstance(func.value, cst.Call):
            inner = func.value.func
            if (
                isinstance(inner, cst.Attribute)
                and inner.attr.value in ("s", "si", "signature")
                and (target := ctx.qualify(inner.value))
                and node.args
            ):
                _link_error(ctx, sink, target, node, node.args[0].value)


def _link_error(
    ctx: FileContext, sink: FactSink, target: str, call: cst.Call, errback: cst.BaseExpression
) -> None:
    """``HookFact.target`` is the task the errback is attached to; the errback's code is data."""
    span = ctx.span(call)
    sink.hooks.append(HookFact(FRAMEWORK, "link_error", target, span))
    sink.data.append(("celery.errback", (span, ctx.code(errback))))


def _signal_sender(ctx: FileContext, sink: FactSink, handler: str, call: cst.Call | None) -> None:
    if call is None:
        return
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "sender":
            value = ctx.evaluate(arg.value)
            sender = value if isinstance(value, str) else ctx.qualify(arg.value)
            literal = isinstance(value, str)
            sink.data.append(("celery.signal_sender", (handler, (sender, literal))))


# -- project phase ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Option:
    """One resolved option value and where it was written."""

    value: Value
    source: Source
    origin: str
    span: Span | None
    path: str | None  # set when the value lives in another file than the job
    module: ModuleFacts  # for resolving names in the value
    located: Located | None = None

    def sourced(self, value: Any, origin: str | None = None) -> Sourced[Any]:
        return Sourced(value, self.source, origin or self.origin, self.span, self.path)


@dataclass
class _App:
    """A Celery app: its object and every config fact that applies to it."""

    name: str  # canonical, e.g. "shop.celery.app"
    module: ModuleFacts
    fact: ObjectFact
    changes: dict[str, list[tuple[ModuleFacts, ConfigFact]]] = field(default_factory=dict)
    sources: list[tuple[ModuleFacts, ConfigFact]] = field(default_factory=list)
    namespace: str | None = None
    task_cls: tuple[ModuleFacts, ConfigFact] | None = None


class _Project:
    """Everything build_jobs needs, indexed once."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.apps: dict[str, _App] = {}
        for module, fact in index.objects(FRAMEWORK):
            if fact.kind == "celery-app":
                name = f"{module.module}.{fact.name}"
                self.apps[name] = _App(name, module, fact)
        self.classes: dict[str, tuple[ModuleFacts, TaskClass]] = {}
        self.helpers: dict[str, tuple[ModuleFacts, RetryHelper]] = {}
        self.bindings: dict[str, str] = {}  # canonical name -> qualified callee
        self.instances: dict[str, list[str]] = {}  # canonical class -> canonical instance names
        self.registrations: dict[str, str | None] = {}  # canonical class -> app receiver
        self.senders: dict[str, list[tuple[str, bool]]] = {}
        self.errbacks: dict[tuple[str, Span], str] = {}
        for module in index:
            for key, value in module.facts.data:
                if key == "celery.class":
                    self.classes[f"{module.module}.{value[0]}"] = (module, value[1])
                elif key == "celery.helper":
                    self.helpers[f"{module.module}.{value[0]}"] = (module, value[1])
                elif key == "celery.binding":
                    name, callee = value
                    self.bindings[f"{module.module}.{name}"] = index.canonical(callee, module)
        for name, callee in self.bindings.items():
            if callee in self.classes:  # charge = ChargeTask()
                self.instances.setdefault(callee, []).append(name)
        for module in index:
            for key, value in module.facts.data:
                if key == "celery.instance":
                    alias, cls = value
                    owner = index.canonical(cls, module)
                    self.instances.setdefault(owner, []).append(f"{module.module}.{alias}")
                elif key == "celery.registration":
                    (cls, receiver), _ = value
                    app = self.app_of(receiver, module) if receiver else None
                    owner = index.canonical(cls, module)
                    owner = self._class_of_instance(owner)
                    self.registrations[owner] = app.name if app else None
                elif key == "celery.errback":
                    span, code = value
                    self.errbacks[(module.path, span)] = code
                elif key == "celery.signal_sender":
                    handler, (sender, literal) = value
                    target = sender if literal else index.canonical(sender, module)
                    handler_name = index.canonical(handler, module)
                    self.senders.setdefault(handler_name, []).append((target, literal))
        self.settings: dict[str, list[tuple[ModuleFacts, ConfigFact]]] = {}
        for module, config in index.configs(FRAMEWORK):
            scope = config.scope or ""
            if scope.startswith(SETTINGS_SCOPE):
                owner = index.absolute(scope[len(SETTINGS_SCOPE) :], module)
                self.settings.setdefault(owner, []).append((module, config))
                continue
            app = self.app_of(scope, module)
            if app is None:
                continue
            if config.key == CONFIG_SOURCE:
                app.sources.append((module, config))
            elif config.key == CONFIG_NAMESPACE:
                if isinstance(config.value.value, str):
                    app.namespace = config.value.value
            elif config.key == TASK_CLS:
                app.task_cls = (module, config)
            else:
                app.changes.setdefault(config.key, []).append((module, config))
        self.hooks = list(index.hooks(FRAMEWORK))

    def _class_of_instance(self, name: str) -> str:
        for cls, aliases in self.instances.items():
            if name in aliases:
                return cls
        return name

    def app_of(self, name: str, module: ModuleFacts) -> _App | None:
        found = self.index.object(name, module)
        if found is None or found[1].framework != FRAMEWORK:
            return None
        owner, fact = found
        return self.apps.get(f"{owner.module}.{fact.name}")

    def default_app(self, module: ModuleFacts) -> _App | None:
        """The app a shared task (or an unresolved receiver) most likely binds to."""
        if not self.apps:
            return None
        if len(self.apps) == 1:
            return next(iter(self.apps.values()))

        def shared_prefix(app: _App) -> int:
            mine, theirs = module.module.split("."), app.module.module.split(".")
            count = 0
            for a, b in zip(mine, theirs, strict=False):
                if a != b:
                    break
                count += 1
            return count

        return max(sorted(self.apps.values(), key=lambda a: a.name), key=shared_prefix)

    # -- app configuration -----------------------------------------------------------------
    def setting_facts(self, app: _App, key: str) -> list[tuple[ModuleFacts, ConfigFact]]:
        """Facts that set ``key`` for ``app``: run-time changes first, else config sources."""
        changes = [
            item
            for raw, items in app.changes.items()
            if normalise_setting(raw, None) == key
            for item in items
        ]
        if changes:
            return changes
        found: list[tuple[ModuleFacts, ConfigFact]] = []
        for module, raw, config in self.source_settings(app):
            if normalise_setting(raw, app.namespace) == key:
                found.append((module, config))
        return found

    def source_settings(self, app: _App) -> Iterator[tuple[ModuleFacts, str, ConfigFact]]:
        for owner in self.source_owners(app):
            for module, config in self.settings.get(owner, ()):
                yield module, config.key, config

    def source_owners(self, app: _App) -> list[str]:
        """The settings modules / classes ``config_from_object`` loads (canonical names)."""
        owners: list[str] = []
        for module, config in app.sources:
            value = config.value.value
            if value == DJANGO_SETTINGS:
                # Django settings may be split across modules: every module-level CELERY_* name.
                owners.extend(
                    owner
                    for owner, items in self.settings.items()
                    if owner in self.index.modules and any(c.key.isupper() for _, c in items)
                )
            elif isinstance(value, str):
                owners.append(value.replace(":", "."))
            elif isinstance(value, Ref):
                owners.append(self.index.canonical(value.name, module))
        return owners

    def opaque_config(self, app: _App) -> tuple[ModuleFacts, ConfigFact] | None:
        """A config_from_object source this analysis cannot read (a variable, a missing module)."""
        for module, config in app.sources:
            value = config.value.value
            if value == DJANGO_SETTINGS:
                continue
            if isinstance(value, str):
                owner = value.replace(":", ".")
            elif isinstance(value, Ref):
                owner = self.index.canonical(value.name, module)
            else:
                return module, config
            if owner not in self.index.modules and self.index.split(owner) is None:
                return module, config
        return None

    def app_setting(self, app: _App | None, key: str) -> _Option | None:
        if app is None:
            return None
        facts = self.setting_facts(app, key)
        if not facts:
            return None
        module, config = facts[-1]
        values = {repr(c.value.value) for _, c in facts}
        value = config.value.value if len(values) == 1 else UNKNOWN
        return _Option(
            value,
            "app-config",
            f"{config.key}={config.value.code}",
            config.value.span,
            module.path,
            module,
            config.value,
        )

    def annotations_opaque(self, app: _App | None) -> bool:
        """task_annotations set to something not written out (a call, an annotation object)."""
        if app is None:
            return False
        facts = self.setting_facts(app, "task_annotations")
        for _, config in facts[-1:]:
            value = config.value.value
            maps = value if isinstance(value, tuple) else (value,)
            if not all(isinstance(item, DictValue) for item in maps):
                return True
        return False

    def annotations(self, app: _App | None, task_name: str) -> dict[str, _Option]:
        """Attributes task_annotations sets on ``task_name``: the first map naming the task,
        then the first ``'*'`` map on top of it (Celery applies them in that order)."""
        if app is None:
            return {}
        entries: list[tuple[ModuleFacts, ConfigFact, str, int, str, str]] = []
        # app.conf / Celery(...) changes replace a config module's task_annotations entirely.
        from_changes = any(
            normalise_setting(raw.split(ANNOTATION_SEPARATOR)[0], None) == "task_annotations"
            for raw in app.changes
        )
        if from_changes:
            candidates = [
                (module, config.key, config)
                for items in app.changes.values()
                for module, config in items
            ]
            namespace = None
        else:
            candidates = list(self.source_settings(app))
            namespace = app.namespace
        for module, raw, config in candidates:
            parts = raw.split(ANNOTATION_SEPARATOR, 3)
            if len(parts) != 4 or normalise_setting(parts[0], namespace) != "task_annotations":
                continue
            setting, position, attribute, task = parts
            entries.append((module, config, setting, int(position), attribute, task))
        result: dict[str, _Option] = {}
        for wanted in (task_name, "*"):
            matching = [e for e in entries if e[5] == wanted]
            if not matching:
                continue
            first = min(e[3] for e in matching)
            for module, config, setting, index, attribute, task in matching:
                if index != first:
                    continue
                result[attribute] = _Option(
                    config.value.value,
                    "app-config",
                    f"{setting}[{task!r}] {attribute}={config.value.code}",
                    config.value.span,
                    module.path,
                    module,
                    config.value,
                )
        return result

    # -- classes ---------------------------------------------------------------------------
    def class_chain(self, name: str) -> list[tuple[ModuleFacts, TaskClass]]:
        """The class and its project-defined bases, in (depth-first) method resolution order."""
        chain: list[tuple[ModuleFacts, TaskClass]] = []
        seen: set[str] = set()

        def visit(current: str) -> None:
            if current in seen or len(seen) > 32:
                return
            seen.add(current)
            found = self.classes.get(current)
            if found is None:
                return
            chain.append(found)
            module, cls = found
            for base in cls.bases:
                visit(self.index.canonical(base, module))

        visit(name)
        return chain

    def is_task_class(self, name: str) -> bool:
        seen: set[str] = set()

        def visit(current: str) -> bool:
            if current in seen or len(seen) > 32:
                return False
            seen.add(current)
            if current in TASK_BASES:
                return True
            if current.endswith(".Task"):
                owner = current[: -len(".Task")]
                if owner in self.apps:
                    return True
            found = self.classes.get(current)
            if found is None:
                return False
            module, cls = found
            return any(visit(self.index.canonical(base, module)) for base in cls.bases)

        return visit(name)


def build_jobs(project: ProjectIndex) -> Iterable[Job]:
    state = _Project(project)
    jobs: list[Job] = []
    for module, job_def in project.job_defs():
        if job_def.kind != TASK_KIND:
            continue
        claimed, app = _claim(state, module, job_def)
        if claimed:
            jobs.append(_function_job(state, module, job_def, app))
    for name, (module, cls) in sorted(state.classes.items()):
        if cls.run is None or not state.is_task_class(name):
            continue
        jobs.append(_class_job(state, name, module, cls))
    return jobs


def _claim(state: _Project, module: ModuleFacts, job_def: JobDef) -> tuple[bool, _App | None]:
    """Whether a ``.task`` decorator is Celery's, and the app it binds to."""
    index = state.index
    if job_def.framework == FRAMEWORK:
        return True, state.default_app(module)
    receiver = job_def.receiver
    if receiver is None:
        return False, None
    found = index.object(receiver, module)
    if found is not None:
        if found[1].framework != FRAMEWORK:
            return False, None
        return True, state.app_of(receiver, module)
    canonical = index.canonical(receiver, module)
    if canonical in CURRENT_APP:
        return True, state.default_app(module)
    root = canonical.split(".", 1)[0]
    if root in OTHER_FRAMEWORK_ROOTS:
        return False, None
    callee = state.bindings.get(canonical)
    if callee is not None:
        if callee.split(".", 1)[0] in OTHER_FRAMEWORK_ROOTS:
            return False, None
        if callee in APP_CONSTRUCTORS:
            return True, state.default_app(module)
    if job_def.datum("other_framework_kwargs"):
        return False, None
    imported = index.frameworks_imported
    if job_def.datum("celery_only_kwargs") or (
        "celery" in imported and not imported & {"huey", "taskiq"}
    ):
        return True, state.default_app(module)
    return False, None


@dataclass
class _OptionLayers:
    """A task's options by precedence (verified on Celery 5.7.0).

    task_annotations > decorator keywords > class attributes (own, then ``base=`` chain) for task
    attributes; but the autoretry wrapper reads its six options (``WRAPPER_OPTIONS``) from the
    decorator keywords first and only then from the (annotated) class, so there a decorator
    keyword beats an annotation. app.conf ``task_*`` settings only fill attributes left at None.
    """

    annotations: dict[str, _Option]
    decorator: dict[str, _Option]
    chain: dict[str, _Option]
    wrapper_annotations: bool = True

    def get(self, name: str) -> _Option | None:
        if name in WRAPPER_OPTIONS:
            order = [self.decorator]
            if self.wrapper_annotations:
                order.append(self.annotations)
            order.append(self.chain)
        else:
            order = [self.annotations, self.decorator, self.chain]
        for layer in order:
            if name in layer:
                return layer[name]
        return None

    def entry(self, option: str, key: str) -> _Option | None:
        """``retry_kwargs['max_retries']``: the literal entry when the dict was written out."""
        found = self.get(option)
        if found is None:
            return None
        written = found.value
        if isinstance(written, CallValue) and written.func == "dict" and not written.args:
            written = DictValue(tuple(written.kwargs))  # dict(max_retries=5, countdown=10)
        if isinstance(written, DictValue) and written.get(key, _MISSING) is not _MISSING:
            layer_key = f"{option}.{key}"
            for layer in (self.decorator, self.annotations, self.chain):
                if layer.get(option) is found and layer_key in layer:
                    return layer[layer_key]
            return _Option(
                written.get(key),
                found.source,
                f"{option}[{key!r}] in {found.origin}",
                found.span,
                found.path,
                found.module,
            )
        if not isinstance(written, DictValue) and written is not None:
            # retry_kwargs=<a name or call>: whatever it holds is not known statically
            return _Option(
                UNKNOWN, found.source, found.origin, found.span, found.path, found.module
            )
        return None


_MISSING = Ref("<missing>")


def _own_options(
    options: Iterable[tuple[str, Located]], module: ModuleFacts, job_path: str, what: str = ""
) -> dict[str, _Option]:
    layer: dict[str, _Option] = {}
    path = None if module.path == job_path else module.path
    for name, located in options:
        option, _, key = name.partition(".")
        written = f"{option}[{key!r}]" if key else name
        layer[name] = _Option(
            located.value,
            "explicit",
            f"{written}={located.code}{what}",
            located.span,
            path,
            module,
            located,
        )
    return layer


def _chain_options(
    state: _Project, chain: list[tuple[ModuleFacts, TaskClass]], job_path: str, skip_first: bool
) -> dict[str, _Option]:
    layer: dict[str, _Option] = {}
    for position, (module, cls) in enumerate(chain):
        own = position == 0 and not skip_first
        suffix = "" if own else f" (on base class {cls.name})"
        entries = list(cls.attributes)
        for name, located in cls.attributes:
            if name == "retry_kwargs":
                # Entries of a dict written in the class body carry their own spans.
                entries.extend(cls.entries or _located_dict_entries(located, "retry_kwargs."))
        for name, option in _own_options(entries, module, job_path, suffix).items():
            layer.setdefault(name, option)
    return layer


def _located_dict_entries(located: Located, prefix: str) -> list[tuple[str, Located]]:
    value = located.value
    if not isinstance(value, DictValue):
        return []
    return [
        (prefix + key, Located(item, located.span, located.code))
        for key, item in value.items
        if isinstance(key, str)
    ]


def _base_class(
    state: _Project, module: ModuleFacts, job_def: JobDef, app: _App | None
) -> str | None:
    base = job_def.option("base")
    if base is not None and isinstance(base.value, Ref):
        return state.index.canonical(base.value.name, module)
    if app is not None and app.task_cls is not None:
        owner, config = app.task_cls
        value = config.value.value
        if isinstance(value, Ref):
            return state.index.canonical(value.name, owner)
        if isinstance(value, str):
            return state.index.canonical(value.replace(":", "."))
    return None


def _function_job(state: _Project, module: ModuleFacts, job_def: JobDef, app: _App | None) -> Job:
    qualname = f"{module.module}.{job_def.function}"
    name = job_def.name or f"{module.module}.{job_def.function.rsplit('.', 1)[-1]}"
    base = _base_class(state, module, job_def, app)
    chain = state.class_chain(base) if base else []
    layers = _OptionLayers(
        annotations=state.annotations(app, name),
        decorator=_own_options(_decorator_options(job_def), module, module.path),
        chain=_chain_options(state, chain, module.path, skip_first=True),
    )
    retry_calls = _retry_paths(
        state,
        module,
        module.path,
        job_def.datum("retry_calls", ()),
        job_def.datum("helper_calls", ()),
    )
    hooks = _failure_hooks(state, chain, qualname, name, ())
    details: list[tuple[str, Any]] = [
        ("app", app.name if app else None),
        ("form", job_def.datum("form")),
        ("decorator", job_def.decorator),
        ("options", job_def.options),
        ("bind", job_def.datum("bind")),
        ("self_retry_calls", tuple(path.call for path in retry_calls)),
        ("name_known", job_def.datum("name_known", True)),
        ("base", base),
    ]
    return _job(
        state,
        name=name,
        qualname=qualname,
        module=module,
        span=job_def.span,
        function=job_def.function,
        layers=layers,
        app=app,
        retry_calls=retry_calls,
        hooks=hooks,
        details=details,
        call_sites=(),
    )


@dataclass(frozen=True)
class _RetryPath:
    """One manual retry of a task: the ``retry`` call, the file it is written in, and the file of
    the ``except`` clause around it (the task's own when a helper retries outside one but the
    task calls the helper inside one)."""

    call: RetryCall
    module: ModuleFacts
    handler_module: ModuleFacts
    job_path: str

    def path(self, module: ModuleFacts | None = None) -> str | None:
        """A Sourced path: None in the job's own file."""
        where = (module or self.module).path
        return None if where == self.job_path else where


def _retry_paths(
    state: _Project,
    module: ModuleFacts,
    job_path: str,
    own: Iterable[RetryCall],
    helper_calls: Iterable[HelperCall],
) -> list[_RetryPath]:
    """The task body's own ``retry`` calls, then those of the functions it passes itself to
    (followed one level: a helper's own helpers are not)."""

    def located(call: RetryCall, owner: ModuleFacts) -> RetryCall:
        return replace(call, path=None if owner.path == job_path else owner.path)

    paths = [_RetryPath(located(call, module), module, module, job_path) for call in own]
    seen: set[tuple[str, Span]] = set()
    for site in helper_calls:
        found = state.helpers.get(state.index.canonical(site.callee, module))
        if found is None:
            continue
        owner, helper = found
        for call in helper.calls_for(site.position, site.keyword):
            handler_module = owner
            if not call.in_except and site.in_except:
                # raised from the helper, but inside the task's except clause
                call = replace(
                    call, in_except=True, handler=site.handler, handler_span=site.handler_span
                )
                handler_module = module
            if (owner.path, call.span) in seen:
                continue
            seen.add((owner.path, call.span))
            call = replace(located(call, owner), helper=helper.name)
            paths.append(_RetryPath(call, owner, handler_module, job_path))
    return paths


def _retry_text(call: RetryCall, arguments: str = "") -> str:
    """How an origin names the call: ``self.retry(...)``, or ``task.retry(...) in helper()``."""
    if call.helper is None:
        return f"self.retry({arguments})"
    return f"{call.receiver}.retry({arguments}) in {call.helper}()"


def _decorator_options(job_def: JobDef) -> Iterator[tuple[str, Located]]:
    return iter(job_def.options)


def _class_job(state: _Project, qualname: str, module: ModuleFacts, cls: TaskClass) -> Job:
    chain = state.class_chain(qualname)
    own_name = dict(cls.attributes).get("name")
    default_name = qualname
    name = own_name.value if own_name and isinstance(own_name.value, str) else default_name
    registered_app = state.registrations.get(qualname)
    app = state.apps.get(registered_app) if registered_app else None
    app = app or _app_from_bases(state, chain) or state.default_app(module)
    layers = _OptionLayers(
        annotations=state.annotations(app, name),
        decorator={},
        chain=_chain_options(state, chain, module.path, skip_first=False),
        wrapper_annotations=False,  # register_task wraps run before the class is annotated
    )
    retry_calls: list[_RetryPath] = []
    for owner, klass in chain:
        if klass.run is not None:
            retry_calls = _retry_paths(
                state, owner, module.path, klass.retry_calls, klass.helper_calls
            )
            break
    sites = _instance_call_sites(state, qualname)
    hooks = _failure_hooks(state, chain, qualname, name, state.instances.get(qualname, ()))
    details: list[tuple[str, Any]] = [
        ("app", app.name if app else None),
        ("form", "class"),
        ("decorator", None),
        ("options", cls.attributes),
        ("bind", True),
        ("self_retry_calls", tuple(path.call for path in retry_calls)),
        ("name_known", own_name is None or isinstance(own_name.value, str)),
        ("base", None),
        ("registered", qualname in state.registrations),
        ("instances", tuple(state.instances.get(qualname, ()))),
    ]
    return _job(
        state,
        name=name,
        qualname=qualname,
        module=module,
        span=cls.span,
        function=cls.run or f"{cls.name}.run",
        layers=layers,
        app=app,
        retry_calls=retry_calls,
        hooks=hooks,
        details=details,
        call_sites=sites,
    )


def _app_from_bases(state: _Project, chain: list[tuple[ModuleFacts, TaskClass]]) -> _App | None:
    for module, cls in chain:
        for base in cls.bases:
            canonical = state.index.canonical(base, module)
            if canonical.endswith(".Task") and canonical[: -len(".Task")] in state.apps:
                return state.apps[canonical[: -len(".Task")]]
    return None


def _instance_call_sites(state: _Project, qualname: str) -> tuple[CallSite, ...]:
    """Calls on instances of a class-based task (``charge = app.register_task(Charge())``)."""
    aliases = set(state.instances.get(qualname, ()))
    if not aliases:
        return ()
    sites: list[CallSite] = []
    for module, call in state.index.calls():
        if call.target is None or call.method not in INVOCATIONS[FRAMEWORK]:
            continue
        if state.index.canonical(call.target, module) in aliases:
            sites.append(call_site(module, call))
    return tuple(sorted(sites, key=lambda s: (s.path, s.span)))


def _failure_hooks(
    state: _Project,
    chain: list[tuple[ModuleFacts, TaskClass]],
    qualname: str,
    name: str,
    aliases: Iterable[str],
) -> tuple[FailureHook, ...]:
    hooks: list[FailureHook] = []
    for module, cls in chain:
        if cls.on_failure is not None:
            target = f"{module.module}.{cls.name}.on_failure"
            hooks.append(FailureHook("on_failure", target, cls.on_failure, False))
            break  # the most derived override is the one that runs
    targets = {qualname, *aliases}
    for module, hook in state.hooks:
        if hook.kind == "task_failure-signal":
            handler = state.index.canonical(hook.target, module)
            senders = state.senders.get(handler)
            if senders and not any(
                (sender == name if literal else sender in targets) for sender, literal in senders
            ):
                continue
            hooks.append(FailureHook("task_failure-signal", handler, hook.span, False))
        elif hook.kind == "link_error" and state.index.canonical(hook.target, module) in targets:
            errback = state.errbacks.get((module.path, hook.span), hook.target)
            hooks.append(FailureHook("link_error", errback, hook.span, False))
    return tuple(hooks)


# -- the effective policy (frameworks.md 1.4) -------------------------------------------------
def _job(
    state: _Project,
    *,
    name: str,
    qualname: str,
    module: ModuleFacts,
    span: Span,
    function: str,
    layers: _OptionLayers,
    app: _App | None,
    retry_calls: list[_RetryPath],
    hooks: tuple[FailureHook, ...],
    details: list[tuple[str, Any]],
    call_sites: tuple[CallSite, ...],
) -> Job:
    redelivery = _redelivery(state, layers, app)
    time_limit, limits = _time_limit(state, layers, app)
    autoretry = layers.get("autoretry_for")
    autoretry_names = _exceptions(state, autoretry) if autoretry else ()
    if autoretry_names == () and not retry_calls:
        origin = "no autoretry_for and no self.retry() (Celery retries only when asked)"
        if autoretry is not None:
            origin = f"{autoretry.origin}: nothing to retry"
        policy = no_retry_policy(origin, redelivery=redelivery)
    else:
        policy = _retry_policy(state, layers, autoretry, autoretry_names, retry_calls, redelivery)
    sources = tuple(
        (option, found.sourced(found.value))
        for option in sorted(TASK_OPTIONS - {"name", "base", "bind"})
        if (found := layers.get(option)) is not None
    )
    details.extend(
        [
            ("sources", sources),
            ("time_limits", limits),
            (
                "reject_on_worker_lost",
                _sourced_setting(state, layers, app, "reject_on_worker_lost"),
            ),
            ("annotations_applied", tuple(sorted(layers.annotations))),
            ("annotations_opaque", state.annotations_opaque(app)),
        ]
    )
    if app is not None and (opaque := state.opaque_config(app)) is not None:
        details.append(("opaque_config", opaque[1].value.code))
    return Job(
        name=name,
        qualname=qualname,
        framework=FRAMEWORK,
        kind="task",
        path=module.path,
        span=span,
        policy=policy,
        failure_hooks=hooks,
        time_limit=time_limit,
        call_sites=call_sites,
        function=function,
        details=tuple(details),
    )


def _resolve(state: _Project, value: Value, module: ModuleFacts) -> tuple[Value, ModuleFacts]:
    """A name bound to a literal constant in another project module, and that module."""
    if isinstance(value, Ref):
        canonical = state.index.canonical(value.name, module)
        found = state.index.split(canonical)
        if found is not None:
            owner, attribute = found
            constants = dict(owner.facts.constants)
            if attribute in constants:
                return constants[attribute], owner
    return value, module


def _exceptions(state: _Project, option: _Option) -> tuple[str, ...] | Marker:
    value, owner = _resolve(state, option.value, option.module)
    if isinstance(value, Ref):
        value = (value,)
    if not isinstance(value, tuple):
        return UNKNOWN
    names: list[str] = []
    for item in value:
        if not isinstance(item, Ref):
            return UNKNOWN
        names.append(state.index.canonical(item.name, owner))
    return tuple(names)


def _handler_exceptions(state: _Project, retry: _RetryPath) -> ExceptionsValue:
    call = retry.call
    if not call.in_except:
        return ()  # a retry on a condition, not on an exception
    if call.handler is None:
        return "all"  # bare except:
    option = _Option(call.handler.value, "explicit", "", None, None, retry.handler_module)
    names = _exceptions(state, option)
    return names


def _number(state: _Project, option: _Option) -> Value:
    value, _ = _resolve(state, option.value, option.module)
    return value


def _retry_policy(
    state: _Project,
    layers: _OptionLayers,
    autoretry: _Option | None,
    autoretry_names: tuple[str, ...] | Marker,
    retry_calls: list[_RetryPath],
    redelivery: Sourced[bool | Marker],
) -> RetryPolicy:
    task_retries = _task_max_retries(state, layers)
    paths_attempts: list[Sourced[int | Marker]] = []
    delays: list[Sourced[Delay]] = []
    if autoretry is not None and autoretry_names != ():
        override = layers.entry("retry_kwargs", "max_retries")
        paths_attempts.append(_attempts(state, override, task_retries))
        delays.append(_autoretry_delay(state, layers))
    for retry in retry_calls:
        call = retry.call
        override = None
        written = (
            _retry_text(call, f"max_retries={call.max_retries.code}") if call.max_retries else ""
        )
        if call.max_retries is not None and call.max_retries_parameter is None:
            override = _Option(
                call.max_retries.value,
                "explicit",
                written,
                call.max_retries.span,
                retry.path(),
                retry.module,
            )
        attempts = _attempts(state, override, task_retries)
        if call.max_retries_parameter is not None:
            # max_retries=None is "the task's max_retries" (task.py), and None is what the
            # parameter holds unless a caller passes a number: the task's own limit applies.
            attempts = replace(
                attempts,
                origin=f"{attempts.origin}; {written} keeps it while the "
                f"{call.max_retries_parameter} parameter is left at its default None "
                "(a caller may pass another)",
            )
        paths_attempts.append(attempts)
        delays.append(_manual_delay(state, layers, retry))
    attempts = _worst_attempts(paths_attempts)
    delay = min(
        delays, key=lambda d: (_STRATEGY_RANK.get(d.value.strategy, 2), d.value.base or 0.0)
    )
    retry_on, permanent = _retry_on(state, layers, autoretry, autoretry_names, retry_calls)
    retries: Sourced[bool | Marker]
    if autoretry_names is UNKNOWN and not retry_calls and autoretry is not None:
        retries = autoretry.sourced(UNKNOWN)
    elif retry_calls:
        first = retry_calls[0]
        retries = Sourced(True, "explicit", _retry_text(first.call), first.call.span, first.path())
    else:
        assert autoretry is not None
        retries = autoretry.sourced(True)
    return RetryPolicy(
        retries=retries,
        max_attempts=attempts,
        delay=delay,
        deadline=default(None, "Celery has no total retry time cap"),
        retry_on=retry_on,
        permanent=permanent,
        redelivery=redelivery,
    )


def _task_max_retries(state: _Project, layers: _OptionLayers) -> Sourced[int | Marker]:
    """Retries allowed by the task attribute: an int, UNBOUNDED (None) or UNKNOWN."""
    option = layers.get("max_retries")
    if option is None:
        return default(CELERY_MAX_RETRIES, f"max_retries={CELERY_MAX_RETRIES} (Celery default)")
    value = _number(state, option)
    if value is None:
        return option.sourced(UNBOUNDED)
    if isinstance(value, int) and not isinstance(value, bool):
        return option.sourced(value)
    return option.sourced(UNKNOWN)


def _attempts(
    state: _Project, override: _Option | None, task_retries: Sourced[int | Marker]
) -> Sourced[int | Marker]:
    """Attempts on one retry path. An override of None (``self.retry(max_retries=None)``,
    ``retry_kwargs={'max_retries': None}``) means "the task's default", not forever."""
    retries: Sourced[int | Marker] = task_retries
    if override is not None:
        value = _number(state, override)
        if isinstance(value, int) and not isinstance(value, bool):
            retries = override.sourced(value)
        elif value is not None:
            retries = override.sourced(UNKNOWN)
    count = retries.value
    if isinstance(count, int):
        total: int | Marker = 1 + max(count, 0)
    else:
        total = count
    return Sourced(total, retries.source, retries.origin, retries.span, retries.path)


def _worst_attempts(paths: list[Sourced[int | Marker]]) -> Sourced[int | Marker]:
    for marker in (UNBOUNDED, UNKNOWN):
        for path in paths:
            if path.value is marker:
                return path
    return max(paths, key=lambda p: p.value if isinstance(p.value, int) else 0)


def _seconds(state: _Project, option: _Option) -> float | Marker:
    return as_seconds(_number(state, option))


def _autoretry_delay(state: _Project, layers: _OptionLayers) -> Sourced[Delay]:
    backoff = layers.get("retry_backoff")
    factor_value = _number(state, backoff) if backoff else False
    if backoff is not None and not (
        factor_value is None or isinstance(factor_value, bool | int | float)
    ):
        return backoff.sourced(UNKNOWN_DELAY)
    if factor_value:
        factor = float(int(max(1.0, float(factor_value))))  # type: ignore[arg-type]
        cap_option = layers.get("retry_backoff_max")
        cap: float | None = CELERY_RETRY_BACKOFF_MAX
        if cap_option is not None:
            seconds = _seconds(state, cap_option)
            cap = float(int(seconds)) if isinstance(seconds, float) else None
        jitter_option = layers.get("retry_jitter")
        jitter: bool | None = CELERY_RETRY_JITTER
        if jitter_option is not None:
            value = _number(state, jitter_option)
            jitter = bool(value) if isinstance(value, bool | int | float) else None
        assert backoff is not None
        origin = backoff.origin
        if jitter is False and jitter_option is not None:
            # The span stays on retry_backoff (the delay's shape, base and cap: RL201/RL203 point
            # there); the wording names the keyword that turned jitter off for RL202.
            origin = f"{origin}, {jitter_option.origin}"
        return backoff.sourced(Delay("exponential", factor, cap, jitter), origin)
    countdown = layers.entry("retry_kwargs", "countdown")
    if countdown is not None:
        return _constant(state, countdown)
    return _default_retry_delay(state, layers, "autoretry without retry_backoff")


def _constant(state: _Project, option: _Option) -> Sourced[Delay]:
    seconds = _seconds(state, option)
    if seconds is UNKNOWN or not isinstance(seconds, float):
        return option.sourced(UNKNOWN_DELAY)
    if seconds <= 0:
        return option.sourced(NO_DELAY)
    return option.sourced(Delay("constant", seconds, None, False))


def _default_retry_delay(state: _Project, layers: _OptionLayers, why: str) -> Sourced[Delay]:
    option = layers.get("default_retry_delay")
    if option is not None:
        return _constant(state, option)
    return default(
        Delay("constant", CELERY_DEFAULT_RETRY_DELAY, None, False),
        f"default_retry_delay={CELERY_DEFAULT_RETRY_DELAY:g}s (Celery default; {why})",
    )


def _manual_delay(state: _Project, layers: _OptionLayers, retry: _RetryPath) -> Sourced[Delay]:
    call = retry.call
    if call.countdown is not None:
        countdown = call.countdown
        origin = _retry_text(call, f"countdown={countdown.code}")
        delay = call.delay
        if delay is None:
            value, _ = _resolve(state, countdown.value, retry.module)
            seconds = as_seconds(value)
            if isinstance(seconds, float):
                delay = NO_DELAY if seconds <= 0 else Delay("constant", seconds, None, False)
            else:
                delay = UNKNOWN_DELAY
        return Sourced(delay, "explicit", origin, countdown.span, retry.path())
    if call.eta is not None:
        origin = _retry_text(call, f"eta={call.eta.code}")
        return Sourced(Delay("custom"), "explicit", origin, call.eta.span, retry.path())
    return _default_retry_delay(state, layers, f"{_retry_text(call)} without countdown")


def _retry_on(
    state: _Project,
    layers: _OptionLayers,
    autoretry: _Option | None,
    autoretry_names: tuple[str, ...] | Marker,
    retry_calls: list[_RetryPath],
) -> tuple[Sourced[ExceptionsValue], Sourced[tuple[str, ...]]]:
    parts: list[tuple[ExceptionsValue, Sourced[Any]]] = []
    if autoretry is not None and autoretry_names != ():
        parts.append((autoretry_names, autoretry.sourced(autoretry_names)))
    for retry in retry_calls:
        call = retry.call
        names = _handler_exceptions(state, retry)
        handler = call.handler.code if call.handler else ""
        origin = f"except {handler}: {_retry_text(call)}".replace("except :", "except:")
        if not call.in_except:
            origin = f"{_retry_text(call)} outside any except: retries on a condition"
        if call.handler_span is not None:
            span, path = call.handler_span, retry.path(retry.handler_module)
        else:
            span, path = call.span, retry.path()
        parts.append((names, Sourced(names, "explicit", origin, span, path)))
    retry_on: Sourced[ExceptionsValue] | None = None
    collected: list[str] = []
    for names, where in parts:
        if names == "all" or (isinstance(names, tuple) and set(names) & _BROAD):
            retry_on = Sourced("all", where.source, where.origin, where.span, where.path)
            break
        if names is UNKNOWN:
            retry_on = Sourced(UNKNOWN, where.source, where.origin, where.span, where.path)
        elif isinstance(names, tuple):
            collected.extend(n for n in names if n not in collected)
    if retry_on is None:
        first = parts[0][1]
        retry_on = Sourced(tuple(collected), first.source, first.origin, first.span, first.path)
    dont = layers.get("dont_autoretry_for")
    permanent: Sourced[tuple[str, ...]] = default((), "dont_autoretry_for=() (Celery default)")
    if dont is not None and autoretry is not None:
        excluded = _exceptions(state, dont)
        if isinstance(excluded, tuple):
            permanent = dont.sourced(excluded)
    return retry_on, permanent


def _redelivery(state: _Project, layers: _OptionLayers, app: _App | None) -> Sourced[bool | Marker]:
    sourced = _sourced_setting(state, layers, app, "acks_late")
    value = sourced.value
    if isinstance(value, bool) or value is UNKNOWN:
        return sourced
    if value is None:
        return default(False, f"acks_late=False (Celery default task_acks_late={CELERY_ACKS_LATE})")
    return Sourced(bool(value), sourced.source, sourced.origin, sourced.span, sourced.path)


def _sourced_setting(
    state: _Project, layers: _OptionLayers, app: _App | None, attribute: str
) -> Sourced[Any]:
    """A from_config task attribute: the task's own value unless None, else the app setting."""
    option = layers.get(attribute)
    if option is not None:
        value = _number(state, option)
        if value is not None:
            if not isinstance(value, bool | int | float):
                value = UNKNOWN
            return option.sourced(value)
    setting = FROM_CONFIG[attribute]
    config = state.app_setting(app, setting)
    if config is not None:
        value = _number(state, config)
        if not (value is None or isinstance(value, bool | int | float)):
            value = UNKNOWN
        return config.sourced(value)
    if app is not None and (opaque := state.opaque_config(app)) is not None:
        module, fact = opaque
        return Sourced(
            UNKNOWN,
            "app-config",
            f"{setting} from config_from_object({fact.value.code}), not analysed",
            fact.value.span,
            module.path,
        )
    fallback = {"acks_late": CELERY_ACKS_LATE}.get(attribute)
    return default(fallback, f"{setting}={fallback} (Celery default)")


def _time_limit(
    state: _Project, layers: _OptionLayers, app: _App | None
) -> tuple[Sourced[SecondsValue], tuple[Sourced[Any], Sourced[Any]]]:
    hard = _sourced_setting(state, layers, app, "time_limit")
    soft = _sourced_setting(state, layers, app, "soft_time_limit")
    limits = (hard, soft)
    known: list[tuple[float, Sourced[Any]]] = []
    for limit in limits:
        if limit.value is UNKNOWN:
            return Sourced(UNKNOWN, limit.source, limit.origin, limit.span, limit.path), limits
        if is_number(limit.value) and limit.value > 0:
            known.append((float(limit.value), limit))
    if known:
        seconds, limit = min(known, key=lambda item: item[0])
        return Sourced(seconds, limit.source, limit.origin, limit.span, limit.path), limits
    return default(CELERY_TIME_LIMIT, "no time_limit (Celery default: no limit)"), limits
