"""`retrylint jobs`: the job inventory as a table for people and as JSON for tools.

The JSON shape is a contract (audit reports and other tools read it):

    {"version": "0.1.0", "jobs": [{"name", "qualname", "framework", "kind", "path", "line",
      "policy": {"max_attempts": {"value": int|"unbounded"|"unknown", "source", "line", "origin"},
                 "delay": {"value": {"strategy", "base", "cap", "jitter"}, ...},
                 "deadline": {"value": seconds|null|"unknown", ...},
                 "retry_on": {"value": ["Exc", ...]|"all"|"unknown", ...},
                 "redelivery": {"value": true|false|"unknown", ...}, ...},
      "policies": [{"call_site": {...}, "policy": {...}}],
      "failure_hooks": [{"kind", "target", "path", "line", "every_attempt", "origin"}],
      "dead_letter": {"store", "kept": {"value": seconds|null|"unknown", ...}} | null,
      "time_limit": ..., "call_sites": [{"path", "line", "method"}],
      "reach": [{"function", "path", "line", "depth"}],
      "reached_from": [{"job", "call_path": [...]}],
      "side_effects": [{"kind", "class", "call", "path", "line", "function", "guard"}]}]}

``failure_hooks`` is everything that makes the job's final failure visible, each where it is
wired: framework hooks (Celery ``task_failure`` receivers, ``on_failure``, ``link_error``; RQ
``on_failure`` callbacks and worker exception handlers; Dramatiq ``on_failure`` /
``on_retry_exhausted`` and failure-seeing middleware; Huey error signals and ``on_error``;
taskiq error middleware) and error trackers (``kind`` ``"sentry"``: a ``sentry_sdk.init`` whose
integration reports this framework; ``origin`` says why it applies). ``every_attempt`` is true
for hooks that also fire on attempts that will be retried. ``dead_letter`` says where a failed
job is kept for replay (``store``: RQ's ``FailedJobRegistry``, Dramatiq's ``dead-letter queue``,
Celery's ``result backend``; ``""`` when nothing keeps it) and for how long (``kept`` in
seconds: null keeps it with no expiry, 0 throws it away); null for retry constructs and
frameworks this is not modelled for (Huey, arq, taskiq).

``reach`` lists, for a queue job (Celery, RQ, Dramatiq, Huey, arq, taskiq), the project
functions its code runs: its body at depth 0, then what it calls up to ``job-reach-depth``.
``reached_from`` lists, for a retry construct (a loop or a retry decorator), the queue jobs
whose code runs it, each with its call path; empty when no job reaches it.
``side_effects`` lists the catalogued side effects the job's code performs (what it would repeat
if it ran twice): ``kind`` (payment, email, sms, chat, push, http, queue, job, db), ``class``
(payment, message, http, queue, db), the call, where it is, and ``guard`` (why it is safe to
repeat, or null). Handwritten retry loops list none.
``source`` is "explicit", "app-config" or "default"; ``line`` is where an explicit or app-config
value was set (null for defaults); ``path`` is added when that line is in another file.
"""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from retrylint import __version__
from retrylint.effects.jobs import SideEffects, is_root, project_effects
from retrylint.model import DeadLetter, Delay, FailureHook, Job, Marker, RetryPolicy, Sourced
from retrylint.reach import QUEUE_FRAMEWORKS, JobReach
from retrylint.reporters import display_path, mask, mask_document


def _plain(value: Any) -> Any:
    if isinstance(value, Marker):
        return value.value
    if isinstance(value, Delay):
        return {
            "strategy": value.strategy,
            "base": value.base,
            "cap": value.cap,
            "jitter": value.jitter,
            **({"schedule": list(value.schedule)} if value.schedule is not None else {}),
        }
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def sourced_to_json(field: Sourced[Any] | None) -> dict[str, Any] | None:
    if field is None:
        return None
    document = {
        "value": _plain(field.value),
        "source": field.source,
        "line": field.line,
        "origin": mask(field.origin),
    }
    if field.path:
        document["path"] = display_path(field.path)
    return document


