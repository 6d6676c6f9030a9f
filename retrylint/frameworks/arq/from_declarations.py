"""arq coroutines a file's declarations alone decide (see ``frameworks.DECLARED``): in a file
naming arq nowhere, any module-level coroutine may be a job another module registers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrylint.declarations import Declarations, coroutine_span
from retrylint.frameworks.arq.records import COROUTINE_DATA, Coroutine
from retrylint.model import Span


def declared(declarations: Declarations) -> list[tuple[str, Any]] | None:
    """A file naming arq nowhere: its coroutines, any of which may be an arq job registered
    elsewhere (no ``Retry`` can be raised without importing arq); None when the text search
    does not place one."""
    return coroutines(declarations, None)


def coroutines(
    declarations: Declarations, fallback: Callable[[str], Span] | None
) -> list[tuple[str, Any]] | None:
    """Spans come from the text, not the position pass: most files with coroutines hold no job."""
    found: list[tuple[str, Any]] = []
    for name in declarations.coroutines:
        span = coroutine_span(declarations, name)
        if span is None:
            if fallback is None:
                return None
            span = fallback(name)
        found.append((COROUTINE_DATA, Coroutine(name, span, (), False)))
    return found
