"""RL305 retry-signal-swallowed: a retry request raised inside a ``try`` whose broad handler
catches it and does not re-raise.

Retry requests travel as exceptions, all of them ``Exception`` subclasses: Celery's
``self.retry()`` (raises ``celery.exceptions.Retry``), ``raise dramatiq.Retry``, Huey
``RetryTask``, arq ``Retry``, tenacity ``TryAgain``. Found in the ``try`` body (its nested
blocks, and the handlers of a nested ``try``: ``except Timeout as exc: raise self.retry(...)``
inside an outer ``try`` is caught by the outer ``except Exception``), unless an earlier handler
of the same ``try`` catches the signal by name (``except Retry: raise``).

``raise self.retry(exc=exc)`` *in* the handler is Celery's idiom and is not inside the ``try``
body: never reported. ``self.retry`` on a class that defines its own ``retry`` is not Celery's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from retrylint.checks import job_code_finding
from retrylint.checks.handlers import (
    analyse,
    caught_names,
    describe_handler,
    is_broad,
    outer_call,
)
from retrylint.context import FileContext, FunctionInfo
from retrylint.findings import Finding

# The retry exceptions of each framework, as imported (qualified through the file's imports).
RETRY_SIGNALS = {
    "celery.exceptions.Retry": "celery",
    "dramatiq.Retry": "dramatiq",
    "dramatiq.errors.Retry": "dramatiq",
    "huey.exceptions.RetryTask": "huey",
    "huey.RetryTask": "huey",
    "arq.Retry": "arq",
    "arq.worker.Retry": "arq",
    "tenacity.TryAgain": "tenacity",
}
_SIGNAL_NAMES = frozenset({"Retry", "RetryTask", "TryAgain"})

_CONSEQUENCE = {
    "celery": (
        "this run is recorded as SUCCESS while the retry Celery already queued runs the task "
        "again, and once retries run out the final error is swallowed the same way"
    ),
}
_DEFAULT_CONSEQUENCE = "the retry never happens and the job is recorded as a success"


@dataclass
class _Signal:
    node: cst.CSTNode  # the retry call, or the raised exception
    code: str
    framework: str
    receiver: str | None  # `self` of `self.retry()`, to rule out a class's own retry method


class FileCheck:
    def __init__(self) -> None:
        self.pending: list[tuple[FunctionInfo, _Signal, cst.ExceptHandler]] = []

    def handlers(self) -> dict[type, Callable[[cst.Try, FileContext], None]]:
        return {cst.Try: self.on_try}

    def on_try(self, node: cst.Try, ctx: FileContext) -> None:
        if not ctx.enclosing:
            return
        catcher = _swallowing_handler(ctx, node)
        if catcher is None:
            return
        for signal in _signals(ctx, node.body):
            self.pending.append((ctx.enclosing[-1], signal, catcher))

    def findings(self, ctx: FileContext) -> list[Finding]:
        found = []
        for function, signal, handler in self.pending:
            if signal.receiver == "self" and _own_retry_method(ctx, function):
                continue
            line = ctx.span(handler).line
            consequence = _CONSEQUENCE.get(signal.framework, _DEFAULT_CONSEQUENCE)
            finding = job_code_finding(
                "RL305",
                f"`{signal.code}` is raised inside a `try` whose `{describe_handler(ctx, handler)}`"
                f" (line {line}) catches it and does not re-raise: {consequence}",
                ctx,
                signal.node,
                function=function.qualname,
            )
            if finding is not None:
                found.append(finding)
        return found


def _swallowing_handler(ctx: FileContext, node: cst.Try) -> cst.ExceptHandler | None:
    """The first broad handler, when it does not re-raise and no earlier handler takes the
    retry signal by name."""
    for handler in node.handlers:
        names = caught_names(ctx, handler) or ()
        if any(name.rsplit(".", 1)[-1] in _SIGNAL_NAMES for name in names):
            return None
        if is_broad(ctx, handler):
            return None if analyse(ctx, handler).raises else handler
    return None


def _catches_signals(ctx: FileContext, node: cst.Try) -> bool:
    for handler in node.handlers:
        names = caught_names(ctx, handler) or ()
        if is_broad(ctx, handler) or any(n.rsplit(".", 1)[-1] in _SIGNAL_NAMES for n in names):
            return True
    return False


def _signals(ctx: FileContext, block: cst.BaseSuite) -> Iterator[_Signal]:
    """Retry signals raised by the statements of a ``try`` body, through nested blocks; a nested
    ``try`` that catches them itself is judged on its own."""
    if isinstance(block, cst.SimpleStatementSuite):
        for small in block.body:
            yield from _signal_of(ctx, small)
        return
    for statement in block.body:
        match statement:
            case cst.SimpleStatementLine(body=body):
                for small in body:
                    yield from _signal_of(ctx, small)
            case cst.Try():
                if not _catches_signals(ctx, statement):
                    yield from _signals(ctx, statement.body)
                for handler in statement.handlers:
                    yield from _signals(ctx, handler.body)
                for extra in (statement.orelse, statement.finalbody):
                    if extra is not None:
                        yield from _signals(ctx, extra.body)
            case cst.If():
                branch: cst.CSTNode | None = statement
                while isinstance(branch, cst.If):
                    yield from _signals(ctx, branch.body)
                    branch = branch.orelse
                if isinstance(branch, cst.Else):
                    yield from _signals(ctx, branch.body)
            case cst.With(body=body) | cst.For(body=body) | cst.While(body=body):
                yield from _signals(ctx, body)
            case cst.Match(cases=cases):
                for case in cases:
                    yield from _signals(ctx, case.body)


def _signal_of(ctx: FileContext, statement: cst.BaseSmallStatement) -> Iterator[_Signal]:
    match statement:
        case cst.Raise(exc=exc) if exc is not None:
            call = outer_call(exc)
            target = call.func if call is not None else exc
            retry = _task_retry(ctx, call)
            if retry is not None:
                yield retry
                return
            qualified = ctx.qualify(target) or ""
            framework = RETRY_SIGNALS.get(qualified)
            if framework is not None:
                yield _Signal(exc, " ".join(f"raise {ctx.code(exc)}".split()), framework, None)
        case cst.Expr(value=value) | cst.Return(value=value) | cst.Assign(value=value):
            retry = _task_retry(ctx, outer_call(value))
            if retry is not None:
                yield retry


def _task_retry(ctx: FileContext, call: cst.Call | None) -> _Signal | None:
    """Celery's ``self.retry(...)`` / ``task.retry(...)``."""
    if call is None or not isinstance(call.func, cst.Attribute):
        return None
    func = call.func
    if func.attr.value != "retry" or not isinstance(func.value, cst.Name):
        return None
    receiver = func.value.value
    if receiver != "self" and "task" not in receiver.lower():
        return None
    code = " ".join(ctx.code(call).split())
    if len(code) > 60:
        code = f"{receiver}.retry(...)"
    return _Signal(call, code, "celery", receiver)


def _own_retry_method(ctx: FileContext, function: FunctionInfo) -> bool:
    """``self.retry`` in a class that defines ``retry``: the class's method, not Celery's."""
    if function.class_name is None:
        return False
    cls = ctx.classes.get(function.class_name)
    return cls is not None and "retry" in cls.methods
