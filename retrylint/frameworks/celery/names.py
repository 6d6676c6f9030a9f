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
# Class attributes that mark a class as a (base) task even when its bases do not say so.
RETRY_ATTRIBUTES = TASK_OPTIONS - {"name", "throws", "ignore_result", "bind", "base"}
# Task attributes that fall back to an app setting when left at None (celery/app/task.py
# Task.from_config).
FROM_CONFIG = {
    "acks_late": "task_acks_late",
    "time_limit": "task_time_limit",
    "soft_time_limit": "task_soft_time_limit",
    "reject_on_worker_lost": "task_reject_on_worker_lost",
    "acks_on_failure_or_timeout": "task_acks_on_failure_or_timeout",
    "ignore_result": "task_ignore_result",
    "store_errors_even_if_ignored": "task_store_errors_even_if_ignored",
}
# App settings worth recording (new lowercase names).
SETTINGS = frozenset(
    {*FROM_CONFIG.values(), "task_annotations", "beat_schedule", "result_backend", "result_expires"}
)
# Pre-4.0 upper-case names still accepted without a namespace (celery/app/defaults.py).
OLD_SETTINGS = {
    "CELERY_ACKS_LATE": "task_acks_late",
    "CELERYD_TASK_TIME_LIMIT": "task_time_limit",
    "CELERYD_TASK_SOFT_TIME_LIMIT": "task_soft_time_limit",
    "CELERY_REJECT_ON_WORKER_LOST": "task_reject_on_worker_lost",
    "CELERY_ACKS_ON_FAILURE_OR_TIMEOUT": "task_acks_on_failure_or_timeout",
    "CELERY_IGNORE_RESULT": "task_ignore_result",
    "CELERY_ANNOTATIONS": "task_annotations",
    "CELERYBEAT_SCHEDULE": "beat_schedule",
    "CELERY_RESULT_BACKEND": "result_backend",
    "CELERY_TASK_RESULT_EXPIRES": "result_expires",
    "CELERY_STORE_ERRORS_EVEN_IF_IGNORED": "task_store_errors_even_if_ignored",
}
