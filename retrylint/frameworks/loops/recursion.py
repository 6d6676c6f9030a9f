"""Recursion as the retry loop: a function that waits and calls itself again.

    def fetch(url):
        response = requests.get(url, timeout=10)
        if response.status_code == 429:
            time.sleep(5)
            return fetch(url)
        return response

    def _get_query_results(jobs, job_id):
        reply = jobs.getQueryResults(jobId=job_id).execute()
        if not reply["jobComplete"]:
            time.sleep(1)
            return _get_query_results(jobs, job_id)
        return reply

A function is a retry construct (framework ``loop``, kind ``retry-loop``, qualname
``<function>#recursion@<line of the call>``) when it calls itself -- ``f(...)`` (module level
or nested), ``self.f(...)`` / ``cls.f(...)`` (a method) -- right after a sleep in the same
block, and that block runs on a failure:

- an ``except`` handler of a ``try`` whose body calls something: a retry of what it catches;
- an ``if`` (or its ``else``) whose test reads the result of a call made earlier in the
  function, or makes one: a checked result. A test for a failure status (``status_code ==
  429``, ``observation``) is a retry on it; any other (``not reply["jobComplete"]``) is a poll
  for a state.

A function that sleeps and calls itself unconditionally reschedules itself forever; that is a
loop of another kind (a periodic worker), not a retry, and is left alone. So is a self-call
inside a loop of the function.

Attempts: a parameter passed on advanced (``depth + 1``, ``retries=retries - 1``) and tested
on the way to the call (``if depth >= 5: raise``) bounds the recursion; the calls are replayed
(``replay``) from the parameter's default to count them. With no such test the recursion is
UNBOUNDED: nothing but success stops it, short of Python's recursion limit, which ends it with
a ``RecursionError`` instead of the failure. The delay is the sleep's, sampled over the same
replayed calls (``delays``). No fix: a budget would have to travel with the calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.loops.delays import Replay, sleep_delay
from retrylint.frameworks.loops.evaluator import Number, is_known
from retrylint.frameworks.loops.observation import failure_statuses, is_local_call
from retrylint.frameworks.loops.replay import SIMULATION_LIMIT, Event, simulate, sleep_argument
from retrylint.frameworks.loops.shapes import SLEEP_FUNCTIONS, Header, caught_by
from retrylint.frameworks.loops.syntax import (
    LEAVE,
    NEXT,
    RAISE,
    block,
    exit_parts,
    flow,
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
    ExceptionsValue,
    Job,
    Marker,
    Sourced,
    default,
    explicit,
)


@dataclass
class _Level:
    """One block on the way from the function's body to the self-call."""

    statements: list[cst.CSTNode]
    index: int  # of the statement holding the way on (or the call)
    owner: cst.CSTNode | None  # the If / Else / ExceptHandler whose block this is


def recursive_retries(ctx: FileContext) -> Iterator[Job]:
    seen: set[int] = set()
    for info in ctx.calls:
        function = info.function
        if function is None or not _calls_itself(info.node, function):
            continue
        if id(function.node) in seen:
            continue  # one retry construct per function: its first qualifying self-call
        job = _recursion_job(ctx, function, info.node)
        if job is not None:
            seen.add(id(function.node))
            yield job


def _calls_itself(call: cst.Call, function: FunctionInfo) -> bool:
    func = call.func
    if isinstance(func, cst.Name):
        return function.class_name is None and func.value == function.name
    return (
        function.class_name is not None
        and isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value in ("self", "cls")
        and func.attr.value == function.name
    )


def _way_to(statements: list[cst.CSTNode], call: cst.Call) -> list[_Level] | None:
    """The blocks from ``statements`` down to the simple statement holding ``call``; None when
    it is inside a loop, a nested function, or not there."""
    top = list(top_level(statements))
    for index, statement in enumerate(top):
        if isinstance(statement, cst.BaseSmallStatement):
            if any(node is call for node in walk_all([statement])):
                return [_Level(top, index, None)]
            continue
        for owner, inner in _blocks(statement):
            found = _way_to(inner, call)
            if found is not None:
                return [_Level(top, index, None), *_with_owner(found, owner)]
    return None


def _with_owner(levels: list[_Level], owner: cst.CSTNode) -> list[_Level]:
    first = levels[0]
    return [_Level(first.statements, first.index, owner), *levels[1:]]


def _blocks(statement: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, list[cst.CSTNode]]]:
    """The blocks of a compound statement a self-call may sit in (not loops: a self-call in a
    loop is not this shape)."""
    match statement:
        case cst.If():
            yield statement, block(statement.body)
            other = statement.orelse
            if isinstance(other, cst.If):
                yield from _blocks(other)
            elif isinstance(other, cst.Else):
                yield other, block(other.body)
        case cst.Try():
            yield statement, block(statement.body)
            for handler in statement.handlers:
                yield handler, block(handler.body)
            if statement.orelse is not None:
                yield statement.orelse, block(statement.orelse.body)


