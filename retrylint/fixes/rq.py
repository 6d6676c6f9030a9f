"""Fixes for RQ retry policies: the ``Retry(max=N, interval=...)`` given where a job is enqueued.

RQ has one retry knob, ``Retry(max, interval)`` (frameworks.md 2.1): ``interval`` is a number
(the same delay before every retry) or a list (an explicit schedule). There is no backoff or
jitter option, so:

- ``add_backoff`` (RL201) writes a growing ``interval=[...]`` list, one value per retry, doubling
  from the current interval (10 s when retries were immediate), each value capped at
  ``max-backoff``. The list is exactly ``max`` long: a shorter one would repeat its first value
  for the early retries and a longer one would skip its first values.
- ``cap_window`` (RL102) lowers ``max`` so the schedule fits ``max-retry-window``, and cuts an
  interval list written in the call to its first values, so the early delays stay as written.
- RL101 cannot happen (``Retry`` needs ``max``); RL202/RL203 do not report RQ lists.

Only argument values are replaced, or a keyword inserted after the last argument: the adapter
records where the ``Retry(...)`` call's arguments are (``RetryShape``: the call's ``CallShape``,
the spans and code of its ``max`` and ``interval`` values) and the edits use those spans.
"""

from __future__ import annotations

import math
from typing import Any

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Edit, Fix, FixSafety
from retrylint.frameworks.rq.jobs import EnqueueSite
from retrylint.frameworks.rq.policy import effective_schedule
from retrylint.frameworks.rq.records import RetryArgument, RetryShape
from retrylint.model import Delay, Sourced
from retrylint.values import CallValue, Located, Ref, Value, is_number

# The first delay when retries were immediate: long enough for a blip to pass, short enough that
# a job retried once is not noticeably late.
DEFAULT_BASE = 10.0
SCHEDULER_NOTE = "RQ runs delayed retries only on workers started with --with-scheduler"


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL201: ``interval=[b, 2b, 4b, ...]`` capped at ``max-backoff``, one value per retry."""
    retry = _retry_call(judged, project, judged.policy.delay)
    retries = _retries(judged)
    # A single retry has nothing to grow: any one-value schedule is "constant" to RL201, so no fix
    # could make the finding go away.
    if retry is None or retries is None or retries < 2:
        return None
    base = _steady_delay(judged.policy.delay.value)
    if base is None:
        return None
    immediate = base <= 0
    if immediate:
        base = DEFAULT_BASE
    cap = float(project.config.max_backoff)
    if base >= cap:
        return None  # already waits max-backoff: a capped list could not grow
    listed = _list(min(base * 2**k, cap) for k in range(retries))
    interval = retry.argument("interval")
    edit = Edit(interval.span, listed) if interval else retry.append(f"interval={listed}")
    if edit is None:
        return None
    # Immediate -> delayed retries: the job now waits in the ScheduledJobRegistry, which only a
    # worker started with --with-scheduler serves; where none is, the job would never be retried,
    # so this is unsafe. With an interval already set only the delays change: safe.
    safety: FixSafety = "unsafe" if immediate else "safe"
    title = f"retry with growing delays: interval={listed} ({SCHEDULER_NOTE})"
    return Fix(safety, title, (edit,))


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL102: lower ``max`` (and cut a written interval list) so the retries fit the window."""
    policy = judged.policy
    retry = _retry_call(judged, project, policy.max_attempts)
    retries = _retries(judged)
    if retry is None or retries is None:
        return None
    maximum = retry.argument("max")
    if maximum is None or maximum.code.strip() != str(retries):
        return None  # max given by a name or an expression: rewriting it would touch other code
    written = _written_interval(judged, project, retry)
    if written is None:
        return None
    interval = retry.argument("interval")
    limit = float(project.config.max_retry_window)
    for new_max in range(retries - 1, 0, -1):
        if isinstance(written, tuple):
            kept = written[:new_max]
            window = sum(effective_schedule(kept, new_max))
        else:
            kept, window = (), written * new_max
        if window > limit:
            continue
        edits = [Edit(maximum.span, str(new_max))]
        title = f"give up sooner: Retry(max={new_max}"
        if len(kept) < len(written if isinstance(written, tuple) else ()):
            elements = retry.list_elements(interval)
            if elements is None:
                return None  # the list is held in a name: cutting it would touch other code
            listed = "[" + ", ".join(elements[:new_max]) + "]"
            assert interval is not None
            edits.append(Edit(interval.span, listed))
            title += f", interval={listed}"
        title += f"): at most {_duration(window)} of retrying"
        return Fix("unsafe", title, tuple(edits))
    return None  # even one retry waits longer than max-retry-window


