"""RL102 unbounded-retry-window: bounded attempts whose worst-case retry time is too long.

The window is the sum of the waits before giving up (``policy_math.retry_window``), compared with
``max-retry-window``. Where the window is unknown but the framework offers a total time cap that
is not used, that is reported too, with low confidence. Not reported where RL101 is.
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy, retrying_policies
from retrylint.findings import Finding
from retrylint.fixes import build_fix
from retrylint.frameworks.defaults import DRAMATIQ_BACKOFF_STRETCH
from retrylint.model import UNBOUNDED, UNKNOWN, RetryPolicy
from retrylint.policy_math import format_duration, retry_window

# Frameworks with a native total-time cap (tenacity stop_after_delay, backoff max_time, stamina
# timeout): an unknown window there is worth a hint.
_DEADLINE_FRAMEWORKS = frozenset({"tenacity", "backoff", "stamina", "retrying"})


def check_project(project: Project) -> Iterator[Finding]:
    limit = project.config.max_retry_window
    for judged in retrying_policies(project):
        policy = judged.policy
        if policy.max_attempts.value is UNBOUNDED and policy.deadline.value is None:
            continue  # RL101's
        window = retry_window(policy)
        if window is UNKNOWN:
            unknown_delay = policy.delay.value.strategy == "unknown"
            if not (
                judged.job.framework in _DEADLINE_FRAMEWORKS
                and policy.deadline.value is None
                and isinstance(policy.max_attempts.value, int)
                and unknown_delay
            ):
                continue
            path, span = judged.location(policy.delay)
            yield from judged.report(
                project,
                "RL102",
                f"{judged.subject}: the time spent retrying cannot be told "
                f"({policy.delay.describe()}) and no total time cap is set",
                path,
                span,
                confidence="low",
                fix=build_fix("cap_window", judged, project),
            )
            continue
        if not isinstance(window, float | int) or window <= limit:
            continue
        field = policy.max_attempts if policy.max_attempts.source != "default" else policy.delay
        path, span = judged.location(field)
        yield from judged.report(
            project,
            "RL102",
            f"{judged.subject} can keep retrying for {_window_words(judged, window)} "
            f"({policy.max_attempts.describe()}, delays {_delay_words(policy)}), "
            f"more than max-retry-window {format_duration(limit)}",
            path,
            span,
            fix=build_fix("cap_window", judged, project),
        )


def _window_words(judged: JudgedPolicy, window: float) -> str:
    """``19.1 days in the worst case``; for Dramatiq, whose 2.x jitter draws each exponential
    wait from 1x to 2x before the cap (1.x only shortens it), both figures."""
    delay = judged.policy.delay.value
    if judged.job.framework == "dramatiq" and delay.strategy == "exponential" and delay.jitter:
        stretched = retry_window(judged.policy, stretch=DRAMATIQ_BACKOFF_STRETCH)
        if isinstance(stretched, float | int) and stretched > window:
            return (
                f"{format_duration(window)} in the worst case on Dramatiq 1.x and up to "
                f"{format_duration(stretched)} on 2.x (its jitter doubles each wait at most)"
            )
    return f"{format_duration(window)} in the worst case"


def _delay_words(policy: RetryPolicy) -> str:
    delay = policy.delay.value
    cap = f" up to {format_duration(delay.cap)}" if delay.cap is not None else ""
    base = f" from {format_duration(delay.base)}" if delay.base is not None else ""
    return f"{delay.strategy}{base}{cap}: {policy.delay.describe()}"
