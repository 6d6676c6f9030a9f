"""The ``Job`` of one loop: its paths, the policy fields they give, and what the fix needs.

This is where the other rooms' answers become a policy; the decisions about what bounds a loop,
and what is left UNKNOWN or UNBOUNDED, are taken here.

A bound that is a run-time value (a parameter, ``self.max_retries``) is UNKNOWN; a loop with no
counter is UNBOUNDED (with a deadline, if it has one, in ``deadline``). A retry handler whose
exit depends on something other than a counter, a clock or the caught exception
(``if not self.retry_on_timeout: raise``) makes the bound UNKNOWN; a filter on the exception
(``if e.status == 404: raise``) does not bound. An exit test is split into the parts each enough
to leave (``or`` for ``if ...: raise``, ``and`` for ``while``), so
``if e.errno != EINVAL or len(groups) <= 1: raise`` is not a mere filter. A counter check the
simulation could not follow never yields UNBOUNDED, only UNKNOWN. With several retrying handlers
each is a path; the loop's bound is the worst path's, and a delay that differs by exception is
``custom``.

The job's qualname is ``<function qualname>#loop@<line>`` (``<module>#loop@<line>`` at module
level); ``Job.details`` keeps what the guard-inserting fix needs: the loop statement, header,
try, handler, exit and sleep spans, the sleep argument as a ``Located``, the indentation of the
loop and of its body, whether the function is async, and the loop variable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from retrylint.context import FileContext, LoopInfo
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.guard_budget import budget_of_loop
from retrylint.frameworks.loops.deadlines import Clock, clock_deadlines, deadline_field
from retrylint.frameworks.loops.delays import delay_field
from retrylint.frameworks.loops.evaluator import Evaluator, Number, is_known, is_num
from retrylint.frameworks.loops.exceptions import exceptions_fields, handler_code
from retrylint.frameworks.loops.replay import (
    SIMULATION_LIMIT,
    Choice,
    Event,
    LoopFacts,
    Outcome,
    combinations,
    failing_events,
    initial_choices,
    numeric_keys,
    simulate,
    sleep_argument,
)
from retrylint.frameworks.loops.shapes import (
    Header,
    Retry,
    bounded,
    constant_true,
)
from retrylint.frameworks.loops.syntax import (
    BREAK,
    RAISE,
    RETURN,
    block,
    exit_parts,
    flow_one,
    name_of,
    one_line,
    refs,
    target_names,
    top_level,
    walk_all,
)
from retrylint.model import (
    UNBOUNDED,
    UNKNOWN,
    Delay,
    Job,
    Marker,
    Sourced,
    Span,
    default,
    explicit,
)


def _header_span(ctx: FileContext, loop: cst.While | cst.For) -> Span:
    start = ctx.span(loop)
    end = ctx.span(loop.test if isinstance(loop, cst.While) else loop.iter)
    return Span(start.line, start.column, end.end_line, end.end_column)


def _header_code(loop: cst.While | cst.For, ctx: FileContext) -> str:
    if isinstance(loop, cst.While):
        return f"while {ctx.code(loop.test)}"
    return f"for {ctx.code(loop.target)} in {ctx.code(loop.iter)}"


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


@dataclass
class _Path:
    """One failing path through the loop (one retrying handler, or the poll body)."""

    handler: cst.ExceptHandler | None
    events: list[Event]
    checks: list[cst.If]
    attempts: Sourced[int | Marker]
    delay: Sourced[Delay]
    sleep_call: cst.Call | None


def build_job(
    ctx: FileContext,
    info: LoopInfo,
    header: Header,
    body: list[cst.CSTNode],
    retry: Retry | None,
    sleeps: list[cst.Call],
) -> Job:
    loop = info.node
    span = _header_span(ctx, loop)
    header_code = _header_code(loop, ctx)
    function = info.function.qualname if info.function else None
    local = f"{function or '<module>'}#loop@{span.line}"
    before, inside = _assignments(ctx, info, body, span.line)
    clock = Clock(ctx, before, inside)
    deadlines = clock_deadlines(loop, body, clock)
    facts = LoopFacts(
        ctx,
        info,
        header,
        loop,
        body,
        retry,
        sleeps,
        span,
        header_code,
        clock,
        {id(node) for _, node in deadlines},
        _counters(body),
        _local_constants(ctx, info, loop, body, span.line),
    )
    handlers: list[cst.ExceptHandler | None] = list(retry.handlers) if retry else [None]
    if retry is not None and retry.checked is not None:
        handlers.append(None)  # the path where the operation's result sends the loop round
    paths = [_analyse_path(facts, handler, bool(deadlines)) for handler in handlers]
    max_attempts = _worst_attempts([p.attempts for p in paths])
    delay = _combined_delay(ctx, paths)
    sleep_call = next((p.sleep_call for p in paths if p.sleep_call is not None), None)
    retry_on, permanent = exceptions_fields(ctx, retry, body, loop, span)
    deadline = deadline_field(ctx, deadlines, span)
    budget = budget_of_loop(ctx, info, walk_all(body))
    if budget is not None:  # a RetryBudget bounds the loop and paces it
        max_attempts, delay, deadline = budget.max_attempts, budget.delay, budget.deadline
    policy = make_policy(
        max_attempts=max_attempts,
        delay=delay,
        deadline=deadline,
        retry_on=retry_on,
        permanent=permanent,
        redelivery=default(False, "a loop in the process: no redelivery"),
    )
    checks = [c for p in paths for c in p.checks]
    details: list[tuple[str, Any]] = [
        ("shape", "retry" if retry or retry_on.value else "poll"),
        ("loop", ctx.span(loop)),
        ("header", span),
        ("header_code", header_code),
        ("async", bool(info.function and info.function.is_async)),
        ("indent", _indent(ctx.line_text(span.line))),
        ("body_indent", _body_indent(ctx, loop)),
        ("loop_var", header.var),
        ("try", ctx.span(retry.node) if retry else None),
        ("handlers", tuple(ctx.span(h) for h in retry.handlers) if retry else ()),
        ("exit", ctx.span(retry.exit_node) if retry else None),
        ("sleep", ctx.span(sleep_call) if sleep_call is not None else None),
        ("sleep_arg", _sleep_located(ctx, sleep_call)),
        ("sleep_function", ctx.qualify(sleep_call.func) if sleep_call is not None else None),
        ("sleeps", tuple(ctx.span(s) for s in sleeps)),
        ("exit_checks", tuple(dict.fromkeys(ctx.span(c) for c in checks))),
    ]
    return Job(
        name=local,
        qualname=local,
        framework="loop",
        kind="retry-loop",
        path=ctx.path,
        span=span,
        policy=policy,
        function=function,
        details=tuple(details),
    )


def _local_constants(
    ctx: FileContext,
    info: LoopInfo,
    loop: cst.While | cst.For,
    body: list[cst.CSTNode],
    loop_line: int,
) -> dict[str, Choice]:
    """``max_iter = 600`` (or ``tries = 3 if retry else 1``, ``delays = [1, 5, 30]``) before
    the loop: names the loop reads but never assigns."""
    assigned: set[str] = set()
    for node in walk_all(body, into_loops=True):
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign):
            assigned.update(target_names(node))
        elif isinstance(node, cst.For | cst.CompFor) and (name := name_of(node.target)):
            assigned.add(name)
    if isinstance(loop, cst.For) and (name := name_of(loop.target)):
        assigned.add(name)
    read = {r for r in refs(loop) if "." not in r} - assigned
    return initial_choices(ctx, info, loop_line, read, sequences=True)


def _counters(body: list[cst.CSTNode]) -> set[str]:
    """Names counted across iterations: updated in place, never reset from scratch in the loop
    (``value = int(pipe.get(k)); value += n`` is recomputed each time, not a counter)."""
    found: set[str] = set()
    reset: set[str] = set()
    for node in walk_all(body):
        if isinstance(node, cst.AugAssign) and (name := name_of(node.target)):
            found.add(name)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                name = name_of(target.target)
                if not name:
                    continue
                if name in refs(node.value):
                    if isinstance(node.value, cst.BinaryOperation):
                        found.add(name)
                else:
                    reset.add(name)
    return found - reset


def _analyse_path(facts: LoopFacts, handler: cst.ExceptHandler | None, has_deadline: bool) -> _Path:
    """One failing path; where a conditional sets a counter or bound before the loop, each of
    its values is replayed and the path that retries most is kept."""
    ctx = facts.ctx
    events, checks = failing_events(ctx, facts.body, facts.retry, handler)
    tracked = {e.key for e in events if e.kind == "assign" and e.key} - {facts.header.var}
    choices = {**facts.constants, **initial_choices(ctx, facts.info, facts.span.line, tracked)}
    tried: list[tuple[Sourced[int | Marker], dict[str, Any], dict[str, Any], str]] = []
    for values, chosen in combinations(choices):
        init: dict[str, Any] = {k: v for k, v in values.items() if k in tracked}
        init.update((k, None) for k in tracked - init.keys())
        constants: dict[str, Any] = {
            k: v for k, v in values.items() if k not in tracked and v is not None
        }
        attempts = _path_attempts(facts, events, handler, init, constants, has_deadline)
        tried.append((attempts, init, constants, chosen))
    attempts = _worst_attempts([t[0] for t in tried])
    _, init, constants, chosen = next(t for t in tried if t[0] is attempts)
    if chosen and len({str(t[0].value) for t in tried}) > 1:
        origin = f"{attempts.origin} ({chosen}: the branch that retries most)"
        attempts = replace(attempts, origin=origin)
    delay, sleep_call = delay_field(facts, events, init, handler, constants, attempts.value)
    return _Path(handler, events, checks, attempts, delay, sleep_call)


def _with_stop(header: Header, constants: dict[str, Any], ctx: FileContext) -> Header:
    """The header with a ``range(n)`` bound read through function-local literals."""
    if header.kind != "range" or header.call is None or header.stop is not UNKNOWN:
        return header
    args = header.call.args
    stop = Evaluator(ctx, constants=constants)(args[1 if len(args) >= 2 else 0].value)
    return replace(header, stop=stop) if bounded(stop) else header  # type: ignore[arg-type]


def _path_attempts(
    facts: LoopFacts,
    events: list[Event],
    handler: cst.ExceptHandler | None,
    init: dict[str, Any],
    constants: dict[str, Any],
    has_deadline: bool,
) -> Sourced[int | Marker]:
    ctx, loop, retry = facts.ctx, facts.loop, facts.retry
    header = _with_stop(facts.header, constants, ctx)
    numeric = numeric_keys(ctx, header, events, init, constants)
    exception_name = (
        handler.name.name.value
        if handler is not None and handler.name and isinstance(handler.name.name, cst.Name)
        else None
    )
    flag = retry.flag if retry else None
    loop_test = loop.test if isinstance(loop, cst.While) else None
    if flag is not None and loop_test is not None:
        if _failure_ends_flag_loop(facts, handler, flag, loop_test):
            flag = None  # `retried = True` after every pass: the flag is a one-pass counter
        else:
            numeric.discard(flag)  # the success flag: never set on the failing path
    tests: list[tuple[cst.BaseExpression, bool]] = []
    if loop_test is not None and not constant_true(loop_test):
        tests.append((loop_test, False))
    for event in events:
        if event.kind == "check" and event.value is not None:
            tests.append((event.value, event.exit_when))
    bound_tests: dict[int, list[cst.BaseExpression]] = {}
    unknown_exit: cst.BaseExpression | None = None
    unmodelled: cst.BaseExpression | None = None
    for test, exit_when in tests:
        parts = [p for p in exit_parts(test, exit_when) if id(p) not in facts.deadline_parts]
        if not parts:
            continue
        counting = [p for p in parts if refs(p) & numeric]
        if counting:
            bound_tests[id(test)] = counting
            continue
        read = set().union(*(refs(p) for p in parts))
        if read & facts.counters:
            unmodelled = unmodelled or test  # a counter we could not follow
        elif flag is not None and test is loop_test:
            continue  # the success flag
        elif retry is None:
            continue  # a poll's condition
        elif handler is None and all(_reads_result(p, retry.results) for p in parts):
            continue  # a check of the operation's result
        elif exception_name is not None and all(exception_name in refs(p) for p in parts):
            continue  # a filter on the caught exception
        else:
            unknown_exit = unknown_exit or test
    for node in walk_all(facts.body):  # counter checks off the modelled path
        if (
            isinstance(node, cst.If)
            and refs(node.test) & facts.counters
            and id(node.test) not in bound_tests
            and flow_one(node) & {RAISE, RETURN, BREAK}
        ):
            unmodelled = unmodelled or node.test
    if not bound_tests and header.kind == "range" and is_num(header.stop):
        length = _range_length(header.start, header.stop, header.step)  # type: ignore[arg-type]
        outcome = Outcome(length, header.call, [])
    elif bound_tests or (header.kind == "range" and is_num(header.stop)):
        outcome = simulate(
            ctx,
            header,
            loop,
            events,
            init,
            honour_exits=True,
            bound_tests=bound_tests,
            limit=SIMULATION_LIMIT,
            flag=flag,
            constants=constants,
        )
    else:
        outcome = Outcome(UNBOUNDED, None, [])
    return _attempts_field(facts, header, outcome, unknown_exit, unmodelled, has_deadline)


def _reads_result(test: cst.BaseExpression, results: frozenset[str]) -> bool:
    return any(ref.split(".", 1)[0] in results for ref in refs(test))


def _failure_ends_flag_loop(
    facts: LoopFacts, handler: cst.ExceptHandler | None, flag: str, test: cst.BaseExpression
) -> bool:
    """Whether the failing path sets the ``while`` flag, unconditionally, to a value that stops
    the loop: ``while not retried: try: ...; return; except E: sleep(30)`` and then
    ``retried = True`` as the body's last statement runs once, whatever happens."""
    retry = facts.retry
    statements = [s for s in top_level(facts.body) if retry is None or s is not retry.node]
    if handler is not None:
        statements.extend(top_level(block(handler.body)))
    for statement in statements:
        if not isinstance(statement, cst.Assign) or name_of(statement.targets[0].target) != flag:
            continue
        value = facts.ctx.evaluate(statement.value)
        if is_known(value) and Evaluator(facts.ctx, {flag: value})(test) is False:  # type: ignore[dict-item]
            return True
    return False


