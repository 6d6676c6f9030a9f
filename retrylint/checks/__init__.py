"""Rule logic, one module per rule code: ``retrylint/checks/rl101.py`` holds RL101.

A rule module provides one or both of:

- ``check_project(project: Project) -> Iterable[Finding]``: reads the job model (and, when it
  must, the project index). Most rules are this kind: they decide on a job's effective policy,
  which needs every file's facts.
- ``FileCheck``: a class instantiated per file, with ``handlers()`` (node type -> callback, run
  during the engine's single walk) and ``findings(ctx)``, for rules about code shape. It may
  also provide ``facts(ctx)``: ``(key, value)`` pairs kept in the file's ``FileFacts.data`` for
  its ``check_project`` (what one file says that only the project can judge: RL501 records the
  calls that pass a secret, the project phase knows which of them enqueue a job).

A per-file check about job code (a swallowed error in a helper a task calls) cannot know in its
file whether a job reaches the code: it reports with ``job_code_finding``, which records the
enclosing function, and the engine keeps the finding only where a job reaches that function
(``findings.keep_job_code``), naming the jobs and a call path. One node reported for several
jobs is one finding (``findings.merge_places``).

Rules never parse, never read config files and never print; what users read about a rule lives
in ``rules/RLxxx.yaml``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from retrylint.catalog import load_catalog
from retrylint.config import Config
from retrylint.findings import Confidence, Finding, Fix
from retrylint.model import Job, Span

if TYPE_CHECKING:
    from libcst import CSTNode

    from retrylint.context import FileContext
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


def job_code_finding(
    code: str,
    message: str,
    ctx: FileContext,
    node: CSTNode | Span,
    *,
    severity: str | None = None,
    confidence: Confidence = "high",
    fix: Fix | None = None,
    function: str | None = None,
    job_body_only: bool = False,
) -> Finding | None:
    """A per-file check's finding at ``node`` (or a span) that counts only in job code.

    It carries the function it is in (``function``, a qualname in the file, for a check that
    reports after the walk; else the one being walked); the engine keeps it where a job reaches
    that function (naming the jobs and a call path) and drops it elsewhere. ``job_body_only``
    keeps it only where the function is a job's own body: what a helper hands back to its caller
    (a failure value) is the caller's to handle. Code outside any function (module level) is
    never job code: None.
    """
    if function is None and not ctx.enclosing:
        return None
    span = node if isinstance(node, Span) else ctx.span(node)
    finding = make_finding(
        code, message, ctx.path, span, severity=severity, confidence=confidence, fix=fix
    )
    function = function or ctx.enclosing[-1].qualname
    return replace(finding, function=function, job_code=True, job_body_only=job_body_only)


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
