"""tenacity's own names: the framework, its ``retry`` decorator, the ``Retrying`` classes, and
the order in which they take their options positionally.

A room of its own so that every other room (``sites``, ``combinators``, ``policy``) can read them
without importing one another.
"""

from __future__ import annotations

from retrylint.frameworks.retry_library.from_declarations import TENACITY_DECORATORS

FRAMEWORK = "tenacity"
DECORATORS = TENACITY_DECORATORS
RETRYING_CLASSES = frozenset({"Retrying", "AsyncRetrying", "TornadoRetrying"})
# BaseRetrying.__init__ parameter order (tenacity/__init__.py): retry(*dargs) passes them on.
POSITIONAL = (
    "sleep",
    "stop",
    "wait",
    "retry",
    "before",
    "after",
    "before_sleep",
    "reraise",
    "retry_error_cls",
    "retry_error_callback",
    "name",
    "enabled",
)
