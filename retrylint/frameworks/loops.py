"""Handwritten retry and poll loops: ``while True: try: ...; break except X: sleep(...)``.

A loop is a job (kind ``retry-loop``, framework ``loop``) when it is an *attempt loop* -- ``while``
(any test), ``for _ in range(n)`` or ``for attempt in itertools.count()`` -- and its body has one
of two shapes:

- **retry**: a ``try`` among the body's top-level statements (``with`` blocks are looked through)
  whose success path always leaves the loop (a ``break``/``return`` in the try body, its ``else``,
  or after the ``try``; or, for ``while not ok`` / ``while x is None``, an assignment to the flag)
  and at least one ``except`` handler that can reach the next iteration (falls through, or
  ``continue``). The same operation is re-attempted: a loop whose success path goes round again
  (a message consumer catching per-message errors) is not a retry loop, and neither is one that
  moves on to new work each time: the try body calls nothing (``self.items[self.pos]``); an item
  is taken from a collection (``q.pop(0)``, ``next(it)``, ``del``); the operation's input is
  advanced (``slot += 1``, ``path = path.parent``, ``source = not source``: a search, a walk, a
  fallback). Handlers for "not ready yet" (``BlockingIOError``, ``ssl.SSLWantReadError``,
  ``InterruptedError``, ``KeyboardInterrupt``, ``errno.EINTR``/``EAGAIN`` checks) are
  non-blocking I/O, not retries; a handler that only passes the exception to a helper
  (``self._convert_error(exc)``) is taken to raise.
- **poll**: the body calls a sleep (``time.sleep``, ``asyncio.sleep``, ``gevent.sleep``,
  ``anyio.sleep``, ``trio.sleep``, ``eventlet.sleep``, through import aliases) and exits on a
  condition (a ``break``/``return`` reached only on some paths, or a ``while`` test that calls
  something / reads a name the body assigns). The body must do nothing but poll: assignments
  that feed a test, ``if``s, the sleep, log lines and ``raise``/``return``/``break``/``continue``.
  A loop that does other work (``handle(item)``, ``buf.append(data)``, ``self.run_once()``) is a
  consumer or a periodic worker, not a poll; one whose tested name is rebound from itself
  (``scope = scope.parent``) walks a structure.

``for`` loops count only when they count attempts: ``range(n)`` / ``range(0|1, n)`` or
``itertools.count()``, whose variable is not used as data (no subscript, no argument to a call
other than sleep / logging / ``min`` / ``random`` ..., outside ``raise`` and ``except`` code). A
loop over items with ``try/except: continue`` per item, or ``for port in range(8000, 8100)``, is
not a retry loop.

How many times the operation runs (``max_attempts`` counts every execution, the first included)
is found by *simulating* the failing path of one iteration: the events of the loop body in order
(the attempt, counter updates ``n += 1`` / ``n -= 1`` / ``n = n + 1``, exit checks
``if n >= N: raise``, ``while n < N``, ``continue``) are replayed with the counter's literal
initial value until an exit check fires. So ``attempts = 0; while True: attempts += 1; try: ...;
except: if attempts >= 3: raise`` runs 3 times, ``while attempts <= 3`` with the increment after
the attempt runs 4 times, and the +1 questions answer themselves. A bound that is a run-time
value (a parameter, ``self.max_retries``) is UNKNOWN; a loop with no counter is UNBOUNDED (with a
deadline, if it has one, in ``deadline``). A retry handler whose exit depends on something other
than a counter, a clock or the caught exception (``if not self.retry_on_timeout: raise``) makes
the bound UNKNOWN; a filter on the exception (``if e.status == 404: raise``) does not bound. An
exit test is split into the parts each enough to leave (``or`` for ``if ...: raise``, ``and`` for
``while``), so ``if e.errno != EINVAL or len(groups) <= 1: raise`` is not a mere filter. A
counter check the simulation could not follow never yields UNBOUNDED, only UNKNOWN. Initial
values and bounds may be function-local literals (``max_iter = 600``) when every assignment
before the loop agrees. With several retrying handlers each is a path; the loop's bound is the
worst path's, and a delay that differs by exception is ``custom``.

Deadlines: comparisons against ``time.monotonic()`` / ``time.time()`` / ``time.perf_counter()``
are solved as linear expressions in "now" (a clock read before the loop is time 0), so
``deadline = time.monotonic() + 30; while time.monotonic() < deadline``,
``if time.monotonic() - start > 30: raise`` and ``remaining = deadline - time.monotonic(); if
remaining <= 0: raise`` all give 30 s. Anything else involving a clock is UNKNOWN.

Delay: the sleep argument is evaluated over the first iterations of the simulated failing path
(``2 ** attempt``, ``delay *= 2``, ``delay = min(delay * 2, 60)``, ``attempt * 3``); equal
values are constant, an arithmetic series linear, a geometric one exponential (base = the first
delay), a ``min(<constant>, ...)`` is the cap, and a ``random.*`` / ``*jitter*`` term sets
``jitter``. No sleep is strategy ``none`` (a tight loop) unless the loop calls something that may
wait (``*sleep*``, ``*wait*``, ``*backoff*``, ``*delay*``): then the delay is UNKNOWN.

Not modelled (deliberately): ``except*`` groups; tries nested under an ``if`` in the loop body;
``Event.wait(timeout)`` as a sleep (it returns early; treated as "may wait": UNKNOWN delay);
``datetime.now()`` deadlines (UNKNOWN); a ``for``'s ``else`` clause making one more attempt;
loops whose retried operation is passed the attempt number (``fetch(timeout=2 ** attempt)``);
constants imported from other modules (the jobs are finished per file: UNKNOWN).

The job's qualname is ``<function qualname>#loop@<line>`` (``<module>#loop@<line>`` at module
level); ``Job.details`` keeps what the guard-inserting fix needs: the loop statement, header,
try, handler, exit and sleep spans, the sleep argument as a ``Located``, the indentation of the
loop and of its body, whether the function is async, and the loop variable.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from retrylint.context import FileContext, LoopInfo
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.guard_budget import budget_of_loop
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    Delay,
    ExceptionsValue,
    Job,
    Marker,
    SecondsValue,
    Sourced,
    Span,
    default,
    explicit,
)
from retrylint.values import Ref, exception_names, is_number

SLEEP_FUNCTIONS = frozenset(
    {
        "time.sleep",
        "asyncio.sleep",
        "gevent.sleep",
        "anyio.sleep",
        "trio.sleep",
        "curio.sleep",
        "eventlet.sleep",
        "eventlet.greenthread.sleep",
    }
)
CLOCK_FUNCTIONS = frozenset({"time.monotonic", "time.time", "time.perf_counter"})
# Reading from a person: a loop around these re-asks, it does not retry.
INTERACTIVE_FUNCTIONS = frozenset(
    {"input", "raw_input", "getpass.getpass", "click.prompt", "click.confirm", "click.getchar"}
)
INTERACTIVE_METHODS = frozenset(
    {"getkey", "getch", "get_wch", "get_wstr", "getstr", "get_input", "ask", "prompt", "confirm"}
)
# Clock reads we see but cannot turn into seconds: a comparison with them makes deadline UNKNOWN.
OTHER_CLOCKS = re.compile(r"(^|\.)(monotonic_ns|time_ns|perf_counter_ns|now|utcnow|time)$")
BROAD_EXCEPTIONS = frozenset(
    {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}
)
# A call that may wait: ``_sleep``, ``wait_for_read``, ``self._backoff`` (not ``put_nowait``).
MAY_WAIT = re.compile(
    r"(^|_)(sleep|wait|backoff|delay|pause|throttle)(_|$)|^(sleep|wait|backoff|delay)",
    re.IGNORECASE,
)
# Calls that take the next item of a collection: a loop around them works on new data.
CONSUMERS = frozenset({"pop", "popleft", "popitem", "remove", "discard", "next", "__next__"})
# "Not ready yet / interrupted, try again": non-blocking I/O and signal handling, not retries.
READINESS_ERRORS = frozenset(
    {
        "BlockingIOError",
        "InterruptedError",
        "KeyboardInterrupt",
        "ssl.SSLWantReadError",
        "ssl.SSLWantWriteError",
        "OpenSSL.SSL.WantReadError",
        "OpenSSL.SSL.WantWriteError",
        "OpenSSL.SSL.WantX509LookupError",
    }
)
READINESS_ERRNOS = frozenset(
    {"errno.EINTR", "errno.EAGAIN", "errno.EWOULDBLOCK", "errno.EINPROGRESS", "errno.EALREADY"}
)
NOT_WAITING = frozenset({"asyncio.wait_for", "asyncio.wait", "anyio.fail_after"})
RANDOM_PREFIXES = ("random.", "secrets.", "numpy.random.")
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"}
)
# Calls a loop variable may be passed to without making it data.
HARMLESS_CALLS = frozenset(
    {"min", "max", "pow", "abs", "round", "int", "float", "str", "repr", "format", "print"}
)
SIMULATION_LIMIT = 100_000  # iterations; a counter bound beyond it is reported UNKNOWN
DELAY_SAMPLES = 8  # failing iterations evaluated to classify the delay

# Flow outcomes of a statement list: how control leaves it.
NEXT, CONTINUE, BREAK, RETURN, RAISE = "next", "continue", "break", "return", "raise"
LEAVE = frozenset({BREAK, RETURN})

Number = float | int


# -- entry points ------------------------------------------------------------------------------
def extract(ctx: FileContext, sink: FactSink) -> None:
    if not ctx.loops:
        return
    has_sleep = any(ctx.qualify(call.node.func) in SLEEP_FUNCTIONS for call in ctx.calls)
    _CHILDREN.clear()
    try:
        for info in ctx.loops:
            if not has_sleep and not _has_top_level_try(info.node):
                continue  # neither a retry (needs a try) nor a poll (needs a sleep)
            job = _analyse_loop(ctx, info)
            if job is not None:
                sink.jobs.append(job)
    finally:
        _CHILDREN.clear()


def _has_top_level_try(loop: cst.While | cst.For) -> bool:
    return any(isinstance(s, cst.Try) for s in _top(_block(loop.body)))


def build_jobs(project: object) -> tuple[Job, ...]:
    return ()


# -- statement helpers -------------------------------------------------------------------------
def _block(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body)


def _top(statements: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Top-level statements, small statements split out and ``with`` bodies looked through."""
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        elif isinstance(statement, cst.With):
            yield from _top(_block(statement.body))
        else:
            yield statement