# -- the Retry(...) call --------------------------------------------------------------------------


class _RetryCall:
    """``Retry(...)`` as the adapter recorded it (``RetryShape``): its arguments' spans and code."""

    def __init__(self, shape: RetryShape) -> None:
        self.shape = shape

    def argument(self, keyword: str) -> RetryArgument | None:
        """The value of ``max`` or ``interval``, bound as Python binds it."""
        return self.shape.max if keyword == "max" else self.shape.interval

    def append(self, text: str) -> Edit | None:
        """Insert ``text`` as the new last argument (before a trailing comma, when there is one)."""
        at = self.shape.shape.args_end
        return Edit(at, ", " + text) if at is not None else None

    def list_elements(self, argument: RetryArgument | None) -> list[str] | None:
        """The code of each element of a list or tuple written in the call; None otherwise."""
        if argument is None or argument.elements is None:
            return None
        return list(argument.elements)


def _retry_call(judged: JudgedPolicy, project: Project, pointed: Sourced[Any]) -> _RetryCall | None:
    """The ``Retry(...)`` of this policy, when the finding about ``pointed`` is in its file.

    A Fix edits the file its finding is reported in, so the Retry must be there. It is not for an
    ``@job(retry=Retry(...))`` enqueued from another file when the finding points at the enqueue
    site (a default interval).
    """
    attempts = judged.policy.max_attempts
    if attempts.source != "explicit" or attempts.span is None:
        return None
    found = _retry_source(judged, project)
    if found is None:
        return None
    located, shape = found
    if located is None or located.span != attempts.span or shape is None:
        return None
    retry_path = attempts.path or judged.job.path  # a Sourced path is set only for other files
    finding_path, _ = judged.location(pointed)
    if finding_path != retry_path or not shape.shape.has_args:
        return None
    return _RetryCall(shape)


def _retry_source(
    judged: JudgedPolicy, project: Project
) -> tuple[Located | None, RetryShape | None] | None:
    """The ``retry=`` value that set this policy (the site's, or a never-enqueued @job's) and
    where the arguments of its ``Retry(...)`` call are."""
    job, site = judged.job, judged.site
    details = dict(job.details)
    if site is not None:
        for detail in details.get("sites", ()):
            if isinstance(detail, EnqueueSite) and (detail.path, detail.span) == (
                site.path,
                site.span,
            ):
                return detail.retry, detail.retry_shape
        return None
    module = project.index.by_path.get(job.path)
    if module is None or job.function is None:
        return None
    for job_def in module.facts.job_defs:
        if job_def.function == job.function and job_def.framework == "rq":
            return job_def.option("retry"), details.get("decorator_retry")
    return None


def _written_interval(
    judged: JudgedPolicy, project: Project, retry: _RetryCall
) -> tuple[float, ...] | float | None:
    """The interval as the code gives it (a list: a tuple), 0 when absent, None when unknown."""
    if retry.argument("interval") is None:
        return 0.0
    found = _retry_source(judged, project)
    located = found[0] if found is not None else None
    value: Value = located.value if located is not None else None
    interval = value.arg(1, "interval") if isinstance(value, CallValue) else None
    if isinstance(interval, Ref):
        path = judged.policy.max_attempts.path or judged.job.path
        module = project.index.by_path.get(path)
        interval = project.index.constant(interval.name, module) if module else None
    if is_number(interval):
        return float(interval)  # type: ignore[arg-type]
    if isinstance(interval, tuple) and interval and all(map(is_number, interval)):
        return tuple(float(item) for item in interval)  # type: ignore[arg-type]
    return None


# -- numbers --------------------------------------------------------------------------------------


def _retries(judged: JudgedPolicy) -> int | None:
    """RQ's ``max``: retries after the first run."""
    attempts = judged.policy.max_attempts.value
    if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 2:
        return attempts - 1
    return None


def _steady_delay(delay: Delay) -> float | None:
    """The one delay every retry waits (0: immediate), or None when the delays are not steady."""
    if delay.strategy == "none":
        return 0.0
    if delay.schedule is not None:
        return float(delay.schedule[0]) if len(set(delay.schedule)) == 1 else None
    if delay.strategy == "constant" and delay.base is not None:
        return float(delay.base)
    return None


def _number(value: float) -> str:
    """``3600``, not ``3600.0``; fractions as Python writes them."""
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _list(values: Any) -> str:
    return "[" + ", ".join(_number(v) for v in values) + "]"


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{_number(seconds)} s"
