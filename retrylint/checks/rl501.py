"""RL501 secret-in-job-payload: a secret-looking value is sent as a job argument.

Call sites: every invocation the job model links to a job (``.delay``, ``.apply_async(args=,
kwargs=)``, ``.s`` / ``.si`` / ``signature``, ``send_task``, ``enqueue*``, ``.send`` /
``.send_with_options``, Huey calls and ``.schedule``, arq ``enqueue_job``, taskiq ``.kiq``),
looking only at the arguments that travel as the payload (not ``countdown=`` or RQ's
``job_timeout=``). Definition side: a job function with a parameter named like a secret, which
every caller has to fill with the secret itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from retrylint.checks import Project, make_finding
from retrylint.context import FileContext
from retrylint.findings import Finding
from retrylint.model import CallSite, Job, Span
from retrylint.reach import QUEUE_FRAMEWORKS
from retrylint.secrets.names import CATEGORIES
from retrylint.secrets.scan import Clue, SecretArgument, SecretCall, SecretParameter, scan_of
from retrylint.secrets.wording import CELERY_REPR, PAYLOAD_STORE, SEVERITY, job_kind, what

CODE = "RL501"
KEY = "rl501"
ADVICE = "pass an id and load the secret inside the job"
# Methods whose payload is given as args= / kwargs= (and these positions); their other
# arguments are options (countdown=, queue=, delay=).
_PAYLOAD_POSITIONS: dict[str, frozenset[int]] = {
    "apply_async": frozenset({0, 1}),
    "signature": frozenset({0, 1}),
    "subtask": frozenset({0, 1}),
    "send_task": frozenset({1, 2}),
    "enqueue_call": frozenset({1, 2}),
    "schedule": frozenset({0, 1}),
    "send_with_options": frozenset(),
    "message_with_options": frozenset(),
}
# Keywords that travel with the message besides args/kwargs: Celery headers, RQ meta.
_PAYLOAD_KEYWORDS = frozenset({"args", "kwargs", "headers", "meta"})
# Methods whose first arguments name the job, not its payload.
_JOB_POSITION = {"enqueue": 0, "enqueue_in": 1, "enqueue_at": 1, "enqueue_job": 0}
# RQ's own keywords of enqueue / enqueue_in / enqueue_at (frameworks.md 2.2); the rest go to f.
_RQ_OPTIONS = frozenset(
    {"job_timeout", "description", "result_ttl", "ttl", "failure_ttl", "depends_on", "job_id",
     "at_front", "retry", "repeat", "on_success", "on_failure", "on_stopped", "rate_limit",
     "webhooks", "pipeline", "unique", "f", "func"}
)  # fmt: skip
# A class-based job's body: Celery Task.run, Dramatiq GenericActor.perform.
_BODY_METHODS = ("run", "perform", "__call__")


class FileCheck:
    """Records, per file, the calls with secret arguments and the secret-named parameters."""

    def handlers(self) -> dict[type, Callable[[Any, FileContext], None]]:
        return {}

    def findings(self, ctx: FileContext) -> Iterable[Finding]:
        return ()

    def facts(self, ctx: FileContext) -> Iterable[tuple[str, Any]]:
        scan = scan_of(ctx)
        if scan.secret_calls or scan.secret_parameters:
            yield KEY, (scan.secret_calls, scan.secret_parameters)


def check_project(project: Project) -> Iterator[Finding]:
    calls: dict[str, dict[Span, SecretCall]] = {}
    parameters: dict[str, tuple[SecretParameter, ...]] = {}
    for module in project.index:
        data = dict(module.facts.data).get(KEY)
        if data is not None:
            calls[module.path] = {call.span: call for call in data[0]}
            parameters[module.path] = data[1]
    for job in project.jobs:
        if job.framework not in QUEUE_FRAMEWORKS:
            continue
        yield from _definition(job, parameters.get(job.path, ()))
        for site in job.call_sites:
            call = calls.get(site.path, {}).get(site.span)
            if call is not None:
                yield from _call_site(job, site, call)


def _definition(job: Job, parameters: tuple[SecretParameter, ...]) -> Iterator[Finding]:
    if job.function is None:
        return
    bodies = {job.function, *(f"{job.function}.{method}" for method in _BODY_METHODS)}
    for parameter in parameters:
        if parameter.function not in bodies:
            continue
        clue = parameter.clue
        message = (
            f"{job_kind(job.framework, job.kind)} `{job.qualname}` takes {clue.text}, "
            f"{what(clue.category, clue.phrase)}, as a parameter: every caller puts it in the "
            f"payload, where {_store(job)}; {ADVICE}"
        )
        yield make_finding(
            CODE,
            message,
            job.path,
            parameter.span,
            severity=SEVERITY[clue.category],
            job=job.qualname,
        )


def _call_site(job: Job, site: CallSite, call: SecretCall) -> Iterator[Finding]:
    for argument in call.arguments:
        if not _in_payload(site.method, argument):
            continue
        clue = _strongest(argument.clues)
        message = (
            f"{clue.text}, {what(clue.category, clue.phrase)}, is sent in the payload of "
            f"{job_kind(job.framework, job.kind)} `{job.qualname}` ({_how(job, site)}): "
            f"{_store(job)}; {ADVICE}"
        )
        yield make_finding(
            CODE,
            message,
            site.path,
            argument.span,
            severity=SEVERITY[clue.category],
            job=job.qualname,
        )


def _in_payload(method: str, argument: SecretArgument) -> bool:
    """Whether an argument of a ``method`` call travels as the job's payload."""
    keyword = argument.keyword
    if method in _PAYLOAD_POSITIONS:
        if keyword is None:
            return argument.position in _PAYLOAD_POSITIONS[method]
        return keyword in _PAYLOAD_KEYWORDS
    if method in _JOB_POSITION and keyword is None:
        return argument.position != _JOB_POSITION[method]
    if method == "enqueue_job" and keyword is not None:
        return not keyword.startswith("_")
    if method in ("enqueue", "enqueue_in", "enqueue_at") and keyword is not None:
        return keyword not in _RQ_OPTIONS
    return True


def _how(job: Job, site: CallSite) -> str:
    """``.delay(...)``; for a Huey task called directly, the call itself."""
    if site.method == "call":
        return f"`{job.name}(...)` enqueues it"
    return f"`.{site.method}(...)`"


def _strongest(clues: tuple[Clue, ...]) -> Clue:
    return min(clues, key=lambda clue: CATEGORIES.index(clue.category))


def _store(job: Job) -> str:
    store = PAYLOAD_STORE.get(job.framework, "the broker keeps it in plain text")
    return store + (CELERY_REPR if job.framework == "celery" else "")