def policy_to_json(policy: RetryPolicy) -> dict[str, Any]:
    return {
        "retries": sourced_to_json(policy.retries),
        "max_attempts": sourced_to_json(policy.max_attempts),
        "delay": sourced_to_json(policy.delay),
        "deadline": sourced_to_json(policy.deadline),
        "retry_on": sourced_to_json(policy.retry_on),
        "permanent": sourced_to_json(policy.permanent),
        "redelivery": sourced_to_json(policy.redelivery),
    }


def _hook(hook: FailureHook) -> dict[str, Any]:
    return {
        "kind": hook.kind,
        "target": hook.target,
        "path": display_path(hook.path) if hook.path else None,
        "line": hook.span.line if hook.span else None,
        "every_attempt": hook.every_attempt,
        "origin": hook.origin,
    }


def _dead_letter(dead_letter: DeadLetter | None) -> dict[str, Any] | None:
    if dead_letter is None:
        return None
    return {"store": dead_letter.store, "kept": sourced_to_json(dead_letter.kept)}


def reach_to_json(job: Job, reach: JobReach) -> dict[str, Any]:
    if job.framework in QUEUE_FRAMEWORKS:
        reached = [
            {
                "function": item.function.qualname,
                "path": display_path(item.function.path),
                "line": item.function.fact.line,
                "depth": item.depth,
            }
            for item in reach.reached(job)
        ]
        return {"reach": reached}
    reaching = reach.jobs_reaching(job.path, job.function)
    return {
        "reached_from": [
            {"job": item.job.qualname, "call_path": list(item.call_path)} for item in reaching
        ]
    }


def side_effects_to_json(job: Job, effects: SideEffects) -> list[dict[str, Any]]:
    return [
        {
            "kind": effect.kind,
            "class": effect.klass,
            "call": effect.step.text,
            "path": display_path(effect.file),
            "line": effect.span.line,
            "function": effect.place.ref.qualname,
            "guard": effect.guard,
        }
        for effect in _effects(job, effects)
    ]


def _effects(job: Job, effects: SideEffects) -> tuple[Any, ...]:
    return effects.of(job) if is_root(job) else ()


def job_to_json(job: Job, reach: JobReach, effects: SideEffects) -> dict[str, Any]:
    return {
        "name": job.name,
        "qualname": job.qualname,
        "framework": job.framework,
        "kind": job.kind,
        "path": display_path(job.path),
        "line": job.span.line,
        "policy": policy_to_json(job.policy),
        "policies": [
            {
                "call_site": {
                    "path": display_path(site.path),
                    "line": site.span.line,
                    "method": site.method,
                },
                "policy": policy_to_json(policy),
            }
            for site, policy in job.policies
        ],
        "failure_hooks": [_hook(h) for h in job.failure_hooks],
        "dead_letter": _dead_letter(job.dead_letter),
        "time_limit": sourced_to_json(job.time_limit),
        "call_sites": [
            {"path": display_path(site.path), "line": site.span.line, "method": site.method}
            for site in job.call_sites
        ],
        **reach_to_json(job, reach),
        "side_effects": side_effects_to_json(job, effects),
    }


def render_jobs_json(jobs: list[Job], reach: JobReach) -> str:
    effects = project_effects(reach.graph.index, tuple(jobs), reach)
    document = {
        "version": __version__,
        "jobs": [job_to_json(job, reach, effects) for job in jobs],
    }
    return json.dumps(mask_document(document), indent=2, ensure_ascii=False)


