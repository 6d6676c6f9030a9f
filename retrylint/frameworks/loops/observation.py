"""What a loop watches: a failing operation outside the process, or a local condition.

A retry loop needs a failing operation -- a call under ``try`` whose handler goes round again
(``shapes``), or a checked result of a remote call. A poll qualifies only when what it tests
comes from outside the process:

- a call in a test that is not a local check (``client.export_status(id)``,
  ``await api.is_ready(id)``, ``AsyncResult(id).ready()``);
- a name the body assigns from such a call (``state = client.status(id)["state"]``);
- an object the body refreshes from its source (``job.refresh()``; ``job.is_finished``).

A wait on a local condition is not a retry: a thread's event (``stop.is_set()``), a queue's
size (``pool.qsize() > n``: backpressure on an in-process pool), a flag another thread sets
(``self.closed``), a file on the local disk (``os.path.exists``), the clock. Neither is a
keep-alive that sleeps and checks its own flag (``while True: sleep(15); if self.closed:
break``): no failing operation, nothing a policy could bound or back off from.

A checked result names the failure it retries when it tests an HTTP status: ``status_code ==
429``, ``in (502, 503)``, ``>= 500``, ``not response.ok``. Such a loop retries a failing
dependency, like a handler for its exception, and its "exceptions" are those statuses
(``HTTP 429 TooManyRequests``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from http import HTTPStatus

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.loops.evaluator import is_num
from retrylint.frameworks.loops.shapes import SLEEP_FUNCTIONS, is_log_call
from retrylint.frameworks.loops.syntax import (
    dotted_name,
    name_of,
    refs,
    target_names,
    walk_all,
)

# Methods that check something inside the process: threads, events, locks, queues, futures.
LOCAL_METHODS = frozenset(
    {
        "is_set",
        "is_alive",
        "isAlive",
        "qsize",
        "full",
        "empty",
        "locked",
        "done",
        "cancelled",
        "running",
        "is_running",
        "is_disconnected",
        "is_closed",
        "is_closing",
        "poll",  # subprocess.Popen.poll: a child process of ours
    }
)
LOCAL_PREFIXES = (
    "os.",
    "threading.",
    "multiprocessing.",
    "psutil.",
    "time.",
    "datetime.",
    "signal.",
    "sys.",
    "pathlib.",
)
LOCAL_FUNCTIONS = frozenset(
    {
        "len",
        "any",
        "all",
        "bool",
        "int",
        "float",
        "str",
        "min",
        "max",
        "sum",
        "abs",
        "round",
        "isinstance",
        "getattr",
        "hasattr",
    }
)
# Statuses a checked result retries on: timeouts, throttling, conflicts, server errors.
FAILURE_STATUSES = frozenset({408, 409, 425, 429, *range(500, 600)})
NOT_FOUND = 404
_STATUS_ATTRIBUTES = frozenset({"status_code", "status", "code", "status_int"})


def is_local_call(ctx: FileContext, call: cst.Call) -> bool:
    qualified = ctx.qualify(call.func) or dotted_name(call.func)
    last = qualified.rsplit(".", 1)[-1]
    return (
        qualified in LOCAL_FUNCTIONS
        or qualified.startswith(LOCAL_PREFIXES)
        or qualified in SLEEP_FUNCTIONS
        or last in LOCAL_METHODS
        or is_log_call(ctx, call)
    )


def _remote_calls(ctx: FileContext, nodes: Iterable[cst.CSTNode]) -> list[cst.Call]:
    return [
        node
        for node in walk_all(nodes, into_loops=True)
        if isinstance(node, cst.Call) and not is_local_call(ctx, node)
    ]


def observes_the_outside(
    ctx: FileContext, loop: cst.While | cst.For, body: Sequence[cst.CSTNode]
) -> bool:
    """Whether a poll's tests depend on something outside the process (module docstring)."""
    observed: set[str] = set()
    walked = walk_all(body)
    changed = True
    while changed:  # names assigned from a remote call, or from such names
        changed = False
        for node in walked:
            if not isinstance(node, cst.Assign | cst.AnnAssign | cst.NamedExpr):
                continue
            value = node.value
            if value is None or not (_remote_calls(ctx, [value]) or refs(value) & observed):
                continue
            names = (
                [n for n in [name_of(node.target)] if n]
                if isinstance(node, cst.NamedExpr)
                else target_names(node)
            )
            if set(names) - observed:
                observed.update(names)
                changed = True
    for node in walked:  # job.refresh(): the object now holds its source's state
        if isinstance(node, cst.Expr):
            inner = node.value.expression if isinstance(node.value, cst.Await) else node.value
            if (
                isinstance(inner, cst.Call)
                and isinstance(inner.func, cst.Attribute)
                and not is_local_call(ctx, inner)
            ):
                observed.add(dotted_name(inner.func.value))
    tests: list[cst.BaseExpression] = [n.test for n in walked if isinstance(n, cst.If)]
    if isinstance(loop, cst.While):
        tests.append(loop.test)
    return any(_remote_calls(ctx, [test]) or _reads_observed(test, observed) for test in tests)


