"""The source text behind a finding: its lines for code frames, its exact text for fingerprints.

Findings carry a path and a span, not text (they cross the process pool and stay small). The
baseline and the reports read the text back here, decoded the way the engine decoded it, once per
file and only for files that have findings.
"""

from __future__ import annotations

from collections.abc import Mapping

from retrylint.model import Span
from retrylint.source import SourceDecodeError, decode_source


class SourceFiles:
    """Lines of the files findings point into, read lazily and kept for the run.

    ``overlay`` maps paths to bytes that stand in for the file on disk (source read from stdin).
    A file that cannot be read or decoded has no lines: its findings get no frame, and their
    fingerprint falls back to the span's position (see ``baseline``).
    """

    def __init__(self, overlay: Mapping[str, bytes] | None = None) -> None:
        self._overlay = dict(overlay or {})
        self._lines: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        """The file's lines without line endings, or None when it cannot be read."""
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def _read(self, path: str) -> list[str] | None:
        try:
            data = self._overlay.get(path)
            if data is None:
                with open(path, "rb") as handle:
                    data = handle.read()
            return decode_source(data).text.splitlines()
        except (OSError, SourceDecodeError):
            return None

    def text(self, path: str, span: Span) -> str | None:
        """The exact text the span covers (columns are 1-based code points, end exclusive)."""
        lines = self.lines(path)
        if lines is None or not 1 <= span.line <= len(lines):
            return None
        last = min(span.end_line, len(lines))
        if last == span.line:
            return lines[span.line - 1][span.column - 1 : span.end_column - 1]
        parts = [lines[span.line - 1][span.column - 1 :]]
        parts.extend(lines[span.line : last - 1])
        parts.append(lines[last - 1][: span.end_column - 1])
        return "\n".join(parts)

    def frame(self, path: str, span: Span) -> list[tuple[int, str]]:
        """The finding's own lines, numbered: never more, so a frame cannot show a neighbouring
        line (a secret assigned just above a finding stays out of the report)."""
        lines = self.lines(path)
        if lines is None:
            return []
        last = min(max(span.end_line, span.line), len(lines))
        return [(number, lines[number - 1]) for number in range(span.line, last + 1)]
