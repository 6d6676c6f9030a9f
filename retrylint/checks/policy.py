"""Shared by the retry-policy rules (RL1xx, RL2xx): which policies to judge and where to point.

A job can carry several policies (RQ sets one per enqueue site); each is judged on its own and
reported at the node that decided the value: the keyword in the job's decorator, the app-config
line in another module, the enqueue site, or the job's name when a framework default decided.

Retry constructs that are not jobs themselves (handwritten loops, retry decorators) are judged
with the jobs that reach them: a finding names those jobs and one call path; one that no job
reaches is production code outside any worker, reported a severity step lower (``unreached``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from retrylint.catalog import load_catalog
from retrylint.checks import Project, make_finding
from retrylint.findings import Confidence, Finding, Fix, lower_severity
from retrylint.model import CallSite, Job, RetryPolicy, Sourced, Span
from retrylint.reach import QUEUE_FRAMEWORKS, ReachingJob

# What a finding outside job code says. "Found" on purpose: a call made through a registry or
# dynamic dispatch (``runner = RUNNERS[kind](); runner.run()``) is not followed, so a job may run
# the code all the same (a query runner's poll, a handler's helper).
UNREACHED_NOTE = (
    "; no background job is found to reach this code "
    "(calls through registries and dynamic dispatch are not followed)"
)

# CallSite methods of a job's own retry paths (Job.policies), as opposed to enqueue sites.
RETRY_PATHS = frozenset({"retry", "autoretry"})

FRAMEWORK_LABEL = {
    "celery": "Celery task",
    "rq": "RQ job",
    "dramatiq": "Dramatiq actor",
    "huey": "Huey task",
    "arq": "arq job",
    "taskiq": "taskiq task",
    "tenacity": "tenacity-retried function",
    "backoff": "backoff-retried function",
    "stamina": "stamina-retried function",
    "retrying": "retrying-retried function",
    "loop": "retry loop",
}


@dataclass(frozen=True)
class JudgedPolicy:
    """One policy of one job, with the call site that set it (RQ) when there is one."""

    job: Job
    policy: RetryPolicy
    site: CallSite | None
    reaching: tuple[ReachingJob, ...] = ()  # the queue jobs whose code runs a retry construct

    @property
    def subject(self) -> str:
        label = FRAMEWORK_LABEL.get(self.job.framework, self.job.framework)
        if self.job.kind == "retry-block":
            label = f"{self.job.framework} retry block"
        where = ""
        if self.site is not None and self.site.method in RETRY_PATHS:
            where = f" (its retry path at line {self.site.span.line})"
        elif self.site is not None:
            where = f" (enqueued at line {self.site.span.line})"
        if "#" in self.job.name:  # loops and retry blocks are named "<function>#loop@<line>"
            owner = self.job.name.split("#", 1)[0]
            return f"{label} at module level" if owner == "<module>" else f"{label} in `{owner}`"
        return f"{label} `{self.job.name}`{where}"

    @property
    def is_job_code(self) -> bool:
        return self.job.framework in QUEUE_FRAMEWORKS or bool(self.reaching)

    def report(
        self,
        project: Project,
        code: str,
        message: str,
        path: str,
        span: Span,
        *,
        severity: str | None = None,
        confidence: Confidence = "high",
        fix: Fix | None = None,
    ) -> tuple[Finding, ...]:
        """The finding about this policy, with the jobs it concerns and one call path.

        Outside job code the severity drops a step (or stays, or the finding goes) as the
        ``unreached`` setting says, and the message says no job is found to reach the code.
        """
        jobs: tuple[str, ...] = ()
        call_path: tuple[str, ...] = ()
        if self.job.framework in QUEUE_FRAMEWORKS:
            jobs = (self.job.qualname,)
        elif self.reaching:
            jobs = tuple(dict.fromkeys(r.job.qualname for r in self.reaching))
            call_path = self.reaching[0].call_path
        else:
            setting = project.config.unreached
            if setting == "ignore":
                return ()
            if setting == "lower":
                severity = lower_severity(severity or load_catalog()[code].severity)
            message += UNREACHED_NOTE
        finding = make_finding(
            code,
            message,
            path,
            span,
            severity=severity,
            confidence=confidence,
            job=self.job.qualname,
            fix=fix,
            jobs=jobs,
            call_path=call_path,
        )
        return (finding,)

    def location(self, field: Sourced[Any]) -> tuple[str, Span]:
        """Where a finding about ``field`` points: the node that set it, else the site or job."""
        if field.span is not None and field.source != "default":
            return field.path or self.job.path, field.span  # no path: the job's own file
        if self.site is not None:
            return self.site.path, self.site.span
        anchor = self.job.detail("policy_anchor")  # a policy written elsewhere (a factory)
        if anchor is not None:
            return anchor
        return self.job.path, self.job.span


# Words in exception names that say a dependency is struggling, which is what backoff is for.
_TRANSIENT_WORDS = (
    "timeout",
    "connect",
    "unavailable",
    "throttl",
    "ratelimit",
    "toomany",
    "temporar",
    "transient",
    "operational",
    "httperror",
    "requestexception",
    "network",
    "socket",
    "oserror",
    "ioerror",
    "brokenpipe",
    "busy",
    "lock",
    "servererror",
    "apierror",
    "retry",
)


# Words in exception names that say the retry waits out a conflict or a missing row, not a
# dependency in trouble: a steady pace stresses nobody there.
_CONFLICT_WORDS = (
    "integrity",
    "conflict",
    "collision",
    "duplicate",
    "unique",
    "doesnotexist",
    "notfound",
)


def waits_out_a_conflict(retry_on: object) -> bool:
    """Whether a job's retries wait for a state, not for a dependency to recover.

    True when it retries on a condition only (no exception: ``if not row: raise self.retry()``)
    or only on conflicts and missing rows (``IntegrityError``, ``DoesNotExist``).
    """
    return isinstance(retry_on, tuple) and _every_name_says(retry_on, _CONFLICT_WORDS)


# Words in exception names that say the job hit a concurrency limit it checks itself (admission
# control: "too many builds running for this project"): it waits for a slot, not for a recovery.
_ADMISSION_WORDS = ("concurrency", "concurrent")


def waits_for_a_slot(retry_on: object) -> bool:
    """Whether a job retries only because a concurrency limit turned it away for now.

    Its steady pace is a queue for a slot: growing waits would only leave slots idle, and the
    check it repeats (a count of running work) stresses nobody.
    """
    return (
        isinstance(retry_on, tuple)
        and bool(retry_on)
        and _every_name_says(retry_on, _ADMISSION_WORDS)
    )


def _every_name_says(names: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Whether each exception's own name (its last dotted part) holds one of ``words``."""
    return all(any(word in name.rsplit(".", 1)[-1].lower() for word in words) for name in names)


