"""Render an ``Audit`` as one self-contained HTML page, as Markdown, or as JSON.

HTML and Markdown come from Jinja2 templates shipped in the package (``templates/``). The HTML
environment autoescapes everything (the report prints source code, messages and names from the
analysed project, any of which may hold ``<script>``); the Markdown one escapes table cells with
the ``cell`` filter and picks a code fence longer than any backtick run in a frame.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import cache
from typing import Any

import jinja2

from retrylint import __version__
from retrylint.effects.jobs import SideEffects, project_effects
from retrylint.explain import FRAMEWORK_DISPLAY_NAMES
from retrylint.policy_math import format_duration
from retrylint.reach import JobReach
from retrylint.reporters.audit import charts
from retrylint.reporters.audit.model import Audit, FindingEntry, JobEntry
from retrylint.reporters.jobs_report import job_to_json
from retrylint.reporters.json_report import finding_to_json

FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
}


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def _markdown_cell(value: object) -> str:
    """Text safe on one Markdown line or table cell: no raw HTML, no stray table pipes.

    Code spans (messages quote code in backticks) show their text literally, so only their
    pipes are escaped; elsewhere ``<``, ``>`` and ``&`` become entities.
    """
    text = " ".join(str(value).split())
    parts = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_markdown_text(text[position : match.start()]))
        parts.append(match.group(0).replace("|", "\\|"))
        position = match.end()
    parts.append(_markdown_text(text[position:]))
    return "".join(parts)


def _markdown_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


@cache
def _environment(kind: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("retrylint.reporters.audit", "templates"),
        autoescape=kind == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["cell"] = _markdown_cell
    environment.filters["framework"] = lambda name: FRAMEWORK_DISPLAY_NAMES.get(name, name)
    environment.filters["duration"] = format_duration
    environment.globals["fence"] = _fence
    return environment


def _context(audit: Audit) -> dict[str, Any]:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {
        "audit": audit,
        "version": __version__,
        "generated": generated,
        "charts": {
            "family": charts.family_chart(audit),
            "framework": charts.framework_chart(audit),
            "window": charts.window_chart(audit),
        },
        "fix_first": audit.fix_first[:FIX_FIRST],
        "with_findings": [entry for entry in audit.jobs if entry.findings],
    }


FIX_FIRST = 15  # the "fix first" list's length; the rest is in the findings by job


def render_html(audit: Audit) -> str:
    return _environment("html").get_template("report.html.j2").render(_context(audit))


def render_markdown(audit: Audit) -> str:
    return _environment("markdown").get_template("report.md.j2").render(_context(audit))


def _finding_json(entry: FindingEntry) -> dict[str, Any]:
    return {
        **finding_to_json(entry.finding),
        "family": entry.family,
        "frame": [
            {"line": line.number, "text": line.before + line.marked + line.after}
            for line in entry.frame
        ],
    }


def _window_json(entry: JobEntry) -> float | str | None:
    window = entry.window
    if window is None:
        return None  # does not retry
    if window.unbounded:
        return "unbounded"
    return window.seconds if window.seconds is not None else "unknown"


def _job_json(entry: JobEntry, reach: JobReach, effects: SideEffects) -> dict[str, Any]:
    return {
        **job_to_json(entry.job, reach, effects),
        "grade": entry.grade,
        "score": entry.score,
        "retry_window": _window_json(entry),
        "findings": entry.finding_count,
    }


def render_json(audit: Audit, reach: JobReach) -> str:
    effects = project_effects(reach.graph.index, tuple(entry.job for entry in audit.jobs), reach)
    document = {
        "version": __version__,
        "paths": list(audit.paths),
        "summary": {
            "files": audit.files,
            "jobs": len(audit.jobs),
            "findings": len(audit.findings),
            "by_framework": audit.by_framework,
            "by_severity": audit.by_severity,
            "by_family": audit.by_family,
            "grade": audit.grade,
            "score": audit.score,
            "grades": audit.grades,
            "formula": audit.formula,
            "max_retry_window": audit.max_retry_window,
        },
        "jobs": [_job_json(entry, reach, effects) for entry in audit.jobs],
        "findings": [_finding_json(entry) for entry in audit.fix_first],
        "errors": [{"path": path, "message": message} for path, message in audit.errors],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
