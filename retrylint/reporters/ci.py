"""Formats for CI systems: GitHub workflow commands, JUnit XML, GitLab Code Quality.

- ``github``: one workflow command per finding, which GitHub Actions turns into an annotation on
  the pull request's diff:
  ``::error file=shop/tasks.py,line=12,col=5,endLine=12,endColumn=20,title=RL101 unbounded-retries::...``.
  high findings are ``error``, medium ``warning``, low ``notice``. GitHub's escaping: in the
  message ``%``, CR and LF are percent-encoded; in property values also ``:`` and ``,``.
- ``junit``: one ``<testsuite>`` per file with findings, one failing ``<testcase>`` per finding,
  and files that could not be checked as ``<error>`` cases; a clean run is one passing case, so
  a CI that shows test results shows the linter ran.
- ``gitlab``: GitLab's Code Quality report (a JSON list of issues), each with a unique
  ``fingerprint``: the baseline fingerprint, with a counter for repeats of the same finding.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import groupby
from pathlib import Path

from retrylint.baseline import fingerprint
from retrylint.findings import Finding
from retrylint.reporters import display_path, mask
from retrylint.reporters.text import where_it_runs
from retrylint.spans import SourceFiles

GITHUB_LEVELS = {"high": "error", "medium": "warning", "low": "notice"}
GITLAB_SEVERITIES = {"high": "critical", "medium": "major", "low": "minor"}


def _message(finding: Finding) -> str:
    return mask(finding.message) + where_it_runs(finding)


def github_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """Escape a workflow command's property value (file, title)."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: list[Finding], errors: list[tuple[str, str]]) -> str:
    lines = []
    for finding in findings:
        span = finding.span
        properties = ",".join(
            (
                f"file={github_property(display_path(finding.path))}",
                f"line={span.line}",
                f"col={span.column}",
                f"endLine={span.end_line}",
                f"endColumn={span.end_column}",
                f"title={github_property(f'{finding.code} {finding.name}')}",
            )
        )
        level = GITHUB_LEVELS.get(finding.severity, "warning")
        lines.append(f"::{level} {properties}::{github_data(_message(finding))}")
    for path, message in errors:
        where = "" if path.startswith("<") else f"file={github_property(display_path(path))},"
        lines.append(f"::error {where}title=retrylint::{github_data(message)}")
    return "\n".join(lines)


# XML 1.0 cannot carry most control characters, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(findings: list[Finding], errors: list[tuple[str, str]], files: int) -> str:
    suites = ET.Element("testsuites", name="retrylint")
    total = failures = 0
    for path, group in groupby(findings, key=lambda f: f.path):
        shown = display_path(path)
        cases = list(group)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=_xml_text(shown),
            tests=str(len(cases)),
            failures=str(len(cases)),
            errors="0",
        )
        for finding in cases:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{finding.code} {finding.name} at line {finding.line}",
                classname=_xml_text(shown),
                file=_xml_text(shown),
                line=str(finding.line),
            )
            failure = ET.SubElement(
                case,
                "failure",
                message=_xml_text(_message(finding)),
                type=f"{finding.code} [{finding.severity}]",
            )
            failure.text = _xml_text(
                f"{shown}:{finding.line}:{finding.column}: {finding.code} {_message(finding)}"
            )
        total += len(cases)
        failures += len(cases)
    if errors:
        count = str(len(errors))
        suite = ET.SubElement(
            suites, "testsuite", name="files", tests=count, failures="0", errors=count
        )
        for path, message in errors:
            case = ET.SubElement(suite, "testcase", name=_xml_text(display_path(path)))
            ET.SubElement(case, "error", message=_xml_text(message))
    if not findings and not errors:
        suite = ET.SubElement(
            suites, "testsuite", name="retrylint", tests="1", failures="0", errors="0"
        )
        ET.SubElement(suite, "testcase", name=f"{files} files checked", classname="retrylint")
        total = 1
    suites.set("tests", str(total + len(errors)))
    suites.set("failures", str(failures))
    suites.set("errors", str(len(errors)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def render_gitlab(findings: list[Finding], sources: SourceFiles, root: Path) -> str:
    seen: Counter[str] = Counter()
    issues = []
    for finding in findings:
        base = fingerprint(finding, sources, root).fingerprint
        seen[base] += 1
        unique = hashlib.sha256(f"{base}:{seen[base]}".encode()).hexdigest()
        issues.append(
            {
                "type": "issue",
                "check_name": finding.code,
                "description": f"{finding.code} {finding.name}: {_message(finding)}",
                "categories": ["Bug Risk"],
                "severity": GITLAB_SEVERITIES.get(finding.severity, "major"),
                "fingerprint": unique,
                "location": {
                    "path": display_path(finding.path),
                    "lines": {"begin": finding.span.line, "end": finding.span.end_line},
                },
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False)
