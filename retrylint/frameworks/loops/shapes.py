"""Which loops are jobs: attempt loops whose body has the shape of a retry or of a poll.

This is recognition only, decided from the loop's own syntax before anything is counted; every
later room starts from the header and the retry shape found here.

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
``itertools.count()``, whose variable is not used as data (``inputs``). A loop over items with
``try/except: continue`` per item, or ``for port in range(8000, 8100)``, is not a retry loop.
Whether a retry shape re-attempts the same work, rather than moving on to new input each time,
is ``inputs``' question too.

Not modelled (deliberately): ``except*`` groups; tries nested under an ``if`` in the loop body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.loops.evaluator import Number, is_num
from retrylint.frameworks.loops.syntax import (
    CONTINUE,
    LEAVE,
    NEXT,
    RAISE,
    advanced_names,
    block,
    dotted_name,
    flag_of,
    flow,
    name_of,
    refs,
    target_names,
    top_level,
    walk_all,
)
from retrylint.model import UNKNOWN, Marker
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
# Reading from a person: a loop around these re-asks, it does not retry.
INTERACTIVE_FUNCTIONS = frozenset(
    {"input", "raw_input", "getpass.getpass", "click.prompt", "click.confirm", "click.getchar"}
)
INTERACTIVE_METHODS = frozenset(
    {"getkey", "getch", "get_wch", "get_wstr", "getstr", "get_input", "ask", "prompt", "confirm"}
)
BROAD_EXCEPTIONS = frozenset(
    {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}
)
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
# Calls a success path may make on its way to the next attempt (reading the result, the wait).
RESULT_READERS = frozenset(
    {"min", "max", "float", "int", "str", "len", "bool", "isinstance", "getattr", "hasattr"}
)
# Methods that reload an object from its source: a poll calling one on what it tests polls.
REFRESH_METHODS = frozenset({"refresh", "reload", "refresh_from_db", "load"})
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"}
)


# -- the loop's header -------------------------------------------------------------------------
@dataclass
class Header:
    """What kind of attempt loop this is: ``while <test>``, ``range(...)`` or ``count(...)``."""

    kind: str  # "while", "range", "count"
    var: str | None = None
    start: Number | None = 0
    stop: Number | Marker | None = None  # range stop; UNKNOWN when run-time
    step: Number | None = 1
    call: cst.Call | None = None


def loop_header(ctx: FileContext, node: cst.While | cst.For) -> Header | None:
    if isinstance(node, cst.While):
        return Header("while")
    if node.asynchronous is not None or not isinstance(node.target, cst.Name):
        return None
    iterator = node.iter
    if not isinstance(iterator, cst.Call) or any(a.star or a.keyword for a in iterator.args):
        return None
    name = ctx.qualify(iterator.func)
    values = [ctx.evaluate(a.value) for a in iterator.args]
    var = node.target.value
    if name == "range" and 1 <= len(values) <= 3:
        if any(calls_len(a.value, ctx) for a in iterator.args):
            return None  # range(len(items)): the indexes of data
        start = values[0] if len(values) >= 2 else 0
        if start not in (0, 1):  # range(8000, 8100): iterating over values, not attempts
            return None
        stop = values[1] if len(values) >= 2 else values[0]
        step = values[2] if len(values) == 3 else 1
        if not is_number(step) or step <= 0:  # type: ignore[operator]
            return None
        stop_value: Number | Marker = stop if bounded(stop) else UNKNOWN  # type: ignore[assignment]
        return Header("range", var, start, stop_value, step, iterator)  # type: ignore[arg-type]
    if name == "itertools.count" and len(values) <= 2:
        start = values[0] if values else 0
        step = values[1] if len(values) == 2 else 1
        if not is_number(start) or not is_number(step) or step <= 0:  # type: ignore[operator]
            return None
        if not bounded(start) or not bounded(step):
            return None
        return Header("count", var, start, None, step, iterator)  # type: ignore[arg-type]
    return None


def bounded(value: object) -> bool:
    """A number we can count to: not a bool, not infinite or NaN, not astronomically large."""
    return is_num(value) and abs(value) < 2**62  # type: ignore[arg-type]


def calls_len(node: cst.CSTNode, ctx: FileContext | None = None) -> bool:
    """Whether ``node`` measures a collection; with ``ctx``, the length of a constant list of
    numbers does not count (``range(len(DELAYS) + 1)``: one attempt per wait, and one more)."""
    return any(
        isinstance(n, cst.Call)
        and isinstance(n.func, cst.Name)
        and n.func.value == "len"
        and not (ctx is not None and len(n.args) == 1 and _is_schedule(ctx, n.args[0].value))
        for n in walk_all([node], into_loops=True)
    )


def _is_schedule(ctx: FileContext, node: cst.BaseExpression) -> bool:
    value = ctx.evaluate(node)
    return isinstance(value, tuple) and bool(value) and all(is_num(v) for v in value)


def is_log_call(ctx: FileContext, call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value == "print"
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value not in LOG_METHODS:
        return False
    receiver = dotted_name(func.value).lower()
    last = receiver.rsplit(".", 1)[-1]
    return "log" in last or last in ("warnings",)


# -- the shapes --------------------------------------------------------------------------------
@dataclass
class Retry:
    """The retry shape: the try, its retrying handlers, and the success exit."""

    node: cst.Try
    handlers: list[cst.ExceptHandler]
    terminal: list[cst.ExceptHandler]  # handlers that give up (raise/return/break) first
    exit_node: cst.CSTNode
    flag: str | None = None
    # A success path that goes round when a check of the operation's result says so
    # (``if response.is_success: return response``, else sleep and try again): the check,
    # and the names the operation's result is bound to.
    checked: cst.If | None = None
    results: frozenset[str] = frozenset()


def _assigns(statement: cst.CSTNode, name: str) -> bool:
    if isinstance(statement, cst.Assign):
        return any(name_of(t.target) == name for t in statement.targets)
    if isinstance(statement, cst.AnnAssign | cst.AugAssign):
        return name_of(statement.target) == name
    return False


def find_retry(
    ctx: FileContext, loop: cst.While | cst.For, body: list[cst.CSTNode]
) -> Retry | None:
    top = list(top_level(body))
    flag = flag_of(loop.test) if isinstance(loop, cst.While) else None
    for position, statement in enumerate(top):
        if not isinstance(statement, cst.Try) or not statement.handlers:
            continue
        rest = top[position + 1 :]
        success: list[cst.CSTNode] = [
            *block(statement.body),
            *(block(statement.orelse.body) if statement.orelse else []),
        ]
        exit_node: cst.CSTNode | None = None
        if flag is not None:
            exit_node = next((s for s in top_level(success) if _assigns(s, flag)), None)
        success_flow = flow([*success, *rest])
        checked: cst.If | None = None
        results = _result_names(statement)
        if exit_node is None:
            if not (success_flow & LEAVE):
                continue
            if NEXT in success_flow:
                checked = _checked_result(ctx, statement, results)
                if checked is None:
                    continue  # the success path goes round: a consumer, not a retry
            exit_node = next(
                (
                    s
                    for s in walk_all([checked] if checked else success + rest)
                    if isinstance(s, cst.Break | cst.Return)
                ),
                statement,
            )
        rest_flow = flow(rest)
        goes_round = bool(rest_flow & {NEXT, CONTINUE}) or flag is not None
        retrying: list[cst.ExceptHandler] = []
        terminal: list[cst.ExceptHandler] = []
        readiness = False
        for handler in statement.handlers:
            handler_flow = flow(block(handler.body))
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
            return Retry(statement, retrying, terminal, exit_node, flag, checked, results)
        if readiness:
            return None
    return None


def _result_names(node: cst.Try) -> frozenset[str]:
    """Names the try body binds (``response = client.request(...)``): the operation's result."""
    return frozenset(
        name
        for statement in top_level(block(node.body))
        if isinstance(statement, cst.Assign | cst.AnnAssign)
        for name in target_names(statement)
    )