def may_be_transient(retry_on: object) -> bool:
    """Whether the retried failures may be a dependency's trouble (broad or unknown count).

    Retrying a conflict (``IntegrityError`` after drawing a new random code) or polling for a
    state does not stress anyone: a steady pace is fine there.
    """
    if not isinstance(retry_on, tuple):
        return True  # "all" or unknown
    return any(
        word in name.rsplit(".", 1)[-1].lower() for name in retry_on for word in _TRANSIENT_WORDS
    )


def retrying_policies(project: Project) -> Iterator[JudgedPolicy]:
    """Every policy that retries (or may: unknown), per job and per call site.

    The job's own policy is judged unless it is one of its call sites' (RQ reports the worst site
    as the job's policy; Huey's decorator policy stands beside the sites that override it), or
    the job's retry paths are policies of their own (a Celery task's ``self.retry`` calls that
    differ): its policy then only sums them up.
    """
    for job in project.jobs:
        candidates: list[tuple[RetryPolicy, CallSite | None]] = [
            (policy, site) for site, policy in job.policies
        ]
        by_path = any(site.method in RETRY_PATHS for site, _ in job.policies)
        if not by_path and all(policy != job.policy for policy, _ in candidates):
            candidates.insert(0, (job.policy, None))
        reaching: tuple[ReachingJob, ...] = ()
        if job.framework not in QUEUE_FRAMEWORKS:
            reaching = project.reach.jobs_reaching(job.path, job.function)
        for policy, site in candidates:
            if policy.retries.value is not False:
                yield JudgedPolicy(job, policy, site, reaching)
