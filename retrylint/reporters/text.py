"""Human output of `retrylint check`: one line per finding, grouped by file, then a summary.

    shop/tasks.py:12:31: RL101 [high] max_retries=None retries forever ... [*]
    shop/mail.py:40:9: RL201 [medium] retry loop in `send` retries ... (in 3 jobs: shop.tasks.notify +2; via notify -> send)

``[*]`` marks a finding `--fix` can fix; ``[unsafe fix]`` one that needs `--unsafe-fixes`.
Colour comes from rich, only on a terminal (and never with ``--no-color`` or ``NO_COLOR``).
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from retrylint.findings import Finding
from retrylint.reporters import display_path, mask

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def print_findings(console: Console, findings: list[Finding], unsafe_allowed: bool) -> None:
    for path, group in groupby(findings, key=lambda f: f.path):
        shown = escape(display_path(path))
        for finding in group:
            style = SEVERITY_STYLE.get(finding.severity, "")
            marker = ""
            if finding.fix is not None:
                marker = (
                    " [*]" if finding.fix.safety == "safe" or unsafe_allowed else " [unsafe fix]"
                )
            console.print(
                f"[bold]{shown}[/]:{finding.line}:{finding.column}: "
                f"[{style}]{finding.code}[/] [{style}]\\[{finding.severity}][/] "
                f"{escape(mask(finding.message))}{escape(where_it_runs(finding))}{escape(marker)}",
                soft_wrap=True,
                highlight=False,
            )
        console.print()


def where_it_runs(finding: Finding) -> str:
    """`` (in 3 jobs: a.b.first +2; via first -> helper -> place)``, when there is news in it.

    A finding about a job names it in its message: then only the other jobs are counted.
    """
    parts = []
    jobs = finding.jobs
    if jobs and jobs[0] == finding.job:
        if len(jobs) == 2:
            parts.append(f"and job {jobs[1]}")
        elif len(jobs) > 2:
            parts.append(f"and {len(jobs) - 1} more jobs")
    elif len(jobs) > 1:
        parts.append(f"in {len(jobs)} jobs: {jobs[0]} +{len(jobs) - 1}")
    elif jobs:
        parts.append(f"in job {jobs[0]}")
    if len(finding.call_path) > 1:
        parts.append("via " + " -> ".join(name.rsplit(".", 1)[-1] for name in finding.call_path))
    return f" ({'; '.join(parts)})" if parts else ""


def print_errors(console: Console, errors: list[tuple[str, str]]) -> None:
    for path, message in errors:
        console.print(
            f"[bold red]error[/]: {escape(display_path(path))}: {escape(message)}",
            soft_wrap=True,
            highlight=False,
        )


def summary_line(findings: list[Finding], files: int, unsafe_allowed: bool) -> str:
    if not findings:
        return f"All checks passed ({files} file{'s' if files != 1 else ''} checked)."
    fixable = sum(1 for f in findings if f.fix is not None and f.fix.safety == "safe")
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.safety == "unsafe")
    in_files = len({f.path for f in findings})
    parts = [
        f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} "
        f"in {in_files} of {files} file{'s' if files != 1 else ''}."
    ]
    if unsafe_allowed:
        if fixable + unsafe:
            parts.append(f"{fixable + unsafe} fixable with `--fix --unsafe-fixes`.")
    else:
        if fixable:
            parts.append(f"{fixable} fixable with `--fix`.")
        if unsafe:
            parts.append(f"{unsafe} more with `--unsafe-fixes`.")
    return " ".join(parts)


def statistics_table(findings: list[Finding]) -> Table:
    counts = Counter((f.code, f.name, f.severity) for f in findings)
    fixable = Counter(f.code for f in findings if f.fix is not None)
    table = Table(box=None, show_header=True, header_style="bold")
    for column in ("count", "code", "name", "severity", "fixable"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for (code, name, severity), count in sorted(
        counts.items(), key=lambda item: (-item[1], item[0])
    ):
        table.add_row(str(count), code, name, severity, str(fixable.get(code, 0)))
    return table