def _flow(statements: Sequence[cst.CSTNode]) -> frozenset[str]:
    """How control can leave a statement list: next (falls off the end), continue, break ..."""
    outcomes: set[str] = set()
    for statement in statements:
        result = _flow_one(statement)
        outcomes |= result - {NEXT}
        if NEXT not in result:
            return frozenset(outcomes)
    outcomes.add(NEXT)
    return frozenset(outcomes)


def _flow_one(node: cst.CSTNode) -> frozenset[str]:
    match node:
        case cst.SimpleStatementLine() | cst.SimpleStatementSuite():
            return _flow(node.body)
        case cst.Break():
            return frozenset({BREAK})
        case cst.Continue():
            return frozenset({CONTINUE})
        case cst.Return():
            return frozenset({RETURN})
        case cst.Raise():
            return frozenset({RAISE})
        case cst.Expr(value=cst.Call(func=func)) if _is_exit_call(func):
            return frozenset({RAISE})
        case cst.If():
            other = _flow_one(node.orelse) if node.orelse is not None else frozenset({NEXT})
            return _flow(_block(node.body)) | other
        case cst.Else():
            return _flow(_block(node.body))
        case cst.With():
            return _flow(_block(node.body))
        case cst.Try():
            result = _flow([*_block(node.body), *(_block(node.orelse.body) if node.orelse else [])])
            for handler in node.handlers:
                result |= _flow(_block(handler.body))
            if node.finalbody is not None:
                final = _flow(_block(node.finalbody.body))
                if NEXT not in final:
                    return final
                result |= final - {NEXT}
            return result
        case cst.For() | cst.While():
            inner = _flow(_block(node.body))
            rest = _flow(_block(node.orelse.body)) if node.orelse else frozenset({NEXT})
            return frozenset({NEXT} | (inner & {RETURN, RAISE})) | rest
        case cst.Match():
            result = frozenset({NEXT})
            for case in node.cases:
                result |= _flow(_block(case.body))
            return result
    return frozenset({NEXT})


def _is_exit_call(func: cst.BaseExpression) -> bool:
    return isinstance(func, cst.Attribute | cst.Name) and _dotted(func) in ("sys.exit", "os._exit")


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


# libcst computes ``node.children`` with a visitor on every access; the walks below ask for the
# same nodes' children many times, so they are kept for the duration of one file's extract.
# Each entry keeps its node alive, so an id cannot be reused while it is cached.
_CHILDREN: dict[int, tuple[cst.CSTNode, Sequence[cst.CSTNode]]] = {}


def _children(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    entry = _CHILDREN.get(id(node))
    if entry is None or entry[0] is not node:
        entry = _CHILDREN[id(node)] = (node, node.children)
    return entry[1]


_SCOPE_TYPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})
_LOOP_TYPES = frozenset({cst.For, cst.While})


def _walk_all(
    nodes: Iterable[cst.CSTNode], *, into_loops: bool = False, skip: frozenset[int] = frozenset()
) -> list[cst.CSTNode]:
    """Every node in ``nodes`` and under them in this scope, in source order: not nested
    functions, classes, lambdas, nor the subtrees in ``skip``; nested loops are included but
    not entered unless ``into_loops``."""
    found: list[cst.CSTNode] = []
    stack = list(nodes)
    stack.reverse()
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in _SCOPE_TYPES or (skip and id(node) in skip):
            continue
        found.append(node)
        if not into_loops and kind in _LOOP_TYPES:
            continue
        children = _children(node)
        stack.extend(children[index] for index in range(len(children) - 1, -1, -1))
    return found


def _refs(node: cst.CSTNode | None) -> set[str]:
    """Codes of the names and attribute chains an expression reads (``n``, ``self.ready``,
    ``self``); not attribute names on their own, nor keyword argument names."""
    found: set[str] = set()

    def visit(current: cst.CSTNode) -> None:
        if isinstance(current, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            dotted = _dotted(current)
            if dotted:
                found.add(dotted)
            visit(current.value)
        elif isinstance(current, cst.Arg):
            visit(current.value)
        else:
            for child in _children(current):
                visit(child)

    if node is not None:
        visit(node)
    return found


def _name_of(target: cst.BaseExpression) -> str | None:
    dotted = _dotted(target) if isinstance(target, cst.Name | cst.Attribute) else ""
    return dotted or None


# -- the loop's header -------------------------------------------------------------------------
@dataclass
class _Header:
    """What kind of attempt loop this is: ``while <test>``, ``range(...)`` or ``count(...)``."""

    kind: str  # "while", "range", "count"
    var: str | None = None
    start: Number | None = 0
    stop: Number | Marker | None = None  # range stop; UNKNOWN when run-time
    step: Number | None = 1
    call: cst.Call | None = None


def _header(ctx: FileContext, node: cst.While | cst.For) -> _Header | None:
    if isinstance(node, cst.While):
        return _Header("while")
    if node.asynchronous is not None or not isinstance(node.target, cst.Name):
        return None
    iterator = node.iter
    if not isinstance(iterator, cst.Call) or any(a.star or a.keyword for a in iterator.args):
        return None
    name = ctx.qualify(iterator.func)
    values = [ctx.evaluate(a.value) for a in iterator.args]
    var = node.target.value
    if name == "range" and 1 <= len(values) <= 3:
        if any(_calls_len(a.value) for a in iterator.args):
            return None
        start = values[0] if len(values) >= 2 else 0
        if start not in (0, 1):  # range(8000, 8100): iterating over values, not attempts
            return None
        stop = values[1] if len(values) >= 2 else values[0]
        step = values[2] if len(values) == 3 else 1
        if not is_number(step) or step <= 0:  # type: ignore[operator]
            return None
        stop_value: Number | Marker = stop if _bounded(stop) else UNKNOWN  # type: ignore[assignment]
        return _Header("range", var, start, stop_value, step, iterator)  # type: ignore[arg-type]
    if name == "itertools.count" and len(values) <= 2:
        start = values[0] if values else 0
        step = values[1] if len(values) == 2 else 1
        if not is_number(start) or not is_number(step) or step <= 0:  # type: ignore[operator]
            return None
        if not _bounded(start) or not _bounded(step):
            return None
        return _Header("count", var, start, None, step, iterator)  # type: ignore[arg-type]
    return None


def _bounded(value: object) -> bool:
    """A number we can count to: not a bool, not infinite or NaN, not astronomically large."""
    return _is_num(value) and abs(value) < 2**62  # type: ignore[arg-type]


def _finite(value: object) -> bool:
    return _is_num(value) and math.isfinite(value)  # type: ignore[arg-type]


def _calls_len(node: cst.CSTNode) -> bool:
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "len"
        for n in _walk_all([node], into_loops=True)
    )


