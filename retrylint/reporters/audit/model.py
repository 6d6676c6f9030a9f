"""What an audit report says, computed once and rendered as HTML, Markdown or JSON.

Everything is read from the job model (``Job``, its ``RetryPolicy`` with provenance, failure
hooks, time limit), from each job's side effects (the column appears when any job has one) and
from ``Finding``s (``job``, ``jobs``, severity, span): no rule is special-cased, so a rule or a
job field added later appears in the report by itself.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from retrylint.catalog import Catalog, Rule
from retrylint.effects.jobs import project_effects
from retrylint.findings import SEVERITY_ORDER, Finding
from retrylint.model import UNBOUNDED, Delay, Job, Marker, Sourced
from retrylint.policy_math import format_duration, retry_window
from retrylint.reach import QUEUE_FRAMEWORKS, JobReach
from retrylint.reporters import display_path, mask
from retrylint.reporters.audit import grading
from retrylint.reporters.jobs_report import seconds_text, side_effect_kinds, value_text
from retrylint.spans import SourceFiles

SEVERITIES = ("high", "medium", "low")
FAMILIES = {
    "RL0": "the tool itself",
    "RL1": "retry bounds",
    "RL2": "backoff and jitter",
    "RL3": "failure handling",
    "RL4": "idempotency",
    "RL5": "secrets",
    "RL6": "visibility and limits",
}
FRAME_LINES = 8  # a code frame shows at most this many of a finding's lines


def family_of(code: str) -> str:
    return FAMILIES.get(code[:3], "other")


@dataclass(frozen=True)
class Cell:
    """One policy value as the inventory shows it, and where it came from."""

    text: str
    source: str | None = None  # explicit, app-config, default; None when not a policy value
    origin: str = ""  # the wording of where it was set, for a tooltip

    @property
    def is_default(self) -> bool:
        return self.source == "default"


@dataclass(frozen=True)
class FrameLine:
    """A source line of a code frame, split around the part the finding points at."""

    number: int
    before: str
    marked: str
    after: str


@dataclass(frozen=True)
class FindingEntry:
    finding: Finding
    anchor: str
    family: str
    frame: tuple[FrameLine, ...]
    frame_omitted: int  # lines of the finding left out of the frame
    other_jobs: tuple[str, ...]  # jobs running the place besides the group's own

    @property
    def path(self) -> str:
        return display_path(self.finding.path)

    @property
    def message(self) -> str:
        return mask(self.finding.message)


@dataclass(frozen=True)
class Window:
    """The worst-case retry window of a job (``policy_math.retry_window``), for the chart."""

    seconds: float | None  # None: unbounded or unknown
    unbounded: bool
    text: str


@dataclass
class JobEntry:
    job: Job
    anchor: str
    queue_job: bool
    score: int
    grade: str
    cells: dict[str, Cell]
    window: Window | None  # None when the job does not retry
    findings: list[FindingEntry] = field(default_factory=list)  # grouped under this job
    finding_count: int = 0  # every finding in the job's code, grouped here or not
    reached_from: tuple[str, ...] = ()
    worst: str | None = None  # the highest severity among its findings

    @property
    def path(self) -> str:
        return display_path(self.job.path)

    @property
    def title(self) -> str:
        """What people call it: a loop's ``fn#loop@12``, else the function or task name."""
        job = self.job
        return job.name if "#" in job.name else (job.function or job.name)


