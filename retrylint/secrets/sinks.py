"""Where a value gets written out for people to read: log calls, ``print``, warnings, and the
message of an exception raised with it.

Loggers are recognised by what they are, not by one spelling: a name bound anywhere in the file
to a logger factory (``logging.getLogger``, ``structlog.get_logger``, Celery's
``get_task_logger``, ``logging.LoggerAdapter``), ``loguru.logger``, the ``logging`` module's own
functions, a logger derived by ``.bind()`` / ``.opt()``, and names whose last word is ``log``,
``logger`` or ``logging`` (``LOG``, ``self._logger``, ``task_log``, ``current_app.logger``).
Methods such as ``messages.info(request, ...)`` or ``parser.error(...)`` on other objects are
not log calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.secrets.leak_names import CONTEXT_FUNCTIONS, CONTEXT_METHODS, LOG_METHODS
from retrylint.secrets.names import words_of
from retrylint.secrets.values import brace_labels, percent_labels

LOGGER_FACTORIES = frozenset(
    {"getLogger", "get_logger", "getlogger", "get_task_logger", "getChild", "LoggerAdapter",
     "wrap_logger"}
)  # fmt: skip
_LOGGER_MODULES = frozenset({"logging", "loguru.logger", "structlog"})
_LOGGER_WORDS = frozenset({"log", "logger", "logging"})
_DERIVED = frozenset({"bind", "opt", "new", "patch", "getChild"})
# Keywords of stdlib log calls that are flags, not values.
_FLAGS = frozenset({"exc_info", "stack_info", "stacklevel"})
_PRINT_FLAGS = frozenset({"sep", "end", "file", "flush"})

SinkKind = Literal["log", "print", "warning", "raise"]


@dataclass(frozen=True)
class Written:
    """One value a sink writes: the expression, the keyword it is passed as (None when
    positional), the text a template puts right before it (a label such as ``"token="``)."""

    value: cst.BaseExpression
    argument: cst.CSTNode  # the Arg (or the exception call) it came in
    keyword: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Sink:
    """A call that writes values out, and how a message names it."""

    call: cst.Call
    kind: SinkKind
    shown: str  # log.info(...), print(...), raise ValueError(...)
    function: FunctionInfo | None
    exception: str | None = None  # the class a raise sink raises: what its message is about

    def written(self) -> Iterator[Written]:
        args = list(self.call.args)
        if self.kind == "raise":
            yield from _plain(args, frozenset())
            return
        if self.kind == "print":
            yield from _plain(args, _PRINT_FLAGS)
            return
        method = self.call.func.attr.value if isinstance(self.call.func, cst.Attribute) else ""
        positional = [a for a in args if a.keyword is None]
        if method == "log" and positional:
            positional = positional[1:]  # the level
        labels: list[str] = []
        if positional and not positional[0].star:
            template = positional[0].value
            yield Written(template, positional[0])
            labels = _labels(template)
            positional = positional[1:]
        for index, arg in enumerate(positional):
            label = labels[index] if index < len(labels) and not arg.star else None
            yield Written(arg.value, arg, label=label)
        for arg in args:
            if arg.keyword is not None and arg.keyword.value not in _FLAGS:
                yield Written(arg.value, arg, keyword=arg.keyword.value)
            elif arg.star == "**":
                yield Written(arg.value, arg)


def _plain(args: list[cst.Arg], flags: frozenset[str]) -> Iterator[Written]:
    for arg in args:
        if arg.keyword is None:
            yield Written(arg.value, arg)
        elif arg.keyword.value not in flags:
            yield Written(arg.value, arg, keyword=arg.keyword.value)


def _labels(template: cst.BaseExpression) -> list[str]:
    """Labels of a log template's placeholders, ``%s`` (stdlib) or ``{}`` (loguru)."""
    if not isinstance(template, cst.SimpleString | cst.ConcatenatedString):
        return []
    labels = percent_labels(template)
    if labels:
        return labels
    text = template.evaluated_value
    return brace_labels(text) if isinstance(text, str) else []


class SinkFinder:
    """The sinks of one file: log calls, prints and warnings among its calls, and raises."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._bound = _logger_names(ctx)

    def calls(self) -> Iterator[Sink]:
        for info in self.ctx.calls:
            sink = self.sink(info.node, info.function)
            if sink is not None:
                yield sink

    def sink(self, call: cst.Call, function: FunctionInfo | None) -> Sink | None:
        func = call.func
        if isinstance(func, cst.Name):
            if func.value == "print" and not self._shadowed("print"):
                return Sink(call, "print", "print(...)", function)
            qualified = self.ctx.qualify(func)
            if qualified in CONTEXT_FUNCTIONS:
                return Sink(call, "log", f"{func.value}(...)", function)
            if qualified == "warnings.warn":
                return Sink(call, "warning", "warnings.warn(...)", function)
            return None
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        if method not in LOG_METHODS and method not in CONTEXT_METHODS:
            return None
        if method == "warn" and self.ctx.qualify(func) == "warnings.warn":
            return Sink(call, "warning", "warnings.warn(...)", function)
        if not self.is_logger(func.value):
            return None
        receiver = _short(self.ctx, func.value)
        return Sink(call, "log", f"{receiver}.{method}(...)", function)

    def raised(self, node: cst.Raise, function: FunctionInfo | None) -> Sink | None:
        exc = node.exc
        if not isinstance(exc, cst.Call):
            return None
        name = (self.ctx.qualify(exc.func) or "...").rsplit(".", 1)[-1]
        return Sink(exc, "raise", f"raise {name}(...)", function, name)

    def is_logger(self, receiver: cst.BaseExpression) -> bool:
        match receiver:
            case cst.Call(func=cst.Attribute(attr=cst.Name(value=method), value=inner)) if (
                method in _DERIVED
            ):
                return self.is_logger(inner)
            case cst.Call(func=func):
                qualified = self.ctx.qualify(func) or ""
                return qualified.rsplit(".", 1)[-1] in LOGGER_FACTORIES
            case cst.Name() | cst.Attribute():
                name = self.ctx.qualify(receiver)
                if name in _LOGGER_MODULES or self.ctx.code(receiver) in self._bound:
                    return True
                last = receiver.value if isinstance(receiver, cst.Name) else receiver.attr.value
                return not _LOGGER_WORDS.isdisjoint(words_of(last)[-1:])
        return False

    def _shadowed(self, name: str) -> bool:
        return name in self.ctx.imports or name in self.ctx.module_names


def _logger_names(ctx: FileContext) -> frozenset[str]:
    """Names bound to a logger in this file, as written (``audit``, ``self.events``)."""
    names: set[str] = set()
    for assignment in ctx.assignments:
        value = assignment.value
        if not isinstance(value, cst.Call):
            continue
        qualified = ctx.qualify(value.func) or ""
        if qualified.rsplit(".", 1)[-1] not in LOGGER_FACTORIES and qualified != "loguru.logger":
            continue
        for target in assignment.targets:
            if isinstance(target, cst.Name | cst.Attribute):
                code = ctx.code(target)
                names.add(code)
                if assignment.class_name is not None and isinstance(target, cst.Name):
                    names.update({f"self.{code}", f"cls.{code}"})
    return frozenset(names)


def _short(ctx: FileContext, node: cst.BaseExpression) -> str:
    code = ctx.code(node)
    return code if len(code) <= 30 and "\n" not in code else "logger"
