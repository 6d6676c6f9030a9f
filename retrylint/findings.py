"""What a check reports: a finding, and optionally a fix made of text edits.

Fixes are data, not callbacks: a list of text edits over the file's decoded source, computed
while the CST is in hand (replacement text comes from libcst's own code generation, so the
formatting inside the replaced node is kept). Being data, they cross the process pool, can be
cached, are checked for overlap, and are applied by one small fixer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from retrylint.model import Span

if TYPE_CHECKING:
    from retrylint.reach import JobReach

FixSafety = Literal["safe", "unsafe"]
SEVERITY_ORDER: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
_ONE_LOWER = {"high": "medium", "medium": "low", "low": "low"}
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
    # The background jobs whose code runs this place (several when a shared helper is reached
    # from many), and the calls from the first one's body to the place (qualified names).
    jobs: tuple[str, ...] = ()
    call_path: tuple[str, ...] = ()
    # A per-file check's finding that holds only in job code: the function it is in (qualname in
    # its module); the engine keeps it when a job reaches that function, naming the jobs.
    function: str | None = None
    job_code: bool = False
    job_body_only: bool = False  # kept only where the function is a job's own body

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)


def lower_severity(severity: str) -> str:
    """One step down: high -> medium -> low (low stays low)."""
    return _ONE_LOWER.get(severity, severity)


def keep_job_code(findings: Iterable[Finding], reach: JobReach) -> list[Finding]:
    """Findings that hold only in job code, kept where a job reaches them, naming the jobs and
    one call path (the shortest); the others dropped. Other findings pass unchanged. One that
    holds only in a job's own body is kept for the jobs whose body it is."""
    kept: list[Finding] = []
    for finding in findings:
        if not finding.job_code:
            kept.append(finding)
            continue
        reaching = reach.jobs_reaching(finding.path, finding.function)
        if finding.job_body_only:
            reaching = tuple(r for r in reaching if len(r.call_path) == 1)
        if reaching:
            jobs = tuple(dict.fromkeys(r.job.qualname for r in reaching))
            kept.append(replace(finding, jobs=jobs, call_path=reaching[0].call_path))
    return kept


def merge_places(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per place: findings of one rule on one node, from several jobs, become one.

    A retry helper shared by five tasks is one problem in one place; it is reported once, naming
    every job it concerns (the first one's message and call path, the highest severity, and a
    fix when any of them has one: a job the fix does not help is reported again afterwards).
    """
    merged: dict[tuple[str, str, Span], Finding] = {}
    for finding in findings:
        key = (finding.code, finding.path, finding.span)
        first = merged.get(key)
        if first is None:
            merged[key] = finding
            continue
        jobs = tuple(dict.fromkeys((*first.jobs, *finding.jobs)))
        severity = max(first.severity, finding.severity, key=SEVERITY_ORDER.__getitem__)
        fix = first.fix or finding.fix  # a fix of the place serves every job it still helps
        merged[key] = replace(first, jobs=jobs, severity=severity, fix=fix)
    return list(merged.values())
