"""What the two phases of the Huey adapter share: Huey's names, the keys under which the
per-file phase stores its data in ``sink.data``, and the raises it records in a task's body.

A room of its own so that the per-file modules (``tasks``, ``handlers``, ``calls``) and the
project modules (``receivers``, ``hooks``, ``jobs``, ``policy``) both import it without either
importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrylint.model import Span
from retrylint.values import Located, Value

FRAMEWORK = "huey"
DJHUEY = "huey.contrib.djhuey"
HUEY_CLASSES = frozenset(
    {
        "Huey",
        "RedisHuey",
        "PriorityRedisHuey",
        "RedisExpireHuey",
        "PriorityRedisExpireHuey",
        "SqliteHuey",
        "FileHuey",
        "MemoryHuey",
        "BlackHoleHuey",
        "PostgresHuey",
        "CySqliteHuey",
        "SqlHuey",  # huey.contrib.sql_huey
    }
)

SIGNALS_KEY = "huey.signals"  # ((receiver kind, receiver, hook kind, handler, span), ...)
ON_ERROR_KEY = "huey.on-error"  # ((task, handler, span), ...)


@dataclass(frozen=True)
class HueyRaise:
    """A ``raise RetryTask(...)`` / ``raise CancelExecution(...)`` in a task body."""

    exception: str  # qualified as written
    span: Span
    code: str
    delay: Located | None = None  # RetryTask(delay=...) / eta=...
    retry: Value = None  # CancelExecution(retry=...)
