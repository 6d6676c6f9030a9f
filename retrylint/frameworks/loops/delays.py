"""Delay: the sleep between attempts, classified from the values it takes.

Telling a constant from a linear or exponential backoff, and finding its cap and jitter, is a
question of its own, asked of the replay's first failing iterations for one path.

The sleep argument is evaluated over the first iterations of the simulated failing path
(``2 ** attempt``, ``delay *= 2``, ``delay = min(delay * 2, 60)``, ``attempt * 3``); equal
values are constant, an arithmetic series linear, a geometric one exponential (base = the first
delay), a ``min(<constant>, ...)`` is the cap, and a ``random.*`` / ``*jitter*`` term sets
``jitter``. No sleep is strategy ``none`` (a tight loop) unless the loop calls something that may
wait (``*sleep*``, ``*wait*``, ``*backoff*``, ``*delay*``): then the delay is UNKNOWN.

Not modelled (deliberately): ``Event.wait(timeout)`` as a sleep (it returns early; treated as
"may wait": UNKNOWN delay).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.loops.evaluator import (
    Constant,
    EvalResult,
    Number,
    is_constant,
    is_num,
    is_random,
)
from retrylint.frameworks.loops.replay import (
    DELAY_SAMPLES,
    Event,
    LoopFacts,
    Repeated,
    simulate,
    sleep_argument,
)
from retrylint.frameworks.loops.shapes import SLEEP_FUNCTIONS, Header
from retrylint.frameworks.loops.syntax import dotted_name, one_line, refs, walk_all
from retrylint.model import (
    NO_DELAY,
    UNKNOWN,
    UNKNOWN_DELAY,
    Delay,
    Marker,
    Sourced,
    Span,
    explicit,
)

# A call that may wait: ``_sleep``, ``wait_for_read``, ``self._backoff`` (not ``put_nowait``).
MAY_WAIT = re.compile(
    r"(^|_)(sleep|wait|backoff|delay|pause|throttle)(_|$)|^(sleep|wait|backoff|delay)",
    re.IGNORECASE,
)
NOT_WAITING = frozenset({"asyncio.wait_for", "asyncio.wait", "anyio.fail_after"})


def _finite(value: object) -> bool:
    return is_num(value) and math.isfinite(value)  # type: ignore[arg-type]


def _may_wait_calls(ctx: FileContext, nodes: Sequence[cst.CSTNode]) -> list[cst.Call]:
    """Calls among ``nodes`` (already walked) that may wait (``self._sleep(x)``,
    ``wait_for_read(sock)``); calls whose result is discarded first."""
    found: list[cst.Call] = []
    statements: set[int] = set()
    for node in nodes:
        if isinstance(node, cst.Expr):
            inner = node.value.expression if isinstance(node.value, cst.Await) else node.value
            statements.add(id(inner))
        if not isinstance(node, cst.Call):
            continue
        qualified = ctx.qualify(node.func) or dotted_name(node.func)
        last = qualified.rsplit(".", 1)[-1]
        if qualified not in NOT_WAITING and MAY_WAIT.search(last.lstrip("_")):
            found.append(node)
    return sorted(found, key=lambda call: id(call) not in statements)


def _path_region(facts: LoopFacts, handler: cst.ExceptHandler | None) -> list[cst.CSTNode]:
    """The loop body without the other handlers of the retry ``try``: where this path runs."""
    if facts.retry is None or handler is None:
        return facts.body
    others = frozenset(id(h) for h in facts.retry.node.handlers if h is not handler)
    return list(walk_all(facts.body, skip=others))


def delay_field(
    facts: LoopFacts,
    events: list[Event],
    init: dict[str, Number | None],
    handler: cst.ExceptHandler | None,
    constants: dict[str, Constant | None],
    attempts: int | Marker,
) -> tuple[Sourced[Delay], cst.Call | None]:
    ctx, span = facts.ctx, facts.span
    sleep_events = [e for e in events if e.kind == "sleep"]
    call = sleep_events[0].node if sleep_events else None
    if not isinstance(call, cst.Call):
        region = _path_region(facts, handler)
        found = [
            n for n in region if isinstance(n, cst.Call) and ctx.qualify(n.func) in SLEEP_FUNCTIONS
        ]
        if found:  # a sleep the simulation did not reach: do not claim a tight loop
            code = one_line(ctx.code(found[0]))
            return explicit(UNKNOWN_DELAY, code, ctx.span(found[0])), found[0]
        waits = _may_wait_calls(ctx, region)
        if waits:
            code = one_line(ctx.code(waits[0]))
            return explicit(UNKNOWN_DELAY, f"{code} may wait", ctx.span(waits[0])), None
        return explicit(NO_DELAY, "no sleep between attempts", span), None
    flag = facts.retry.flag if facts.retry else None
    replay = Replay(facts.header, facts.loop, events, init, constants, flag)
    return sleep_delay(ctx, call, replay, attempts), call


@dataclass(frozen=True)
class Replay:
    """What the failing path is replayed with to sample the sleep's values."""

    header: Header
    repeated: Repeated  # the loop, or a function calling itself
    events: list[Event]
    init: dict[str, Number | None]
    constants: dict[str, Constant | None]
    flag: str | None = None


