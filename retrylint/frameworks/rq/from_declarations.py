"""What RQ's project phase reads of every file from its declarations alone (see
``frameworks.DECLARED``)."""

from __future__ import annotations

from typing import Any

from retrylint.declarations import Declarations, function_spans
from retrylint.frameworks.rq.records import CLASSES_KEY, FUNCTIONS_KEY, MODULE_BINDINGS_KEY


def declared(declarations: Declarations) -> list[tuple[str, Any]]:
    """What RQ's project phase needs of every file: where module functions and methods of
    module classes are (any may be enqueued from another module, and its job is located at its
    ``def``); every class's bases and method names (``self.enqueue(f)`` in a class that defines
    or inherits ``enqueue`` calls that method, not a queue); module-level ``name = Class(...)``
    (a receiver imported from here is that class's)."""
    found: list[tuple[str, Any]] = []
    spans = function_spans(declarations)
    if spans:
        found.append((FUNCTIONS_KEY, spans))
    classes = tuple((c.qualname, c.bases, c.methods) for c in declarations.classes)
    if classes:
        found.append((CLASSES_KEY, classes))
    bindings = tuple(
        (name, callee)
        for name, callee in declarations.constant_calls
        if callee and callee.rsplit(".", 1)[-1][:1].isupper()
    )
    if bindings:
        found.append((MODULE_BINDINGS_KEY, bindings))
    return found
