"""Failure visibility: ``task_failure`` signal handlers, ``on_failure`` overrides and options,
``link_error``; and where a failed task's record is kept (``dead_letter``).

Per file we record signal handlers (with their ``sender=``) and errbacks (``on_failure`` methods
are found with the task classes in ``facts``); per task, ``failure_hooks`` keeps those that run
when it fails. A room of its own: a task's hooks are found apart from its retry options and
change nothing in its policy.

Decisions (celery 5.7.0):

- A ``sender=`` receiver applies to the task it names (a task object, or its name as a string).
- ``link_error`` is attached at one call site: the task has that hook only when called there.
- ``ignore_result=True`` stores no FAILURE record unless ``store_errors_even_if_ignored``; a task
  of an app with no result backend stores none either (the default ``DisabledBackend``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import HookFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.celery.config import App
from retrylint.frameworks.celery.facts import TaskClass
from retrylint.frameworks.celery.index import Project
from retrylint.frameworks.celery.names import FRAMEWORK
from retrylint.frameworks.celery.options import Option, OptionLayers
from retrylint.frameworks.celery.policy import sourced_setting
from retrylint.frameworks.common import decorators
from retrylint.frameworks.defaults import CELERY_RESULT_EXPIRES
from retrylint.model import UNKNOWN, DeadLetter, FailureHook, SecondsValue, Sourced, default
from retrylint.project import ModuleFacts
from retrylint.values import Ref, as_seconds

TASK_FAILURE = frozenset({"celery.signals.task_failure", "celery.signals.task_failure.connect"})


def extract_hooks(ctx: FileContext, sink: FactSink) -> None:
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
def failure_hooks(
    state: Project,
    chain: list[tuple[ModuleFacts, TaskClass]],
    qualname: str,
    name: str,
    aliases: Iterable[str],
    own: Option | None,
    job_path: str,
    class_job: bool = False,
) -> tuple[FailureHook, ...]:
    """The hooks that run when the task fails for good, each with where it is wired.

    ``own`` is an ``on_failure`` given as a task option (decorator keyword or
    ``task_annotations``): it becomes a class attribute of the task and replaces any
    ``on_failure`` method of its base classes, as the most derived override does. ``chain`` is
    the task class and its bases for a class-based task (``class_job``), else its ``base=``.
    """
    hooks: list[FailureHook] = []
    if own is not None and own.value is not None:
        target = own.value.name if isinstance(own.value, Ref) else own.origin
        if isinstance(own.value, Ref):
            target = state.index.canonical(target, own.module)
        hooks.append(
            FailureHook("on_failure", target, own.span, False, own.path or job_path, own.origin)
        )
    else:
        for position, (module, cls) in enumerate(chain):
            if cls.on_failure is not None:
                target = f"{module.module}.{cls.name}.on_failure"
                own_class = class_job and position == 0
                origin = None if own_class else f"on base class {cls.name}"
                hooks.append(
                    FailureHook("on_failure", target, cls.on_failure, False, module.path, origin)
                )
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
            origin = "sender=" + ", ".join(s for s, _ in senders) if senders else None
            hooks.append(
                FailureHook("task_failure-signal", handler, hook.span, False, module.path, origin)
            )
        elif hook.kind == "link_error" and state.index.canonical(hook.target, module) in targets:
            errback = state.errbacks.get((module.path, hook.span), hook.target)
            origin = "link_error at this call site only"
            hooks.append(FailureHook("link_error", errback, hook.span, False, module.path, origin))
    return tuple(hooks)


def dead_letter(state: Project, layers: OptionLayers, app: App | None) -> DeadLetter:
    """Where a failed task's record is kept: the result backend's FAILURE state, unless
    ``ignore_result`` (without ``store_errors_even_if_ignored``) or the lack of a backend means
    it is not stored at all (celery/app/trace.py ``handle_error_state``, 5.7)."""
    ignore = sourced_setting(state, layers, app, "ignore_result")
    keep_errors = sourced_setting(state, layers, app, "store_errors_even_if_ignored")
    backend = _backend(state, app)
    store = "result backend" if backend is not False else ""
    if ignore.value is True and keep_errors.value is not True:
        why = f"{ignore.origin}: a failure is not stored"
        return DeadLetter(store, replace(ignore, value=0, origin=why))
    if ignore.value is UNKNOWN or (keep_errors.value is UNKNOWN and ignore.value is True):
        return DeadLetter(store, replace(ignore, value=UNKNOWN))
    if backend is False:
        return DeadLetter(
            "", default(0, "no result backend (Celery default): a failure is not stored")
        )
    if isinstance(backend, Sourced):
        return DeadLetter(store, backend)
    expires = state.app_setting(app, "result_expires")
    if expires is None:
        kept: Sourced[SecondsValue] = default(
            CELERY_RESULT_EXPIRES, "result_expires=1 day (Celery default)"
        )
    else:
        seconds = as_seconds(state.index.literal(expires.value, expires.module))
        kept = expires.sourced(None if seconds == 0 else seconds)  # 0/None: never expire
    return DeadLetter(store, kept)


def _backend(state: Project, app: App | None) -> bool | Sourced[SecondsValue]:
    """True when the app has a result backend, False when it certainly has none, or the
    UNKNOWN retention to report when this analysis cannot tell."""
    if app is None:
        return default(UNKNOWN, "no Celery app in the analysed code: result backend unknown")
    setting = state.app_setting(app, "result_backend")
    if setting is not None:
        value = state.index.literal(setting.value, setting.module)
        if value is not None and not isinstance(value, str):
            return setting.sourced(UNKNOWN, f"{setting.origin}: a backend chosen at run time")
        return value not in (None, "", "disabled")
    opaque = state.opaque_config(app)
    if opaque is not None:
        module, fact = opaque
        origin = f"result_backend from config_from_object({fact.value.code}), not analysed"
        return Sourced(UNKNOWN, "app-config", origin, fact.value.span, module.path)
    return False
