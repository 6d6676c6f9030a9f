"""Loops driven by ``retrylint.guard.RetryBudget``: the budget is their retry policy.

The guard is what retrylint's loop fixes insert (and what users may write by hand):

    retry_budget = RetryBudget(attempts=5, base=2, cap=3600)
    while True:
        try:
            return sync()
        except ConnectionError:
            retry_budget.sleep()

Such a loop has no counter or deadline of its own, but it is bounded, with capped exponential
backoff and full jitter; reading it any other way would report the fix as a new problem. The
guard's own defaults are read from its signature, so they cannot drift from the runtime.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext, LoopInfo
from retrylint.guard import RetryBudget
from retrylint.model import UNKNOWN, Delay, Marker, SecondsValue, Sourced, explicit
from retrylint.values import CallValue, Value, as_seconds

GUARD_CONSTRUCTORS = frozenset({"retrylint.guard.RetryBudget", "retrylint.guard.retry_budget"})
_PARAMETERS = inspect.signature(RetryBudget.__init__).parameters
_DEFAULTS = {name: p.default for name, p in _PARAMETERS.items() if name != "self"}


@dataclass(frozen=True)
class BudgetPolicy:
    max_attempts: Sourced[int | Marker]
    delay: Sourced[Delay]
    deadline: Sourced[SecondsValue]


def budget_of_loop(
    ctx: FileContext, info: LoopInfo, nodes: Iterable[cst.CSTNode]
) -> BudgetPolicy | None:
    """The policy of the RetryBudget whose ``sleep()``/``asleep()`` the loop calls, if any."""
    names = {
        node.func.value.value
        for node in nodes
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("sleep", "asleep")
        and isinstance(node.func.value, cst.Name)
    }
    if not names:
        return None
    loop_line = ctx.span(info.node).line
    candidates = [
        assignment
        for assignment in ctx.assignments
        if assignment.function is info.function
        and isinstance(assignment.value, cst.Call)
        and ctx.qualify(assignment.value.func) in GUARD_CONSTRUCTORS
        and any(isinstance(t, cst.Name) and t.value in names for t in assignment.targets)
        and ctx.span(assignment.statement).line < loop_line
    ]
    if not candidates:
        return None
    call = candidates[-1].value
    value = ctx.evaluate(call)
    if not isinstance(value, CallValue):
        return None
    span, code = ctx.span(call), ctx.code(call)
    origin = " ".join(code.split())
    attempts = _number(value.arg(0, "attempts", _DEFAULTS["attempts"]))
    base = as_seconds(value.kwarg("base", _DEFAULTS["base"]))
    cap = as_seconds(value.kwarg("cap", _DEFAULTS["cap"]))
    deadline: Value = value.kwarg("deadline", _DEFAULTS["deadline"])
    if isinstance(base, float) and isinstance(cap, float):
        delay = Delay("exponential", base, cap, True)
    else:
        delay = Delay("unknown", None, None, True)
    return BudgetPolicy(
        max_attempts=explicit(attempts, origin, span),
        delay=explicit(delay, origin, span),
        deadline=explicit(None if deadline is None else as_seconds(deadline), origin, span),
    )


def _number(value: Value) -> int | Marker:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return UNKNOWN
