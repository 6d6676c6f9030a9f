"""Periodic schedules that name their job by a string, outside Celery's beat settings.

Celery's ``beat_schedule`` entries are app configuration and ``celery.config`` records them. Two
more places name a job by a string that nothing checks until the schedule fires (RL605):

- Celery's ``add_periodic_task(schedule, signature("proj.tasks.report"))`` (usually in an
  ``on_after_configure`` receiver): ``signature`` / ``app.signature`` / ``Signature`` with a task
  name. Recorded as a Celery ``beat_schedule_entry`` without an app scope;
- APScheduler's ``add_job("package.module:function", ...)`` (its textual reference, resolved
  with ``ref_to_obj`` when the job is added or loaded from a job store): how Huey, Dramatiq and
  RQ projects commonly schedule work without a framework scheduler. Recorded only in files
  that import ``apscheduler``.

periodiq's ``periodic=`` and Huey's ``periodic_task`` decorate the job itself: no name to get
wrong.
"""

from __future__ import annotations

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import ConfigFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.celery.config import BEAT_ENTRY

APSCHEDULER = "apscheduler"
APSCHEDULER_JOB = "apscheduler_job"  # ConfigFact key: value = the "module:attribute" reference
SIGNATURES = frozenset({"celery.signature", "celery.Signature", "celery.canvas.Signature"})


def extract(ctx: FileContext, sink: FactSink) -> None:
    uses_apscheduler = any(target.split(".")[0] == APSCHEDULER for target in ctx.imports.values())
    for info in ctx.calls:
        func = info.node.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method == "add_periodic_task":
            signature = _argument(info.node, 1, ("sig",))
            if isinstance(signature, cst.Call) and _is_signature(ctx, signature.func):
                name = _argument(signature, 0, ("varies", "task"))
                if name is not None and isinstance(ctx.evaluate(name), str):
                    sink.configs.append(ConfigFact("celery", BEAT_ENTRY, ctx.locate(name)))
        elif method == "add_job" and uses_apscheduler:
            reference = _argument(info.node, 0, ("func",))
            if reference is None:
                continue
            value = ctx.evaluate(reference)
            if isinstance(value, str) and ":" in value:
                sink.configs.append(ConfigFact(APSCHEDULER, APSCHEDULER_JOB, ctx.locate(reference)))


def _argument(
    call: cst.Call, position: int, keywords: tuple[str, ...]
) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position] if len(positional) > position else None


def _is_signature(ctx: FileContext, func: cst.BaseExpression) -> bool:
    """``signature(...)`` / ``Signature(...)`` from celery, or ``<app>.signature(...)``."""
    if ctx.qualify(func) in SIGNATURES:
        return True
    return isinstance(func, cst.Attribute) and func.attr.value == "signature"