def _var_used_as_data(ctx: FileContext, body: Sequence[cst.CSTNode], var: str) -> bool:
    """True when the loop variable indexes data or is passed to the work (not an attempt count),
    directly or through a name computed from it (``port = base + i; bind(port)``)."""
    derived = {var}
    changed = True
    while changed:
        changed = False
        for node in _walk_all(body):
            if isinstance(node, cst.Assign) and _refs(node.value) & derived:
                for target in node.targets:
                    name = _name_of(target.target)
                    if name and name not in derived:
                        derived.add(name)
                        changed = True
    return any(_used_as_data(ctx, body, name) for name in derived)


def _used_as_data(ctx: FileContext, body: Sequence[cst.CSTNode], var: str) -> bool:

    def visit(node: cst.CSTNode, shielded: bool) -> bool:
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return False
        if isinstance(node, cst.Raise | cst.ExceptHandler):
            shielded = True
        if isinstance(node, cst.Subscript) and any(var in _refs(s) for s in node.slice):
            return True
        if (
            isinstance(node, cst.Call)
            and not shielded
            and not _harmless_call(ctx, node)
            and any(var in _refs(arg.value) for arg in node.args)
        ):
            return True
        if isinstance(node, cst.Call) and _harmless_call(ctx, node):
            return any(visit(child, True) for child in _children(node))
        return any(visit(child, shielded) for child in _children(node))

    return any(visit(statement, False) for statement in body)


def _harmless_call(ctx: FileContext, call: cst.Call) -> bool:
    qualified = ctx.qualify(call.func) or ""
    last = qualified.rsplit(".", 1)[-1]
    return (
        qualified in SLEEP_FUNCTIONS
        or qualified in HARMLESS_CALLS
        or qualified.startswith(RANDOM_PREFIXES)
        or "jitter" in last.lower()
        or _is_log_call(ctx, call)
    )


