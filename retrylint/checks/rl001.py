"""RL001 syntax-error: a file that cannot be parsed is reported where it breaks; the run goes on."""

from __future__ import annotations

from retrylint.checks import make_finding
from retrylint.findings import Finding
from retrylint.model import Span


def syntax_error(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    line, column = max(line, 1), max(column, 1)
    return make_finding("RL001", message, path, Span(line, column, line, column + 1))
