"""The failing path of one iteration, as events, replayed until the loop stops.

Counting attempts is simulation, not pattern matching, so it has a room of its own: ``jobs``
decides which exit tests bound the loop, and this module runs them against the counters;
``LoopFacts`` is what the replay of every path through one loop shares.

How many times the operation runs (``max_attempts`` counts every execution, the first included)
is found by *simulating* the failing path of one iteration: the events of the loop body in order
(the attempt, counter updates ``n += 1`` / ``n -= 1`` / ``n = n + 1``, exit checks
``if n >= N: raise``, ``while n < N``, ``continue``) are replayed with the counter's literal
initial value until an exit check fires. So ``attempts = 0; while True: attempts += 1; try: ...;
except: if attempts >= 3: raise`` runs 3 times, ``while attempts <= 3`` with the increment after
the attempt runs 4 times, and the +1 questions answer themselves. Initial values and bounds may
be function-local literals (``max_iter = 600``) when every assignment before the loop agrees.
The same replay, with the exits ignored, gives the sleep's first values to ``delays``.

Not modelled (deliberately): a ``for``'s ``else`` clause making one more attempt.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext, LoopInfo
from retrylint.frameworks.loops.deadlines import Clock
from retrylint.frameworks.loops.evaluator import (
    RANDOM,
    Constant,
    EvalResult,
    Evaluator,
    Number,
    is_known,
    is_num,
)
from retrylint.frameworks.loops.shapes import SLEEP_FUNCTIONS, Header, Retry
from retrylint.frameworks.loops.syntax import (
    CONTINUE,
    NEXT,
    block,
    flow,
    flow_one,
    name_of,
    one_line,
    top_level,
    walk_all,
)
from retrylint.model import UNBOUNDED, UNKNOWN, Marker, Span

# What the replay repeats: a loop, or a function that calls itself (``recursion``).
Repeated = cst.While | cst.For | cst.FunctionDef

SIMULATION_LIMIT = 100_000  # iterations; a counter bound beyond it is reported UNKNOWN
DELAY_SAMPLES = 8  # failing iterations evaluated to classify the delay


# -- the failing iteration, as events ------------------------------------------------------------
@dataclass
class Event:
    kind: str  # attempt, assign, check, sleep, stop
    node: cst.CSTNode | None = None
    key: str | None = None
    value: cst.BaseExpression | None = None
    op: cst.BaseAugOp | None = None
    exit_when: bool = True


def failing_events(
    ctx: FileContext,
    body: list[cst.CSTNode],
    retry: Retry | None,
    handler: cst.ExceptHandler | None,
) -> tuple[list[Event], list[cst.If]]:
    """The events of one failing iteration (through ``handler``) in order, and its exit ifs.

    With a retry shape and no handler, the iteration is the checked result's: the operation
    succeeds, and its result sends the loop round (``if response.is_success: return``)."""
    events: list[Event] = []
    checks: list[cst.If] = []
    if retry is None:
        events.append(Event("attempt"))
    _walk_events(ctx, list(top_level(body)), retry, handler, events, checks)
    return events, checks


def _walk_events(
    ctx: FileContext,
    statements: list[cst.CSTNode],
    retry: Retry | None,
    handler: cst.ExceptHandler | None,
    events: list[Event],
    checks: list[cst.If],
) -> bool:
    """Append the events of ``statements``; False when the iteration stops there."""
    for position, statement in enumerate(statements):
        if retry is not None and statement is retry.node:
            attempt = _try_events(ctx, retry, events, checks)
            if handler is not None:
                inner = list(top_level(block(handler.body)))
            else:  # the checked result: the rest of the try body, then its else
                body = list(top_level(block(retry.node.body)))
                orelse = retry.node.orelse
                inner = body[attempt + 1 :] + (
                    list(top_level(block(orelse.body))) if orelse else []
                )
            if not _walk_events(ctx, inner, None, None, events, checks):
                return False
            continue
        if isinstance(statement, cst.If):
            if not _if_events(ctx, statement, statements[position + 1 :], events, checks):
                return False
            continue
        if not _simple_event(ctx, statement, events):
            sleep = _first_sleep(ctx, statement)
            if sleep is not None:
                events.append(Event("sleep", sleep, value=sleep_argument(sleep)))
        if NEXT not in flow_one(statement):
            events.append(Event("stop", statement))
            return False
    return True


def _if_events(
    ctx: FileContext,
    statement: cst.If,
    rest: list[cst.CSTNode],
    events: list[Event],
    checks: list[cst.If],
) -> bool:
    """An ``if`` on the failing path: an exit check when one branch always leaves, and the
    events of the branch the retry goes on through (the body when both go on)."""
    body = list(top_level(block(statement.body)))
    other = statement.orelse
    if isinstance(other, cst.Else):
        other_statements = list(top_level(block(other.body)))
    else:
        other_statements = [other] if other is not None else []
    body_flow = flow(body)
    other_flow = flow(other_statements)
    body_goes_on = bool(body_flow & {NEXT, CONTINUE})
    other_goes_on = bool(other_flow & {NEXT, CONTINUE})
    if not body_goes_on and not other_goes_on:
        events.append(Event("stop", statement))
        return False
    if not body_goes_on:
        events.append(Event("check", statement, value=statement.test, exit_when=True))
        checks.append(statement)
        return _walk_events(ctx, other_statements, None, None, events, checks)
    if not other_goes_on:
        events.append(Event("check", statement, value=statement.test, exit_when=False))
        checks.append(statement)
        return _walk_events(ctx, body, None, None, events, checks)
    if body_flow == {CONTINUE} and other is None and not (flow(rest) & {NEXT, CONTINUE}):
        # "if n < N: sleep(); continue" and then give up: the test decides the exit.
        events.append(Event("check", statement, value=statement.test, exit_when=False))
        checks.append(statement)
    return _walk_events(ctx, body, None, None, events, checks)


def _try_events(ctx: FileContext, retry: Retry, events: list[Event], checks: list[cst.If]) -> int:
    """Counter updates and checks at the top of the try body, then the attempt itself; the
    position of the attempt's statement in the try body."""
    statements = list(top_level(block(retry.node.body)))
    for position, inner in enumerate(statements):
        if isinstance(inner, cst.AugAssign):
            _simple_event(ctx, inner, events)
            continue
        if isinstance(inner, cst.If) and not (flow(block(inner.body)) & {NEXT, CONTINUE}):
            events.append(Event("check", inner, value=inner.test, exit_when=True))
            checks.append(inner)
            continue
        events.append(Event("attempt", inner))
        return position
    events.append(Event("attempt", retry.node))
    return len(statements)


