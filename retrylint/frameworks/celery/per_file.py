"""Celery's per-file phase: everything one file says, each part recorded by its room."""

from __future__ import annotations

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.celery.config import extract_config
from retrylint.frameworks.celery.countdown import extract_helpers
from retrylint.frameworks.celery.facts import (
    extract_apps_and_bindings,
    extract_classes,
    extract_tasks,
)
from retrylint.frameworks.celery.hooks import extract_hooks


def extract(ctx: FileContext, sink: FactSink) -> None:
    extract_apps_and_bindings(ctx, sink)
    extract_tasks(ctx, sink)
    extract_classes(ctx, sink)
    extract_config(ctx, sink)
    extract_hooks(ctx, sink)
    extract_helpers(ctx, sink)
