"""RL103's fix: fewer attempts for a job that moves money, in the job's own decorator.

Celery and Dramatiq count ``max_retries`` as retries after the first run, so the fix writes
``max-attempts-risky - 1``: an integer written in the job's own decorator is replaced; where a
framework default decides (Celery's 3, Dramatiq's 20), ``max_retries=`` is added to the
decorator. Values set elsewhere (app config, a base class, a broker's ``Retries``) are shared
with other jobs and left alone, as are other frameworks' policies: no fix there. Unsafe: the
attempts that absorbed transient failures now reach the failure path.
"""

from __future__ import annotations

import re

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.effects.fix import keyword_edit
from retrylint.facts import CallShape
from retrylint.findings import Edit, Fix
from retrylint.model import Span

_INTEGER = re.compile(r"[0-9][0-9_]*")
_FRAMEWORKS = frozenset({"celery", "dramatiq"})


def lower_attempts(judged: JudgedPolicy, project: Project) -> Fix | None:
    job, attempts = judged.job, judged.policy.max_attempts
    shape = job.detail("decorator")
    if job.framework not in _FRAMEWORKS or not isinstance(shape, CallShape):
        return None
    if judged.site is not None or judged.location(attempts)[0] != job.path:
        return None
    retries = max(project.config.max_attempts_risky - 1, 0)
    title = f"allow {retries + 1} attempts at most: max_retries={retries}"
    if attempts.source == "default":
        return Fix("unsafe", title, (keyword_edit(shape, f"max_retries={retries}"),))
    if attempts.source != "explicit" or attempts.span is None or attempts.path is not None:
        return None
    for name, located in job.detail("options", ()):
        if (
            name in ("max_retries", "retry_kwargs.max_retries")
            and located.span == attempts.span
            and _within(located.span, shape.span)
            and _INTEGER.fullmatch(located.code)
        ):
            return Fix("unsafe", title, (Edit(located.span, str(retries)),))
    return None


def _within(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)
