"""Fixes for arq retry policies: the ``defer`` of ``raise Retry(defer=...)`` in a job's body.

arq has no retry options of its own: a job is retried only when it raises ``arq.Retry``, and
waits exactly the ``defer`` it passes (``frameworks.md`` 5). So every fix would rewrite an
expression in the job's code, and the adapter reads that expression back (``_defer_delay``):
a number is constant, ``ctx["job_try"] * N`` linear, ``N ** job_try`` exponential, ``min(...,
cap)`` capped; anything else is "custom".

- ``cap_backoff`` (RL203, safe): ``defer=N ** job_try`` becomes ``defer=min(N ** job_try,
  <max-backoff>)`` in every ``raise Retry`` of the job (they share the delay the rule judged).
  Safe: only the longest waits get shorter; the attempts, the retried failures and the type of
  the value (a number) do not change. The adapter reads the result as capped exponential
  growth, so RL202 (no jitter) is still reported for it, as it was before.
- ``add_backoff`` (RL201) and ``add_jitter`` (RL202) are not defined. A growing delay needs
  the job's try counter, ``ctx["job_try"]``, and the name of a job's first parameter is not
  recorded in the job model (``ctx`` by convention only: guessing it wrong raises NameError at
  the first retry). And jitter has to be written as a random term (``random.uniform(0, ...)``),
  which the adapter does not read: it would judge the new defer a "custom" delay, whose window
  RL102 then takes to be the job's whole expiry (1 day), so the fix would trade this finding for
  a false "retrying for at least 24 h". With the first parameter's name recorded and
  ``random.uniform(0, X)`` read as X's growth with jitter, both become
  ``defer=random.uniform(0, min(<max-backoff>, <base> * 2 ** ctx["job_try"]))``.
"""

from __future__ import annotations

import libcst as cst

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Edit, Fix
from retrylint.fixes.dramatiq import ParsedCode, number
from retrylint.frameworks.arq.records import RetrySignal


def cap_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL203: ``defer=<growth>`` -> ``defer=min(<growth>, <max-backoff>)`` in every raise."""
    job = judged.job
    field = judged.policy.delay
    delay = field.value
    if delay.strategy != "exponential" or delay.cap is not None:
        return None
    path, _ = judged.location(field)
    signals = job.detail("retry_signals", ())
    if path != job.path or not signals:
        return None
    cap = number(project.config.max_backoff)
    edits: list[Edit] = []
    for signal in signals:
        if not isinstance(signal, RetrySignal) or signal.delay != delay:
            return None
        defer = _defer(signal)
        if defer is None:
            return None
        parsed, node = defer
        edits.append(Edit(parsed.span(node), f"min({parsed.text(node)}, {cap})"))
    title = f"cap the backoff: defer=min(..., {cap}), at most {cap} s between attempts"
    return Fix("safe", title, tuple(edits))


def _defer(signal: RetrySignal) -> tuple[ParsedCode, cst.BaseExpression] | None:
    """The ``defer`` expression of the ``Retry(...)`` a ``raise`` statement raises."""
    parsed = ParsedCode.parse(signal.code, signal.span, statement=True)
    if parsed is None or not isinstance(parsed.root, cst.Raise):
        return None
    call = parsed.root.exc
    if not isinstance(call, cst.Call):
        return None
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None or arg.keyword.value == "defer":
            return parsed, arg.value
    return None
