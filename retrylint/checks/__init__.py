"""Rule logic, one module per rule code: ``retrylint/checks/rl101.py`` holds RL101.

A rule module provides one or both of:

- ``check_project(project: Project) -> Iterable[Finding]``: reads the job model (and, when it
  must, the project index). Most rules are this kind: they decide on a job's effective policy,
  which needs every file's facts.
- ``FileCheck``: a class instantiated per file, with ``handlers()`` (node type -> callback, run
  during the engine's single walk) and ``findings(ctx)``, for rules about code shape.

Rules never parse, never read config files and never print; what users read about a rule lives
in ``rules/RLxxx.yaml``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from retrylint.catalog import load_catalog
from retrylint.config import Config
from retrylint.findings import Confidence, Finding, Fix
from retrylint.model import Job, Span
from retrylint.project import ProjectIndex
from retrylint.reach import JobReach


@dataclass(frozen=True)
class Project:
    """What a project-level rule reads: the jobs, the index behind them, what code each job
    reaches, and the thresholds."""

    index: ProjectIndex
    jobs: tuple[Job, ...]
    config: Config
    reach: JobReach


@cache
def rule_module(code: str) -> ModuleType | None:
    """The module holding ``code``'s logic, or None when the rule has none (yet)."""
    try:
        return importlib.import_module(f"retrylint.checks.{code.lower()}")
    except ModuleNotFoundError as error:
        if error.name != f"retrylint.checks.{code.lower()}":
            raise
        return None


def is_implemented(code: str) -> bool:
    """Whether ``code`` has logic; the catalog also documents rules still to be written."""
    return rule_module(code) is not None


def make_finding(
    code: str,
    message: str,
    path: str,
    span: Span,
    *,
    severity: str | None = None,
    confidence: Confidence = "high",
    job: str | None = None,
    fix: Fix | None = None,
    jobs: tuple[str, ...] = (),
    call_path: tuple[str, ...] = (),
) -> Finding:
    """A finding with the rule's catalog name and default severity filled in."""
    rule = load_catalog().get(code)
    assert rule is not None, f"no catalog entry for {code}"
    return Finding(
        code=code,
        name=rule.name,
        severity=severity or rule.severity,
        message=message,
        path=path,
        span=span,
        confidence=confidence,
        job=job,
        fix=fix,
        jobs=jobs,
        call_path=call_path,
    )
