"""The `--format json` output of `retrylint check`: one stable, documented object.

    {"version": "0.1.0",
     "findings": [{"code", "name", "severity", "confidence", "path", "line", "column",
                   "end_line", "end_column", "message", "job", "jobs", "call_path", "fix"}],
     "summary": {"files", "findings", "fixable", "by_severity", "by_code", "errors"}}

``job`` is the job or retry construct the finding is about; ``jobs`` every background job whose
code runs the place (empty when none reaches it); ``call_path`` the calls from the first job's
body to the place, as qualified names (empty when the place is in the job's own body).

``fix`` is null or ``{"safety": "safe"|"unsafe", "title", "applicable", "edits": [...]}``;
``applicable`` says whether this run's flags (``--fix`` / ``--unsafe-fixes``) would apply it.
Lines and columns are 1-based; end columns are exclusive.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from retrylint import __version__
from retrylint.findings import Finding, Fix
from retrylint.reporters import display_path, mask


def fix_to_json(fix: Fix | None, unsafe_allowed: bool) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "safety": fix.safety,
        "title": fix.title,
        "applicable": fix.safety == "safe" or unsafe_allowed,
        "edits": [
            {
                "line": edit.span.line,
                "column": edit.span.column,
                "end_line": edit.span.end_line,
                "end_column": edit.span.end_column,
                "content": edit.content,
            }
            for edit in fix.edits
        ],
    }


def finding_to_json(finding: Finding, unsafe_allowed: bool = False) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "confidence": finding.confidence,
        "path": display_path(finding.path),
        "line": finding.span.line,
        "column": finding.span.column,
        "end_line": finding.span.end_line,
        "end_column": finding.span.end_column,
        "message": mask(finding.message),
        "job": finding.job,
        "jobs": list(finding.jobs),
        "call_path": list(finding.call_path),
        "fix": fix_to_json(finding.fix, unsafe_allowed),
    }


def render(
    findings: list[Finding],
    files: int,
    errors: list[tuple[str, str]],
    unsafe_allowed: bool = False,
) -> str:
    by_severity = Counter(f.severity for f in findings)
    document = {
        "version": __version__,
        "findings": [finding_to_json(f, unsafe_allowed) for f in findings],
        "summary": {
            "files": files,
            "findings": len(findings),
            "fixable": sum(1 for f in findings if f.fix is not None),
            "by_severity": {s: by_severity.get(s, 0) for s in ("high", "medium", "low")},
            "by_code": dict(sorted(Counter(f.code for f in findings).items())),
            "errors": [{"path": display_path(p), "message": m} for p, m in errors],
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
