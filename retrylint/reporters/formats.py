"""The machine formats of `retrylint check --format`, behind one function the CLI calls.

Each is a document for a tool, written whole to stdout or ``--output-file``: never mixed with
notes, colour or a progress bar.
"""

from __future__ import annotations

from pathlib import Path

from retrylint.catalog import Catalog
from retrylint.findings import Finding
from retrylint.spans import SourceFiles

MACHINE_FORMATS = ("json", "sarif", "github", "junit", "gitlab")


def render_machine(
    output_format: str,
    findings: list[Finding],
    files: int,
    errors: list[tuple[str, str]],
    *,
    unsafe: bool,
    catalog: Catalog,
    sources: SourceFiles,
    root: Path,
) -> str:
    """The whole document of ``output_format`` (one of ``MACHINE_FORMATS``)."""
    match output_format:
        case "json":
            from retrylint.reporters.json_report import render

            return render(findings, files, errors, unsafe)
        case "sarif":
            from retrylint.checks import is_implemented
            from retrylint.reporters.sarif import render as render_sarif

            implemented = {rule.code for rule in catalog if is_implemented(rule.code)}
            return render_sarif(findings, errors, catalog, implemented, sources, root)
        case "github":
            from retrylint.reporters.ci import render_github

            return render_github(findings, errors)
        case "junit":
            from retrylint.reporters.ci import render_junit

            return render_junit(findings, errors, files)
        case "gitlab":
            from retrylint.reporters.ci import render_gitlab

            return render_gitlab(findings, sources, root)
    raise ValueError(f"unknown output format {output_format!r}")
