"""Functions decorated by a name that may be a retry policy another module shares (see
``frameworks.DECLARED``): read from a file's declarations alone, so the outline writes them
without the parser; ``shared`` joins them with the policies in the project phase."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrylint.declarations import Declarations
from retrylint.model import Span

# Each library's own decorators: applied directly they are that library's job, not a shared
# policy (each adapter reads its set from here).
TENACITY_DECORATORS = frozenset({"tenacity.retry"})
BACKOFF_DECORATORS = frozenset({"backoff.on_exception", "backoff.on_predicate"})
STAMINA_DECORATORS = frozenset({"stamina.retry"})
RETRYING_DECORATORS = frozenset({"retrying.retry"})
LIBRARY_DECORATORS = (
    TENACITY_DECORATORS | BACKOFF_DECORATORS | STAMINA_DECORATORS | RETRYING_DECORATORS
)
DECORATED_KEY = "retry_library.decorated"
# Decorators that are never a project's retry policy: not worth recording per function.
NOT_POLICIES = ("property", "staticmethod", "classmethod", "functools.", "abc.", "typing.")


@dataclass(frozen=True)
class Use:
    """A function decorated by a name that may be a shared policy of another module."""

    function: str
    decorator: str  # qualified as written in the using module
    called: bool
    passed: tuple[str, ...]  # parameters the use binds: "#0", "#1" ... and keyword names
    span: Span  # the function's name
    is_async: bool


def declared(declarations: Declarations) -> list[tuple[str, Any]]:
    """Functions decorated by a name that may be a shared policy of another module."""
    uses = tuple(
        Use(d.function, d.decorator, d.called, d.passed, d.span, d.is_async)
        for d in declarations.decorated
        if not d.decorator.startswith(NOT_POLICIES) and d.decorator not in LIBRARY_DECORATORS
    )
    return [(DECORATED_KEY, uses)] if uses else []