def seconds_text(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 86400 and value % 3600 == 0:
        return f"{value / 86400:g}d"
    if value >= 3600 and value % 60 == 0:
        return f"{value / 3600:g}h"
    if value >= 60 and value % 1 == 0:
        return f"{value / 60:g}m"
    return f"{value:g}s"


def delay_text(delay: Delay) -> str:
    if delay.strategy in ("none", "unknown"):
        return delay.strategy
    parts: list[str] = [delay.strategy]
    if delay.base is not None:
        parts.append(f"base {seconds_text(delay.base)}")
    parts.append(f"cap {seconds_text(delay.cap)}" if delay.cap is not None else "no cap")
    if delay.jitter is not None:
        parts.append("jitter" if delay.jitter else "no jitter")
    return ", ".join(parts)


def value_text(value: Any) -> str:
    if isinstance(value, Marker):
        return value.value
    if value is None:
        return "none"
    if isinstance(value, float):
        return seconds_text(value)
    if isinstance(value, tuple):
        return ", ".join(v.rsplit(".", 1)[-1] for v in value) or "nothing"
    return str(value)


def _reach_text(job: Job, reach: JobReach) -> str:
    """``12 fns, 3 deep`` for a queue job; ``from 2 jobs`` / ``no job`` for a retry construct."""
    if job.framework in QUEUE_FRAMEWORKS:
        reached = reach.reached(job)
        deepest = max((item.depth for item in reached), default=0)
        return f"{len(reached)} fn{'s' if len(reached) != 1 else ''}, {deepest} deep"
    count = len({item.job.qualname for item in reach.jobs_reaching(job.path, job.function)})
    return f"from {count} job{'s' if count != 1 else ''}" if count else "no job"


def side_effect_kinds(job: Job, effects: SideEffects) -> str:
    """``payment, email``: what the job would repeat if it ran twice."""
    kinds = dict.fromkeys(effect.kind for effect in _effects(job, effects))
    return ", ".join(kinds) or "-"


def _hooks_text(hooks: tuple[FailureHook, ...]) -> str:
    """``sentry, task_failure-signal (every attempt: on_failure)``: the kinds, those that also
    fire on retried attempts named apart."""
    final = sorted({h.kind for h in hooks if not h.every_attempt})
    every = sorted({h.kind for h in hooks if h.every_attempt} - set(final))
    text = ", ".join(final)
    if every:
        text += (", " if text else "") + f"every attempt: {', '.join(every)}"
    return text or "-"


def _dead_letter_text(dead_letter: DeadLetter | None) -> str:
    """``FailedJobRegistry 1y`` / ``dropped`` / ``-`` (not modelled)."""
    if dead_letter is None:
        return "-"
    kept = dead_letter.kept.value
    if kept == 0 or not dead_letter.store:
        return "dropped"
    if kept is None:
        return f"{dead_letter.store}, no expiry"
    return f"{dead_letter.store}, {value_text(kept)}"


def jobs_table(jobs: list[Job], reach: JobReach) -> Table:
    effects = project_effects(reach.graph.index, tuple(jobs), reach)
    table = Table(header_style="bold", show_lines=False)
    for column in (
        "framework",
        "job",
        "location",
        "attempts",
        "delay",
        "deadline",
        "retries on",
        "hooks",
        "failed jobs kept",
        "time limit",
        "calls",
        "reach",
        "side effects",
    ):
        table.add_column(column, overflow="fold")
    for job in jobs:
        policy = job.policy
        attempts = value_text(policy.max_attempts.value)
        if policy.retries.value is False:
            attempts = "1 (no retries)"
        if any(site.method in ("retry", "autoretry") for site, _ in job.policies):
            attempts += f" (worst of {len(job.policies)} retry paths)"
        elif any(policy == job.policy for _, policy in job.policies):
            attempts += f" (worst of {len(job.policies)} sites)"
        elif job.policies:
            attempts += f" (+{len(job.policies)} site overrides)"
        cells = (
            job.framework,
            job.name if "#" in job.name else (job.function or job.name),  # loops: fn#loop@line
            f"{display_path(job.path)}:{job.span.line}",
            attempts,
            delay_text(policy.delay.value),
            value_text(policy.deadline.value),
            value_text(policy.retry_on.value),
            _hooks_text(job.failure_hooks),
            _dead_letter_text(job.dead_letter),
            value_text(job.time_limit.value) if job.time_limit else "-",
            str(len(job.call_sites)),
            _reach_text(job, reach),
            side_effect_kinds(job, effects),
        )
        table.add_row(*(mask(cell) for cell in cells))
    return table
