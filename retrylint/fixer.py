"""Apply fixes: text edits, iterated to a fixed point in memory, checked, then written atomically.

How a file gets fixed:
1. Take the applicable fixes (safe; unsafe too with ``--unsafe-fixes``) of its findings and apply
   every one whose edits do not overlap an edit already taken. Identical import edits are applied
   once, and not at all when the file already has that line.
2. The new text must parse; if it does not, the file's fixes are dropped and reported. Imports
   the fixes made unused are removed and added ``from`` imports merged (``fix_imports``).
3. Analyse the project again with the new text in memory and repeat while fixes remain (an
   overlapping fix left out in one round is applied in the next), at most ``MAX_ROUNDS`` times.
   A file that still has applicable fixes after that is unstable (fixing twice would change it
   again): its changes are dropped and reported, never half-applied.
4. Write: a temp file in the same folder, same encoding, BOM, line endings and file mode, then
   ``os.replace``. Nothing is written for ``--diff``.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from retrylint.findings import Finding, Fix
from retrylint.fix_imports import tidy_imports
from retrylint.source import LINE_BREAK, SourceText, decode_source, encode_source, line_starts

MAX_ROUNDS = 8


def _offset(starts: list[int], text: str, line: int, column: int) -> int:
    if line - 1 >= len(starts):
        return len(text)
    return min(starts[line - 1] + column - 1, len(text))


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (fix.safety == "safe" or unsafe)


def apply_fixes(text: str, fixes: Sequence[Fix], newline: str = "\n") -> tuple[str, int]:
    """Apply the non-overlapping fixes to ``text``; returns (new text, number of fixes applied).

    A fix is all-or-nothing: if any of its edits overlaps an edit already taken, the whole fix
    waits for the next round. Inserted text uses the file's own line ending.
    """
    starts = line_starts(text)
    taken: list[tuple[int, int]] = []
    chosen: list[tuple[int, int, str]] = []
    imports_seen: set[str] = set()
    applied = 0
    for fix in fixes:
        ranges: list[tuple[int, int, str]] = []
        new_imports: set[str] = set()
        for edit in fix.edits:
            content = LINE_BREAK.sub(newline, edit.content)
            if edit.import_line:
                key = edit.content.strip()
                if key in imports_seen or key in new_imports or _has_line(text, key):
                    continue
                new_imports.add(key)
            start = _offset(starts, text, edit.span.line, edit.span.column)
            end = _offset(starts, text, edit.span.end_line, edit.span.end_column)
            ranges.append((start, end, content))
        if any(_conflict((start, end), t) for start, end, _ in ranges for t in taken):
            continue
        imports_seen |= new_imports
        taken.extend((start, end) for start, end, _ in ranges)
        chosen.extend(ranges)
        applied += 1
    for start, end, content in sorted(chosen, key=lambda r: (r[0], r[1]), reverse=True):
        text = text[:start] + content + text[end:]
    return text, applied


def _conflict(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two edits cannot both apply: overlapping ranges, or an insertion at the start of
    or inside a replaced range, or two insertions at one point (their order would be a guess)."""
    (a0, a1), (b0, b1) = a, b
    if a0 == a1 and b0 == b1:
        return a0 == b0
    if a0 == a1:
        return b0 <= a0 < b1
    if b0 == b1:
        return a0 <= b0 < a1
    return a0 < b1 and b0 < a1


def _has_line(text: str, line: str) -> bool:
    return any(existing.strip() == line for existing in text.splitlines())


@dataclass
class FixOutcome:
    """What fixing did: the original and new text per path, and what was dropped and why."""

    originals: dict[str, SourceText] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)  # the bytes the fixes were made on
    fixed: dict[str, str] = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    def changed_paths(self) -> list[str]:
        return sorted(p for p, text in self.fixed.items() if text != self.originals[p].text)

    def diff(self, display: Callable[[str], str]) -> str:
        chunks: list[str] = []
        for path in self.changed_paths():
            before = self.originals[path].text.splitlines(keepends=True)
            after = self.fixed[path].splitlines(keepends=True)
            name = display(path)
            chunks.extend(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))
        return "".join(chunk if chunk.endswith("\n") else chunk + "\n" for chunk in chunks)