def _reads_observed(test: cst.BaseExpression, observed: set[str]) -> bool:
    """``job.is_finished`` reads ``job``; ``state`` reads ``state``."""
    for ref in refs(test):
        parts = ref.split(".")
        if any(".".join(parts[: i + 1]) in observed for i in range(len(parts))):
            return True
    return False


# -- failure statuses ---------------------------------------------------------------------------
def failure_statuses(
    ctx: FileContext, tests: Iterable[cst.BaseExpression]
) -> tuple[tuple[str, ...], cst.BaseExpression | None]:
    """The HTTP failure statuses the tests check a response for, named for ``retry_on``, and
    the first test that checks one."""
    found: list[str] = []
    first: cst.BaseExpression | None = None
    for test in tests:
        for node in walk_all([test], into_loops=True):
            for name in _statuses(ctx, node):
                first = first or test
                if name not in found:
                    found.append(name)
    return tuple(found), first


def missing_statuses(ctx: FileContext, tests: Iterable[cst.BaseExpression]) -> tuple[str, ...]:
    """``HTTP 404 NotFound`` when a test asks whether an answer's status is 404 (``exc.status_code
    == 404``, ``in (404,)``): a retry under it waits for something to exist, not for a recovery."""
    for test in tests:
        for node in walk_all([test], into_loops=True):
            if not isinstance(node, cst.Comparison) or not _is_status(node.left):
                continue
            for target in node.comparisons:
                if not isinstance(target.operator, cst.Equal | cst.In):
                    continue
                value = ctx.evaluate(target.comparator)
                if NOT_FOUND in (value if isinstance(value, tuple) else (value,)):
                    return (_status_name(NOT_FOUND),)
    return ()


def _statuses(ctx: FileContext, node: cst.CSTNode) -> list[str]:
    if isinstance(node, cst.Attribute) and node.attr.value == "ok":
        return ["HTTPError (response not ok)"]
    if not isinstance(node, cst.Comparison) or not _is_status(node.left):
        return []
    names: list[str] = []
    for target in node.comparisons:
        value = ctx.evaluate(target.comparator)
        codes = value if isinstance(value, tuple) else (value,)
        if isinstance(target.operator, cst.GreaterThan | cst.GreaterThanEqual):
            if len(codes) == 1 and is_num(codes[0]):
                lowest = codes[0] + isinstance(target.operator, cst.GreaterThan)  # type: ignore[operator]
                if 500 <= lowest <= 599:
                    names.append("HTTP 5xx ServerError")
                elif 400 <= lowest <= 499:
                    names.append("HTTPError (status >= 400)")
            continue
        names.extend(_status_name(code) for code in codes if code in FAILURE_STATUSES)
    return names


def _is_status(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value in _STATUS_ATTRIBUTES


def _status_name(code: object) -> str:
    """``HTTP 429 TooManyRequests``: the phrase says what kind of failure it is."""
    try:
        phrase = HTTPStatus(code).phrase  # type: ignore[arg-type]
    except ValueError:
        phrase = "Server Error"
    return f"HTTP {code} {phrase.replace(' ', '').replace('-', '')}"