def _recursion_job(ctx: FileContext, function: FunctionInfo, call: cst.Call) -> Job | None:
    way = _way_to(block(function.node.body), call)
    if way is None or len(way) < 2:
        return None  # no failure decides the call: a function rescheduling itself
    last = way[-1]
    sleep = _sleep_before(ctx, last)
    if sleep is None:
        return None
    owner = last.owner
    tries = _enclosing_try(way)
    if isinstance(owner, cst.ExceptHandler) and tries is not None:
        if not any(isinstance(n, cst.Call) for n in walk_all(block(tries.body))):
            return None
        shape, retry_on = "retry", _caught(ctx, owner)
        when = f"on {retry_on.origin}"
    else:
        test = _condition(way)
        if test is None or not _checks_a_result(ctx, function, test):
            return None
        statuses, checked = failure_statuses(ctx, [test])
        code = one_line(ctx.code(test))
        when = f"when {code}"
        if checked is not None:
            shape = "retry"
            retry_on = explicit(statuses, f"checks the response: {code}", ctx.span(test))
        else:
            shape = "poll"
            retry_on = explicit((), f"polls a state: {code}; no exception is retried", None)
    counter = _counter(function, call)
    events, checks = _events(ctx, way, tries, counter)
    init: dict[str, Number | None] = {}
    if counter is not None:
        init[counter[0]] = counter[2]
    attempts = _attempts(ctx, function, call, events, checks, init, counter, when)
    replay = Replay(Header("while"), function.node, events, init, {})
    delay = sleep_delay(ctx, sleep, replay, attempts.value)
    span = ctx.span(call)
    policy = make_policy(
        max_attempts=attempts,
        delay=delay,
        deadline=explicit(None, "no deadline check in the recursion", span),
        retry_on=retry_on,
        permanent=default((), "none excluded"),
        redelivery=default(False, "a call in the process: no redelivery"),
    )
    name = f"{function.qualname}#recursion@{span.line}"
    return Job(
        name=name,
        qualname=name,
        framework="loop",
        kind="retry-loop",
        path=ctx.path,
        span=span,
        policy=policy,
        function=function.qualname,
        details=(
            ("shape", shape),
            ("recursion", span),
            ("async", function.is_async),
            ("sleep", ctx.span(sleep)),
            ("sleeps", (ctx.span(sleep),)),
            ("sleep_function", ctx.qualify(sleep.func)),
            ("exit_checks", tuple(ctx.span(c) for c in checks)),
        ),
    )


def _sleep_before(ctx: FileContext, level: _Level) -> cst.Call | None:
    for statement in reversed(level.statements[: level.index]):
        for node in walk_all([statement]):
            if isinstance(node, cst.Call) and ctx.qualify(node.func) in SLEEP_FUNCTIONS:
                return node
    return None


def _enclosing_try(way: list[_Level]) -> cst.Try | None:
    """The ``try`` whose handler holds the self-call's block, if that is what holds it."""
    if len(way) < 2 or not isinstance(way[-1].owner, cst.ExceptHandler):
        return None
    holder = way[-2].statements[way[-2].index]
    return holder if isinstance(holder, cst.Try) else None


def _condition(way: list[_Level]) -> cst.BaseExpression | None:
    """The test of the innermost ``if`` the self-call's block belongs to."""
    for level in reversed(way[1:]):
        owner = level.owner
        if isinstance(owner, cst.If):
            return owner.test
        if isinstance(owner, cst.Else):
            parent = _parent_if(way, level)
            return parent.test if parent is not None else None
        if owner is not None:
            return None
    return None


def _parent_if(way: list[_Level], level: _Level) -> cst.If | None:
    position = way.index(level)
    holder = way[position - 1].statements[way[position - 1].index]
    return holder if isinstance(holder, cst.If) else None


def _checks_a_result(ctx: FileContext, function: FunctionInfo, test: cst.BaseExpression) -> bool:
    """Whether a test reads what a call returned: it calls one, or reads a name the function
    bound to a call's result (not to a parameter or a constant)."""
    if any(
        isinstance(n, cst.Call) and not is_local_call(ctx, n)
        for n in walk_all([test], into_loops=True)
    ):
        return True
    results = {
        name
        for node in walk_all(block(function.node.body), into_loops=True)
        if isinstance(node, cst.Assign | cst.AnnAssign)
        and node.value is not None
        and any(isinstance(n, cst.Call) for n in walk_all([node.value], into_loops=True))
        for name in target_names(node)
    }
    return any(ref.split(".", 1)[0] in results for ref in refs(test))


def _caught(ctx: FileContext, handler: cst.ExceptHandler) -> Sourced[ExceptionsValue]:
    caught: ExceptionsValue = caught_by(ctx, handler)  # type: ignore[assignment]
    code = f"except {one_line(ctx.code(handler.type))}" if handler.type else "except:"
    where = ctx.span(handler.type) if handler.type is not None else ctx.span(handler)
    return explicit(caught, code, where)


