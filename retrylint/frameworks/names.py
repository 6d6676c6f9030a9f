"""Names every adapter and the prefilter share: how a job is invoked, and what a job decorator
looks like. Plain constants and no parser: the prefilter decides from them which files need one.
"""

from __future__ import annotations

# Methods whose receiver is the job itself.
JOB_METHODS = frozenset(
    {
        "delay",
        "apply_async",
        "s",
        "si",
        "signature",
        "subtask",
        "map",
        "starmap",
        "chunks",
        "send",
        "send_with_options",
        "message",
        "message_with_options",
        "kiq",
        "kicker",
        "schedule",
        "call_local",
        "enqueue",
    }
)
# Methods whose first argument names the job (a function, a dotted string, or a task name).
BY_ARGUMENT_METHODS = frozenset(
    {
        "enqueue",
        "enqueue_call",
        "enqueue_in",
        "enqueue_at",
        "prepare_data",
        "send_task",
        "enqueue_job",
        "signature",
    }
)
# Module-level functions that name a job by its registered name: ``signature("shop.tasks.x")``.
BY_NAME_FUNCTIONS = {
    "celery.signature": ("signature", "celery"),
    "celery.subtask": ("signature", "celery"),
}
# Last parts of names that look like a job decorator, in a factory's body or on a function.
DECORATOR_NAMES = frozenset(
    {"actor", "task", "shared_task", "job", "periodic_task", "db_task", "db_periodic_task"}
)
# Keywords that configure a job in some framework: a decorator passing one may be a factory.
JOB_KEYWORDS = frozenset(
    {
        "actor_name",
        "queue_name",
        "max_retries",
        "min_backoff",
        "max_backoff",
        "retry_when",
        "throws",
        "time_limit",
        "max_age",
        "autoretry_for",
        "retry_backoff",
        "default_retry_delay",
        "acks_late",
        "retries",
        "retry_delay",
        "retry",
        "result_ttl",
        "failure_ttl",
    }
)