def _checked_result(ctx: FileContext, node: cst.Try, results: frozenset[str]) -> cst.If | None:
    """The check that leaves when the operation's result is good, on a success path that
    otherwise only prepares the next attempt (reads the result, logs, computes the wait).

    A success path that does other work before going round (``handle(message)``) is a
    consumer's, whatever it checks.
    """
    if not results:
        return None
    success = [*block(node.body), *(block(node.orelse.body) if node.orelse else [])]
    operation = frozenset(
        id(statement)
        for statement in top_level(block(node.body))
        if isinstance(statement, cst.Assign | cst.AnnAssign)
        and set(target_names(statement)) & results
    )
    checked: cst.If | None = None
    for statement in walk_all(success, skip=operation):
        if (
            checked is None
            and isinstance(statement, cst.If)
            and _reads_any(statement.test, results)
            and flow(block(statement.body)) & LEAVE
        ):
            checked = statement
        if isinstance(statement, cst.Call) and not _prepares(ctx, statement, results):
            return None
    return checked


def _reads_any(node: cst.CSTNode, names: frozenset[str]) -> bool:
    return any(ref.split(".", 1)[0] in names for ref in refs(node))


def _prepares(ctx: FileContext, call: cst.Call, results: frozenset[str]) -> bool:
    """A call that reads the result, logs or computes a wait: ``response.headers.get(...)``,
    ``log.debug(...)``, ``min(float(retry_after), 1.0)``."""
    qualified = ctx.qualify(call.func) or ""
    return (
        qualified in SLEEP_FUNCTIONS
        or qualified in RESULT_READERS
        or is_log_call(ctx, call)
        or _reads_any(call.func, results)
    )


