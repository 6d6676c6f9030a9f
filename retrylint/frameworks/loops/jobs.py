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

from dataclasses import dataclass
from typing import Any

import libcst as cst

from retrylint.context import FileContext, LoopInfo
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.guard_budget import budget_of_loop
from retrylint.frameworks.loops.deadlines import Clock, clock_deadlines, deadline_field
from retrylint.frameworks.loops.delays import delay_field
from retrylint.frameworks.loops.evaluator import Evaluator, Number, is_num
from retrylint.frameworks.loops.replay import (
    SIMULATION_LIMIT,
    Event,
    LoopFacts,
    Outcome,
    failing_events,
    initial_values,
    numeric_keys,
    simulate,
    sleep_argument,
)
from retrylint.frameworks.loops.shapes import (
    Header,
    Retry,
    bounded,
    caught_by,
    constant_true,
    target_names,
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
    walk_all,
)
from retrylint.model import (
    UNBOUNDED,
    UNKNOWN,
    Delay,
    ExceptionsValue,
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
    if header.kind == "range" and header.call is not None and header.stop is UNKNOWN:
        args = header.call.args
        stop = Evaluator(ctx, constants=facts.constants)(args[1 if len(args) >= 2 else 0].value)
        if bounded(stop):
            header.stop = stop  # type: ignore[assignment]
    handlers: list[cst.ExceptHandler | None] = list(retry.handlers) if retry else [None]
    paths = [_analyse_path(facts, handler, bool(deadlines)) for handler in handlers]
    max_attempts = _worst_attempts([p.attempts for p in paths])
    delay = _combined_delay(ctx, paths)
    sleep_call = next((p.sleep_call for p in paths if p.sleep_call is not None), None)
    retry_on, permanent = _exceptions_fields(ctx, retry, span)
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
        ("shape", "retry" if retry else "poll"),
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
) -> dict[str, Number | None]:
    """``max_iter = 600`` before the loop: names the loop reads but never assigns."""
    assigned: set[str] = set()
    for node in walk_all(body, into_loops=True):
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign):
            assigned.update(target_names(node))
        elif isinstance(node, cst.For | cst.CompFor) and (name := name_of(node.target)):
            assigned.add(name)
    if isinstance(loop, cst.For) and (name := name_of(loop.target)):
        assigned.add(name)
    read = {r for r in refs(loop) if "." not in r} - assigned
    values = initial_values(ctx, info, loop_line, read)
    return {k: v for k, v in values.items() if v is not None}


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
    ctx, header, loop, retry = facts.ctx, facts.header, facts.loop, facts.retry
    events, checks = failing_events(ctx, facts.body, retry, handler)
    tracked = {e.key for e in events if e.kind == "assign" and e.key}
    init = initial_values(ctx, facts.info, facts.span.line, tracked - {header.var})
    numeric = numeric_keys(ctx, header, events, init, facts.constants)
    exception_name = (
        handler.name.name.value
        if handler is not None and handler.name and isinstance(handler.name.name, cst.Name)
        else None
    )
    flag = retry.flag if retry else None
    loop_test = loop.test if isinstance(loop, cst.While) else None
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
            constants=facts.constants,
        )
    else:
        outcome = Outcome(UNBOUNDED, None, [])
    attempts = _attempts_field(facts, outcome, unknown_exit, unmodelled, has_deadline)
    delay, sleep_call = delay_field(facts, events, init, handler)
    return _Path(handler, events, checks, attempts, delay, sleep_call)


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
        f"{_handler_code(ctx, p.handler)}: {p.delay.origin}" for p in paths if p.handler
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
    outcome: Outcome,
    unknown_exit: cst.BaseExpression | None,
    unmodelled: cst.BaseExpression | None,
    has_deadline: bool,
) -> Sourced[int | Marker]:
    ctx, header, span = facts.ctx, facts.header, facts.span
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


def _exceptions_fields(
    ctx: FileContext, retry: Retry | None, span: Span
) -> tuple[Sourced[ExceptionsValue], Sourced[tuple[str, ...]]]:
    if retry is None:
        return explicit((), "polls a condition; no exception is retried", span), default(
            (), "none excluded"
        )
    names: list[str] = []
    broad: cst.ExceptHandler | None = None
    unknown: cst.ExceptHandler | None = None
    for handler in retry.handlers:
        caught = caught_by(ctx, handler)
        if caught == "all":
            broad = broad or handler
        elif isinstance(caught, Marker):
            unknown = unknown or handler
        else:
            names.extend(n for n in caught if n not in names)
    first = retry.handlers[0]
    where = ctx.span(first.type) if first.type is not None else ctx.span(first)
    origin = _handler_code(ctx, first)
    value: ExceptionsValue
    if broad is not None:
        filtered = _filters_exception(broad)
        origin = _handler_code(ctx, broad)
        where = ctx.span(broad.type) if broad.type is not None else ctx.span(broad)
        value = UNKNOWN if filtered else "all"
        if filtered:
            origin = f"{origin} filtered by a condition on the exception"
    elif unknown is not None:
        value, origin = UNKNOWN, _handler_code(ctx, unknown)
    else:
        value = tuple(names)
        if len(retry.handlers) > 1:
            origin = ", ".join(_handler_code(ctx, h) for h in retry.handlers)
    permanent_names: list[str] = []
    for handler in retry.terminal:
        caught = caught_by(ctx, handler)
        if isinstance(caught, tuple):
            permanent_names.extend(caught)
    if permanent_names:
        first_terminal = retry.terminal[0]
        permanent = explicit(
            tuple(permanent_names),
            ", ".join(_handler_code(ctx, h) for h in retry.terminal) + " gives up",
            ctx.span(first_terminal),
        )
    else:
        permanent = default((), "none excluded")
    return explicit(value, origin, where), permanent


def _handler_code(ctx: FileContext, handler: cst.ExceptHandler) -> str:
    return f"except {one_line(ctx.code(handler.type))}" if handler.type is not None else "except:"


def _filters_exception(handler: cst.ExceptHandler) -> bool:
    """``except Exception as e: if not retryable(e): raise`` -- the handler picks what it retries."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    name = handler.name.name.value
    for node in walk_all(block(handler.body)):
        if (
            isinstance(node, cst.If)
            and name in refs(node.test)
            and flow_one(node) & {RAISE, RETURN, BREAK}
        ):
            return True
    return False
