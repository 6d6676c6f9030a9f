"""RL302 swallowed-job-failure: a handler in job code that turns the failure into a normal end.

Reported: a broad handler (bare, ``Exception``, ``BaseException``) that neither re-raises, nor
retries, nor records the failure (see ``checks.handlers``), nor hands the work to another job,
and after which the function ends normally: it returns, or the ``try`` is the function's last
statement. Two traps are reported too: ``self.update_state(state="FAILURE")`` then a normal
return (Celery overwrites it with SUCCESS), and ``log.exception(...)`` then ``return "OK"``.

Decided, from real code:

- **Where the failure goes matters.** A handler that returns a failure value (``False``, the
  exception, ``{"status": "error"}``), or any value from a function that returns values on its
  other paths (``None`` as a sentinel, ``[]`` as a fallback the caller works with), hands the
  failure to its caller: reported only where the function is a job's own body (the framework
  sees a success). A procedure that returns nothing either way is reported wherever a job
  reaches it.
- **Side steps and fallbacks are not swallows.** A handler that binds a fallback value
  (``payload = {}``, a placeholder page for an unreadable attachment), or falls through into
  more code of the function (a best-effort cleanup or notification), leaves the job doing its
  work: only a handler after which the function ends is the job's failure.
- **Per-item isolation** (``per-item-isolation``, default on): a handler in a ``for`` loop that
  logs with the traceback (or records) and goes on to the next item keeps one bad item from
  failing the batch; not reported. Without the traceback, or with the option off, it is.
- **Best-effort bookkeeping is left alone.** Code in a module whose path says it is telemetry,
  metrics, analytics, tracking or a cache (``observability/utils.py``,
  ``event_tracking_task.py``) swallows on purpose so that its failure never becomes the job's.
- **Narrow handlers for a whole client** (``requests.RequestException``, ``httpx.HTTPError``,
  ``smtplib.SMTPException`` ...: every failure of that client) count as broad, but only in a
  job's own body, where the client call is the job's one real operation. A ``try`` with both is
  one finding, at the broad handler.

Severity: high when nothing a person reads is left (nothing, ``pass``, a debug or info line,
a line without the traceback); medium when the failure is logged at warning level or above with
its traceback (an error tracker's logging integration sees it, but the job still succeeds and
is never retried).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from retrylint.checks import job_code_finding
from retrylint.checks.handlers import (
    READ_LEVELS,
    FunctionShape,
    HandlerBody,
    analyse,
    caught_names,
    clause_location,
    describe_handler,
    exception_name,
    function_shape,
    is_broad,
    returns_failure,
)
from retrylint.config import Config
from retrylint.context import FileContext, FunctionInfo
from retrylint.findings import Finding

# Base classes of every failure of one client library: a handler for one of them swallows all
# the client's errors (connection, timeout, every HTTP status), as ``except Exception`` would.
CLIENT_BASE_ERRORS = frozenset(
    {
        "requests.RequestException",
        "requests.exceptions.RequestException",
        "httpx.HTTPError",
        "httpx.RequestError",
        "aiohttp.ClientError",
        "urllib.error.URLError",
        "smtplib.SMTPException",
        "botocore.exceptions.ClientError",
        "botocore.exceptions.BotoCoreError",
        "stripe.error.StripeError",
        "stripe.StripeError",
    }
)


# Words in a module's path that mark best-effort bookkeeping around a job
# (telemetry, metrics, analytics, caches): a failure there is not the job's failure, and the
# code swallows it on purpose so that it never becomes one.
BEST_EFFORT_WORDS = (
    "observability",
    "telemetry",
    "metrics",
    "analytics",
    "tracking",
    "instrumentation",
    "monitoring",
    "statsd",
    "prometheus",
    "posthog",
    "cache",
)


@dataclass
class _Candidate:
    function: FunctionInfo
    try_node: cst.Try
    handler: cst.ExceptHandler
    body: HandlerBody
    narrow: bool


class FileCheck:
    def __init__(self, per_item_isolation: bool = True) -> None:
        self.per_item_isolation = per_item_isolation
        self.candidates: list[_Candidate] = []

    @classmethod
    def from_config(cls, config: Config) -> FileCheck:
        return cls(config.per_item_isolation)

    def handlers(self) -> dict[type, Callable[[Any, FileContext], None]]:
        return {cst.Try: self.on_try}

    def on_try(self, node: cst.Try, ctx: FileContext) -> None:
        if not ctx.enclosing or _best_effort(ctx.path):
            return
        found: list[_Candidate] = []
        for handler in node.handlers:
            narrow = not is_broad(ctx, handler)
            if narrow and not set(caught_names(ctx, handler) or ()) & CLIENT_BASE_ERRORS:
                continue
            body = analyse(ctx, handler)
            if not body.handled:
                found.append(_Candidate(ctx.enclosing[-1], node, handler, body, narrow))
        # One finding per `try`: its broad handler, else the client-wide one.
        found.sort(key=lambda candidate: candidate.narrow)
        self.candidates.extend(found[:1])

    def findings(self, ctx: FileContext) -> list[Finding]:
        shapes: dict[int, FunctionShape] = {}
        found = []
        for candidate in self.candidates:
            node = candidate.function.node
            shape = shapes.get(id(node)) or shapes.setdefault(id(node), function_shape(node))
            finding = self._judge(ctx, candidate, shape)
            if finding is not None:
                found.append(finding)
        return found

    def _judge(
        self, ctx: FileContext, candidate: _Candidate, shape: FunctionShape
    ) -> Finding | None:
        body, handler = candidate.body, candidate.handler
        bound = exception_name(handler)
        gives_results = bool(shape.value_returns - {id(r) for r in body.returns})
        in_loop = id(candidate.try_node) in shape.in_for
        if body.assigns and not body.returns:
            return None  # a fallback value: the function goes on with it
        if in_loop and not body.returns:
            if self.per_item_isolation and body.traceback_logged:
                return None  # per-item isolation: logged with its traceback, next item
            ending = "and goes on with the next item"
            body_only = candidate.narrow or gives_results
        elif body.returns:
            failure_value = any(returns_failure(ctx, r, bound) for r in body.returns)
            ending = _return_wording(ctx, body)
            body_only = candidate.narrow or failure_value or gives_results
        elif id(candidate.try_node) in shape.tails:
            ending = "and the function ends"
            body_only = candidate.narrow or gives_results
        else:
            return None  # a side step: the function goes on with its work
        loud = any(log.level in READ_LEVELS and log.traceback for log in body.logs)
        what = _what_it_does(body)
        consequence = (
            "the job reports success, is not retried, and no failure hook runs"
            if not body_only
            else "the job's own body turns the failure into a success: no retry, no failure hook"
        )
        caught = f"`{describe_handler(ctx, handler)}`"
        if candidate.narrow:
            caught += " (every failure of that client)"
        message = f"{caught} in `{candidate.function.qualname}` {what} {ending}: {consequence}"
        if loud:
            message += " (it is logged with its traceback, but only a log line is left)"
        return job_code_finding(
            "RL302",
            message,
            ctx,
            clause_location(ctx, handler),
            severity="medium" if loud else "high",
            function=candidate.function.qualname,
            job_body_only=body_only,
        )


def _best_effort(path: str) -> bool:
    """Judged on the module's path only: a function name like ``export_analytics`` is as
    often the product's own work as bookkeeping."""
    lowered = path.lower()
    return any(word in lowered for word in BEST_EFFORT_WORDS)


def _what_it_does(body: HandlerBody) -> str:
    parts = []
    if body.logs:
        log = body.loudest_log()
        assert log is not None
        traceback = "with" if log.traceback else "without"
        parts.append(f"only logs it ({log.level}, {traceback} traceback)")
    if body.failure_attributes and not body.saves:
        parts.append("sets a failure status it never saves")
    if body.update_state:
        parts.append("sets the state to FAILURE, which Celery overwrites with SUCCESS")
    if not parts:
        parts.append("drops it")
    return " and ".join(parts)


def _return_wording(ctx: FileContext, body: HandlerBody) -> str:
    values = [r.value for r in body.returns if r.value is not None]
    if not values:
        return "and returns"
    shown = " ".join(ctx.code(values[0]).split())
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"and returns {shown}"