def _is_readiness(ctx: FileContext, handler: cst.ExceptHandler) -> bool:
    """A handler for "not ready yet / interrupted": ``except BlockingIOError``,
    ``except ssl.SSLWantReadError``, ``except OSError as e: if e.errno != errno.EINTR: raise``."""
    caught = caught_by(ctx, handler)
    if isinstance(caught, tuple) and caught and all(n in READINESS_ERRORS for n in caught):
        return True
    return any(
        isinstance(node, cst.Attribute | cst.Name) and ctx.qualify(node) in READINESS_ERRNOS
        for node in walk_all([handler], into_loops=True)
    )


def _converts(ctx: FileContext, handler: cst.ExceptHandler) -> bool:
    """``except BaseException as exc: self._convert_socket_error(exc)``: a handler that only
    hands the exception to a helper (which raises, most likely) does not retry."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    name = handler.name.name.value
    statements = list(top_level(block(handler.body)))
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
        if not isinstance(call, cst.Call) or is_log_call(ctx, call):
            return False
        if not any(name in refs(arg.value) for arg in call.args):
            return False
    return True


def sleep_calls(ctx: FileContext, body: Sequence[cst.CSTNode]) -> list[cst.Call]:
    return [
        node
        for node in walk_all(body)
        if isinstance(node, cst.Call) and ctx.qualify(node.func) in SLEEP_FUNCTIONS
    ]


def is_poll(
    ctx: FileContext, loop: cst.While | cst.For, body: list[cst.CSTNode], sleeps: list[cst.Call]
) -> bool:
    if not sleeps:
        return False
    body_flow = flow(body)
    exits_on_condition = bool(body_flow & LEAVE) and bool(body_flow & {NEXT, CONTINUE})
    assigned = {
        name
        for node in walk_all(body)
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign)
        for name in target_names(node)
    }
    assigned |= {  # job.refresh(): what the test reads of job is new each time
        dotted_name(node.func.value)
        for node in walk_all(body)
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in REFRESH_METHODS
    }
    if isinstance(loop, cst.While) and not constant_true(loop.test):
        test = loop.test
        polled = any(isinstance(n, cst.Call) for n in walk_all([test], into_loops=True))
        if polled or refs(test) & assigned:
            exits_on_condition = exits_on_condition or NEXT in body_flow or CONTINUE in body_flow
    if not exits_on_condition:
        return False
    walked = list(walk_all(body))
    tests = [n.test for n in walked if isinstance(n, cst.If)]
    if isinstance(loop, cst.While):
        tests.append(loop.test)
    for name, arithmetic in advanced_names(walked):
        if not arithmetic and any(name in refs(t) for t in tests):
            return False  # cursor = cursor.parent: walking a structure, not polling
    used: set[str] = set()
    if isinstance(loop, cst.While):
        used |= refs(loop.test)
    for node in walk_all(body):
        if isinstance(node, cst.If):
            used |= refs(node.test)
        elif isinstance(node, cst.Return | cst.Raise):
            used |= refs(node)
        elif isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign) and node.value:
            used |= refs(node.value)
    for call in sleeps:
        used |= refs(call)
    return all(_poll_statement(ctx, s, used) for s in body)


def _poll_statement(ctx: FileContext, node: cst.CSTNode, used: set[str]) -> bool:
    """Whether a statement is polling bookkeeping rather than other work."""
    match node:
        case cst.SimpleStatementLine() | cst.SimpleStatementSuite():
            return all(_poll_statement(ctx, s, used) for s in node.body)
        case cst.Pass() | cst.Continue() | cst.Break() | cst.Return() | cst.Raise():
            return True
        case cst.Assign() | cst.AnnAssign() | cst.AugAssign():
            targets = target_names(node)
            return bool(targets) and all(t in used for t in targets)
        case cst.Expr(value=value):
            inner = value.expression if isinstance(value, cst.Await) else value
            if isinstance(inner, cst.SimpleString | cst.ConcatenatedString):
                return True
            if isinstance(inner, cst.Call):
                qualified = ctx.qualify(inner.func)
                return (
                    qualified in SLEEP_FUNCTIONS
                    or is_log_call(ctx, inner)
                    or _refreshes(inner, used)
                )
            return False
        case cst.If():
            body = all(_poll_statement(ctx, s, used) for s in block(node.body))
            other = node.orelse
            if other is None:
                return body
            if isinstance(other, cst.If):
                return body and _poll_statement(ctx, other, used)
            return body and all(_poll_statement(ctx, s, used) for s in block(other.body))
        case cst.Try():
            parts = [*block(node.body)]
            for handler in node.handlers:
                parts.extend(block(handler.body))
            if node.orelse is not None:
                parts.extend(block(node.orelse.body))
            return all(_poll_statement(ctx, s, used) for s in parts)
        case cst.With():
            return all(_poll_statement(ctx, s, used) for s in block(node.body))
    return False


def _refreshes(call: cst.Call, used: set[str]) -> bool:
    """``job.refresh()`` where the loop tests ``job.is_finished``: polling bookkeeping."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value in REFRESH_METHODS
        and dotted_name(func.value) in used
    )


def constant_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name) and test.value == "True":
        return True
    return isinstance(test, cst.Integer) and test.evaluated_value != 0


def asks_the_user(ctx: FileContext, loop: cst.While | cst.For) -> bool:
    """Whether the loop reads from a person (``input()``, curses ``getkey``, ``Prompt.ask``).

    Such a loop waits for an answer, re-asking after a bad one; nothing retries a failing
    dependency, and no bound or backoff would be right for it.
    """
    for node in walk_all([loop.test] if isinstance(loop, cst.While) else [loop.iter]):
        if _is_interactive_call(ctx, node):
            return True
    return any(_is_interactive_call(ctx, node) for node in walk_all(block(loop.body)))


def _is_interactive_call(ctx: FileContext, node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.Call):
        return False
    qualified = ctx.qualify(node.func)
    if qualified is None:
        return False
    return qualified in INTERACTIVE_FUNCTIONS or qualified.rsplit(".", 1)[-1] in INTERACTIVE_METHODS


def caught_by(ctx: FileContext, handler: cst.ExceptHandler) -> tuple[str, ...] | str | Marker:
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