@dataclass
class Audit:
    paths: tuple[str, ...]
    files: int
    jobs: list[JobEntry]
    findings: list[FindingEntry]
    jobless: list[FindingEntry]  # findings that concern no job
    fix_first: list[FindingEntry]
    by_framework: dict[str, int]
    by_severity: dict[str, int]
    by_family: dict[str, dict[str, int]]  # family -> severity -> count
    score: int
    grade: str
    grades: dict[str, int]  # letter -> number of jobs
    max_retry_window: float
    errors: list[tuple[str, str]]
    rules: dict[str, Rule]  # the catalog entries of the codes found
    formula: str = grading.FORMULA
    columns: tuple[tuple[str, str], ...] = ()  # (key, title) of the inventory's policy columns

    @property
    def highlights(self) -> list[str]:
        """What a lead asks first, in words, from the job model alone."""
        total = len(self.jobs)
        if not total:
            return ["No background jobs found."]
        retrying = self.retrying
        forever = sum(1 for e in retrying if e.window and e.window.unbounded)
        over = sum(
            1
            for e in retrying
            if e.window
            and e.window.seconds is not None
            and e.window.seconds > self.max_retry_window
        )
        unknown = sum(1 for e in retrying if e.window and e.window.text == "unknown")
        window = format_duration(self.max_retry_window)
        facts = [
            f"{len(retrying)} of {total} jobs retry; "
            + (f"{forever} can retry forever" if forever else "none retries forever")
            + "; "
            + (
                f"{over} can keep retrying for longer than {window}"
                if over
                else f"none for longer than {window}"
            )
            + (f"; {unknown} with a retry window computed at run time" if unknown else "")
            + ".",
        ]
        queue = [e for e in self.jobs if e.queue_job]
        if queue:
            hookless = sum(1 for e in queue if e.cells["hooks"].text == "none")
            facts.append(
                f"{hookless} of {len(queue)} queue jobs have no failure hook retrylint could find "
                "(failure callback, error link, failure signal handler)."
            )
            unlimited = sum(1 for e in queue if e.cells["time_limit"].text == "none")
            facts.append(f"{unlimited} of {len(queue)} queue jobs have no time limit.")
        found = len(self.findings)
        if found:
            touched = sum(1 for e in self.jobs if e.finding_count)
            counts = ", ".join(f"{n} {s}" for s, n in self.by_severity.items() if n)
            facts.append(
                f"{found} finding{'s' if found != 1 else ''} ({counts}) in {touched} of {total} jobs"
                + (f" and {len(self.jobless)} outside any job" if self.jobless else "")
                + "."
            )
        else:
            facts.append("No findings.")
        return facts

    @property
    def retrying(self) -> list[JobEntry]:
        """Jobs that retry, the longest retry window first (unbounded, then known, then unknown)."""

        def key(entry: JobEntry) -> tuple[int, float]:
            window = entry.window
            assert window is not None
            if window.unbounded:
                return (0, 0.0)
            return (1, -window.seconds) if window.seconds is not None else (2, 0.0)

        return sorted((e for e in self.jobs if e.window is not None), key=key)


def _cell(sourced: Sourced[Any] | None, text: str | None = None) -> Cell:
    if sourced is None:
        return Cell("-")
    return Cell(
        mask(text if text is not None else value_text(sourced.value)),
        sourced.source,
        mask(sourced.describe()),
    )


def _attempts(job: Job) -> Cell:
    policy = job.policy
    if policy.retries.value is False:
        return _cell(policy.retries, "1 (no retries)")
    text = value_text(policy.max_attempts.value)
    if job.policies:
        text += f" (worst of {len(job.policies) + 1} policies)"
    return _cell(policy.max_attempts, text)


def _backoff(delay: Delay) -> str:
    """``exponential from 1s, cap 10m``: the delay without jitter (a column of its own)."""
    if delay.strategy in ("none", "unknown"):
        return delay.strategy
    if delay.schedule:
        return "schedule " + ", ".join(seconds_text(wait) for wait in delay.schedule)
    cap = f"cap {seconds_text(delay.cap)}" if delay.cap is not None else "no cap"
    if delay.base is None:  # computed at run time: the shape is known, not the numbers
        return delay.strategy if delay.strategy == "constant" else f"{delay.strategy}, {cap}"
    base = seconds_text(delay.base)
    if delay.strategy == "constant":
        return f"constant {base}"
    return f"{delay.strategy} from {base}, {cap}"


