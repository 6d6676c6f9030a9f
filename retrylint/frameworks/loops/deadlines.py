"""Deadlines: clock comparisons that end the loop, solved into seconds.

A deadline is read from the tests, not from the replay: a clock does not advance by events, so
these comparisons get their own small algebra, linear in "now".

Comparisons against ``time.monotonic()`` / ``time.time()`` / ``time.perf_counter()`` are solved
as linear expressions in "now" (a clock read before the loop is time 0), so
``deadline = time.monotonic() + 30; while time.monotonic() < deadline``,
``if time.monotonic() - start > 30: raise`` and ``remaining = deadline - time.monotonic(); if
remaining <= 0: raise`` all give 30 s. Anything else involving a clock is UNKNOWN.

Not modelled (deliberately): ``datetime.now()`` deadlines (UNKNOWN).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.loops.shapes import constant_true
from retrylint.frameworks.loops.syntax import (
    BREAK,
    CONTINUE,
    NEXT,
    RAISE,
    RETURN,
    block,
    dotted_name,
    exit_parts,
    flow,
    flow_one,
    one_line,
    walk_all,
)
from retrylint.model import UNKNOWN, Marker, SecondsValue, Sourced, Span, explicit
from retrylint.values import is_number

CLOCK_FUNCTIONS = frozenset({"time.monotonic", "time.time", "time.perf_counter"})
# Clock reads we see but cannot turn into seconds: a comparison with them makes deadline UNKNOWN.
OTHER_CLOCKS = re.compile(r"(^|\.)(monotonic_ns|time_ns|perf_counter_ns|now|utcnow|time)$")
Linear = tuple[float, float]  # a * now + b


@dataclass
class Clock:
    ctx: FileContext
    before: dict[str, cst.BaseExpression]  # pre-loop assignments
    inside: dict[str, cst.BaseExpression]  # in-loop assignments
    depth: int = 0

    def linear(self, node: cst.BaseExpression, in_loop: bool = True) -> Linear | None:
        if self.depth > 12:
            return None
        self.depth += 1
        try:
            return self._linear(node, in_loop)
        finally:
            self.depth -= 1

    def _linear(self, node: cst.BaseExpression, in_loop: bool) -> Linear | None:
        match node:
            case cst.Call(func=func) if self.ctx.qualify(func) in CLOCK_FUNCTIONS:
                return (1.0, 0.0) if in_loop else (0.0, 0.0)
            case cst.Name() | cst.Attribute():
                key = dotted_name(node)
                if in_loop and key in self.inside:
                    return self.linear(self.inside[key], True)
                if key in self.before:
                    return self.linear(self.before[key], False)
                value = self.ctx.evaluate(node)
                return (0.0, float(value)) if is_number(value) else None  # type: ignore[arg-type]
            case cst.Integer() | cst.Float():
                return (0.0, float(node.evaluated_value))
            case cst.BinaryOperation(left=left, operator=operator, right=right):
                a, b = self.linear(left, in_loop), self.linear(right, in_loop)
                if a is None or b is None:
                    return None
                if isinstance(operator, cst.Add):
                    return (a[0] + b[0], a[1] + b[1])
                if isinstance(operator, cst.Subtract):
                    return (a[0] - b[0], a[1] - b[1])
                if isinstance(operator, cst.Multiply) and (a[0] == 0 or b[0] == 0):
                    return (a[0] * b[1] + b[0] * a[1], a[1] * b[1])
                return None
        return None

    def mentions_clock(self, node: cst.BaseExpression, seen: frozenset[str] = frozenset()) -> bool:
        for child in walk_all([node], into_loops=True):
            if isinstance(child, cst.Call):
                qualified = self.ctx.qualify(child.func) or dotted_name(child.func)
                if qualified in CLOCK_FUNCTIONS or OTHER_CLOCKS.search(qualified):
                    return True
            if isinstance(child, cst.Name | cst.Attribute):
                key = dotted_name(child)
                if key in seen:
                    continue
                for table in (self.inside, self.before):
                    if key in table and self.mentions_clock(table[key], seen | {key}):
                        return True
        return False

    def deadline(self, test: cst.BaseExpression, exit_when: bool) -> float | Marker | None:
        """Seconds after which the test makes the loop exit; None if it is not about time."""
        if not self.mentions_clock(test):
            return None
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return UNKNOWN
        left, right = self.linear(test.left), self.linear(test.comparisons[0].comparator)
        if left is None or right is None:
            return UNKNOWN
        a, b = left[0] - right[0], left[1] - right[1]
        if a == 0:
            return UNKNOWN
        threshold = -b / a
        later = a * (threshold + 1e6) + b  # the left-minus-right value long after the threshold
        operator = test.comparisons[0].operator
        if isinstance(operator, cst.LessThan | cst.LessThanEqual):
            holds_later = later < 0
        elif isinstance(operator, cst.GreaterThan | cst.GreaterThanEqual):
            holds_later = later > 0
        else:
            return UNKNOWN
        if holds_later != exit_when or threshold < 0:
            return UNKNOWN
        return threshold


def clock_deadlines(
    loop: cst.While | cst.For, body: list[cst.CSTNode], clock: Clock
) -> list[tuple[float | Marker, cst.BaseExpression]]:
    """Clock comparisons that end the loop: the while test and every exit ``if``."""
    tests: list[tuple[cst.BaseExpression, bool]] = []
    if isinstance(loop, cst.While) and not constant_true(loop.test):
        tests.append((loop.test, False))
    for node in walk_all(body):
        if not isinstance(node, cst.If):
            continue
        body_flow = flow(block(node.body))
        if not (body_flow & {NEXT, CONTINUE}) and body_flow & {RAISE, RETURN, BREAK}:
            tests.append((node.test, True))
        elif node.orelse is not None:
            other = flow_one(node.orelse)
            if not (other & {NEXT, CONTINUE}) and other & {RAISE, RETURN, BREAK}:
                tests.append((node.test, False))
    found: list[tuple[float | Marker, cst.BaseExpression]] = []
    for test, exit_when in tests:
        for part in exit_parts(test, exit_when):
            seconds = clock.deadline(part, exit_when)
            if seconds is not None:
                found.append((seconds, part))
    return found


def deadline_field(
    ctx: FileContext, deadlines: Sequence[tuple[float | Marker, cst.CSTNode]], span: Span
) -> Sourced[SecondsValue]:
    if not deadlines:
        return explicit(None, "no deadline check in the loop", span)
    known = [(s, n) for s, n in deadlines if isinstance(s, float)]
    if known:
        seconds, node = min(known, key=lambda item: item[0])
        return explicit(seconds, one_line(ctx.code(node)), ctx.span(node))
    _, node = deadlines[0]
    return explicit(UNKNOWN, one_line(ctx.code(node)), ctx.span(node))
