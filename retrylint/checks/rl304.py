"""RL304 retry-on-permanent-error: the retried exceptions include ones that will not go away.

Project phase: every retrying policy whose retried exceptions are listed (a policy retrying
everything is RL303's) is matched against the permanent-error catalogue
(``rules/permanent_errors.yaml`` plus ``extra-permanent-errors`` packs): exact names, suffixes
(``*.DoesNotExist``), and, for exceptions the project defines, words of their names
(``InvalidPayload``). A name the policy also excludes (``dont_autoretry_for``, ``throws=``) is
not retried and not reported.

HTTP status errors (``requests.HTTPError``, ``httpx.HTTPStatusError``): ``raise_for_status()``
raises them for 4xx answers as well as 5xx, so retrying the class retries a 404 or a 401 too.
A decorator list cannot filter on the status, so there they are reported here; a retry from an
``except`` clause may test the status first (``if exc.response.status_code < 500: raise``), and
is judged where that code can be read, by this rule's per-file check: an ``except`` for an HTTP
status error in job code that retries (``self.retry``, a framework retry exception, or a loop
that goes round again) with no ``if`` in the handler about the exception or a status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst

from retrylint.checks import Project, job_code_finding
from retrylint.checks.handlers import (
    ReportingCheck,
    analyse,
    caught_names,
    clause_location,
    exception_name,
    function_shape,
    mentions,
)
from retrylint.checks.permanent import permanent_errors
from retrylint.checks.policy import JudgedPolicy, retrying_policies
from retrylint.checks.rl303 import retries_everything
from retrylint.context import FileContext
from retrylint.findings import Finding
from retrylint.model import RetryPolicy

HTTP_STATUS_ERRORS = frozenset(
    {
        "requests.HTTPError",
        "requests.exceptions.HTTPError",
        "httpx.HTTPStatusError",
        "aiohttp.ClientResponseError",
        "urllib.error.HTTPError",
    }
)
_STATUS_WORDS = ("status", "code", "response")
_RETRY_SIGNAL_NAMES = frozenset({"Retry", "RetryTask", "TryAgain"})


def check_project(project: Project) -> Iterator[Finding]:
    catalogue = permanent_errors(project.config.permanent_error_packs)
    for judged in retrying_policies(project):
        policy = judged.policy
        retry_on = policy.retry_on.value
        if policy.retries.value is False or not isinstance(retry_on, tuple):
            continue
        if retries_everything(retry_on):
            continue
        excluded = set(policy.permanent.value or ())
        reasons: list[str] = []
        for name in retry_on:
            if name in excluded:
                continue
            http = catalogue.http(name)
            if http is not None:
                if not _from_handler(judged):
                    reasons.append(f"`{name}` ({http}, so a 404 or a 401 is retried too)")
                continue
            why = catalogue.why(name, project.index.split(name) is not None)
            if why is not None:
                reasons.append(f"`{name}` ({why})")
        if not reasons:
            continue
        path, span = judged.location(policy.retry_on)
        yield from judged.report(
            project,
            "RL304",
            f"{judged.subject} retries {_join(reasons)}: {_cost(policy, len(reasons))}",
            path,
            span,
        )


def _from_handler(judged: JudgedPolicy) -> bool:
    """Whether the retried set comes from an ``except`` clause (which the per-file check
    reads, status tests included) rather than a decorator's list."""
    origin = judged.policy.retry_on.origin
    return judged.job.framework in ("loop", "arq") or origin.startswith("except")


def _cost(policy: RetryPolicy, count: int) -> str:
    subject = "each of them" if count > 1 else "it"
    attempts = policy.max_attempts.value
    if isinstance(attempts, int):
        return f"{subject} fails {attempts} times before the job gives up and anyone hears of it"
    return f"{subject} is retried until the attempts run out, and the report waits for the last"


def _join(reasons: list[str]) -> str:
    if len(reasons) == 1:
        return reasons[0]
    return ", ".join(reasons[:-1]) + " and " + reasons[-1]


class FileCheck(ReportingCheck):
    """HTTP status errors retried from an ``except`` clause with no status test."""

    def handlers(self) -> dict[type, Callable[[cst.Try, FileContext], None]]:
        return {cst.Try: self.on_try}

    def on_try(self, node: cst.Try, ctx: FileContext) -> None:
        if not ctx.enclosing:
            return
        for handler in node.handlers:
            names = [n for n in caught_names(ctx, handler) or () if n in HTTP_STATUS_ERRORS]
            if not names or _tests_status(ctx, handler):
                continue
            body = analyse(ctx, handler)
            retried = body.retries is not None or _raises_signal(ctx, handler)
            if not retried and not (body.raises or body.returns or body.breaks):
                # A handler that goes round a loop again is a retry loop's.
                retried = id(node) in function_shape(ctx.enclosing[-1].node).in_loop
            if retried:
                self._report(ctx, handler, names[0])

    def _report(self, ctx: FileContext, handler: cst.ExceptHandler, name: str) -> None:
        message = (
            f"`except {name}` retries every HTTP error status: raise_for_status() raises "
            f"`{name}` for 4xx answers as well as 5xx, so a 404, 401 or 422 is retried "
            "until the attempts run out; retry only 429 and 5xx (test "
            "`exc.response.status_code` and re-raise the rest)"
        )
        self.add(job_code_finding("RL304", message, ctx, clause_location(ctx, handler)))


def _tests_status(ctx: FileContext, handler: cst.ExceptHandler) -> bool:
    """An ``if`` in the handler about the exception or a status: the retry is filtered."""
    bound = exception_name(handler)
    block = handler.body
    if not isinstance(block, cst.IndentedBlock):
        return False
    for statement in block.body:
        if isinstance(statement, cst.If):
            test = ctx.code(statement.test)
            if (bound is not None and mentions(test, bound)) or any(
                w in test for w in _STATUS_WORDS
            ):
                return True
    return False


def _raises_signal(ctx: FileContext, handler: cst.ExceptHandler) -> bool:
    block = handler.body
    statements = block.body if isinstance(block, cst.IndentedBlock) else ()
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Raise) and small.exc is not None:
                target = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
                name = (ctx.qualify(target) or "").rsplit(".", 1)[-1]
                if name in _RETRY_SIGNAL_NAMES:
                    return True
    return False
