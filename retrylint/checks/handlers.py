"""What an ``except`` clause does with the failure it caught: shared by the RL3 rules.

A handler is read statement by statement (its body only, nested blocks included, nested
functions not): does it re-raise, retry, record the failure where a person will see it, hand
the work to another job, log it (at which level, with or without its traceback), and how does
it leave (``return`` with what value, ``break``, or falling through). Only the outermost call
of each statement is looked at (``capture_exception(exc)``, ``return self.retry(...)``,
``Delivery.objects.filter(...).update(status=FAILED)``): cheap, and what the author wrote to
handle the failure is always that call.

"Records the failure" is learned from real code: error trackers (``capture_exception``,
``capture_message`` of sentry_sdk and raven, rollbar, bugsnag, New Relic), a status set to a
failed value (``x.status = Status.FAILED`` with a save, ``.update(status="failed")``), a
failure row or metric (``FailedDelivery.objects.create``, ``statsd.incr("sync.failed")``), a
dead-letter write, a call whose name says it handles a failure (``mark_failed``,
``notify_failure``, ``send_alert``, ``mail_admins``). Celery's ``self.update_state(state=
"FAILURE")`` is not one: the task's normal return overwrites it with SUCCESS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from retrylint.context import FileContext
from retrylint.findings import Finding
from retrylint.frameworks.loops.shapes import BROAD_EXCEPTIONS
from retrylint.model import Span

LOG_LEVELS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
# Levels a person is expected to look at; debug and info lines are not read.
READ_LEVELS = frozenset({"warning", "warn", "error", "exception", "critical", "fatal"})
# Calls that write the current traceback somewhere (``traceback.format_exc()`` into a job log).
_TRACEBACK_CALLS = ("format_exc", "print_exc", "format_exception", "print_exception")
_LOGGER_NAMES = frozenset({"log", "logger", "logging", "_log", "_logger", "lg", "structlog"})
# Error trackers' reporting calls (underscores dropped, lower case): sentry_sdk / raven,
# rollbar, New Relic, OpenTelemetry spans, bugsnag / honeybadger / airbrake.
_TRACKERS = frozenset(
    {
        "captureexception",
        "capturemessage",
        "reportexcinfo",
        "reportexception",
        "noticeerror",
        "recordexception",
        "notify",
    }
)
# Words in a called name that say the call records or reports the failure.
_RECORD_WORDS = ("fail", "alert", "dead_letter", "deadletter", "dlq", "incident", "sentry")
# Calls that write something: with a failure word in the receiver or an argument, a record.
_WRITES = frozenset(
    {
        "create",
        "add",
        "insert",
        "save",
        "put",
        "append",
        "push",
        "write",
        "update",
        "incr",
        "increment",
        "inc",
        "count",
        "publish",
        "send",
        "set",
        "bulk_create",
        "update_or_create",
        "get_or_create",
        "emit",
    }
)
_SAVES = frozenset({"save", "commit", "update", "flush", "bulk_update", "add", "put"})
_ENQUEUES = frozenset(
    {"delay", "apply_async", "send_task", "enqueue", "enqueue_call", "enqueue_in", "enqueue_at"}
)
_RETRY_WORDS = ("retry", "requeue", "reschedule")
_FAILURE_VALUE = re.compile(r"fail|error|cancel|abort|reject|invalid", re.IGNORECASE)
_FAILURE_ATTRIBUTE = re.compile(r"error|fail|exception", re.IGNORECASE)
_STATE_ATTRIBUTE = re.compile(r"status|state", re.IGNORECASE)


class ReportingCheck:
    """A per-file check that reports while the file is walked; ``findings`` hands them over."""

    def __init__(self) -> None:
        self.found: list[Finding] = []

    def add(self, finding: Finding | None) -> None:
        if finding is not None:
            self.found.append(finding)

    def findings(self, ctx: FileContext) -> list[Finding]:
        return self.found


@dataclass
class LogCall:
    """A log call in a handler: its level, whether it carries the traceback, and the node."""

    node: cst.Call
    level: str
    traceback: bool
    explicit_exc_info: bool
    loguru: bool
    helper: bool = False  # a project helper named for logging (`log_exception(e)`)


@dataclass
class HandlerBody:
    """What one ``except`` clause's body does; see the module docstring."""

    raises: bool = False
    bare_raise: bool = False  # a bare `raise` (the caught exception itself)
    retries: str | None = None  # the retry call's code
    records: str | None = None  # the first recording call or statement
    hands_off: str | None = None  # an enqueue of another job, or the exception passed on
    logs: list[LogCall] = field(default_factory=list)
    returns: list[cst.Return] = field(default_factory=list)
    breaks: bool = False
    failure_attributes: bool = False  # x.status = FAILED / x.error = str(exc) ...
    saves: bool = False
    assigns: bool = False  # binds a local name (a fallback value)
    update_state: bool = False  # Celery's self.update_state(...): not a record
    tracked: bool = False  # sent to an error tracker, which keeps the traceback
    traceback_kept: bool = False  # traceback.format_exc() & co: written somewhere by hand

    @property
    def handled(self) -> bool:
        """Whether the failure leaves the handler some visible way: raised, retried, recorded,
        or handed to another job."""
        return bool(self.raises or self.retries or self.recorded or self.hands_off)

    @property
    def recorded(self) -> str | None:
        if self.records:
            return self.records
        if self.failure_attributes and self.saves:
            return "a failure status saved"
        return None

    @property
    def traceback_logged(self) -> bool:
        return self.traceback_kept or any(log.traceback for log in self.logs)

    def loudest_log(self) -> LogCall | None:
        ranked = sorted(self.logs, key=lambda log: (log.level in READ_LEVELS, log.traceback))
        return ranked[-1] if ranked else None


