"""The names both halves of the Celery adapter read: the framework, the task fact kind, Celery's
app constructors and ``current_app``, other frameworks' roots, and the task options.

A room of its own so that the per-file modules (``facts``, ``config``, ``hooks``) and the project
modules (``jobs``, ``policy``) can share them without importing each other: ``facts`` imports
``config``, so they cannot live in ``facts``.
"""

from __future__ import annotations

FRAMEWORK = "celery"


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TASK_KIND = "celery-task"

APP_CONSTRUCTORS = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
CURRENT_APP = frozenset(
    {"celery.current_app", "celery.app.current_app", "celery._state.current_app"}
)
OTHER_FRAMEWORK_ROOTS = frozenset({"huey", "taskiq", "dramatiq", "rq", "arq", "django_rq"})

# Task attributes that decide the policy (decorator keywords = class attributes = annotations).
TASK_OPTIONS = words(
    "autoretry_for dont_autoretry_for retry_kwargs max_retries default_retry_delay "
    "retry_backoff retry_backoff_max retry_jitter acks_late acks_on_failure_or_timeout "
    "reject_on_worker_lost time_limit soft_time_limit ignore_result store_errors_even_if_ignored "
    "throws name bind base"
)
