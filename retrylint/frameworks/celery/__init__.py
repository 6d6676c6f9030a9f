"""Celery: tasks (decorated functions and ``Task`` classes), app configuration, retry policies.

``extract`` (here) records what one file says and nothing more; ``build_jobs`` (``jobs``) resolves
it across the project. Each decision is written down in the module that makes it, checked against
celery 5.7.0 where it is behaviour. The rooms:

- ``names``: the names both halves read (the framework, Celery's own objects, task options);
- ``facts``: app objects, task decorators and task classes in one file;
- ``countdown``: ``retry`` calls in task bodies, helpers retrying a task, countdown shapes;
- ``config``: app configuration, per file and per app;
- ``hooks``: ``task_failure`` signals, ``on_failure``, ``link_error``, per file and per task;
- ``options``: an option's value with its provenance, and Celery's precedence between them;
- ``index``: everything ``build_jobs`` needs, indexed once;
- ``jobs``: which decorators are Celery's, each task's options and retry paths, its ``Job``;
- ``policy``: the effective policy of a task (frameworks.md 1.4).
"""

from __future__ import annotations

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.celery.config import extract_config
from retrylint.frameworks.celery.countdown import RetryCall, extract_helpers
from retrylint.frameworks.celery.facts import (
    declared,
    extract_apps_and_bindings,
    extract_classes,
    extract_tasks,
)
from retrylint.frameworks.celery.hooks import extract_hooks
from retrylint.frameworks.celery.jobs import build_jobs

__all__ = ["RetryCall", "build_jobs", "declared", "extract"]


def extract(ctx: FileContext, sink: FactSink) -> None:
    extract_apps_and_bindings(ctx, sink)
    extract_tasks(ctx, sink)
    extract_classes(ctx, sink)
    extract_config(ctx, sink)
    extract_hooks(ctx, sink)
    extract_helpers(ctx, sink)