def caught_names(ctx: FileContext, handler: cst.ExceptHandler) -> tuple[str, ...] | None:
    """The qualified names a handler catches (``"?"`` for one that is not a plain name);
    None for a bare ``except:``."""
    if handler.type is None:
        return None
    node = handler.type
    elements = (
        [e.value for e in node.elements] if isinstance(node, cst.Tuple | cst.List) else [node]
    )
    return tuple(ctx.qualify(element) or "?" for element in elements)


def is_broad(ctx: FileContext, handler: cst.ExceptHandler) -> bool:
    """Bare, ``Exception`` or ``BaseException`` (alone or in a tuple)."""
    names = caught_names(ctx, handler)
    return names is None or any(name in BROAD_EXCEPTIONS for name in names)


def describe_handler(ctx: FileContext, handler: cst.ExceptHandler) -> str:
    if handler.type is None:
        return "except:"
    return f"except {' '.join(ctx.code(handler.type).split())}:"


def exception_name(handler: cst.ExceptHandler) -> str | None:
    """The name the caught exception is bound to (``except X as exc``)."""
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        return handler.name.name.value
    return None


def analyse(ctx: FileContext, handler: cst.ExceptHandler) -> HandlerBody:
    """Read the handler's statements once: see ``HandlerBody``."""
    return analyse_block(ctx, handler.body, exception_name(handler))


def analyse_block(ctx: FileContext, block: cst.BaseSuite, bound: str | None) -> HandlerBody:
    """``analyse`` for any block that handles a failure (a give-up callback's body);
    ``bound`` is the name the failure goes by in it."""
    body = HandlerBody()
    for statement in statements(block):
        _read_statement(ctx, statement, body, bound)
    return body


def statements(block: cst.BaseSuite) -> Iterator[cst.BaseSmallStatement]:
    """Every small statement in a block and the blocks nested in it, in source order; nested
    functions and classes are other code and are skipped."""
    if isinstance(block, cst.SimpleStatementSuite):
        yield from block.body
        return
    for statement in block.body:
        yield from _statements_of(statement)


