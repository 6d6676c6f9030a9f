"""The policy of an arq job: what its retry signals and its ``max_tries`` allow.

A job that raises no ``Retry``, or whose worker sets ``retry_jobs = False``, or that has a single
try, is not retried. Otherwise the delay is the signals' ``defer``, the retried failures are what
the ``except`` clauses around the raises catch (``arq.worker.Retry`` itself for a raise outside
any handler), and the deadline is the job's expiry. An interrupted job is run again while tries
remain (pessimistic execution). A job whose coroutine is not found has an UNKNOWN policy.
"""

from __future__ import annotations

from retrylint.frameworks.arq.records import Coroutine, RetrySignal
from retrylint.frameworks.defaults import ARQ_EXPIRES_EXTRA
from retrylint.model import (
    NO_DELAY,
    UNKNOWN,
    Delay,
    ExceptionsValue,
    Marker,
    RetryPolicy,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex


def arq_policy(
    project: ProjectIndex,
    module: ModuleFacts | None,
    coroutine: Coroutine | None,
    signals: tuple[RetrySignal, ...],
    attempts: Sourced[int | Marker],
    retry_jobs: Sourced[bool | Marker] | None,
) -> RetryPolicy:
    redelivery = _redelivery(attempts)
    permanent: Sourced[tuple[str, ...]] = default(
        (), "arq fails a job on any exception other than Retry"
    )
    if coroutine is None:
        unknown = "the job's coroutine was not found in the project"
        return RetryPolicy(
            retries=default(UNKNOWN, unknown),
            max_attempts=attempts,
            delay=default(Delay("unknown"), unknown),
            deadline=default(UNKNOWN, unknown),
            retry_on=default(UNKNOWN, unknown),
            permanent=permanent,
            redelivery=redelivery,
        )
    disabled = retry_jobs is not None and retry_jobs.value is False
    single = isinstance(attempts.value, int) and attempts.value <= 1
    if not signals or disabled or single:
        if disabled and retry_jobs is not None:
            origin = f"{retry_jobs.origin}: Retry is not honoured"
            flag: Sourced[bool | Marker] = Sourced(
                False, retry_jobs.source, origin, retry_jobs.span, retry_jobs.path
            )
        elif signals:
            origin = f"{attempts.origin}: raising Retry fails the job at once"
            flag = Sourced(False, attempts.source, origin, attempts.span, attempts.path)
        else:
            flag = default(False, "arq does not retry on exceptions and this job raises no Retry")

        def same(value: object) -> Sourced:
            return Sourced(value, flag.source, flag.origin, flag.span, flag.path)

        return RetryPolicy(
            retries=flag,
            max_attempts=same(1),
            delay=same(NO_DELAY),
            deadline=same(None),
            retry_on=same(()),
            permanent=permanent,
            redelivery=redelivery,
        )
    first = signals[0]
    assert module is not None
    if retry_jobs is not None and retry_jobs.value is UNKNOWN:
        retries: Sourced[bool | Marker] = retry_jobs
    elif attempts.value is UNKNOWN:
        retries = Sourced(UNKNOWN, attempts.source, attempts.origin, attempts.span, attempts.path)
    else:
        retries = explicit_at(True, first.code, first.span)
    return RetryPolicy(
        retries=retries,
        max_attempts=attempts,
        delay=explicit_at(_combined_delay(signals), first.code, first.span),
        deadline=default(
            ARQ_EXPIRES_EXTRA,
            "expires_extra_ms=1 day (arq default): an expired job is not retried",
        ),
        retry_on=explicit_at(_retry_on(project, module, signals), first.code, first.span),
        permanent=permanent,
        redelivery=redelivery,
    )


def explicit_at(value: object, origin: str, span: Span) -> Sourced:
    return Sourced(value, "explicit", " ".join(origin.split()), span)


def _redelivery(attempts: Sourced[int | Marker]) -> Sourced[bool | Marker]:
    """A job interrupted by a shutdown or crash is run again while ``job_try <= max_tries``."""
    value = attempts.value
    if value is UNKNOWN:
        return Sourced(UNKNOWN, attempts.source, attempts.origin, attempts.span, attempts.path)
    if isinstance(value, int) and value <= 1:
        return Sourced(
            False,
            attempts.source,
            f"{attempts.origin}: an interrupted job is not run again",
            attempts.span,
            attempts.path,
        )
    return default(True, "arq re-runs a job interrupted by a shutdown (pessimistic execution)")


def _combined_delay(signals: tuple[RetrySignal, ...]) -> Delay:
    delays = list(dict.fromkeys(signal.delay for signal in signals))
    if len(delays) == 1:
        return delays[0]
    if any(d.strategy == "unknown" for d in delays):
        return Delay("unknown")
    return Delay("custom", None, None, None)


def _retry_on(
    project: ProjectIndex, module: ModuleFacts, signals: tuple[RetrySignal, ...]
) -> ExceptionsValue:
    names: list[str] = []
    for signal in signals:
        handled = signal.handled
        if handled == "all":
            return "all"
        if handled is UNKNOWN:
            return UNKNOWN
        if handled is None:
            names.append("arq.worker.Retry")
        elif isinstance(handled, tuple):
            names.extend(project.canonical(name, module) for name in handled)
    return tuple(dict.fromkeys(names))
