"""Suppression comments: ``# noqa: RL101``, ``# retrylint: ignore[RL101,RL303]``, file-level
``# retrylint: ignore-file``, and which of them suppressed nothing (RL002).

Comments are read with ``tokenize`` (so ``"# noqa"`` inside a string is not a comment), and only
when the text mentions one at all. The same token stream gives the logical lines: a suppression
on the first line of a multi-line statement covers the whole statement, as in ruff.
"""

from __future__ import annotations

import io
import re
import tokenize
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from retrylint.facts import Suppression
from retrylint.findings import Finding
from retrylint.model import Span

_NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+|\s+[A-Za-z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_IGNORE = re.compile(r"#\s*retrylint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?(?![-\w])")
_IGNORE_FILE = re.compile(r"#\s*retrylint:\s*ignore-file\b")
_CODE = re.compile(r"[A-Za-z]+[0-9]+")
_LAYOUT_TOKENS = (tokenize.NL, tokenize.INDENT, tokenize.DEDENT)


@dataclass(frozen=True)
class CommentScan:
    suppressions: tuple[Suppression, ...]
    ignore_file: bool
    statement_starts: tuple[
        tuple[int, int], ...
    ]  # (first line, last line) of multi-line statements


def scan_comments(source: str) -> CommentScan:
    """Suppression comments and multi-line statement ranges of a file that parsed."""
    if not may_suppress(source):
        return CommentScan((), False, ())
    suppressions: list[Suppression] = []
    ignore_file = False
    ranges: list[tuple[int, int]] = []
    logical_start: int | None = None
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        for token in tokens:
            if token.type == tokenize.COMMENT:
                ignore_file = ignore_file or bool(_IGNORE_FILE.search(token.string))
                suppression = _parse_comment(token.string, token.line, *token.start)
                if suppression is not None:
                    suppressions.append(suppression)
            elif token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if logical_start is not None and token.start[0] > logical_start:
                    ranges.append((logical_start, token.start[0]))
                logical_start = None
            elif logical_start is None and token.type not in _LAYOUT_TOKENS:
                logical_start = token.start[0]
    except (tokenize.TokenError, SyntaxError):
        pass  # libcst accepted the file; tokenize may still trip on newer syntax
    return CommentScan(tuple(suppressions), ignore_file, tuple(ranges))


def _parse_comment(text: str, physical: str, line: int, column: int) -> Suppression | None:
    span = Span(line, column + 1, line, column + 1 + len(text))
    code_end = len(physical[:column].rstrip()) + 1
    if match := _IGNORE.search(text):
        codes = match.group("codes")
        parsed = tuple(c.upper() for c in _CODE.findall(codes)) if codes is not None else None
        return Suppression(line, parsed, "retrylint", span, text, code_end)
    if match := _NOQA.search(text):
        codes = match.group("codes")
        parsed = tuple(c.upper() for c in _CODE.findall(codes)) if codes else None
        return Suppression(line, parsed, "noqa", span, text, code_end)
    return None


# Every mention of noqa in the text, foreign or ours.
_NOQA_WORD = re.compile(r"noqa", re.IGNORECASE)


def may_suppress(source: str) -> bool:
    """Whether the file may hold a comment that suppresses a retrylint finding.

    Tokenizing is a pure-Python pass over the whole file, so it runs only when this text search
    says it could matter: a ``retrylint:`` directive, a bare ``noqa``, or a ``noqa`` naming an
    ``RL`` code. A ``# noqa: E501`` for other linters suppresses nothing of ours and is never
    reported as unused, so a file whose every ``noqa`` is such a comment needs no scan. Any
    ``noqa`` the search cannot read as that shape (a bare one, one inside a string that is not a
    comment) counts as one that may matter. The search reads the same pattern as the comment
    parser, so a comment it calls foreign is foreign when tokenized too.
    """
    if "retrylint:" in source:
        return True
    words = len(_NOQA_WORD.findall(source))
    if not words:
        return False
    foreign = 0
    for match in _NOQA.finditer(source):
        codes = match.group("codes")
        if codes and not any(code.upper().startswith("RL") for code in _CODE.findall(codes)):
            foreign += 1
    return foreign != words


class SuppressionMap:
    """Answers "is this finding suppressed?" and remembers which suppressions were used."""

    def __init__(self, scan: CommentScan | None) -> None:
        self.by_line: dict[int, list[Suppression]] = {}
        self.used: set[tuple[int, str | None]] = set()  # (comment line, code or None for bare)
        self.ignore_file = bool(scan and scan.ignore_file)
        ranges = sorted(scan.statement_starts) if scan else []
        self._range_starts = [first for first, _ in ranges]
        self._ranges = ranges
        for suppression in scan.suppressions if scan else ():
            self.by_line.setdefault(suppression.line, []).append(suppression)

    def _statement_start(self, line: int) -> int | None:
        index = bisect_right(self._range_starts, line) - 1
        if index >= 0:
            first, last = self._ranges[index]
            if first <= line <= last:
                return first
        return None

    def suppresses(self, finding: Finding) -> bool:
        if self.ignore_file:
            return True
        lines = [finding.line]
        start = self._statement_start(finding.line)
        if start is not None and start != finding.line:
            lines.append(start)
        for line in lines:
            for suppression in self.by_line.get(line, ()):
                if suppression.codes is None:
                    self.used.add((line, None))
                    return True
                if finding.code in suppression.codes:
                    self.used.add((line, finding.code))
                    return True
        return False

    def unused(
        self, selected: frozenset[str], known: frozenset[str]
    ) -> list[tuple[Suppression, tuple[str, ...]]]:
        """Suppressions naming retrylint codes that suppressed nothing, with those codes.

        A code is reported when its rule ran (selected) or when no such rule exists (a typo
        suppresses nothing); a code of a rule that is switched off is left alone. Bare
        ``# noqa`` is shared with every other linter and never reported; a bare
        ``# retrylint: ignore`` is ours and is.
        """
        result: list[tuple[Suppression, tuple[str, ...]]] = []
        for line, suppressions in sorted(self.by_line.items()):
            for suppression in suppressions:
                if suppression.codes is None:
                    if suppression.kind == "retrylint" and (line, None) not in self.used:
                        result.append((suppression, ()))
                    continue
                stale = tuple(
                    code
                    for code in suppression.codes
                    if code.startswith("RL")
                    and (line, code) not in self.used
                    and (code in selected or code not in known)
                )
                if stale:
                    result.append((suppression, stale))
        return result


def remove_codes(comment: str, kind: str, stale: Sequence[str]) -> str:
    """The comment without ``stale`` codes (all of a bare directive); "" when nothing remains."""
    match = (_IGNORE if kind == "retrylint" else _NOQA).search(comment)
    if match is None:
        return comment
    codes = match.group("codes") or ""
    kept = [c for c in _CODE.findall(codes) if c.upper() not in stale] if stale else []
    if not kept:
        return _strip_directive(comment, match)
    separator = "," if kind == "retrylint" else ", "
    return comment[: match.start("codes")] + separator.join(kept) + comment[match.end("codes") :]


def _strip_directive(comment: str, match: re.Match[str]) -> str:
    """Drop the directive; keep any other text that shared the comment (``# why # noqa: X``)."""
    before = comment[: match.start()].rstrip()
    after = comment[match.end() :].strip()
    if after.startswith("#"):
        after = after[1:].strip()
    remaining = " ".join(part for part in (before, after) if part and part != "#")
    if not remaining:
        return ""
    return remaining if remaining.startswith("#") else f"# {remaining}"