def _statements_of(statement: cst.CSTNode) -> Iterator[cst.BaseSmallStatement]:
    match statement:
        case cst.SimpleStatementLine(body=body):
            yield from body
        case cst.FunctionDef() | cst.ClassDef():
            return
        case cst.If(body=body, orelse=orelse):
            yield from statements(body)
            if orelse is not None:
                yield from _statements_of(orelse)
        case cst.Else(body=body) | cst.Finally(body=body):
            yield from statements(body)
        case cst.For(body=body, orelse=orelse) | cst.While(body=body, orelse=orelse):
            yield from statements(body)
            if orelse is not None:
                yield from statements(orelse.body)
        case cst.With(body=body):
            yield from statements(body)
        case cst.Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody):
            yield from statements(body)
            for inner in handlers:
                yield from statements(inner.body)
            if orelse is not None:
                yield from statements(orelse.body)
            if finalbody is not None:
                yield from statements(finalbody.body)
        case cst.Match(cases=cases):
            for case in cases:
                yield from statements(case.body)


def outer_call(node: cst.BaseExpression | None) -> cst.Call | None:
    """The call a statement's expression makes, through ``await`` and ``yield``."""
    while isinstance(node, cst.Await | cst.Yield):
        node = node.expression if isinstance(node, cst.Await) else node.value  # type: ignore[assignment]
    return node if isinstance(node, cst.Call) else None


def _read_statement(
    ctx: FileContext, statement: cst.BaseSmallStatement, body: HandlerBody, bound: str | None
) -> None:
    call: cst.Call | None = None
    match statement:
        case cst.Raise(exc=exc):
            body.raises = True
            body.bare_raise = body.bare_raise or exc is None
            raised = outer_call(exc)
            if raised is not None and "retry" in dotted(raised.func).lower():
                body.retries = body.retries or " ".join(ctx.code(raised).split())
            return
        case cst.Return(value=value):
            body.returns.append(statement)
            call = outer_call(value)
        case cst.Break():
            body.breaks = True
            return
        case cst.Expr(value=value):
            call = outer_call(value)
        case cst.Assign(targets=targets, value=value):
            call = outer_call(value)
            for target in targets:
                _read_target(ctx, target.target, value, body)
        case cst.AnnAssign(target=target, value=value) if value is not None:
            call = outer_call(value)
            _read_target(ctx, target, value, body)
        case cst.AugAssign(target=target, value=value):
            _read_target(ctx, target, value, body)
    if call is not None:
        _read_call(ctx, call, body, bound)


def _read_target(
    ctx: FileContext, target: cst.BaseExpression, value: cst.BaseExpression, body: HandlerBody
) -> None:
    if isinstance(target, cst.Name):
        body.assigns = True
        return
    if not isinstance(target, cst.Attribute | cst.Subscript):
        return
    name = target.attr.value if isinstance(target, cst.Attribute) else ctx.code(target.slice[0])
    if _FAILURE_ATTRIBUTE.search(name) or (
        _STATE_ATTRIBUTE.search(name) and _FAILURE_VALUE.search(ctx.code(value))
    ):
        body.failure_attributes = True


def dotted(node: cst.BaseExpression) -> str:
    """``a.b.c`` for a chain of names, with ``()`` for calls in it (``x.objects.filter().update``)."""
    match node:
        case cst.Name(value=value):
            return value
        case cst.Attribute(value=inner, attr=attr):
            return f"{dotted(inner)}.{attr.value}"
        case cst.Call(func=func):
            return f"{dotted(func)}()"
        case cst.Subscript(value=inner):
            return f"{dotted(inner)}[]"
    return "?"


def _read_call(ctx: FileContext, call: cst.Call, body: HandlerBody, bound: str | None) -> None:
    name = dotted(call.func)
    last = name.rsplit(".", 1)[-1].lower()
    code = " ".join(ctx.code(call).split())
    if any(f"{part}(" in code for part in _TRACEBACK_CALLS):
        body.traceback_kept = True
    log = log_call(ctx, call)
    if log is not None:
        body.logs.append(log)
        return
    if any(word in last for word in _RETRY_WORDS):
        body.retries = body.retries or code
        return
    if last in _ENQUEUES:
        body.hands_off = body.hands_off or code
        return
    if (
        bound is not None
        and name != "print"
        and any(
            (isinstance(arg.value, cst.Name) and arg.value.value == bound)
            or (
                isinstance(arg.value, cst.Tuple | cst.List | cst.Dict)
                and _mentions(ctx, arg.value, bound)
            )
            for arg in call.args
        )
    ):
        # The exception object itself goes somewhere (`responses.append((receiver, err))`,
        # `report(err)`): whatever receives it may record it; not a swallow.
        body.hands_off = body.hands_off or code
        return
    if last in _SAVES:
        body.saves = True
    if last == "update_state":
        body.update_state = True  # Celery: overwritten by SUCCESS when the task returns
        return
    if _records(ctx, call, name, last, bound):
        body.records = body.records or code
        squashed = last.replace("_", "")
        body.tracked = body.tracked or squashed in _TRACKERS or "sentry" in name.lower()


