"""When a few files changed since the last run over the same files, whether the project phase
can be skipped, and the last run's outcome with those files' findings redone.

The project phase (build the index, resolve every job, compute job reach, run the project
rules) reads every file's facts: on a 5,558-file project it is most of a run where one file
changed, even with every other file answered from the cache. Yet most edits cannot change its
output, in one of two ways:

- the file's facts are the same as before, positions included (a comment added at its end, a
  log message reworded, a suppression comment added): the project phase would read exactly
  what it read, so every job, every reach and every project finding stands, those in the file
  included. Its own findings are redone; a job-code finding among them needs job reach to be
  kept or dropped, so one that changed runs the project phase after all.
- the file is one the last run's project output never mentions (no job, no reached function,
  no project finding, no policy value, no quoted location is in it, and no name it defines is
  quoted), and what the project phase reads of it is equal but for positions: positions only
  reach the output of a project rule through a finding or a job, and those would mention the
  file. Its own findings are redone, and those that hold only in job code drop, as job reach
  drops them in a file no job reaches.

Anything else -- a file added or removed, a changed config or selection, a line moved in a
job's file, an edit to a reached function or to what a job could resolve to, a file that cannot
be read -- runs the project phase again. A test compares both paths on edited fixture projects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace

from retrylint.facts import FileFacts, FileResult, Packed
from retrylint.findings import Finding
from retrylint.model import Span

# What ``engine.run`` stores for a whole run: findings, errors, files checked, skipped files.
Outcome = tuple[list[Finding], list[tuple[str, str]], int, list[tuple[str, str]]]

# Dataclass fields that hold a line number: dropped from the project view with every Span.
_POSITION_FIELDS = frozenset({"line", "end_line", "column", "end_column"})


@dataclass(frozen=True)
class LastRun:
    """The last `check` over one list of files: each file's digest, the outcome, and every
    string the project phase's output held (jobs, reach, project findings before merging)."""

    digests: dict[str, bytes]
    outcome: Outcome
    mentions: tuple[str, ...]
    # Per file, its findings before suppressions and per-file-ignores (after job reach, the
    # project findings in it included): what an edit of suppression comments filters anew.
    unfiltered: dict[str, tuple[Finding, ...]]
    # Files holding code some job reaches: analysed in full even when the prefilter would
    # outline them, as the full run does.
    reached: frozenset[str]

    def changed(self, digests: Mapping[str, bytes]) -> list[str] | None:
        """The files whose bytes differ now, in order; None when the files are not the same."""
        if self.digests.keys() != digests.keys():
            return None
        return [path for path, known in self.digests.items() if digests[path] != known]

    def mentions_file(self, path: str, module: str) -> bool:
        """Whether the project output names the file ``path`` holding module ``module``: alone,
        inside a message or location, or as the start of a qualified name.

        A substring test: a name that merely contains another (``data.py`` in ``metadata.py``)
        only costs a full project phase.
        """
        return any(path in text or module in text for text in self.mentions)


def mentions_of(outputs: Iterable[object]) -> tuple[str, ...]:
    """Every distinct string held anywhere in ``outputs`` (dataclasses, tuples, dicts, sets)."""
    found: set[str] = set()
    stack: list[object] = list(outputs)
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, Packed):
            stack.append(item.value)
        elif is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in fields(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (tuple, list, set, frozenset)):
            stack.extend(item)
    return tuple(sorted(found))


def project_view(facts: FileFacts) -> object:
    """What the project phase can read of a file that its output does not mention: the facts
    without positions (an import's insertion line among them) and without what only the file's
    own suppression pass reads."""
    return _positionless(replace(_project_input(facts), import_insert_line=0))


def _positionless(item: object) -> object:
    if isinstance(item, Span):
        return None
    if isinstance(item, Packed):
        return _positionless(item.value)
    if is_dataclass(item) and not isinstance(item, type):
        return (
            type(item).__qualname__,
            tuple(
                _positionless(getattr(item, f.name))
                for f in fields(item)
                if f.name not in _POSITION_FIELDS
            ),
        )
    if isinstance(item, (tuple, list)):
        return tuple(_positionless(value) for value in item)
    if isinstance(item, (set, frozenset)):
        return frozenset(_positionless(value) for value in item)
    if isinstance(item, dict):
        return tuple((key, _positionless(value)) for key, value in item.items())
    return item


def redone(
    last: LastRun, path: str, before: FileResult | None, after: FileResult, mentioned: bool
) -> list[Finding] | None:
    """The findings of ``path`` before suppressions, when its change (``before`` -> ``after``)
    cannot change the project phase's output; else None (the module's docstring says when).

    A file with an error or a crashed part falls back to the full run, which orders its errors
    among the others.
    """
    if before is None or before.facts is None or after.facts is None:
        return None
    if before.error or after.error or before.internal_errors or after.internal_errors:
        return None
    if _project_input(before.facts) == _project_input(after.facts):
        prior = last.unfiltered.get(path, ())
        if after.findings == before.findings:
            return list(prior)
        if any(f.job_code for f in (*before.findings, *after.findings)):
            return None  # kept or dropped by job reach, which this run does not have
        own = frozenset(before.findings)  # the rest of prior: the project findings in it
        return list(after.findings) + [f for f in prior if f not in own]
    if mentioned or project_view(before.facts) != project_view(after.facts):
        return None
    return [f for f in after.findings if not f.job_code]


def _project_input(facts: FileFacts) -> FileFacts:
    """The facts without what only the file's own suppression pass reads."""
    return replace(facts, suppressions=(), ignore_file=False, statement_starts=())


def by_path(findings: Iterable[Finding]) -> dict[str, tuple[Finding, ...]]:
    """``LastRun.unfiltered`` from a run's findings before suppressions, in their order."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.path, []).append(finding)
    return {path: tuple(found) for path, found in grouped.items()}


def with_files_replaced(outcome: Outcome, paths: Iterable[str], kept: list[Finding]) -> Outcome:
    """``outcome`` with every finding on ``paths`` replaced by ``kept``, in report order."""
    changed = frozenset(paths)
    findings, errors, files, skipped = outcome
    merged = [f for f in findings if f.path not in changed] + kept
    merged.sort(key=Finding.sort_key)
    return merged, errors, files, skipped
