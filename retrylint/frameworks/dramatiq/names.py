"""Dramatiq's own names, read by every room of the adapter and by ``declared``: the framework,
its decorators and classes, actor options, and the keys of the records the rooms share."""

from __future__ import annotations

FRAMEWORK = "dramatiq"
ACTOR_DECORATORS = frozenset({"dramatiq.actor", "dramatiq.actor.actor"})
GENERIC_ACTORS = frozenset({"dramatiq.GenericActor", "dramatiq.generic.GenericActor"})
SET_BROKER = frozenset({"dramatiq.set_broker", "dramatiq.broker.set_broker"})
GET_BROKER = frozenset({"dramatiq.get_broker", "dramatiq.broker.get_broker"})
# Middleware classes whose constructor keywords are broker-wide defaults for every actor.
CONFIG_MIDDLEWARE = {"Retries": "Retries", "TimeLimit": "TimeLimit", "AgeLimit": "AgeLimit"}
# Middleware methods that see a failed message: a custom one is a failure hook.
HOOK_METHODS = ("after_process_message", "after_skip_message", "after_nack")
# Actor options (dramatiq 2.2 actor.py and the default middleware's actor_options).
ACTOR_OPTIONS = frozenset(
    {
        "abstract",
        "actor_name",
        "queue_name",
        "priority",
        "broker",
        "max_retries",
        "min_backoff",
        "max_backoff",
        "retry_when",
        "throws",
        "time_limit",
        "max_age",
        "on_failure",
        "on_success",
        "on_retry_exhausted",
        "notify_shutdown",
    }
)
SUBCLASS_DATA = "dramatiq.subclass"
BUILT_BY = "()"  # a broker made by a function is named "<function>()"
RETRY = frozenset({"dramatiq.Retry", "dramatiq.errors.Retry"})
RETRY_RAISES_DATA = "dramatiq.retry-raises"
