"""`--format sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps, IDEs).

One run, with every catalog rule in ``tool.driver.rules`` (id, name, descriptions and the rule's
documentation as help) and one result per finding. Each result carries:

- its region (1-based lines and columns; columns count Unicode code points, which the run
  declares with ``columnKind: unicodeCodePoints``, end columns exclusive as SARIF wants);
- ``partialFingerprints["retrylint/v1"]``: the baseline fingerprint (rule, job, normalised
  source; no line number), so code scanning follows a finding when lines move;
- ``fixes[].artifactChanges`` when the finding has a fix (safe or unsafe, as the description
  says);
- the job and the jobs that run the place in ``properties``.

Files that could not be checked are ``toolExecutionNotifications`` of the invocation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from retrylint import __version__
from retrylint.baseline import fingerprint
from retrylint.catalog import Catalog, Rule
from retrylint.explain import render_rule
from retrylint.findings import Finding, Fix
from retrylint.model import Span
from retrylint.reporters import display_path, mask
from retrylint.spans import SourceFiles

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"high": "error", "medium": "warning", "low": "note"}
FINGERPRINT_KEY = "retrylint/v1"


def _uri(path: str) -> str:
    return quote(display_path(path), safe="/")


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _location(path: str) -> dict[str, Any]:
    return {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}


def rule_descriptor(rule: Rule, implemented: bool) -> dict[str, Any]:
    doc = render_rule(rule, implemented)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {
            "level": LEVELS[rule.severity],
            "enabled": rule.enabled_by_default,
        },
        "properties": {"fix": rule.fix, "frameworks": list(rule.frameworks)},
    }


def _fix(path: str, fix: Fix) -> dict[str, Any]:
    return {
        "description": {"text": f"{fix.title} ({fix.safety} fix)"},
        "artifactChanges": [
            {
                "artifactLocation": _location(path),
                "replacements": [
                    {"deletedRegion": _region(edit.span), "insertedContent": {"text": edit.content}}
                    for edit in sorted(fix.edits)
                ],
            }
        ],
    }


def _result(
    finding: Finding, index: dict[str, int], sources: SourceFiles, root: Path
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": mask(finding.message)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _location(finding.path),
                    "region": _region(finding.span),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, sources, root).fingerprint},
        "properties": {
            "severity": finding.severity,
            "confidence": finding.confidence,
            "job": finding.job,
            "jobs": list(finding.jobs),
            "callPath": list(finding.call_path),
        },
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.path, finding.fix)]
    return result


def _notification(path: str, message: str) -> dict[str, Any]:
    """A file that could not be checked; ``<project>`` errors belong to no file."""
    notification: dict[str, Any] = {"level": "error", "message": {"text": message}}
    if not path.startswith("<"):
        location = {"physicalLocation": {"artifactLocation": _location(path)}}
        notification["locations"] = [location]
    return notification


def render(
    findings: list[Finding],
    errors: list[tuple[str, str]],
    catalog: Catalog,
    implemented: set[str],
    sources: SourceFiles,
    root: Path,
) -> str:
    rules = list(catalog)
    index = {rule.code: position for position, rule in enumerate(rules)}
    run = {
        "tool": {
            "driver": {
                "name": "retrylint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://pypi.org/project/retrylint/",
                "rules": [rule_descriptor(rule, rule.code in implemented) for rule in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [
                    _notification(path, message) for path, message in errors
                ],
            }
        ],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(finding, index, sources, root) for finding in findings],
    }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False)
