"""What Celery's project phase reads of every file from its declarations alone (see
``frameworks.DECLARED``): the callee each module-level name was bound to."""

from __future__ import annotations

from typing import Any

from retrylint.declarations import Declarations

BINDING_KEY = "celery.binding"


def declared(declarations: Declarations) -> list[tuple[str, Any]]:
    """What each module-level name was built by: tells a Huey/taskiq object (or a factory's
    result) from a Celery app when a receiver is resolved later."""
    return [(BINDING_KEY, binding) for binding in declarations.module_calls]
