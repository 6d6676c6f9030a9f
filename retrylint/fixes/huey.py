"""Fixes for Huey retry policies: ``retries`` / ``retry_delay`` / ``retry_backoff`` options.

The options sit in the task decorator (``@huey.task(retries=3, retry_delay=10)``) or are
overridden at a call site (``task.schedule(..., retries=8, retry_delay=5)``, ``task(x,
retries=2)``). A fix edits the call its finding points at: the site when the finding is there,
else the decorator (frameworks.md 4.1).

- ``add_backoff`` (RL201): adds ``retry_backoff=2`` (and ``retry_delay=10`` when retries were
  immediate). ``retry_backoff`` exists in Huey 3.x only, and the installed version cannot be
  told from the code. On 2.x the decorator keeps the unknown keyword as a class attribute and
  ignores it, ``.schedule(retry_backoff=...)`` raises TypeError, and ``task(x,
  retry_backoff=2)`` / ``.s(...)`` pass it on to the task function: the fix may break a 2.x
  program, so it is unsafe and its title says it needs 3.x. Huey has no backoff cap, so no fix
  is offered when doubling would take the last delay past ``max-backoff`` (it would trade this
  finding for RL203).
- ``cap_window`` (RL102): lowers ``retries`` so the worst case fits ``max-retry-window``.
- ``bound_attempts`` (RL101) is not defined: ``raise RetryTask()`` and
  ``CancelExecution(retry=True)`` re-run the task without consuming a retry, so no option can
  bound them; the task's code has to count its own runs (e.g. ``context=True`` and
  ``task.retries``), which is not a mechanical edit.
- ``add_jitter`` (RL202) and ``cap_backoff`` (RL203) are not defined: Huey has neither a jitter
  nor a cap option.
"""

from __future__ import annotations

from typing import Any

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.facts import CallShape
from retrylint.findings import Edit, Fix
from retrylint.model import Sourced, Span
from retrylint.values import Located

# The first delay when retries were immediate (as for RQ): long enough for a blip to pass.
DEFAULT_DELAY = 10
BACKOFF = 2
VERSION_NOTE = "needs Huey 3.x: Huey 2.x has no retry_backoff"


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL201: ``retry_backoff=2``, and ``retry_delay=10`` where retries were immediate."""
    policy = judged.policy
    retries = _retries(judged)
    if retries is None:
        return None  # unbounded (RetryTask, CancelExecution(retry=True)) or unknown: RL101's
    delay = policy.delay.value
    if delay.schedule is not None:
        return None
    if delay.strategy == "none":
        base, new_delay = float(DEFAULT_DELAY), True
    elif delay.strategy == "constant" and delay.base is not None and delay.base > 0:
        base, new_delay = float(delay.base), False
    else:
        return None
    # Huey multiplies the delay after every retry with no cap (frameworks.md 4.1).
    if base * BACKOFF ** (retries - 1) > project.config.max_backoff:
        return None
    target = _target(judged, project, policy.delay)
    if target is None:
        return None
    options, shape = target
    changes: list[tuple[str, str]] = []
    if new_delay:
        changes.append(("retry_delay", str(DEFAULT_DELAY)))
    changes.append(("retry_backoff", str(BACKOFF)))
    edits = _set_options(options, shape, changes)
    if edits is None:
        return None
    written = ", ".join(f"{name}={value}" for name, value in changes)
    delays = ", ".join(_number(base * BACKOFF**k) for k in range(min(retries, 4)))
    more = ", ..." if retries > 4 else ""
    title = f"back off: {written} (delays {delays}{more} s; {VERSION_NOTE})"
    return Fix("unsafe", title, edits)


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL102: fewer ``retries``, so the sum of the delays fits ``max-retry-window``."""
    policy = judged.policy
    retries = _retries(judged)
    if retries is None or policy.max_attempts.source != "explicit":
        return None
    delay = policy.delay.value
    if delay.schedule is not None or delay.base is None or delay.base <= 0:
        return None
    if delay.strategy == "constant":
        factor = 1
    elif delay.strategy == "exponential":
        factor = BACKOFF  # as the adapter and policy_math model retry_backoff
    else:
        return None
    target = _target(judged, project, policy.max_attempts)
    if target is None:
        return None
    options, _ = target
    located = options.get("retries")
    if located is None or located.span != policy.max_attempts.span:
        return None
    if located.code.strip() != str(retries):
        return None  # retries from a name or an expression: rewriting it would touch other code
    limit = project.config.max_retry_window
    for fewer in range(retries - 1, 0, -1):
        window = sum(delay.base * factor**k for k in range(fewer))
        if window <= limit:
            edit = Edit(located.span, str(fewer))
            title = f"give up sooner: retries={fewer}, at most {_number(window)} s of retrying"
            return Fix("unsafe", title, (edit,))
    return None  # even one retry waits longer than max-retry-window


# -- where to edit --------------------------------------------------------------------------------


def _target(
    judged: JudgedPolicy, project: Project, field: Sourced[Any]
) -> tuple[dict[str, Located], CallShape] | None:
    """The options and shape of the call the finding about ``field`` points at.

    That is the call site when the finding is inside it, else the task's decorator (a value set
    there, or a default reported at the task's name). None when the finding is elsewhere (a
    ``raise RetryTask(delay=...)``) or in another file than the value that decided it: a Fix
    edits the file of its finding only.
    """
    job, site = judged.job, judged.site
    path, span = judged.location(field)
    if field.source != "default" and field.span is not None and path != (field.path or job.path):
        return None
    details = dict(job.details)
    site_call = _site_call(judged, project)
    if site is not None and path == site.path and _inside(span, site.span):
        if site_call is None or site_call.shape is None or not site_call.shape.called:
            return None
        return dict(site_call.keywords), site_call.shape
    decorator = details.get("decorator")
    if path != job.path or not isinstance(decorator, CallShape) or not decorator.called:
        return None
    if not (span == job.span or _inside(span, decorator.span)):
        return None
    if site_call is not None and any(
        name in ("retry_delay", "retry_backoff") for name, _ in site_call.keywords
    ):
        return None  # the site overrides the timing: an edit to the decorator would not reach it
    options = dict(details.get("options", ()))
    return options, decorator


def _site_call(judged: JudgedPolicy, project: Project) -> Any:
    site = judged.site
    if site is None:
        return None
    module = project.index.by_path.get(site.path)
    if module is None:
        return None
    return next(
        (c for c in module.facts.calls if c.span == site.span and c.method == site.method), None
    )


def _set_options(
    options: dict[str, Located], shape: CallShape, changes: list[tuple[str, str]]
) -> tuple[Edit, ...] | None:
    """Replace the value of each option the call has; add the others after its last argument."""
    edits: list[Edit] = []
    added: list[str] = []
    for name, value in changes:
        located = options.get(name)
        if located is not None:
            edits.append(Edit(located.span, value))
        else:
            added.append(f"{name}={value}")
    if added:
        if shape.args_end is None:
            return None
        text = ", ".join(added)
        edits.append(Edit(shape.args_end, (", " if shape.has_args else "") + text))
    return tuple(edits)


def _inside(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


# -- numbers --------------------------------------------------------------------------------------


def _retries(judged: JudgedPolicy) -> int | None:
    """Huey's ``retries``: runs after the first one."""
    attempts = judged.policy.max_attempts.value
    if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 2:
        return attempts - 1
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