def _records(ctx: FileContext, call: cst.Call, name: str, last: str, bound: str | None) -> bool:
    if last.replace("_", "") in _TRACKERS or last in ("mail_admins", "notify_admins"):
        return True
    if any(word in last for word in _RECORD_WORDS):
        return True
    lowered = name.lower()
    if last in _WRITES and any(word in lowered for word in ("fail", "dead", "error", "dlq")):
        return True
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in ("status", "state"):
            if _FAILURE_VALUE.search(ctx.code(arg.value)):
                return True
        elif last in _WRITES or "status" in last or "state" in last:
            code = ctx.code(arg.value)
            if code != bound and _FAILURE_VALUE.search(code):
                return True
    return False


def log_call(ctx: FileContext, call: cst.Call) -> LogCall | None:
    """The call as a log call (``log.error(...)``, ``logging.warning(...)``,
    ``self.logger.info(...)``), or None."""
    func = call.func
    helper = _log_helper(func)
    if helper is not None:
        # `log_exception(e, warning=True)`: a keyword named for a level switches to it.
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword in LOG_LEVELS and ctx.code(arg.value) == "True":
                helper = keyword
        return LogCall(call, helper, helper == "exception", False, False, helper=True)
    if not isinstance(func, cst.Attribute):
        return None
    level = func.attr.value
    if level not in LOG_LEVELS:
        return None
    receiver = func.value
    qualified = ctx.qualify(receiver) or ""
    match receiver:
        case cst.Name(value=value) | cst.Attribute(attr=cst.Name(value=value)):
            lowered = value.lower()
            if not (lowered in _LOGGER_NAMES or lowered.endswith(("logger", "_log"))):
                return None
        case cst.Call(func=inner) if dotted(inner).endswith(("getLogger", "get_logger")):
            pass
        case _:
            return None
    if level == "log":
        if not call.args:
            return None
        level = _numeric_level(ctx.code(call.args[0].value))
    keywords = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
    exc_info = keywords.get("exc_info")
    switched_off = isinstance(exc_info, cst.Name) and exc_info.value in ("False", "None")
    traceback = level == "exception" or (exc_info is not None and not switched_off)
    return LogCall(
        node=call,
        level=level,
        traceback=traceback,
        explicit_exc_info=exc_info is not None,
        loguru=qualified.startswith("loguru"),
    )


def _log_helper(func: cst.BaseExpression) -> str | None:
    """The level of a project's own logging helper (``log_exception(e)``, ``log_error(...)``),
    or None. ``log_exception`` / ``log_exc`` keep the traceback, as their names promise."""
    name = func.value if isinstance(func, cst.Name) else None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        name = func.attr.value
    if name is None or not name.lower().startswith("log_"):
        return None
    level = name.lower().removeprefix("log_")
    if level in ("exception", "exc", "traceback"):
        return "exception"
    return level if level in LOG_LEVELS else None


def _numeric_level(code: str) -> str:
    for level in ("CRITICAL", "FATAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG"):
        if level in code.upper():
            return level.lower()
    return "log"


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _mentions(ctx: FileContext, node: cst.BaseExpression, name: str) -> bool:
    """Whether ``name`` appears in the expression as a word (``e``, ``str(e)``, ``f"{e}"``)."""
    return mentions(ctx.code(node), name)


def mentions(code: str, name: str) -> bool:
    return name in _WORD.findall(code)


