"""RL303 retry-on-any-exception: a retry policy whose retried exceptions are all of them.

Judged on every retrying policy of the job model (``retrying_policies``): retried exceptions
``"all"`` (tenacity without ``retry=``, bare ``@retrying.retry``, Dramatiq's Retries middleware,
the taskiq retry middleware's default, a loop's broad handler), or a list naming ``Exception`` /
``BaseException`` (``autoretry_for=(Exception,)``, ``backoff.on_exception(..., Exception)``,
``except Exception: raise self.retry(...)``, arq ``raise Retry`` in ``except Exception``).

Not reported:

- a policy that excludes some errors (``throws=``, ``dont_autoretry_for``, tenacity
  ``retry_if_not_exception_type``, a loop's ``except BadRequest: raise`` before the broad
  handler): its author has said which errors are permanent;
- RQ and Huey: they retry every exception and offer no way to choose (the job catches what it
  must not retry);
- a policy that retries no more than once: nothing to burn.

Dramatiq actors that rely on the broker for their retries are one finding at the broker (its
``Retries`` middleware when configured there, else the broker's definition) naming them all;
an actor that sets its own ``max_retries`` or ``retry_when`` is reported at that option, where
``throws=`` belongs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy, retrying_policies
from retrylint.findings import Finding
from retrylint.frameworks.loops.shapes import BROAD_EXCEPTIONS
from retrylint.model import UNBOUNDED, Sourced, Span

# Frameworks that retry every exception and have no option to say otherwise.
NO_CHOICE = frozenset({"rq", "huey"})
# At most this many attempts is a retry too short to burn anything worth a finding.
LOW_ATTEMPTS = 3


def retries_everything(retry_on: object) -> bool:
    return retry_on == "all" or (
        isinstance(retry_on, tuple) and bool(set(retry_on) & BROAD_EXCEPTIONS)
    )


def check_project(project: Project) -> Iterator[Finding]:
    for judged in retrying_policies(project):
        policy = judged.policy
        if judged.job.framework in NO_CHOICE or policy.retries.value is not True:
            continue
        if not retries_everything(policy.retry_on.value) or policy.permanent.value:
            continue
        attempts = policy.max_attempts.value
        if isinstance(attempts, int) and attempts <= 2:
            continue
        path, span, at_broker = _location(project, judged)
        subject = judged.subject
        if at_broker:
            subject = "Dramatiq actors relying on this broker's retries"
        message = (
            f"{subject} retr{'y' if at_broker else 'ies'} every exception "
            f"({policy.retry_on.describe()}): bad input, a missing row or revoked credentials "
            f"fail the same way {_cost(attempts)}"
        )
        severity = "low" if isinstance(attempts, int) and attempts <= LOW_ATTEMPTS else None
        yield from judged.report(project, "RL303", message, path, span, severity=severity)


def _cost(attempts: object) -> str:
    if isinstance(attempts, int):
        return f"on all {attempts} attempts, and the failure is reported only after the last"
    if attempts is UNBOUNDED:
        return "on every attempt, forever"
    return "on every attempt before the failure is reported"


def _location(project: Project, judged: JudgedPolicy) -> tuple[str, Span, bool]:
    """(path, span, at the broker) of the node that decided to retry everything."""
    policy, job = judged.policy, judged.job
    if job.framework != "dramatiq" or policy.retry_on.source != "default":
        return (*judged.location(policy.retry_on), False)
    when: Any = job.detail("retry_when")
    if when is not None and getattr(when, "span", None) is not None:
        return job.path, when.span, False
    attempts: Sourced[Any] = policy.max_attempts
    if attempts.source == "explicit" and attempts.span is not None:
        return (*judged.location(attempts), False)
    if attempts.source == "app-config" and attempts.span is not None:
        return (*judged.location(attempts), True)
    broker = job.detail("broker")
    if isinstance(broker, str):
        found = project.index.object(broker)
        if found is not None:
            module, fact = found
            return module.path, fact.span, True
    return job.path, job.span, False
