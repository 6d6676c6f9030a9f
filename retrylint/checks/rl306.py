"""RL306 exhausted-retries-dropped: when retries run out, the give-up path throws the failure
away.

Three give-up paths, all in job code:

- ``except MaxRetriesExceededError:`` (Celery, ``self.MaxRetriesExceededError`` included) whose
  body neither re-raises, nor records the failure, nor hands it to another job. In a helper, a
  handler that leaves the failure to what follows (binds a flag, returns a failure value, or
  falls through) hands it to the caller: reported only in a job's own body;
- tenacity ``retry_error_callback=``: a lambda that returns a plain value (``lambda rs: None``),
  or a function of the same file that returns without raising or recording. A callback that
  calls ``retry_state.outcome.result()`` re-raises the last error: not reported; one that calls
  anything else is not judged (it may record);
- backoff ``raise_on_giveup=False`` (a give-up returns ``None``) with no ``on_giveup`` handler
  that records or raises. With ``raise_on_giveup`` left on, an ``on_giveup`` that only passes is
  harmless: the error is raised anyway.

A decorator's give-up path is job code of the function it decorates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from retrylint.checks import job_code_finding
from retrylint.checks.handlers import (
    READ_LEVELS,
    HandlerBody,
    ReportingCheck,
    analyse,
    analyse_block,
    caught_names,
    clause_location,
    describe_handler,
    exception_name,
    outer_call,
    returns_failure,
    statements,
)
from retrylint.context import FileContext, FunctionInfo
from retrylint.findings import Finding

_EXHAUSTED = "MaxRetriesExceededError"


@dataclass
class _GiveUp:
    """A retry decorator's or retryer's give-up option, judged once the file is indexed."""

    function: str  # qualname of the job-code function it belongs to
    keyword: str  # retry_error_callback / raise_on_giveup
    node: cst.Arg
    callback: cst.BaseExpression | None  # the callback (on_giveup for backoff)


class FileCheck(ReportingCheck):
    def handlers(self) -> dict[type, Callable[[Any, FileContext], None]]:
        return {cst.ExceptHandler: self.on_handler}

    def on_handler(self, handler: cst.ExceptHandler, ctx: FileContext) -> None:
        names = caught_names(ctx, handler) or ()
        if not any(name.rsplit(".", 1)[-1] == _EXHAUSTED for name in names):
            return
        body = analyse(ctx, handler)
        if body.handled:
            return
        loud = any(log.level in READ_LEVELS and log.traceback for log in body.logs)
        # A helper whose handler leaves a failure behind for what follows (a flag it binds,
        # a failure value it returns, code after it) hands the give-up to its caller: only a
        # job's own body ending here is the framework's success.
        hands_back = (
            body.assigns
            or not body.returns
            or any(returns_failure(ctx, r, exception_name(handler)) for r in body.returns)
        )
        message = (
            f"`{describe_handler(ctx, handler)}` {_dropped(body)}: the job ran out of retries "
            "and is recorded as a SUCCESS; no failure hook runs and nobody is told the work "
            "was never done"
        )
        location = clause_location(ctx, handler)
        severity = "medium" if loud else "high"
        self.add(
            job_code_finding(
                "RL306", message, ctx, location, severity=severity, job_body_only=hands_back
            )
        )

    def findings(self, ctx: FileContext) -> list[Finding]:
        """Give-up options of retry decorators and retryers, read from the index after the walk:
        a decorator's belong to the function it decorates, a call's to the one it is in."""
        give_ups: list[_GiveUp] = []
        decorators: set[int] = set()
        for function in ctx.functions:
            for decorator in function.node.decorators:
                if isinstance(decorator.decorator, cst.Call):
                    decorators.add(id(decorator.decorator))
                    give_ups.extend(_give_ups(decorator.decorator, function))
        for info in ctx.calls:
            if info.function is not None and id(info.node) not in decorators:
                give_ups.extend(_give_ups(info.node, info.function))
        for give_up in give_ups:
            message = _judge(ctx, give_up)
            if message is not None:
                owner = give_up.function
                self.add(job_code_finding("RL306", message, ctx, give_up.node, function=owner))
        return self.found


def _give_ups(call: cst.Call, function: FunctionInfo) -> list[_GiveUp]:
    """tenacity's ``retry_error_callback=`` and backoff's ``raise_on_giveup=False`` (with its
    ``on_giveup=``, if any): keywords no other library uses."""
    keywords = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
    if not keywords:
        return []
    if "retry_error_callback" in keywords:
        callback = keywords["retry_error_callback"]
        return [_GiveUp(function.qualname, "retry_error_callback", callback, callback.value)]
    switch = keywords.get("raise_on_giveup")
    if switch is not None and isinstance(switch.value, cst.Name) and switch.value.value == "False":
        on_giveup = keywords["on_giveup"].value if "on_giveup" in keywords else None
        return [_GiveUp(function.qualname, "raise_on_giveup", switch, on_giveup)]
    return []


def _judge(ctx: FileContext, give_up: _GiveUp) -> str | None:
    callback = give_up.callback
    if give_up.keyword == "retry_error_callback":
        assert callback is not None
        verdict = _callback_verdict(ctx, callback)
        if verdict is None:
            return None
        return (
            f"tenacity's `retry_error_callback={_short(ctx, callback)}` {verdict}: when the "
            "attempts run out, the caller gets that value as if the call had worked, and the "
            "last error is gone"
        )
    if callback is not None:
        verdict = _callback_verdict(ctx, callback)
        if verdict is None:
            return None
        return (
            f"backoff's `raise_on_giveup=False` with `on_giveup={_short(ctx, callback)}` that "
            f"{verdict}: a give-up returns None to the caller and the last error is gone"
        )
    return (
        "backoff's `raise_on_giveup=False` with no `on_giveup` handler: a give-up returns None "
        "to the caller as if the call had worked, and the last error is gone"
    )


def _callback_verdict(ctx: FileContext, callback: cst.BaseExpression) -> str | None:
    """How a give-up callback drops the failure, or None when it raises, records, or cannot
    be read here (a call of something else, a function of another module)."""
    if isinstance(callback, cst.Lambda):
        call = outer_call(callback.body)
        if call is None:
            return f"returns `{_short(ctx, callback.body)}`"
        return None  # a call: .result() re-raises; anything else may record
    if not isinstance(callback, cst.Name):
        return None
    function = next(
        (f for f in ctx.functions if f.name == callback.value and f.parent is None), None
    )
    if function is None:
        return None
    if _reraises(function.node.body):
        return None
    params = function.node.params.params
    bound = params[0].name.value if params else None
    body = analyse_block(ctx, function.node.body, bound)
    if body.handled:
        return None
    values = [r.value for r in body.returns if r.value is not None]
    if values:
        logged = " after a log line" if body.logs else ""
        return f"returns `{_short(ctx, values[0])}`{logged}"
    return _dropped(body)


def _reraises(block: cst.BaseSuite) -> bool:
    """``retry_state.outcome.result()`` raises the last attempt's error."""
    for statement in statements(block):
        value = getattr(statement, "value", None)
        call = outer_call(value) if isinstance(value, cst.BaseExpression) else None
        func = call.func if call is not None else None
        if isinstance(func, cst.Attribute) and func.attr.value == "result":
            return True
    return False


def _dropped(body: HandlerBody) -> str:
    log = body.loudest_log()
    if log is not None:
        traceback = "with" if log.traceback else "without"
        return f"only logs it ({log.level}, {traceback} traceback)"
    if body.returns:
        return "only returns"
    return "drops it"


def _short(ctx: FileContext, node: cst.CSTNode) -> str:
    code = " ".join(ctx.code(node).split())
    return code if len(code) <= 40 else code[:37] + "..."