def _yes_no(value: object) -> str:
    """True/False as people say them; a marker (unknown) as its name."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value_text(value)


def _jitter(job: Job) -> Cell:
    delay = job.policy.delay.value
    if delay.strategy == "none":
        return NOT_APPLICABLE
    text = "unknown" if delay.jitter is None else _yes_no(delay.jitter)
    return _cell(job.policy.delay, text)


def _exceptions(job: Job) -> Cell:
    policy = job.policy
    text = value_text(policy.retry_on.value)
    permanent = policy.permanent.value
    if permanent:
        text += "; never: " + value_text(permanent)
    return _cell(policy.retry_on, text)


def _hooks(job: Job) -> Cell:
    hooks = [f"{hook.kind}: {hook.target}" for hook in job.failure_hooks]
    hooks += [f"{name} (call site)" for site in job.call_sites for name in site.failure_hooks]
    if not hooks:
        return Cell("none")
    return Cell("; ".join(dict.fromkeys(hooks)), "explicit", "failure hooks found in the project")


def _time_limit(job: Job) -> Cell:
    limit = job.time_limit
    if limit is None:
        return Cell("-")
    value = limit.value
    text = "none" if value is None else value_text(value)
    return _cell(limit, text)


NOT_APPLICABLE = Cell("—")  # a retry setting of a job that does not retry


def policy_cells(job: Job) -> dict[str, Cell]:
    policy = job.policy
    retries = policy.retries.value is not False
    cells = {
        "attempts": _attempts(job),
        "backoff": _cell(policy.delay, _backoff(policy.delay.value)) if retries else NOT_APPLICABLE,
        "jitter": _jitter(job) if retries else NOT_APPLICABLE,
        "deadline": _cell(policy.deadline) if retries else NOT_APPLICABLE,
        "retry_on": _exceptions(job) if retries else NOT_APPLICABLE,
        "hooks": _hooks(job),
        "time_limit": _time_limit(job),
        "redelivery": _cell(policy.redelivery, _yes_no(policy.redelivery.value)),
    }
    return cells


def _window(job: Job) -> Window | None:
    policies = [p for p in job.all_policies() if p.retries.value is not False]
    if not policies:
        return None
    values = [retry_window(p) for p in policies]
    if any(v is UNBOUNDED for v in values):
        return Window(None, True, "unbounded")
    known = [float(v) for v in values if not isinstance(v, Marker)]
    if known:
        worst = max(known)
        return Window(worst, False, format_duration(worst) if worst else "0 s")
    return Window(None, False, "unknown")


def _frame(finding: Finding, sources: SourceFiles) -> tuple[tuple[FrameLine, ...], int]:
    span = finding.span
    lines = sources.frame(finding.path, span)
    shown = lines[:FRAME_LINES]
    frame = []
    for number, text in shown:
        masked = mask(text)
        if masked != text:  # a masked line keeps no markers: their columns no longer match
            frame.append(FrameLine(number, masked, "", ""))
            continue
        start = span.column - 1 if number == span.line else 0
        end = span.end_column - 1 if number == span.end_line else len(text)
        frame.append(FrameLine(number, text[:start], text[start:end], text[end:]))
    return tuple(frame), len(lines) - len(shown)


def _order(finding: Finding) -> tuple[int, int, int, tuple[str, int, int, str]]:
    """Fix first: severity, then confidence, then how many jobs it touches, then place."""
    return (
        -SEVERITY_ORDER.get(finding.severity, 0),
        -SEVERITY_ORDER.get(finding.confidence, 0),
        -len(finding.jobs),
        finding.sort_key(),
    )


def _anchor(prefix: str, index: int) -> str:
    return f"{prefix}-{index}"


def build_audit(
    paths: tuple[str, ...],
    files: int,
    jobs: list[Job],
    findings: list[Finding],
    reach: JobReach,
    catalog: Catalog,
    max_retry_window: float,
    errors: list[tuple[str, str]],
    sources: SourceFiles,
) -> Audit:
    """The audit of one run."""
    columns: tuple[tuple[str, str], ...] = (
        ("attempts", "attempts"),
        ("backoff", "backoff"),
        ("jitter", "jitter"),
        ("deadline", "deadline"),
        ("retry_on", "retried exceptions"),
        ("hooks", "failure hooks"),
        ("time_limit", "time limit"),
        ("redelivery", "redelivery"),
    )
    effects = project_effects(reach.graph.index, tuple(jobs), reach)
    kinds = {job.qualname: side_effect_kinds(job, effects) for job in jobs}
    if any(text != "-" for text in kinds.values()):
        columns = (*columns, ("side_effects", "side effects"))
    entries: dict[str, JobEntry] = {}
    for index, job in enumerate(jobs):
        if job.qualname in entries:
            continue
        queue_job = job.framework in QUEUE_FRAMEWORKS
        own = [
            f for f in findings if f.job == job.qualname or (queue_job and job.qualname in f.jobs)
        ]
        reached_from = (
            ()
            if queue_job
            else tuple(
                dict.fromkeys(r.job.qualname for r in reach.jobs_reaching(job.path, job.function))
            )
        )
        job_score = grading.score(own)
        entries[job.qualname] = JobEntry(
            job=job,
            anchor=_anchor("job", index),
            queue_job=queue_job,
            score=job_score,
            grade=grading.letter(job_score),
            cells={**policy_cells(job), "side_effects": Cell(kinds[job.qualname])},
            window=_window(job),
            finding_count=len(own),
            reached_from=reached_from,
            worst=max((f.severity for f in own), key=SEVERITY_ORDER.__getitem__, default=None),
        )
    finding_entries: list[FindingEntry] = []
    jobless: list[FindingEntry] = []
    for index, finding in enumerate(findings):
        owner = (
            finding.job
            if finding.job in entries
            else next((name for name in finding.jobs if name in entries), None)
        )
        frame, omitted = _frame(finding, sources)
        entry = FindingEntry(
            finding=finding,
            anchor=_anchor("finding", index),
            family=family_of(finding.code),
            frame=frame,
            frame_omitted=omitted,
            other_jobs=tuple(name for name in finding.jobs if name != owner),
        )
        finding_entries.append(entry)
        if owner is None:
            jobless.append(entry)
        else:
            entries[owner].findings.append(entry)
    # Worst first; within a grade, jobs that retry (they have a policy to read) first.
    ordered_jobs = sorted(
        entries.values(), key=lambda e: (e.score, e.window is None, e.path, e.job.span.line)
    )
    units = [e.score for e in ordered_jobs if e.queue_job or not e.reached_from]
    any_high = any(
        f.severity == "high" and grading.graded(f) and (f.job in entries or f.jobs)
        for f in findings
    )
    total = grading.project_score(units, (e.finding for e in jobless), any_high)
    by_family: dict[str, dict[str, int]] = {}
    for finding in findings:
        counts = by_family.setdefault(family_of(finding.code), dict.fromkeys(SEVERITIES, 0))
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    family_order = {name: position for position, name in enumerate(FAMILIES.values())}
    severity_counts = Counter(f.severity for f in findings)
    letters = Counter(e.grade for e in ordered_jobs)
    return Audit(
        paths=paths,
        files=files,
        jobs=ordered_jobs,
        findings=finding_entries,
        jobless=jobless,
        fix_first=sorted(finding_entries, key=lambda e: _order(e.finding)),
        by_framework=dict(Counter(job.framework for job in jobs).most_common()),
        by_severity={s: severity_counts.get(s, 0) for s in SEVERITIES},
        by_family=dict(sorted(by_family.items(), key=lambda i: family_order.get(i[0], 99))),
        score=total,
        grade=grading.letter(total),
        grades={grade: letters.get(grade, 0) for _, grade in grading.LETTERS},
        max_retry_window=max_retry_window,
        errors=errors,
        rules={f.code: catalog[f.code] for f in findings if f.code in catalog},
        columns=columns,
    )
