"""What a check reports: a finding, and optionally a fix made of text edits.

Fixes are data, not callbacks: a list of text edits over the file's decoded source, computed
while the CST is in hand (replacement text comes from libcst's own code generation, so the
formatting inside the replaced node is kept). Being data, they cross the process pool, can be
cached, are checked for overlap, and are applied by one small fixer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrylint.model import Span

FixSafety = Literal["safe", "unsafe"]
Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``span`` (1-based lines and columns, end exclusive) with ``content``.

    An insertion has an empty span (start == end). ``import_line`` marks an edit that adds an
    import statement: the fixer applies each distinct one once per file.
    """

    span: Span
    content: str
    import_line: bool = False


@dataclass(frozen=True)
class Fix:
    safety: FixSafety
    title: str  # what applying it does, e.g. "add retry_backoff=True, retry_jitter=True"
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: str
    message: str
    path: str
    span: Span
    confidence: Confidence = "high"
    job: str | None = None  # the job's qualified name
    fix: Fix | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)
