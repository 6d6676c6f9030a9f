"""Grades: one letter per job and one for the project, from the findings and nothing else.

The formula is printed in every report (``FORMULA``) so a reader can redo the arithmetic:

- a job starts at 100 and loses ``PENALTY[severity]`` points per finding in its code (its body
  and what it calls; a retry construct, its own findings), never below 0;
- the project scores the mean of its graded units (queue jobs, and retry constructs no queue job
  runs: a construct a job runs already counts in that job's score), minus the same penalties for
  findings that concern no job (project-wide ones, such as no failure alert anywhere), never
  below 0, and at most ``HIGH_CAP`` while any job has a high-severity finding: one job that can
  retry forever is not averaged away by ninety healthy ones;
- findings about the tool itself (RL0: a file that does not parse, an unused suppression) are
  reported but not graded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from retrylint.findings import Finding

PENALTY = {"high": 30, "medium": 10, "low": 3}
LETTERS = ((95, "A"), (80, "B"), (60, "C"), (40, "D"), (0, "F"))
HIGH_CAP = 79  # the top of C

FORMULA = (
    "Each job starts at 100 and loses 30 points per high, 10 per medium and 3 per low finding in "
    "its code (its body and what it calls), never below 0. The project's score is the mean of "
    "its jobs' scores (retry helpers that no job runs count as jobs of their own), minus the "
    "same penalties for project-wide findings that concern no job, and is at most 79 (C) while "
    "any job has a high-severity finding. Findings about the tool itself (RL0xx) are not graded. "
    "A: 95 and up, B: 80-94, C: 60-79, D: 40-59, F: below 40."
)


def graded(finding: Finding) -> bool:
    return not finding.code.startswith("RL0")


def penalty(findings: Iterable[Finding]) -> int:
    return sum(PENALTY.get(f.severity, 0) for f in findings if graded(f))


def score(findings: Iterable[Finding]) -> int:
    return max(0, 100 - penalty(findings))


def letter(value: int) -> str:
    return next(grade for floor, grade in LETTERS if value >= floor)


def project_score(unit_scores: Sequence[int], jobless: Iterable[Finding], any_high: bool) -> int:
    mean = round(sum(unit_scores) / len(unit_scores)) if unit_scores else 100
    value = max(0, mean - penalty(jobless))
    return min(value, HIGH_CAP) if any_high else value