def _worst_attempts(fields: list[Sourced[int | Marker]]) -> Sourced[int | Marker]:
    """The bound of the loop: the path that retries most (UNBOUNDED, then UNKNOWN, then most)."""
    for marker in (UNBOUNDED, UNKNOWN):
        for item in fields:
            if item.value is marker:
                return item
    return max(fields, key=lambda item: item.value if isinstance(item.value, int) else 0)


def _combined_delay(ctx: FileContext, paths: list[_Path]) -> Sourced[Delay]:
    first = paths[0].delay
    if all(p.delay.value == first.value for p in paths):
        return first
    parts = "; ".join(
        f"{handler_code(ctx, p.handler)}: {p.delay.origin}" for p in paths if p.handler
    )
    jitter = any(p.delay.value.jitter for p in paths) or None
    return explicit(
        Delay("custom", None, None, jitter), f"differs by exception ({parts})", first.span
    )


def _body_indent(ctx: FileContext, loop: cst.While | cst.For) -> str | None:
    if not isinstance(loop.body, cst.IndentedBlock) or not loop.body.body:
        return None
    return _indent(ctx.line_text(ctx.span(loop.body.body[0]).line))


def _sleep_located(ctx: FileContext, call: cst.Call | None) -> Any:
    if call is None:
        return None
    argument = sleep_argument(call)
    return ctx.locate(argument) if argument is not None else None


