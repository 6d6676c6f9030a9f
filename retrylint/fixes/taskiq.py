"""Fixes for taskiq retry policies: the options of the broker's ``SmartRetryMiddleware(...)``.

taskiq's delays are the retry middleware's business (``frameworks.md`` 6): ``SmartRetryMiddleware``
waits ``delay`` (the task's label, else ``default_delay``, 5 s), grown to ``delay * retries``
and capped at ``max_delay_exponent`` (60 s) with ``use_delay_exponent=True``, plus U(0, 1) s
with ``use_jitter=True``. So a fix edits the middleware call, and only when it is in the file
of the finding (the finding may point at a task's ``delay`` label in another file). It changes
every task of that broker, which share its middleware anyway.

- ``add_backoff`` (RL201, safe): a constant delay gets ``use_delay_exponent=True,
  use_jitter=True``; ``max_delay_exponent=<max-backoff>`` too when the current cap leaves no
  room to grow (below twice the delay) or is above ``max-backoff``. Safe: native options that
  change only when retries happen; the middleware already delivers delayed retries, so nothing
  new is needed from the broker. No fix when the grown delays could take the retries past
  ``max-retry-window`` (it would trade this finding for RL102). The window is taken at its
  worst: without a ``schedule_source`` the middleware re-sends a task with its last delay as
  the new ``delay`` label, so the delays compound (5, 10, 30, 60 s, ...) rather than grow
  linearly, each plus up to 1 s of jitter.
- ``add_jitter`` (RL202, safe): ``use_jitter=True`` (up to 1 s added to each delay).
- Not fixed: ``SimpleRetryMiddleware`` (it re-sends at once and has no delay option at all:
  growing delays mean swapping in ``SmartRetryMiddleware``, whose delays only brokers with
  delayed delivery or a ``schedule_source`` honour), a zero delay (``delay * retries`` stays
  0), and option values written as names or expressions.
- ``bound_attempts`` (RL101) is not defined: taskiq's ``max_retries`` label always bounds the
  attempts (the adapter never reports it unbounded). RL203 does not apply: the growth is linear
  and always capped.
"""

from __future__ import annotations

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Fix
from retrylint.fixes.dramatiq import KeywordCall, number, parsed_call, set_keywords
from retrylint.frameworks.defaults import TASKIQ_SMART_MAX_DELAY_EXPONENT
from retrylint.policy_math import format_duration
from retrylint.values import CallValue, is_number

JITTER = 1.0  # use_jitter adds random.random() seconds


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL201: ``use_delay_exponent=True, use_jitter=True`` (and a cap with room to grow).

    The middleware is shared by every task of the broker, each with its own ``delay`` label and
    attempts: the options are chosen for all of them, so each task's finding offers the same
    edit and fixing one fixes the others.
    """
    delay = judged.policy.delay.value
    if delay.strategy != "constant" or not delay.base:
        return None
    call = _smart_middleware(judged, project)
    if call is None:
        return None
    tasks = _retrying_tasks(project, judged.job.detail("broker"))
    if not tasks:
        return None
    limit = float(project.config.max_backoff)
    written = call.keywords.get("max_delay_exponent")
    if written is None:
        cap = TASKIQ_SMART_MAX_DELAY_EXPONENT
    elif is_number(written.value):
        cap = float(written.value)  # type: ignore[arg-type]
    else:
        return None  # a cap we cannot read: whether the delays can grow is unknown
    longest = max(base for base, _ in tasks)
    pairs = [("use_delay_exponent", "True"), ("use_jitter", "True")]
    if cap < 2 * longest or cap > limit:
        cap = limit
        if cap < 2 * longest:
            return None  # a delay is already half of max-backoff: nothing to grow into
        pairs.append(("max_delay_exponent", number(cap)))
    window_limit = project.config.max_retry_window
    if any(worst_window(base, cap, attempts - 1) > window_limit for base, attempts in tasks):
        return None
    edits = set_keywords(call, pairs)
    if not edits:
        return None
    options = ", ".join(f"{name}={value}" for name, value in pairs)
    title = (
        f"back off: {options} (delays grow from {format_duration(delay.base)} to at most "
        f"{format_duration(cap)}, plus up to 1 s of jitter)"
    )
    return Fix("safe", title, tuple(edits))


def add_jitter(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL202: ``use_jitter=True``."""
    delay = judged.policy.delay.value
    if delay.strategy != "linear" or delay.jitter is not False:
        return None
    call = _smart_middleware(judged, project)
    if call is None:
        return None
    edits = set_keywords(call, [("use_jitter", "True")])
    if not edits:
        return None
    return Fix("safe", "add jitter: use_jitter=True (up to 1 s added to each delay)", tuple(edits))


def worst_window(base: float, cap: float, retries: int) -> float:
    """The longest the retries can wait in all with ``use_delay_exponent`` and ``use_jitter``.

    Retry k (1-based) waits ``min(label * k, cap)`` plus up to 1 s, where ``label`` is the
    task's delay for the first retry and, when the middleware re-sends the task itself (no
    ``schedule_source``), the previous wait after that.
    """
    total, label = 0.0, base
    for k in range(1, retries + 1):
        wait = min(label * k, cap) + JITTER
        total += wait
        label = wait
    return total


def _retrying_tasks(project: Project, broker: object) -> list[tuple[float, int]]:
    """(delay, attempts) of every task of ``broker`` that retries with a known constant delay."""
    found: list[tuple[float, int]] = []
    for job in project.jobs:
        if job.framework != "taskiq" or job.detail("broker") != broker:
            continue
        policy = job.policy
        delay, attempts = policy.delay.value, policy.max_attempts.value
        if policy.retries.value is not True or delay.strategy != "constant" or not delay.base:
            continue
        if isinstance(attempts, int):
            found.append((float(delay.base), attempts))
    return found


def _smart_middleware(judged: JudgedPolicy, project: Project) -> KeywordCall | None:
    """The job's broker's ``SmartRetryMiddleware(...)`` call, when the finding is in its file."""
    broker = judged.job.detail("broker")
    if not isinstance(broker, str):
        return None
    path, _ = judged.location(judged.policy.delay)
    index = project.index
    found = [
        (module, config)
        for module, config in index.configs("taskiq")
        if config.key == "retry_middleware"
        and config.scope is not None
        and index.canonical(config.scope, module) == broker
    ]
    if len(found) != 1:
        return None  # none, or several retry middlewares: which one runs is not ours to guess
    module, config = found[0]
    value = config.value.value
    if module.path != path or not isinstance(value, CallValue):
        return None
    if value.last != "SmartRetryMiddleware":
        return None
    return parsed_call(config.value)