def _is_log_call(ctx: FileContext, call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value == "print"
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value not in LOG_METHODS:
        return False
    receiver = _dotted(func.value).lower()
    last = receiver.rsplit(".", 1)[-1]
    return "log" in last or last in ("warnings",)


# -- the shapes --------------------------------------------------------------------------------
@dataclass
class _Retry:
    """The retry shape: the try, its retrying handlers, and the success exit."""

    node: cst.Try
    handlers: list[cst.ExceptHandler]
    terminal: list[cst.ExceptHandler]  # handlers that give up (raise/return/break) first
    exit_node: cst.CSTNode
    flag: str | None = None


def _flag_of(test: cst.BaseExpression) -> str | None:
    """``not ok`` / ``x is None`` / ``x is False`` / ``x == None``: the name tested, or None."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _name_of(test.expression)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if (
            isinstance(target.operator, cst.Is | cst.Equal)
            and isinstance(target.comparator, cst.Name)
            and target.comparator.value in ("None", "False")
        ):
            return _name_of(test.left)
    return None


def _assigns(statement: cst.CSTNode, name: str) -> bool:
    if isinstance(statement, cst.Assign):
        return any(_name_of(t.target) == name for t in statement.targets)
    if isinstance(statement, cst.AnnAssign | cst.AugAssign):
        return _name_of(statement.target) == name
    return False


def _find_retry(
    ctx: FileContext, loop: cst.While | cst.For, body: list[cst.CSTNode]
) -> _Retry | None:
    top = list(_top(body))
    flag = _flag_of(loop.test) if isinstance(loop, cst.While) else None
    for position, statement in enumerate(top):
        if not isinstance(statement, cst.Try) or not statement.handlers:
            continue
        rest = top[position + 1 :]
        success: list[cst.CSTNode] = [
            *_block(statement.body),
            *(_block(statement.orelse.body) if statement.orelse else []),
        ]
        exit_node: cst.CSTNode | None = None
        if flag is not None:
            exit_node = next((s for s in _top(success) if _assigns(s, flag)), None)
        success_flow = _flow([*success, *rest])
        if exit_node is None:
            if NEXT in success_flow or not (success_flow & LEAVE):
                continue
            exit_node = next(
                (s for s in _walk_all(success + rest) if isinstance(s, cst.Break | cst.Return)),
                statement,
            )
        rest_flow = _flow(rest)
        goes_round = bool(rest_flow & {NEXT, CONTINUE}) or flag is not None
        retrying: list[cst.ExceptHandler] = []
        terminal: list[cst.ExceptHandler] = []
        readiness = False
        for handler in statement.handlers:
            handler_flow = _flow(_block(handler.body))
            if _converts(ctx, handler):
                handler_flow = frozenset({RAISE})  # self._convert_error(exc): raises, probably
            if CONTINUE in handler_flow or (NEXT in handler_flow and goes_round):
                if _is_readiness(ctx, handler):
                    readiness = True  # EAGAIN / EINTR: non-blocking I/O, not a retry
                else:
                    retrying.append(handler)
            elif not retrying:
                terminal.append(handler)
        if retrying:
            return _Retry(statement, retrying, terminal, exit_node, flag)
        if readiness:
            return None
    return None


def _is_readiness(ctx: FileContext, handler: cst.ExceptHandler) -> bool:
    """A handler for "not ready yet / interrupted": ``except BlockingIOError``,
    ``except ssl.SSLWantReadError``, ``except OSError as e: if e.errno != errno.EINTR: raise``."""
    caught = _caught(ctx, handler)
    if isinstance(caught, tuple) and caught and all(n in READINESS_ERRORS for n in caught):
        return True
    return any(
        isinstance(node, cst.Attribute | cst.Name) and ctx.qualify(node) in READINESS_ERRNOS
        for node in _walk_all([handler], into_loops=True)
    )


def _converts(ctx: FileContext, handler: cst.ExceptHandler) -> bool:
    """``except BaseException as exc: self._convert_socket_error(exc)``: a handler that only
    hands the exception to a helper (which raises, most likely) does not retry."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    name = handler.name.name.value
    statements = list(_top(_block(handler.body)))
    if not statements:
        return False
    for statement in statements:
        if not isinstance(statement, cst.Expr):
            return False
        call = (
            statement.value.expression
            if isinstance(statement.value, cst.Await)
            else statement.value
        )
        if not isinstance(call, cst.Call) or _is_log_call(ctx, call):
            return False
        if not any(name in _refs(arg.value) for arg in call.args):
            return False
    return True


def _is_same_work(
    ctx: FileContext, loop: cst.While | cst.For, body: list[cst.CSTNode], retry: _Retry
) -> bool:
    """Whether each iteration re-attempts the same operation, rather than moving on to new data.

    - the try body must call something (``self.items[self.pos]`` does not fail transiently);
    - nothing is taken from a collection (``folder.pop(0)``, ``next(it)``, ``self.pop(key)``,
      ``del``): that is a consumer or an iterator;
    - no name the operation reads is advanced outside it: a counter passed to the work
      (``date += step``, ``number += 1``) or a name rebound from its own value
      (``path = path.parent``, ``start = next_day(start)``, ``source = not source``) means each
      iteration tries something new -- a search, a walk, a fallback -- not the same thing again.
    """
    operation = _block(retry.node.body)
    if not any(isinstance(n, cst.Call | cst.Await) for n in _walk_all(operation)):
        return False
    top = list(_top(body))
    before = top[: next(i for i, s in enumerate(top) if s is retry.node)]
    for node in _walk_all([*before, *operation]):
        if isinstance(node, cst.Del) or (isinstance(node, cst.Call) and _consumes(node)):
            return False
    for node in _walk_all(retry.handlers):  # next(delays) in a handler only paces the retry
        if isinstance(node, cst.Del) or (
            isinstance(node, cst.Call) and _consumes(node) and not _is_next(node)
        ):
            return False
    # The failing path outside the operation: before the try, the retrying handlers, after it.
    after = top[len(before) + 1 :]
    failing = list(_walk_all([*before, *retry.handlers, *after]))
    tests: list[cst.CSTNode] = [n.test for n in _walk_all(body) if isinstance(n, cst.If)]
    if isinstance(loop, cst.While):
        tests.append(loop.test)
    read = _reads(operation)
    for name, arithmetic in _advanced_names(failing):
        if _var_used_as_data(ctx, operation, name):
            return False
        if not arithmetic and (name in read or any(name in _refs(t) for t in tests)):
            return False
    return True


def _reads(nodes: Sequence[cst.CSTNode]) -> set[str]:
    """Names and attribute chains read by statements (assignment targets are not reads)."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, cst.SimpleStatementLine):
            found |= _reads(node.body)
        elif isinstance(node, cst.Assign | cst.AnnAssign):
            found |= _refs(node.value)
            for target in node.targets if isinstance(node, cst.Assign) else [node]:
                if not isinstance(target.target, cst.Name | cst.Attribute | cst.Tuple):
                    found |= _refs(target.target)  # x[i] = ...: reads x and i
        else:
            found |= _refs(node)
    return found


def _advanced_names(nodes: list[cst.CSTNode]) -> list[tuple[str, bool]]:
    """Names rebound from their own earlier value (directly or through other names), and
    whether the update is arithmetic (``n += 1``, ``delay = min(delay * 2, 60)``)."""
    derived: dict[str, set[str]] = {}
    found: list[tuple[str, bool]] = []
    for node in nodes:
        if isinstance(node, cst.AugAssign) and (name := _name_of(node.target)):
            found.append((name, True))
        elif isinstance(node, cst.Assign):
            sources = _refs(node.value)
            for ref in list(sources):
                sources |= derived.get(ref, set())
            for target in node.targets:
                name = _name_of(target.target)
                if not name:
                    continue
                derived[name] = sources
                if name in sources:
                    found.append((name, _is_arithmetic(node.value)))
    return found


def _is_arithmetic(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.BinaryOperation):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value in ("min", "max", "abs", "round", "int", "float")
    return isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)


def _is_next(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Name) and call.func.value == "next"


def _consumes(call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Name):
        name = func.value
    elif isinstance(func, cst.Attribute):
        name = func.attr.value
    else:
        return False
    name = name.strip("_")
    if name == "pop" and len(call.args) >= 2:
        return False  # mapping.pop(key, default): dropping a key, not taking the next item
    return name in CONSUMERS or name.startswith("pop_")


def _sleep_calls(ctx: FileContext, body: Sequence[cst.CSTNode]) -> list[cst.Call]:
    return [
        node
        for node in _walk_all(body)
        if isinstance(node, cst.Call) and ctx.qualify(node.func) in SLEEP_FUNCTIONS
    ]


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
        qualified = ctx.qualify(node.func) or _dotted(node.func)
        last = qualified.rsplit(".", 1)[-1]
        if qualified not in NOT_WAITING and MAY_WAIT.search(last.lstrip("_")):
            found.append(node)
    return sorted(found, key=lambda call: id(call) not in statements)


def _is_poll(
    ctx: FileContext, loop: cst.While | cst.For, body: list[cst.CSTNode], sleeps: list[cst.Call]
) -> bool:
    if not sleeps:
        return False
    flow = _flow(body)
    exits_on_condition = bool(flow & LEAVE) and bool(flow & {NEXT, CONTINUE})
    assigned = {
        name
        for node in _walk_all(body)
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign)
        for name in _targets(node)
    }
    if isinstance(loop, cst.While) and not _constant_true(loop.test):
        test = loop.test
        polled = any(isinstance(n, cst.Call) for n in _walk_all([test], into_loops=True))
        if polled or _refs(test) & assigned:
            exits_on_condition = exits_on_condition or NEXT in flow or CONTINUE in flow
    if not exits_on_condition:
        return False
    walked = list(_walk_all(body))
    tests = [n.test for n in walked if isinstance(n, cst.If)]
    if isinstance(loop, cst.While):
        tests.append(loop.test)
    for name, arithmetic in _advanced_names(walked):
        if not arithmetic and any(name in _refs(t) for t in tests):
            return False  # cursor = cursor.parent: walking a structure, not polling
    used: set[str] = set()
    if isinstance(loop, cst.While):
        used |= _refs(loop.test)
    for node in _walk_all(body):
        if isinstance(node, cst.If):
            used |= _refs(node.test)
        elif isinstance(node, cst.Return | cst.Raise):
            used |= _refs(node)
        elif isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign) and node.value:
            used |= _refs(node.value)
    for call in sleeps:
        used |= _refs(call)
    return all(_poll_statement(ctx, s, used) for s in body)


def _targets(node: cst.Assign | cst.AnnAssign | cst.AugAssign) -> list[str]:
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    names: list[str] = []
    for target in targets:
        if isinstance(target, cst.Tuple | cst.List):
            names.extend(n for e in target.elements if (n := _name_of(e.value)))
        elif name := _name_of(target):
            names.append(name)
    return names


def _poll_statement(ctx: FileContext, node: cst.CSTNode, used: set[str]) -> bool:
    """Whether a statement is polling bookkeeping rather than other work."""
    match node:
        case cst.SimpleStatementLine() | cst.SimpleStatementSuite():
            return all(_poll_statement(ctx, s, used) for s in node.body)
        case cst.Pass() | cst.Continue() | cst.Break() | cst.Return() | cst.Raise():
            return True
        case cst.Assign() | cst.AnnAssign() | cst.AugAssign():
            targets = _targets(node)
            return bool(targets) and all(t in used for t in targets)
        case cst.Expr(value=value):
            inner = value.expression if isinstance(value, cst.Await) else value
            if isinstance(inner, cst.SimpleString | cst.ConcatenatedString):
                return True
            if isinstance(inner, cst.Call):
                qualified = ctx.qualify(inner.func)
                return qualified in SLEEP_FUNCTIONS or _is_log_call(ctx, inner)
            return False
        case cst.If():
            body = all(_poll_statement(ctx, s, used) for s in _block(node.body))
            other = node.orelse
            if other is None:
                return body
            if isinstance(other, cst.If):
                return body and _poll_statement(ctx, other, used)
            return body and all(_poll_statement(ctx, s, used) for s in _block(other.body))
        case cst.Try():
            parts = [*_block(node.body)]
            for handler in node.handlers:
                parts.extend(_block(handler.body))
            if node.orelse is not None:
                parts.extend(_block(node.orelse.body))
            return all(_poll_statement(ctx, s, used) for s in parts)
        case cst.With():
            return all(_poll_statement(ctx, s, used) for s in _block(node.body))
    return False


def _constant_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name) and test.value == "True":
        return True
    return isinstance(test, cst.Integer) and test.evaluated_value != 0


# -- evaluation with an environment ------------------------------------------------------------
class _Random:
    """A random term: neutral in + and * (``2 ** n + random.random()`` grows like ``2 ** n``)."""


RANDOM = _Random()
EvalResult = Number | bool | _Random | None


@dataclass
class _Evaluator:
    ctx: FileContext
    env: dict[str, Number | None] = field(default_factory=dict)
    strip_min: bool = False  # min(<constant>, x) -> x, to see how x grows
    upper_random: bool = False  # a random call is its largest argument
    flag: str | None = None  # the success flag of ``while not ok``: not set on the failing path
    constants: dict[str, Number | None] = field(default_factory=dict)  # function-local literals

    def __call__(self, node: cst.BaseExpression) -> EvalResult:
        try:
            return self._eval(node)
        except (ArithmeticError, ValueError, TypeError):
            return None

    def _eval(self, node: cst.BaseExpression) -> EvalResult:
        match node:
            case cst.Integer() | cst.Float():
                return node.evaluated_value
            case cst.Name(value="True"):
                return True
            case cst.Name(value="False"):
                return False
            case cst.Name() | cst.Attribute():
                key = _dotted(node)
                if key in self.env:
                    return self.env[key]
                if self.constants.get(key) is not None:
                    return self.constants[key]
                value = self.ctx.evaluate(node)
                return value if is_number(value) else None  # type: ignore[return-value]
            case cst.UnaryOperation(operator=cst.Not(), expression=operand) if (
                self.flag is not None and _dotted(operand) == self.flag
            ):
                return True
            case cst.Comparison() if self.flag is not None and _flag_of(node) == self.flag:
                return True
            case cst.UnaryOperation(operator=operator, expression=operand):
                inner = self._eval(operand)
                if isinstance(operator, cst.Not):
                    return None if inner is None or inner is RANDOM else not inner
                if not _is_num(inner):
                    return None
                return -inner if isinstance(operator, cst.Minus) else inner  # type: ignore[operator]
            case cst.BinaryOperation():
                return self._binary(node)
            case cst.Comparison():
                return self._compare(node)
            case cst.BooleanOperation(left=left, operator=operator, right=right):
                a, b = self._eval(left), self._eval(right)
                if a is None or b is None or a is RANDOM or b is RANDOM:
                    return None
                return (a and b) if isinstance(operator, cst.And) else (a or b)
            case cst.Call():
                return self._call(node)
        return None

    def _binary(self, node: cst.BinaryOperation) -> EvalResult:
        a, b = self._eval(node.left), self._eval(node.right)
        op = node.operator
        if a is RANDOM or b is RANDOM:
            if isinstance(op, cst.Add | cst.Subtract | cst.Multiply | cst.Divide):
                return b if a is RANDOM else a
            return None
        if not _is_num(a) or not _is_num(b):
            return None
        x, y = float(a), float(b)  # type: ignore[arg-type]
        match op:
            case cst.Add():
                return x + y
            case cst.Subtract():
                return x - y
            case cst.Multiply():
                return x * y
            case cst.Divide():
                return x / y
            case cst.FloorDivide():
                return x // y
            case cst.Modulo():
                return x % y
            case cst.Power() if abs(y) <= 256 and abs(x) <= 1e6:
                return x**y
            case cst.LeftShift() if 0 <= y <= 64:
                return float(int(x) << int(y))
        return None

    def _compare(self, node: cst.Comparison) -> EvalResult:
        left = self._eval(node.left)
        for target in node.comparisons:
            right = self._eval(target.comparator)
            if not _is_num(left) or not _is_num(right):
                return None
            a, b = float(left), float(right)  # type: ignore[arg-type]
            match target.operator:
                case cst.LessThan():
                    ok = a < b
                case cst.LessThanEqual():
                    ok = a <= b
                case cst.GreaterThan():
                    ok = a > b
                case cst.GreaterThanEqual():
                    ok = a >= b
                case cst.Equal():
                    ok = a == b
                case cst.NotEqual():
                    ok = a != b
                case _:
                    return None
            if not ok:
                return False
            left = right
        return True

    def _call(self, node: cst.Call) -> EvalResult:
        if any(a.star or a.keyword for a in node.args):
            return None
        qualified = self.ctx.qualify(node.func) or ""
        args = [a.value for a in node.args]
        if _is_random(qualified):
            varying = any(_refs(a) & self.env.keys() for a in args)
            if varying or self.upper_random:
                values = [self._eval(a) for a in args]
                numbers = [float(v) for v in values if _is_num(v)]  # type: ignore[arg-type]
                if len(numbers) != len(values):
                    return None
                return max(numbers) if numbers else 1.0
            return RANDOM
        values = [self._eval(a) for a in args]
        if qualified in ("min", "max") and args:
            if self.strip_min and qualified == "min":
                growing = [
                    v for a, v in zip(args, values, strict=True) if not _is_constant(self.ctx, a)
                ]
                if len(growing) == 1:
                    return growing[0]
            if any(v is RANDOM for v in values):
                values = [v for v in values if v is not RANDOM]
            if not values or not all(_is_num(v) for v in values):
                return None
            pick = min if qualified == "min" else max
            return pick(float(v) for v in values)  # type: ignore[arg-type]
        if qualified in ("float", "int", "abs", "round") and len(values) == 1:
            value = values[0]
            if value is RANDOM:
                return RANDOM
            if not _is_num(value):
                return None
            number = float(value)  # type: ignore[arg-type]
            if qualified == "int":
                return int(number)
            if qualified == "abs":
                return abs(number)
            return round(number) if qualified == "round" else number
        if qualified in ("pow", "math.pow") and len(values) == 2:
            base, exponent = values
            if _is_num(base) and _is_num(exponent) and abs(exponent) <= 256:  # type: ignore[arg-type]
                return float(base) ** float(exponent)  # type: ignore[arg-type]
        return None


def _is_num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_random(qualified: str) -> bool:
    last = qualified.rsplit(".", 1)[-1].lower()
    return qualified.startswith(RANDOM_PREFIXES) or "jitter" in last


def _is_constant(ctx: FileContext, node: cst.BaseExpression) -> bool:
    return is_number(ctx.evaluate(node))


# -- the failing iteration, as events ------------------------------------------------------------
@dataclass
class _Event:
    kind: str  # attempt, assign, check, sleep, stop
    node: cst.CSTNode | None = None
    key: str | None = None
    value: cst.BaseExpression | None = None
    op: cst.BaseAugOp | None = None
    exit_when: bool = True


def _events(
    ctx: FileContext,
    body: list[cst.CSTNode],
    retry: _Retry | None,
    handler: cst.ExceptHandler | None,
) -> tuple[list[_Event], list[cst.If]]:
    """The events of one failing iteration (through ``handler``) in order, and its exit ifs."""
    events: list[_Event] = []
    checks: list[cst.If] = []
    if retry is None:
        events.append(_Event("attempt"))
    _walk_events(ctx, list(_top(body)), retry, handler, events, checks)
    return events, checks


def _walk_events(
    ctx: FileContext,
    statements: list[cst.CSTNode],
    retry: _Retry | None,
    handler: cst.ExceptHandler | None,
    events: list[_Event],
    checks: list[cst.If],
) -> bool:
    """Append the events of ``statements``; False when the iteration stops there."""
    for position, statement in enumerate(statements):
        if retry is not None and handler is not None and statement is retry.node:
            _try_events(ctx, retry, events, checks)
            inner = list(_top(_block(handler.body)))
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
                events.append(_Event("sleep", sleep, value=_sleep_argument(sleep)))
        if NEXT not in _flow_one(statement):
            events.append(_Event("stop", statement))
            return False
    return True


def _if_events(
    ctx: FileContext,
    statement: cst.If,
    rest: list[cst.CSTNode],
    events: list[_Event],
    checks: list[cst.If],
) -> bool:
    """An ``if`` on the failing path: an exit check when one branch always leaves, and the
    events of the branch the retry goes on through (the body when both go on)."""
    body = list(_top(_block(statement.body)))
    other = statement.orelse
    if isinstance(other, cst.Else):
        other_statements = list(_top(_block(other.body)))
    else:
        other_statements = [other] if other is not None else []
    body_flow = _flow(body)
    other_flow = _flow(other_statements)
    body_goes_on = bool(body_flow & {NEXT, CONTINUE})
    other_goes_on = bool(other_flow & {NEXT, CONTINUE})
    if not body_goes_on and not other_goes_on:
        events.append(_Event("stop", statement))
        return False
    if not body_goes_on:
        events.append(_Event("check", statement, value=statement.test, exit_when=True))
        checks.append(statement)
        return _walk_events(ctx, other_statements, None, None, events, checks)
    if not other_goes_on:
        events.append(_Event("check", statement, value=statement.test, exit_when=False))
        checks.append(statement)
        return _walk_events(ctx, body, None, None, events, checks)
    if body_flow == {CONTINUE} and other is None and not (_flow(rest) & {NEXT, CONTINUE}):
        # "if n < N: sleep(); continue" and then give up: the test decides the exit.
        events.append(_Event("check", statement, value=statement.test, exit_when=False))
        checks.append(statement)
    return _walk_events(ctx, body, None, None, events, checks)


def _try_events(
    ctx: FileContext, retry: _Retry, events: list[_Event], checks: list[cst.If]
) -> None:
    """Counter updates and checks at the top of the try body, then the attempt itself."""
    for inner in _top(_block(retry.node.body)):
        if isinstance(inner, cst.AugAssign):
            _simple_event(ctx, inner, events)
            continue
        if isinstance(inner, cst.If) and not (_flow(_block(inner.body)) & {NEXT, CONTINUE}):
            events.append(_Event("check", inner, value=inner.test, exit_when=True))
            checks.append(inner)
            continue
        events.append(_Event("attempt", inner))
        return
    events.append(_Event("attempt", retry.node))


def _simple_event(ctx: FileContext, statement: cst.CSTNode, events: list[_Event]) -> bool:
    """Assignments and sleeps as events; False for other statements."""
    if isinstance(statement, cst.AugAssign) and (key := _name_of(statement.target)):
        events.append(_Event("assign", statement, key, statement.value, statement.operator))
        return True
    if isinstance(statement, cst.Assign | cst.AnnAssign) and statement.value is not None:
        if isinstance(statement, cst.Assign):
            targets = [t.target for t in statement.targets]
        else:
            targets = [statement.target]
        keys = [_name_of(t) for t in targets]
        if not all(keys):
            return False
        for key in keys:
            events.append(_Event("assign", statement, key, statement.value))
        return True
    if isinstance(statement, cst.Expr):
        sleep = _first_sleep(ctx, statement)
        if sleep is not None:
            events.append(_Event("sleep", sleep, value=_sleep_argument(sleep)))
        return True
    return False


def _first_sleep(ctx: FileContext, node: cst.CSTNode) -> cst.Call | None:
    return next(
        (
            n
            for n in _walk_all([node])
            if isinstance(n, cst.Call) and ctx.qualify(n.func) in SLEEP_FUNCTIONS
        ),
        None,
    )


def _sleep_argument(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return arg.value
        if arg.keyword is not None and arg.keyword.value in ("seconds", "delay", "secs"):
            return arg.value
    return None


# -- simulation --------------------------------------------------------------------------------
@dataclass
class _Outcome:
    attempts: int | Marker
    decided_by: cst.CSTNode | None  # the check or header that ended the loop
    sleeps: list[tuple[cst.CSTNode | None, EvalResult]]


def _simulate(
    ctx: FileContext,
    header: _Header,
    loop: cst.While | cst.For,
    events: list[_Event],
    init: dict[str, Number | None],
    *,
    honour_exits: bool,
    bound_tests: dict[int, list[cst.BaseExpression]],
    limit: int,
    evaluator_flags: tuple[bool, bool] = (False, False),
    flag: str | None = None,
    constants: dict[str, Number | None] | None = None,
) -> _Outcome:
    evaluate = _Evaluator(ctx, dict(init), *evaluator_flags, flag=flag, constants=constants or {})
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
                and _is_num(header.stop)
                and value >= header.stop  # type: ignore[operator]
            ):
                return _Outcome(attempts, header.call, sleeps)
            env[header.var] = value
            value = value + header.step  # type: ignore[operator]
        if honour_exits and while_test is not None:
            exits = _exits(evaluate, bound_tests[id(while_test)], False)
            if exits is None:
                return _Outcome(UNKNOWN, while_test, sleeps)
            if exits:
                return _Outcome(attempts, while_test, sleeps)
        for event in events:
            if event.kind == "attempt":
                attempts += 1
            elif event.kind == "assign" and event.key is not None and event.value is not None:
                new = evaluate(event.value)
                if event.op is not None:
                    new = _augmented(env.get(event.key), event.op, new)
                env[event.key] = new if _is_num(new) else None  # type: ignore[assignment]
            elif event.kind == "check" and honour_exits and id(event.value) in bound_tests:
                exits = _exits(evaluate, bound_tests[id(event.value)], event.exit_when)
                if exits is None:
                    return _Outcome(UNKNOWN, event.node, sleeps)
                if exits:
                    return _Outcome(attempts, event.node, sleeps)
            elif event.kind == "sleep":
                value_now = evaluate(event.value) if event.value is not None else None
                sleeps.append((event.node, value_now))
            elif event.kind == "stop":
                break
        if not honour_exits and len(sleeps) >= DELAY_SAMPLES:
            break
    return _Outcome(UNKNOWN if bound_tests else UNBOUNDED, None, sleeps)


def _exits(evaluate: _Evaluator, parts: list[cst.BaseExpression], exit_when: bool) -> bool | None:
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


def _parts(test: cst.BaseExpression, exit_when: bool) -> list[cst.BaseExpression]:
    """Conditions each sufficient to leave: ``a or b`` exits on either; ``while a and b`` stops
    when either is false."""
    joiner = cst.Or if exit_when else cst.And
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, joiner):
        return [*_parts(test.left, exit_when), *_parts(test.right, exit_when)]
    return [test]


def _augmented(current: Number | None, op: cst.BaseAugOp, operand: EvalResult) -> EvalResult:
    if operand is RANDOM:
        return current
    if current is None or not _is_num(operand):
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


def _initial_values(
    ctx: FileContext, info: LoopInfo, loop_line: int, keys: set[str]
) -> dict[str, Number | None]:
    """Each key's value before the loop: known only when every assignment to it earlier in the
    same scope gives the same literal (``n = 0`` in one branch and ``n = self.n`` in the other
    is run-time)."""
    found: dict[str, set[object]] = {}
    for assignment in ctx.assignments:
        if assignment.function is not info.function:
            continue
        names = [n for t in assignment.targets if (n := _name_of(t)) in keys]
        if not names or ctx.span(assignment.statement).line >= loop_line:
            continue
        value = ctx.evaluate(assignment.value)
        for name in names:
            found.setdefault(name, set()).add(value if is_number(value) else UNKNOWN)
    values: dict[str, Number | None] = {}
    for key in keys:
        seen = found.get(key, set())
        single = next(iter(seen)) if len(seen) == 1 else None
        values[key] = single if _is_num(single) else None  # type: ignore[assignment]
    return values


# -- deadlines: comparisons linear in "now" ------------------------------------------------------
Linear = tuple[float, float]  # a * now + b


@dataclass
class _Clock:
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
                key = _dotted(node)
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
        for child in _walk_all([node], into_loops=True):
            if isinstance(child, cst.Call):
                qualified = self.ctx.qualify(child.func) or _dotted(child.func)
                if qualified in CLOCK_FUNCTIONS or OTHER_CLOCKS.search(qualified):
                    return True
            if isinstance(child, cst.Name | cst.Attribute):
                key = _dotted(child)
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


# -- building the job ----------------------------------------------------------------------------
def _analyse_loop(ctx: FileContext, info: LoopInfo) -> Job | None:
    """The retry-loop job for one loop, or None when the loop neither retries nor polls."""
    loop = info.node
    header = _header(ctx, loop)
    if header is None:
        return None
    body = _block(loop.body)
    if header.var is not None and _var_used_as_data(ctx, body, header.var):
        return None
    if isinstance(loop, cst.While) and _calls_len(loop.test):
        return None  # while len(items) > 0: consuming a collection
    if _asks_the_user(ctx, loop):
        return None  # "press any key", re-prompting until the answer is valid: a person waits
    retry = _find_retry(ctx, loop, body)
    if retry is not None and not _is_same_work(ctx, loop, body, retry):
        return None
    sleeps = _sleep_calls(ctx, body)
    if retry is None and not _is_poll(ctx, loop, body, sleeps):
        return None
    return _build_job(ctx, info, header, body, retry, sleeps)


def _asks_the_user(ctx: FileContext, loop: cst.While | cst.For) -> bool:
    """Whether the loop reads from a person (``input()``, curses ``getkey``, ``Prompt.ask``).

    Such a loop waits for an answer, re-asking after a bad one; nothing retries a failing
    dependency, and no bound or backoff would be right for it.
    """
    for node in _walk_all([loop.test] if isinstance(loop, cst.While) else [loop.iter]):
        if _is_interactive_call(ctx, node):
            return True
    return any(_is_interactive_call(ctx, node) for node in _walk_all(_block(loop.body)))


def _is_interactive_call(ctx: FileContext, node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.Call):
        return False
    qualified = ctx.qualify(node.func)
    if qualified is None:
        return False
    return qualified in INTERACTIVE_FUNCTIONS or qualified.rsplit(".", 1)[-1] in INTERACTIVE_METHODS


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
    events: list[_Event]
    checks: list[cst.If]
    attempts: Sourced[int | Marker]
    delay: Sourced[Delay]
    sleep_call: cst.Call | None


@dataclass
class _LoopFacts:
    """What every path of one loop shares."""

    ctx: FileContext
    info: LoopInfo
    header: _Header
    loop: cst.While | cst.For
    body: list[cst.CSTNode]
    retry: _Retry | None
    sleeps: list[cst.Call]
    span: Span
    header_code: str
    clock: _Clock
    deadline_parts: set[int]
    counters: set[str]  # names updated in place anywhere in the loop (n += 1, n = n + 1)
    constants: dict[str, Number | None]  # function-local literals the loop reads, never assigns


def _build_job(
    ctx: FileContext,
    info: LoopInfo,
    header: _Header,
    body: list[cst.CSTNode],
    retry: _Retry | None,
    sleeps: list[cst.Call],
) -> Job:
    loop = info.node
    span = _header_span(ctx, loop)
    header_code = _header_code(loop, ctx)
    function = info.function.qualname if info.function else None
    local = f"{function or '<module>'}#loop@{span.line}"
    before, inside = _assignments(ctx, info, body, span.line)
    clock = _Clock(ctx, before, inside)
    deadlines = _deadlines(loop, body, clock)
    facts = _LoopFacts(
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
        stop = _Evaluator(ctx, constants=facts.constants)(args[1 if len(args) >= 2 else 0].value)
        if _bounded(stop):
            header.stop = stop  # type: ignore[assignment]
    handlers: list[cst.ExceptHandler | None] = list(retry.handlers) if retry else [None]
    paths = [_analyse_path(facts, handler, bool(deadlines)) for handler in handlers]
    max_attempts = _worst_attempts([p.attempts for p in paths])
    delay = _combined_delay(ctx, paths)
    sleep_call = next((p.sleep_call for p in paths if p.sleep_call is not None), None)
    retry_on, permanent = _exceptions_fields(ctx, retry, span)
    deadline = _deadline_field(ctx, deadlines, span)
    budget = budget_of_loop(ctx, info, _walk_all(body))
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
    for node in _walk_all(body, into_loops=True):
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign):
            assigned.update(_targets(node))
        elif isinstance(node, cst.For | cst.CompFor) and (name := _name_of(node.target)):
            assigned.add(name)
    if isinstance(loop, cst.For) and (name := _name_of(loop.target)):
        assigned.add(name)
    read = {r for r in _refs(loop) if "." not in r} - assigned
    values = _initial_values(ctx, info, loop_line, read)
    return {k: v for k, v in values.items() if v is not None}


def _deadlines(
    loop: cst.While | cst.For, body: list[cst.CSTNode], clock: _Clock
) -> list[tuple[float | Marker, cst.BaseExpression]]:
    """Clock comparisons that end the loop: the while test and every exit ``if``."""
    tests: list[tuple[cst.BaseExpression, bool]] = []
    if isinstance(loop, cst.While) and not _constant_true(loop.test):
        tests.append((loop.test, False))
    for node in _walk_all(body):
        if not isinstance(node, cst.If):
            continue
        body_flow = _flow(_block(node.body))
        if not (body_flow & {NEXT, CONTINUE}) and body_flow & {RAISE, RETURN, BREAK}:
            tests.append((node.test, True))
        elif node.orelse is not None:
            other = _flow_one(node.orelse)
            if not (other & {NEXT, CONTINUE}) and other & {RAISE, RETURN, BREAK}:
                tests.append((node.test, False))
    found: list[tuple[float | Marker, cst.BaseExpression]] = []
    for test, exit_when in tests:
        for part in _parts(test, exit_when):
            seconds = clock.deadline(part, exit_when)
            if seconds is not None:
                found.append((seconds, part))
    return found


def _counters(body: list[cst.CSTNode]) -> set[str]:
    """Names counted across iterations: updated in place, never reset from scratch in the loop
    (``value = int(pipe.get(k)); value += n`` is recomputed each time, not a counter)."""
    found: set[str] = set()
    reset: set[str] = set()
    for node in _walk_all(body):
        if isinstance(node, cst.AugAssign) and (name := _name_of(node.target)):
            found.add(name)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                name = _name_of(target.target)
                if not name:
                    continue
                if name in _refs(node.value):
                    if isinstance(node.value, cst.BinaryOperation):
                        found.add(name)
                else:
                    reset.add(name)
    return found - reset


def _analyse_path(
    facts: _LoopFacts, handler: cst.ExceptHandler | None, has_deadline: bool
) -> _Path:
    ctx, header, loop, retry = facts.ctx, facts.header, facts.loop, facts.retry
    events, checks = _events(ctx, facts.body, retry, handler)
    tracked = {e.key for e in events if e.kind == "assign" and e.key}
    init = _initial_values(ctx, facts.info, facts.span.line, tracked - {header.var})
    numeric = _numeric_keys(ctx, header, events, init, facts.constants)
    exception_name = (
        handler.name.name.value
        if handler is not None and handler.name and isinstance(handler.name.name, cst.Name)
        else None
    )
    flag = retry.flag if retry else None
    loop_test = loop.test if isinstance(loop, cst.While) else None
    tests: list[tuple[cst.BaseExpression, bool]] = []
    if loop_test is not None and not _constant_true(loop_test):
        tests.append((loop_test, False))
    for event in events:
        if event.kind == "check" and event.value is not None:
            tests.append((event.value, event.exit_when))
    bound_tests: dict[int, list[cst.BaseExpression]] = {}
    unknown_exit: cst.BaseExpression | None = None
    unmodelled: cst.BaseExpression | None = None
    for test, exit_when in tests:
        parts = [p for p in _parts(test, exit_when) if id(p) not in facts.deadline_parts]
        if not parts:
            continue
        counting = [p for p in parts if _refs(p) & numeric]
        if counting:
            bound_tests[id(test)] = counting
            continue
        refs = set().union(*(_refs(p) for p in parts))
        if refs & facts.counters:
            unmodelled = unmodelled or test  # a counter we could not follow
        elif flag is not None and test is loop_test:
            continue  # the success flag
        elif retry is None:
            continue  # a poll's condition
        elif exception_name is not None and all(exception_name in _refs(p) for p in parts):
            continue  # a filter on the caught exception
        else:
            unknown_exit = unknown_exit or test
    for node in _walk_all(facts.body):  # counter checks off the modelled path
        if (
            isinstance(node, cst.If)
            and _refs(node.test) & facts.counters
            and id(node.test) not in bound_tests
            and _flow_one(node) & {RAISE, RETURN, BREAK}
        ):
            unmodelled = unmodelled or node.test
    if not bound_tests and header.kind == "range" and _is_num(header.stop):
        length = _range_length(header.start, header.stop, header.step)  # type: ignore[arg-type]
        outcome = _Outcome(length, header.call, [])
    elif bound_tests or (header.kind == "range" and _is_num(header.stop)):
        outcome = _simulate(
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
        outcome = _Outcome(UNBOUNDED, None, [])
    attempts = _attempts_field(facts, outcome, unknown_exit, unmodelled, has_deadline)
    delay, sleep_call = _delay_field(facts, events, init, handler)
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
    argument = _sleep_argument(call)
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
            key = _name_of(target)
            if key and (key not in before or before[key][0] <= line):
                before[key] = (line, assignment.value)
    inside: dict[str, cst.BaseExpression] = {}
    for node in _walk_all(body):
        if isinstance(node, cst.Assign):
            for assign_target in node.targets:
                if key := _name_of(assign_target.target):
                    inside[key] = node.value
    return {k: v for k, (_, v) in before.items()}, inside


def _numeric_keys(
    ctx: FileContext,
    header: _Header,
    events: list[_Event],
    init: dict[str, Number | None],
    constants: dict[str, Number | None],
) -> set[str]:
    """Names that hold known numbers through the failing iterations: counters, delays."""
    evaluate = _Evaluator(ctx, dict(init), constants=constants)
    keys = {e.key for e in events if e.kind == "assign" and e.key}
    numeric = {k for k in keys if _is_num(init.get(k))}
    if header.var is not None:
        numeric.add(header.var)
        evaluate.env[header.var] = header.start
    for _ in range(3):
        for event in events:
            if event.kind == "assign" and event.key and event.value is not None:
                new = evaluate(event.value)
                if event.op is not None:
                    new = _augmented(evaluate.env.get(event.key), event.op, new)
                if _is_num(new):
                    evaluate.env[event.key] = new  # type: ignore[assignment]
                    numeric.add(event.key)
                else:
                    evaluate.env[event.key] = None
                    numeric.discard(event.key)
            if event.kind == "stop":
                break
    return numeric


def _attempts_field(
    facts: _LoopFacts,
    outcome: _Outcome,
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
            and _is_num(stop)
            and outcome.attempts == _range_length(header.start, stop, header.step)  # type: ignore[arg-type]
        )
        if node is None or node is call or whole_range:
            assert call is not None
            return explicit(outcome.attempts, ctx.code(call), ctx.span(call))
        target = node.test if isinstance(node, cst.If) else node
        return explicit(outcome.attempts, _one_line(ctx.code(target)), ctx.span(target))
    if outcome.attempts is UNKNOWN and outcome.decided_by is not None:
        node = outcome.decided_by
        target = node.test if isinstance(node, cst.If) else node
        return explicit(UNKNOWN, _one_line(ctx.code(target)), ctx.span(target))
    if header.kind == "range" and call is not None:  # range(n) with n decided at run time
        return explicit(UNKNOWN, ctx.code(call), ctx.span(call))
    if outcome.attempts is UNKNOWN:
        return explicit(UNKNOWN, f"{facts.header_code}: counter bound not found", span)
    for node in (unknown_exit, unmodelled):
        if node is not None:
            return explicit(UNKNOWN, _one_line(ctx.code(node)), ctx.span(node))
    what = (
        "with no counter (stops only at its deadline)"
        if has_deadline
        else "with no counter or deadline"
    )
    return explicit(UNBOUNDED, f"{facts.header_code} {what}", span)


def _range_length(start: Number | None, stop: Number, step: Number | None) -> int:
    return len(range(int(start or 0), int(stop), int(step or 1)))


def _one_line(code: str) -> str:
    return " ".join(code.split())


def _deadline_field(
    ctx: FileContext, deadlines: Sequence[tuple[float | Marker, cst.CSTNode]], span: Span
) -> Sourced[SecondsValue]:
    if not deadlines:
        return explicit(None, "no deadline check in the loop", span)
    known = [(s, n) for s, n in deadlines if isinstance(s, float)]
    if known:
        seconds, node = min(known, key=lambda item: item[0])
        return explicit(seconds, _one_line(ctx.code(node)), ctx.span(node))
    _, node = deadlines[0]
    return explicit(UNKNOWN, _one_line(ctx.code(node)), ctx.span(node))


def _path_region(facts: _LoopFacts, handler: cst.ExceptHandler | None) -> list[cst.CSTNode]:
    """The loop body without the other handlers of the retry ``try``: where this path runs."""
    if facts.retry is None or handler is None:
        return facts.body
    others = frozenset(id(h) for h in facts.retry.node.handlers if h is not handler)
    return list(_walk_all(facts.body, skip=others))


def _delay_field(
    facts: _LoopFacts,
    events: list[_Event],
    init: dict[str, Number | None],
    handler: cst.ExceptHandler | None,
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
            code = _one_line(ctx.code(found[0]))
            return explicit(UNKNOWN_DELAY, code, ctx.span(found[0])), found[0]
        waits = _may_wait_calls(ctx, region)
        if waits:
            code = _one_line(ctx.code(waits[0]))
            return explicit(UNKNOWN_DELAY, f"{code} may wait", ctx.span(waits[0])), None
        return explicit(NO_DELAY, "no sleep between attempts", span), None
    origin = _one_line(ctx.code(call))
    where = ctx.span(call)
    argument = _sleep_argument(call)
    if argument is None:
        return explicit(UNKNOWN_DELAY, origin, where), call
    samples = {}
    for strip, upper in ((False, False), (True, False), (False, True), (True, True)):
        outcome = _simulate(
            ctx,
            facts.header,
            facts.loop,
            events,
            init,
            honour_exits=False,
            bound_tests={},
            limit=DELAY_SAMPLES * 4,
            evaluator_flags=(strip, upper),
            flag=facts.retry.flag if facts.retry else None,
            constants=facts.constants,
        )
        samples[(strip, upper)] = [v for node, v in outcome.sleeps if node is call]
    jitter = _has_random(ctx, argument, events)
    upper = not all(_is_num(v) for v in samples[(False, False)][:DELAY_SAMPLES])
    actual = samples[(False, upper)][:DELAY_SAMPLES]
    raw = samples[(True, upper)][:DELAY_SAMPLES]
    if not actual or not all(_finite(v) for v in actual) or not all(_finite(v) for v in raw):
        return explicit(Delay("unknown", jitter=jitter or None), origin, where), call
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
    return explicit(delay, origin, where), call


def _arithmetic(values: list[float]) -> bool:
    steps = {round(b - a, 9) for a, b in itertools.pairwise(values)}
    return len(steps) == 1 and next(iter(steps)) > 0


def _geometric(values: list[float]) -> bool:
    if any(v <= 0 for v in values) or len(values) < 3:
        return False
    ratios = {round(b / a, 6) for a, b in itertools.pairwise(values)}
    return len(ratios) == 1 and next(iter(ratios)) > 1


def _feeding(argument: cst.BaseExpression, events: list[_Event]) -> list[cst.BaseExpression]:
    """The sleep argument and the in-loop assignments it reads, transitively."""
    assigned: dict[str, list[cst.BaseExpression]] = {}
    for event in events:
        if event.kind == "assign" and event.key and event.value is not None:
            assigned.setdefault(event.key, []).append(event.value)
    found = [argument]
    seen: set[str] = set()
    queue = list(_refs(argument))
    while queue:
        key = queue.pop()
        if key in seen:
            continue
        seen.add(key)
        for value in assigned.get(key, []):
            found.append(value)
            queue.extend(_refs(value))
    return found


def _has_random(ctx: FileContext, argument: cst.BaseExpression, events: list[_Event]) -> bool:
    return any(
        isinstance(node, cst.Call) and _is_random(ctx.qualify(node.func) or _dotted(node.func))
        for expression in _feeding(argument, events)
        for node in _walk_all([expression], into_loops=True)
    )


def _cap(
    ctx: FileContext, argument: cst.BaseExpression, events: list[_Event]
) -> float | Marker | None:
    """The constant of a ``min(<constant>, ...)`` around the growing term; UNKNOWN if run-time."""
    caps: list[float | Marker] = []
    for expression in _feeding(argument, events):
        for node in _walk_all([expression], into_loops=True):
            if (
                isinstance(node, cst.Call)
                and ctx.qualify(node.func) == "min"
                and len(node.args) >= 2
            ):
                constants = [ctx.evaluate(a.value) for a in node.args if _is_constant(ctx, a.value)]
                if constants:
                    caps.append(float(min(constants)))  # type: ignore[type-var,arg-type]
                else:
                    caps.append(UNKNOWN)
    known = [c for c in caps if isinstance(c, float)]
    if known:
        return min(known)
    return UNKNOWN if caps else None


def _exceptions_fields(
    ctx: FileContext, retry: _Retry | None, span: Span
) -> tuple[Sourced[ExceptionsValue], Sourced[tuple[str, ...]]]:
    if retry is None:
        return explicit((), "polls a condition; no exception is retried", span), default(
            (), "none excluded"
        )
    names: list[str] = []
    broad: cst.ExceptHandler | None = None
    unknown: cst.ExceptHandler | None = None
    for handler in retry.handlers:
        caught = _caught(ctx, handler)
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
        caught = _caught(ctx, handler)
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
    return f"except {_one_line(ctx.code(handler.type))}" if handler.type is not None else "except:"


def _caught(ctx: FileContext, handler: cst.ExceptHandler) -> tuple[str, ...] | str | Marker:
    if handler.type is None:
        return "all"
    value = ctx.evaluate(handler.type)
    names = exception_names(value)
    if isinstance(names, Marker):
        return UNKNOWN
    if any(n in BROAD_EXCEPTIONS for n in names):
        return "all"
    if not all(_looks_like_class(n) for n in names):
        return UNKNOWN
    return names


def _looks_like_class(name: str) -> bool:
    last = Ref(name).last
    return bool(last) and (last[0].isupper() or name.startswith(("socket.", "errno.")))


def _filters_exception(handler: cst.ExceptHandler) -> bool:
    """``except Exception as e: if not retryable(e): raise`` -- the handler picks what it retries."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    name = handler.name.name.value
    for node in _walk_all(_block(handler.body)):
        if (
            isinstance(node, cst.If)
            and name in _refs(node.test)
            and _flow_one(node) & {RAISE, RETURN, BREAK}
        ):
            return True
    return False