def sleep_delay(
    ctx: FileContext, call: cst.Call, replay: Replay, attempts: int | Marker
) -> Sourced[Delay]:
    """The delay of one sleep call, from its values over the replayed failing iterations."""
    events = replay.events
    origin = one_line(ctx.code(call))
    where = ctx.span(call)
    argument = sleep_argument(call)
    if argument is None:
        return explicit(UNKNOWN_DELAY, origin, where)
    samples = {}
    for strip, upper in ((False, False), (True, False), (False, True), (True, True)):
        outcome = simulate(
            ctx,
            replay.header,
            replay.repeated,
            events,
            replay.init,
            honour_exits=False,
            bound_tests={},
            limit=DELAY_SAMPLES * 4,
            evaluator_flags=(strip, upper),
            flag=replay.flag,
            constants=replay.constants,
        )
        samples[(strip, upper)] = [v for node, v in outcome.sleeps if node is call]
    jitter = _has_random(ctx, argument, events)
    upper = not all(is_num(v) for v in samples[(False, False)][:DELAY_SAMPLES])
    actual = samples[(False, upper)][:DELAY_SAMPLES]
    raw = samples[(True, upper)][:DELAY_SAMPLES]
    if _reads_a_schedule(argument, events):
        return _schedule_delay(actual, attempts, jitter, origin, where)
    if not actual or not all(_finite(v) for v in actual) or not all(_finite(v) for v in raw):
        return explicit(Delay("unknown", jitter=jitter or None), origin, where)
    values = [float(v) for v in actual]  # type: ignore[arg-type]
    growth = [float(v) for v in raw]  # type: ignore[arg-type]
    found_cap = _cap(ctx, argument, events)
    cap = found_cap if isinstance(found_cap, float) else None
    base = values[0]
    if len(set(growth)) == 1:
        delay = Delay("constant", base, None, jitter)
    elif _arithmetic(growth):
        delay = Delay("linear", base, cap, jitter)
    elif _geometric(growth):
        delay = Delay("exponential", base, cap, jitter)
    else:
        delay = Delay("custom", base, cap, jitter)
    if found_cap is UNKNOWN:  # min(self.max_delay, ...): capped, by an amount we do not know
        delay = Delay("custom", base, None, jitter)
    return explicit(delay, origin, where)


def _reads_a_schedule(argument: cst.BaseExpression, events: list[Event]) -> bool:
    """``time.sleep(DELAYS[attempt])``, or a delay taken from a list on the way to the sleep."""
    return any(
        isinstance(node, cst.Subscript)
        for expression in _feeding(argument, events)
        for node in walk_all([expression], into_loops=True)
    )


def _schedule_delay(
    samples: list[EvalResult], attempts: int | Marker, jitter: bool, origin: str, where: Span
) -> Sourced[Delay]:
    """A delay read from a list by attempt: the list's values, up to its end (the loop gives up
    there, or reads past it at run time) and no more than the waits between the attempts; a
    last value repeated (``DELAYS[min(n, len(DELAYS) - 1)]``) once."""
    values: list[float] = []
    for value in samples:
        if not _finite(value):
            break
        values.append(float(value))  # type: ignore[arg-type]
    if isinstance(attempts, int):
        values = values[: max(attempts - 1, 1)]
    while len(values) > 1 and values[-1] == values[-2]:
        values.pop()
    if not values:
        return explicit(Delay("unknown", jitter=jitter or None), origin, where)
    schedule = tuple(values)
    if len(set(schedule)) == 1:
        return explicit(Delay("constant", schedule[0], None, jitter, schedule), origin, where)
    return explicit(Delay("custom", schedule[0], max(schedule), jitter, schedule), origin, where)


def _arithmetic(values: list[float]) -> bool:
    steps = {round(b - a, 9) for a, b in itertools.pairwise(values)}
    return len(steps) == 1 and next(iter(steps)) > 0


def _geometric(values: list[float]) -> bool:
    if any(v <= 0 for v in values) or len(values) < 3:
        return False
    ratios = {round(b / a, 6) for a, b in itertools.pairwise(values)}
    return len(ratios) == 1 and next(iter(ratios)) > 1


def _feeding(argument: cst.BaseExpression, events: list[Event]) -> list[cst.BaseExpression]:
    """The sleep argument and the in-loop assignments it reads, transitively."""
    assigned: dict[str, list[cst.BaseExpression]] = {}
    for event in events:
        if event.kind == "assign" and event.key and event.value is not None:
            assigned.setdefault(event.key, []).append(event.value)
    found = [argument]
    seen: set[str] = set()
    queue = list(refs(argument))
    while queue:
        key = queue.pop()
        if key in seen:
            continue
        seen.add(key)
        for value in assigned.get(key, []):
            found.append(value)
            queue.extend(refs(value))
    return found


def _has_random(ctx: FileContext, argument: cst.BaseExpression, events: list[Event]) -> bool:
    return any(
        isinstance(node, cst.Call) and is_random(ctx.qualify(node.func) or dotted_name(node.func))
        for expression in _feeding(argument, events)
        for node in walk_all([expression], into_loops=True)
    )


def _cap(
    ctx: FileContext, argument: cst.BaseExpression, events: list[Event]
) -> float | Marker | None:
    """The constant of a ``min(<constant>, ...)`` around the growing term; UNKNOWN if run-time."""
    caps: list[float | Marker] = []
    for expression in _feeding(argument, events):
        for node in walk_all([expression], into_loops=True):
            if (
                isinstance(node, cst.Call)
                and ctx.qualify(node.func) == "min"
                and len(node.args) >= 2
            ):
                constants = [ctx.evaluate(a.value) for a in node.args if is_constant(ctx, a.value)]
                if constants:
                    caps.append(float(min(constants)))  # type: ignore[type-var,arg-type]
                else:
                    caps.append(UNKNOWN)
    known = [c for c in caps if isinstance(c, float)]
    if known:
        return min(known)
    return UNKNOWN if caps else None