def returns_failure(ctx: FileContext, node: cst.Return, bound: str | None) -> bool:
    """Whether a ``return`` hands the failure to the caller: ``False``, the exception, or a
    value that says it failed (``{"status": "error"}``, ``Result.FAILED``)."""
    value = node.value
    if value is None:
        return False
    if isinstance(value, cst.Name) and value.value in ("False",):
        return True
    code = ctx.code(value)
    if bound is not None and _mentions(ctx, value, bound):
        return True
    return bool(_FAILURE_VALUE.search(code))


def returns_nothing(node: cst.Return) -> bool:
    return node.value is None or (isinstance(node.value, cst.Name) and node.value.value == "None")


def except_keyword(ctx: FileContext, handler: cst.ExceptHandler) -> Span:
    """The ``except`` keyword of a clause: where a finding about the clause points when the
    clause names no exception."""
    start = ctx.span(handler)
    return Span(start.line, start.column, start.line, start.column + len("except"))


def clause_location(ctx: FileContext, handler: cst.ExceptHandler) -> Span:
    """What a finding about a handler underlines: the caught types, else ``except``."""
    return ctx.span(handler.type) if handler.type is not None else except_keyword(ctx, handler)


@dataclass
class FunctionShape:
    """Where the statements of one function sit, read once and only for a function whose
    handlers need it: the statements after which it returns, the ``try`` statements in the body
    of a ``for`` (and of any loop), and its ``return <value>`` statements (nested functions
    are theirs, not its)."""

    tails: set[int] = field(default_factory=set)
    in_for: set[int] = field(default_factory=set)
    in_loop: set[int] = field(default_factory=set)
    value_returns: set[int] = field(default_factory=set)


def function_shape(node: cst.FunctionDef) -> FunctionShape:
    shape = FunctionShape()
    _mark_tails(node.body, shape.tails)
    _scan_block(node.body, shape, loop=None)
    return shape


def _mark_tails(block: cst.BaseSuite, tails: set[int]) -> None:
    """The function's last statement, and the last ones of the blocks it holds (``with``,
    ``if``/``else``, ``try``)."""
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return
    last = block.body[-1]
    tails.add(id(last))
    match last:
        case cst.With(body=inner) | cst.Try(body=inner):
            _mark_tails(inner, tails)
        case cst.If():
            for branch in _branches(last):
                _mark_tails(branch, tails)


def _branches(node: cst.If) -> Iterator[cst.BaseSuite]:
    branch: cst.If | cst.Else | None = node
    while isinstance(branch, cst.If):
        yield branch.body
        branch = branch.orelse
    if isinstance(branch, cst.Else):
        yield branch.body


def _scan_block(block: cst.BaseSuite, shape: FunctionShape, loop: str | None) -> None:
    """Record tries by the loop they are directly in (``loop``: "for", "while" or None), and
    value returns, through nested blocks but not nested functions or classes."""
    if isinstance(block, cst.SimpleStatementSuite):
        _scan_small(block.body, shape)
        return
    for statement in block.body:
        match statement:
            case cst.SimpleStatementLine(body=body):
                _scan_small(body, shape)
            case cst.Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody):
                if loop is not None:
                    shape.in_loop.add(id(statement))
                    if loop == "for":
                        shape.in_for.add(id(statement))
                _scan_block(body, shape, loop)
                for handler in handlers:
                    _scan_block(handler.body, shape, loop)
                for extra in (orelse, finalbody):
                    if extra is not None:
                        _scan_block(extra.body, shape, loop)
            case cst.For(body=body, orelse=orelse):
                _scan_block(body, shape, "for")
                if orelse is not None:
                    _scan_block(orelse.body, shape, loop)
            case cst.While(body=body, orelse=orelse):
                _scan_block(body, shape, "while")
                if orelse is not None:
                    _scan_block(orelse.body, shape, loop)
            case cst.With(body=body):
                _scan_block(body, shape, loop)
            case cst.If():
                for branch in _branches(statement):
                    _scan_block(branch, shape, loop)
            case cst.Match(cases=cases):
                for case in cases:
                    _scan_block(case.body, shape, loop)


def _scan_small(body: Sequence[cst.BaseSmallStatement], shape: FunctionShape) -> None:
    for small in body:
        if isinstance(small, cst.Return) and not returns_nothing(small):
            shape.value_returns.add(id(small))