Analyse = Callable[[dict[str, bytes]], list[Finding]]


def fix_until_stable(
    findings: list[Finding],
    read: Callable[[str], bytes],
    analyse: Analyse,
    *,
    unsafe: bool,
    first_party: frozenset[str] = frozenset(),
) -> tuple[FixOutcome, list[Finding]]:
    """Fix every file with applicable fixes; returns the outcome and the findings that remain.

    ``analyse(overlay)`` re-runs the whole analysis with ``overlay`` (path -> bytes) standing in
    for files on disk, so project-level rules see the fixed text too. ``first_party``: the
    project's own top-level modules, for where an added import line goes.
    """
    from retrylint.file_phase import parses

    outcome = FixOutcome()
    overlay: dict[str, bytes] = {}
    current = findings
    for _ in range(MAX_ROUNDS):
        by_path: dict[str, list[Fix]] = {}
        for finding in current:
            if applicable(finding.fix, unsafe) and finding.path not in dict(outcome.dropped):
                assert finding.fix is not None
                by_path.setdefault(finding.path, []).append(finding.fix)
        if not by_path:
            return outcome, current
        for path, fixes in sorted(by_path.items()):
            if path not in outcome.originals:
                outcome.raw[path] = read(path)
                outcome.originals[path] = decode_source(outcome.raw[path])
            source = outcome.originals[path]
            text = outcome.fixed.get(path, source.text)
            new_text, _ = apply_fixes(text, fixes, source.newline)
            if not parses(new_text):
                outcome.dropped.append((path, "the fixed code does not parse; fixes not applied"))
                outcome.fixed.pop(path, None)
                overlay.pop(path, None)
                continue
            outcome.fixed[path] = new_text = tidy_imports(
                text, new_text, _added(text, fixes), first_party
            )
            overlay[path] = encode_source(new_text, source)
        current = analyse(overlay)
    unstable = {f.path for f in current if applicable(f.fix, unsafe)}
    for path in sorted(unstable):
        outcome.dropped.append((path, "fixes did not settle (fixing again would change it again)"))
        outcome.fixed.pop(path, None)
        overlay.pop(path, None)
    if unstable:
        current = analyse(overlay)
    return outcome, current


def _added(text: str, fixes: Sequence[Fix]) -> set[str]:
    """The import lines the fixes add to ``text`` (those it does not have already)."""
    lines = {e.content.strip() for fix in fixes for e in fix.edits if e.import_line}
    return {line for line in lines if not _has_line(text, line)}


class ChangedOnDisk(OSError):
    """The file is no longer what the fixes were made on: writing would lose that change."""


def write_atomically(path: str, data: bytes, expected: bytes | None = None) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, same mode, then rename.

    A symlink is written through (its target is replaced), so the link itself stays a link.
    With ``expected``, the file is read again just before the rename and left alone when it
    changed since the fixes were computed (an editor saved it meanwhile): stale content never
    overwrites newer work.
    """
    path = os.path.realpath(path)
    folder = os.path.dirname(path)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if not mode & stat.S_IWUSR:  # a rename would replace it anyway: respect the owner's choice
        raise PermissionError(errno.EACCES, "the file is read-only", path)
    handle, temp = tempfile.mkstemp(prefix=".retrylint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        if expected is not None:
            with open(path, "rb") as current:
                if current.read() != expected:
                    raise ChangedOnDisk(f"{path} changed on disk while it was being fixed")
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_outcome(outcome: FixOutcome, skip: str | None = None) -> list[tuple[str, str]]:
    """Write every changed file but ``skip`` (stdin); returns (path, error) for failed writes."""
    errors = []
    for path in outcome.changed_paths():
        if path == skip:
            continue
        try:
            data = encode_source(outcome.fixed[path], outcome.originals[path])
            write_atomically(path, data, expected=outcome.raw.get(path))
        except ChangedOnDisk:
            errors.append((path, "changed on disk while it was being fixed: left as it is"))
        except (OSError, UnicodeEncodeError) as error:
            errors.append((path, f"could not write the fix: {error}"))
    return errors
