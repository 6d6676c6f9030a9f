"""Huey: ``@huey.task(...)`` / ``@huey.periodic_task(...)`` / ``@huey.context_task(...)`` and the
Django helpers ``huey.contrib.djhuey.task`` / ``periodic_task`` / ``db_task`` /
``db_periodic_task`` / ``on_commit_task``.

``extract`` (here) records what one file says; ``build_jobs`` (``jobs``) decides across the
project which decorators are Huey's and what their tasks' policies are. The per-file rooms never
import the project ones. The rooms:

- per file: ``tasks``, Huey objects and task decorators with their options and the raises in
  the task's body; ``handlers``, signal handlers and ``.error()`` handlers; ``calls``, plain
  calls that may enqueue a task; ``records``, the names and records both phases share;
- project: ``receivers``, whether a decorator's receiver is a Huey object; ``hooks``, each
  task's failure hooks; ``policy``, the policy of a task's options (frameworks.md 4.1); ``jobs``,
  each task's ``Job`` with the call sites that override its options.
"""

from __future__ import annotations

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import decorators
from retrylint.frameworks.huey.calls import record_plain_calls
from retrylint.frameworks.huey.handlers import record_pipelines, signal_handlers
from retrylint.frameworks.huey.jobs import build_jobs
from retrylint.frameworks.huey.records import SIGNALS_KEY
from retrylint.frameworks.huey.tasks import job_def, record_instances, task_decorator
from retrylint.model import Span

__all__ = ["build_jobs", "extract"]


def extract(ctx: FileContext, sink: FactSink) -> None:
    imports_huey = any(t.split(".", 1)[0] == "huey" for t in ctx.imports.values())
    instances: set[str] = set()
    if imports_huey:
        instances = record_instances(ctx, sink)
    task_names: set[str] = set()
    signals: list[tuple[str, str | None, str, str, Span]] = []
    for function in ctx.functions:
        found = list(decorators(ctx, function))
        task = task_decorator(found)
        if task is not None:
            sink.job_defs.append(job_def(ctx, function, task, found))
            if function.is_module_level:
                task_names.add(function.name)
        for decorator in found:
            if decorator.last == "signal" and decorator.call is not None:
                signals.extend(
                    signal_handlers(ctx, sink, function, decorator, instances, imports_huey)
                )
    if signals:
        sink.data.append((SIGNALS_KEY, tuple(signals)))
    record_pipelines(ctx, sink)
    record_plain_calls(ctx, sink, task_names, imports_huey)