def _simple_event(ctx: FileContext, statement: cst.CSTNode, events: list[Event]) -> bool:
    """Assignments and sleeps as events; False for other statements."""
    if isinstance(statement, cst.AugAssign) and (key := name_of(statement.target)):
        events.append(Event("assign", statement, key, statement.value, statement.operator))
        return True
    if isinstance(statement, cst.Assign | cst.AnnAssign) and statement.value is not None:
        if isinstance(statement, cst.Assign):
            targets = [t.target for t in statement.targets]
        else:
            targets = [statement.target]
        keys = [name_of(t) for t in targets]
        if not all(keys):
            return False
        for key in keys:
            events.append(Event("assign", statement, key, statement.value))
        return True
    if isinstance(statement, cst.Expr):
        sleep = _first_sleep(ctx, statement)
        if sleep is not None:
            events.append(Event("sleep", sleep, value=sleep_argument(sleep)))
        return True
    return False


def _first_sleep(ctx: FileContext, node: cst.CSTNode) -> cst.Call | None:
    return next(
        (
            n
            for n in walk_all([node])
            if isinstance(n, cst.Call) and ctx.qualify(n.func) in SLEEP_FUNCTIONS
        ),
        None,
    )


def sleep_argument(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return arg.value
        if arg.keyword is not None and arg.keyword.value in ("seconds", "delay", "secs"):
            return arg.value
    return None


# -- simulation --------------------------------------------------------------------------------
@dataclass
class Outcome:
    attempts: int | Marker
    decided_by: cst.CSTNode | None  # the check or header that ended the loop
    sleeps: list[tuple[cst.CSTNode | None, EvalResult]]


def simulate(
    ctx: FileContext,
    header: Header,
    loop: Repeated,
    events: list[Event],
    init: dict[str, Number | None],
    *,
    honour_exits: bool,
    bound_tests: dict[int, list[cst.BaseExpression]],
    limit: int,
    evaluator_flags: tuple[bool, bool] = (False, False),
    flag: str | None = None,
    constants: dict[str, Constant | None] | None = None,
) -> Outcome:
    evaluate = Evaluator(ctx, dict(init), *evaluator_flags, flag=flag, constants=constants or {})
    env = evaluate.env
    attempts = 0
    sleeps: list[tuple[cst.CSTNode | None, EvalResult]] = []
    value = header.start
    while_test = loop.test if isinstance(loop, cst.While) and id(loop.test) in bound_tests else None
    for _ in range(limit):
        if header.var is not None:
            if (
                honour_exits
                and header.kind == "range"
                and is_num(header.stop)
                and value >= header.stop  # type: ignore[operator]
            ):
                return Outcome(attempts, header.call, sleeps)
            env[header.var] = value
            value = value + header.step  # type: ignore[operator]
        if honour_exits and while_test is not None:
            exits = _exits(evaluate, bound_tests[id(while_test)], False)
            if exits is None:
                return Outcome(UNKNOWN, while_test, sleeps)
            if exits:
                return Outcome(attempts, while_test, sleeps)
        for event in events:
            if event.kind == "attempt":
                attempts += 1
            elif event.kind == "assign" and event.key is not None and event.value is not None:
                new = evaluate(event.value)
                if event.op is not None:
                    new = _augmented(env.get(event.key), event.op, new)
                env[event.key] = new if is_known(new) else None  # type: ignore[assignment]
            elif event.kind == "check" and honour_exits and id(event.value) in bound_tests:
                exits = _exits(evaluate, bound_tests[id(event.value)], event.exit_when)
                if exits is None:
                    return Outcome(UNKNOWN, event.node, sleeps)
                if exits:
                    return Outcome(attempts, event.node, sleeps)
            elif event.kind == "sleep":
                value_now = evaluate(event.value) if event.value is not None else None
                sleeps.append((event.node, value_now))
            elif event.kind == "stop":
                break
        if not honour_exits and len(sleeps) >= DELAY_SAMPLES:
            break
    return Outcome(UNKNOWN if bound_tests else UNBOUNDED, None, sleeps)


def _exits(evaluate: Evaluator, parts: list[cst.BaseExpression], exit_when: bool) -> bool | None:
    """Whether the counter parts of an exit test end the loop now; None when unknown.

    ``parts`` are the disjuncts of an ``if ...: raise`` test or the conjuncts of a ``while``
    test: any one of them is enough to leave, so the parts we cannot read (an exception filter,
    a flag) can only make the loop stop sooner, never later.
    """
    unknown = False
    for part in parts:
        result = evaluate(part)
        if result is None or result is RANDOM:
            unknown = True
        elif bool(result) == exit_when:
            return True
    return None if unknown else False


def _augmented(current: Number | None, op: cst.BaseAugOp, operand: EvalResult) -> EvalResult:
    if operand is RANDOM:
        return current
    if current is None or not is_num(operand):
        return None
    x, y = float(current), float(operand)  # type: ignore[arg-type]
    try:
        match op:
            case cst.AddAssign():
                return x + y
            case cst.SubtractAssign():
                return x - y
            case cst.MultiplyAssign():
                return x * y
            case cst.DivideAssign():
                return x / y
            case cst.FloorDivideAssign():
                return x // y
            case cst.PowerAssign() if abs(y) <= 64:
                return x**y
    except (ArithmeticError, ValueError):
        return None
    return None


@dataclass(frozen=True)
class Choice:
    """What a name may hold before the loop: one literal, or several when a conditional decides
    (``tries = 3 if retry else 1``, or ``n = 0`` and ``n = 5`` in two branches); ``written`` is
    the code that chose, for messages."""

    values: tuple[Constant, ...]
    written: str | None = None


def initial_choices(
    ctx: FileContext, info: LoopInfo, loop_line: int, keys: set[str], *, sequences: bool = False
) -> dict[str, Choice]:
    """Each key's possible values before the loop, from every assignment to it earlier in the
    same scope; none known when any of them is run-time (``n = 0`` in one branch and
    ``n = self.n`` in the other). ``sequences`` also reads literal lists of numbers (a delay
    schedule read by index)."""
    found: dict[str, list[object]] = {}
    written: dict[str, list[str]] = {}
    for assignment in ctx.assignments:
        if assignment.function is not info.function:
            continue
        names = [n for t in assignment.targets if (n := name_of(t)) in keys]
        if not names or ctx.span(assignment.statement).line >= loop_line:
            continue
        values = [_literal(ctx.evaluate(v), sequences) for v in _branches(assignment.value)]
        for name in names:
            found.setdefault(name, []).extend(values)
            written.setdefault(name, []).append(one_line(ctx.code(assignment.statement)))
    choices: dict[str, Choice] = {}
    for key in keys:
        seen = found.get(key, [])
        if not seen or any(v is UNKNOWN for v in seen):
            continue
        distinct = tuple({(type(v), v): v for v in seen}.values())
        several = "; ".join(dict.fromkeys(written[key])) if len(distinct) > 1 else None
        choices[key] = Choice(distinct, several)  # type: ignore[arg-type]
    return choices


def _branches(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values a conditional expression can give: both branches of ``a if c else b``."""
    if isinstance(value, cst.IfExp):
        return [*_branches(value.body), *_branches(value.orelse)]
    return [value]


def _literal(value: object, sequences: bool) -> object:
    if is_num(value) or isinstance(value, bool):
        return value
    if sequences and isinstance(value, tuple) and value and all(is_num(v) for v in value):
        return value
    return UNKNOWN


COMBINATIONS_LIMIT = 16  # assignments of conditional values tried; beyond, they are run-time


def combinations(choices: dict[str, Choice]) -> list[tuple[dict[str, Constant | None], str]]:
    """Every assignment of the names' possible values, each with the code that chose them
    (empty when nothing was chosen by a conditional)."""
    several = sorted(k for k, c in choices.items() if len(c.values) > 1)
    fixed: dict[str, Constant | None] = {
        k: c.values[0] for k, c in choices.items() if len(c.values) == 1
    }
    count = 1
    for key in several:
        count *= len(choices[key].values)
    if count > COMBINATIONS_LIMIT:
        return [({**fixed, **dict.fromkeys(several)}, "")]
    found: list[tuple[dict[str, Constant | None], str]] = []
    for picked in itertools.product(*(choices[k].values for k in several)):
        chosen = dict(zip(several, picked, strict=True))
        words = "; ".join(f"{choices[k].written}" for k in several)
        found.append(({**fixed, **chosen}, words))
    return found


@dataclass
class LoopFacts:
    """What every path of one loop shares."""

    ctx: FileContext
    info: LoopInfo
    header: Header
    loop: cst.While | cst.For
    body: list[cst.CSTNode]
    retry: Retry | None
    sleeps: list[cst.Call]
    span: Span
    header_code: str
    clock: Clock
    deadline_parts: set[int]
    counters: set[str]  # names updated in place anywhere in the loop (n += 1, n = n + 1)
    constants: dict[str, Choice]  # function-local literals the loop reads, never assigns


def numeric_keys(
    ctx: FileContext,
    header: Header,
    events: list[Event],
    init: dict[str, Number | None],
    constants: dict[str, Constant | None],
) -> set[str]:
    """Names that hold known numbers through the failing iterations: counters, delays."""
    evaluate = Evaluator(ctx, dict(init), constants=constants)
    keys = {e.key for e in events if e.kind == "assign" and e.key}
    numeric = {k for k in keys if is_known(init.get(k))}
    if header.var is not None:
        numeric.add(header.var)
        evaluate.env[header.var] = header.start
    for _ in range(3):
        for event in events:
            if event.kind == "assign" and event.key and event.value is not None:
                new = evaluate(event.value)
                if event.op is not None:
                    new = _augmented(evaluate.env.get(event.key), event.op, new)
                if is_known(new):
                    evaluate.env[event.key] = new  # type: ignore[assignment]
                    numeric.add(event.key)
                else:
                    evaluate.env[event.key] = None
                    numeric.discard(event.key)
            if event.kind == "stop":
                break
    return numeric
