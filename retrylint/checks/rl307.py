"""RL307 traceback-dropped: a broad handler in job code logs the failure without its traceback.

Reported: a log call at warning level or above with no ``exc_info=``, in a broad handler that does not re-raise, logs nowhere else with the
traceback, and records nothing to an error tracker (which keeps the traceback itself). An
explicit ``exc_info=False`` is the author's choice and is left alone.

The fix is safe: ``log.error(...)`` becomes ``log.exception(...)`` (the same level, with the
traceback), other levels get ``exc_info=True``. loguru takes no ``exc_info``: only its
``error`` is fixed (loguru's ``exception`` exists too).
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from retrylint.checks import job_code_finding
from retrylint.checks.handlers import (
    LogCall,
    ReportingCheck,
    analyse,
    describe_handler,
    is_broad,
)
from retrylint.context import FileContext
from retrylint.findings import Edit, Fix
from retrylint.model import Span

_READ_LEVELS = frozenset({"warning", "warn", "error", "critical", "fatal"})


class FileCheck(ReportingCheck):
    def handlers(self) -> dict[type, Callable[[cst.ExceptHandler, FileContext], None]]:
        return {cst.ExceptHandler: self.on_handler}

    def on_handler(self, handler: cst.ExceptHandler, ctx: FileContext) -> None:
        if not ctx.enclosing or not is_broad(ctx, handler):
            return
        body = analyse(ctx, handler)
        if body.raises or body.tracked or body.traceback_logged:
            return
        for log in body.logs:
            if log.explicit_exc_info or log.helper:
                continue
            if log.level not in _READ_LEVELS:
                continue  # debug and info lines are not read: no traceback is missed there
            message = (
                f"`{describe_handler(ctx, handler)}` in `{ctx.enclosing[-1].qualname}` logs the "
                f"failure at {log.level} without its traceback: the worker's log keeps "
                "`str(exc)` at best, often an empty string, and nowhere to start debugging"
            )
            self.add(job_code_finding("RL307", message, ctx, log.node, fix=_fix(ctx, log)))


def _fix(ctx: FileContext, log: LogCall) -> Fix | None:
    func = log.node.func
    assert isinstance(func, cst.Attribute)
    if func.attr.value == "error":
        return Fix(
            "safe",
            "log with `exception` (error level, with the traceback)",
            (Edit(ctx.span(func.attr), "exception"),),
        )
    if log.loguru or not log.node.args or any(arg.star == "**" for arg in log.node.args):
        return None  # loguru takes no exc_info; **kwargs may hold one already
    end = ctx.span(log.node.args[-1].value)
    at = Span(end.end_line, end.end_column, end.end_line, end.end_column)
    return Fix("safe", "add `exc_info=True`", (Edit(at, ", exc_info=True"),))