def _counter(
    function: FunctionInfo, call: cst.Call
) -> tuple[str, cst.BaseExpression, Number | None] | None:
    """(parameter, the value passed on, its default) for a parameter the call advances from
    itself (``depth + 1``, ``retries=retries - 1``)."""
    params = function.node.params
    named = [*params.posonly_params, *params.params]
    if function.class_name is not None and named:
        named = named[1:]  # self / cls: the call's receiver
    every = {p.name.value: p for p in [*named, *params.kwonly_params]}
    positional = [a for a in call.args if a.keyword is None and not a.star]
    passed: list[tuple[str, cst.BaseExpression]] = [
        (param.name.value, arg.value) for param, arg in zip(named, positional, strict=False)
    ]
    passed += [(a.keyword.value, a.value) for a in call.args if a.keyword is not None]
    for name, value in passed:
        if name in every and name in refs(value) and isinstance(value, cst.BinaryOperation):
            default_node = every[name].default
            start: Number | None = None
            if isinstance(default_node, cst.Integer | cst.Float):
                start = default_node.evaluated_value
            return name, value, start
    return None


def _events(
    ctx: FileContext,
    way: list[_Level],
    tries: cst.Try | None,
    counter: tuple[str, cst.BaseExpression, Number | None] | None,
) -> tuple[list[Event], list[cst.If]]:
    """One call's failing path as replay events: exit checks and assignments on the way, the
    attempt (the first call made, or the ``try``), the sleep, then the counter passed on."""
    events: list[Event] = []
    checks: list[cst.If] = []
    attempted = False
    for depth, level in enumerate(way):
        for statement in level.statements[: level.index]:
            if isinstance(statement, cst.If) and not (flow(block(statement.body)) & {NEXT}):
                if statement.orelse is None and flow(block(statement.body)) & (LEAVE | {RAISE}):
                    events.append(Event("check", statement, value=statement.test))
                    checks.append(statement)
                continue
            if not attempted and _calls_out(ctx, statement):
                events.append(Event("attempt", statement))
                attempted = True
            _assign_or_sleep(ctx, statement, events)
        if level.statements[level.index] is tries and not attempted and depth < len(way) - 1:
            events.append(Event("attempt", tries))  # the way goes on into its handler
            attempted = True
    if not attempted:
        events.insert(0, Event("attempt"))
    if counter is not None:
        events.append(Event("assign", None, counter[0], counter[1]))
    return events, checks


def _calls_out(ctx: FileContext, statement: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Call) and not is_local_call(ctx, n) for n in walk_all([statement]))


def _assign_or_sleep(ctx: FileContext, statement: cst.CSTNode, events: list[Event]) -> None:
    if isinstance(statement, cst.Assign | cst.AnnAssign) and statement.value is not None:
        targets = target_names(statement)
        if len(targets) == 1:
            events.append(Event("assign", statement, targets[0], statement.value))
        return
    if isinstance(statement, cst.AugAssign) and (key := name_of(statement.target)):
        events.append(Event("assign", statement, key, statement.value, statement.operator))
        return
    for node in walk_all([statement]):
        if isinstance(node, cst.Call) and ctx.qualify(node.func) in SLEEP_FUNCTIONS:
            events.append(Event("sleep", node, value=sleep_argument(node)))
            return


def _attempts(
    ctx: FileContext,
    function: FunctionInfo,
    call: cst.Call,
    events: list[Event],
    checks: list[cst.If],
    init: dict[str, Number | None],
    counter: tuple[str, cst.BaseExpression, Number | None] | None,
    when: str,
) -> Sourced[int | Marker]:
    """How many calls the recursion makes; ``when`` says what sends it round again."""
    span = ctx.span(call)
    if counter is None or not checks:
        origin = f"`{function.name}` calls itself again {when}, with no depth limit"
        return explicit(UNBOUNDED, origin, span)
    name = counter[0]
    bound_tests = {
        id(c.test): parts
        for c in checks
        if (parts := [p for p in exit_parts(c.test, True) if name in refs(p)])
    }
    if not bound_tests:
        origin = f"`{function.name}` calls itself with {name} advanced but never tested"
        return explicit(UNBOUNDED, origin, span)
    if not is_known(init.get(name)):
        test = next(c.test for c in checks if id(c.test) in bound_tests)
        return explicit(UNKNOWN, f"{one_line(ctx.code(test))}: {name} starts at run time", span)
    outcome = simulate(
        ctx,
        Header("while"),
        function.node,
        events,
        init,
        honour_exits=True,
        bound_tests=bound_tests,
        limit=SIMULATION_LIMIT,
    )
    decided = outcome.decided_by
    target = decided.test if isinstance(decided, cst.If) else None
    if target is None:
        return explicit(outcome.attempts, f"{name} passed on as {ctx.code(counter[1])}", span)
    return explicit(outcome.attempts, one_line(ctx.code(target)), ctx.span(target))