def _assignments(
    ctx: FileContext, info: LoopInfo, body: list[cst.CSTNode], loop_line: int
) -> tuple[dict[str, cst.BaseExpression], dict[str, cst.BaseExpression]]:
    before: dict[str, tuple[int, cst.BaseExpression]] = {}
    for assignment in ctx.assignments:
        if assignment.function is not info.function:
            continue
        line = ctx.span(assignment.statement).line
        if line >= loop_line:
            continue
        for target in assignment.targets:
            key = name_of(target)
            if key and (key not in before or before[key][0] <= line):
                before[key] = (line, assignment.value)
    inside: dict[str, cst.BaseExpression] = {}
    for node in walk_all(body):
        if isinstance(node, cst.Assign):
            for assign_target in node.targets:
                if key := name_of(assign_target.target):
                    inside[key] = node.value
    return {k: v for k, (_, v) in before.items()}, inside


def _attempts_field(
    facts: LoopFacts,
    header: Header,
    outcome: Outcome,
    unknown_exit: cst.BaseExpression | None,
    unmodelled: cst.BaseExpression | None,
    has_deadline: bool,
) -> Sourced[int | Marker]:
    ctx, span = facts.ctx, facts.span
    call = header.call
    if isinstance(outcome.attempts, int):
        node = outcome.decided_by
        stop = header.stop
        whole_range = (
            call is not None
            and is_num(stop)
            and outcome.attempts == _range_length(header.start, stop, header.step)  # type: ignore[arg-type]
        )
        if node is None or node is call or whole_range:
            assert call is not None
            return explicit(outcome.attempts, ctx.code(call), ctx.span(call))
        target = node.test if isinstance(node, cst.If) else node
        return explicit(outcome.attempts, one_line(ctx.code(target)), ctx.span(target))
    if outcome.attempts is UNKNOWN and outcome.decided_by is not None:
        node = outcome.decided_by
        target = node.test if isinstance(node, cst.If) else node
        return explicit(UNKNOWN, one_line(ctx.code(target)), ctx.span(target))
    if header.kind == "range" and call is not None:  # range(n) with n decided at run time
        return explicit(UNKNOWN, ctx.code(call), ctx.span(call))
    if outcome.attempts is UNKNOWN:
        return explicit(UNKNOWN, f"{facts.header_code}: counter bound not found", span)
    for node in (unknown_exit, unmodelled):
        if node is not None:
            return explicit(UNKNOWN, one_line(ctx.code(node)), ctx.span(node))
    what = (
        "with no counter (stops only at its deadline)"
        if has_deadline
        else "with no counter or deadline"
    )
    return explicit(UNBOUNDED, f"{facts.header_code} {what}", span)


def _range_length(start: Number | None, stop: Number, step: Number | None) -> int:
    return len(range(int(start or 0), int(stop), int(step or 1)))
