"""Fixes for handwritten retry and poll loops: the ``retrylint.guard.RetryBudget`` helper.

No framework covers these loops, so every rule's fix is the same edit: create a budget just
before the loop and let it do the waiting, in place of the loop's one sleep call::

    retry_budget = RetryBudget(attempts=5, base=10, cap=3600)
    while True:
        try:
            return sync()
        except ConnectionError:
            retry_budget.sleep()      # was: time.sleep(10)

``retry_budget.sleep()`` waits with capped exponential backoff and full jitter and, once the
budget is spent, re-raises the exception being handled (or raises ``RetryBudgetExhausted`` in a
poll), so it bounds the loop (RL101, RL102) and paces it (RL201, RL202, RL203) at once.
Attempts: the loop's own bound where it has one, else ``default-max-attempts``, and never more
than fit in ``max-retry-window``; a poll keeps polling, with growing waits, until
``max-retry-window``. Unsafe: the loop now gives up and its cadence
changes, and the application now imports ``retrylint.guard`` at run time.

No fix when the loop has no single sleep call to replace (a tight loop, several sleeps).
"""

from __future__ import annotations

import math

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Edit, Fix
from retrylint.model import Span

BUDGET = "retry_budget"
IMPORT = "from retrylint.guard import RetryBudget\n"
ASYNC_SLEEPS = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep", "curio.sleep"})


def guard(judged: JudgedPolicy, project: Project) -> Fix | None:
    job, policy, config = judged.job, judged.policy, project.config
    sleeps, sleep, header = job.detail("sleeps", ()), job.detail("sleep"), job.detail("header")
    indent = job.detail("indent")
    module = project.index.by_path.get(job.path)
    if len(sleeps) != 1 or sleep is None or header is None or indent is None or module is None:
        return None
    delay = policy.delay.value
    cap = min(delay.cap or math.inf, config.max_backoff)
    base = delay.base if delay.base and delay.base > 0 else 1.0
    base = min(base, cap)
    deadline = policy.deadline.value if isinstance(policy.deadline.value, float) else None
    attempts = policy.max_attempts.value
    if job.detail("shape") == "poll":
        deadline = min(deadline or math.inf, config.max_retry_window)
        attempts = _polls_within(base, cap, deadline)
    else:
        if not (isinstance(attempts, int) and attempts >= 2):
            attempts = config.default_max_attempts
        # never more than fit in max-retry-window (RL102), whatever the loop's own bound was
        attempts = min(attempts, _polls_within(base, cap, config.max_retry_window))
    arguments = f"attempts={attempts}, base={_number(base)}, cap={_number(cap)}"
    if deadline is not None:
        arguments += f", deadline={_number(deadline)}"
    waiting = "asleep" if job.detail("sleep_function") in ASYNC_SLEEPS else "sleep"
    line = module.facts.import_insert_line
    return Fix(
        "unsafe",
        f"bound and pace the loop with retrylint.guard: RetryBudget({arguments}).{waiting}()",
        (
            Edit(Span(line, 1, line, 1), IMPORT, import_line=True),
            Edit(
                Span(header.line, 1, header.line, 1),
                f"{indent}{BUDGET} = RetryBudget({arguments})\n",
            ),
            Edit(sleep, f"{BUDGET}.{waiting}()"),
        ),
    )


def _polls_within(base: float, cap: float, window: float) -> int:
    """How many polls fit in ``window`` when the waits double from ``base`` up to ``cap``."""
    attempts, total, wait = 1, 0.0, base
    while total + wait <= window and attempts < 10_000:
        total += wait
        attempts += 1
        wait = min(cap, wait * 2)
    return attempts


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


bound_attempts = cap_window = add_backoff = add_jitter = cap_backoff = guard
