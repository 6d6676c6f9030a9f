"""What the commands print or write: reports in every format, to stdout or a file; errors and
notes on stderr; the baseline step between a run and its report.

Like the CLI, it imports rich, the engine and the reporters inside functions, so that
`retrylint --version` and `--help` stay instant.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from rich.console import Console

    from retrylint.catalog import Catalog
    from retrylint.engine import RunResult
    from retrylint.spans import SourceFiles

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> NoReturn:
    click.echo(f"retrylint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def make_console(no_color: bool, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(
        color_system=None if no_color else "auto",
        no_color=no_color or None,
        stderr=stderr,
        highlight=False,
        soft_wrap=True,
    )


def apply_baseline(
    result: RunResult,
    sources: SourceFiles,
    root: Path,
    baseline_path: str | None,
    write_path: str | None,
    notes: list[str],
) -> None:
    """Write the findings to a new baseline, or keep only those a baseline does not know."""
    from retrylint.baseline import Baseline, BaselineError, write_baseline

    if write_path:
        try:
            count = write_baseline(Path(write_path), result.findings, sources, root)
        except OSError as error:
            fail(f"{write_path}: cannot write the baseline: {error.strerror or error}")
        notes.append(
            f"Wrote {count} finding{'s' if count != 1 else ''} to the baseline {write_path}."
        )
        result.findings = []
        return
    assert baseline_path is not None
    try:
        baseline = Baseline.load(Path(baseline_path))
    except BaselineError as error:
        fail(str(error))
    before = len(result.findings)
    result.findings = baseline.new_findings(result.findings, sources, root)
    known = before - len(result.findings)
    if known:
        notes.append(f"{known} finding{'s' if known != 1 else ''} in the baseline left out.")


def report(
    result: RunResult,
    errors: list[tuple[str, str]],
    output_format: str,
    *,
    statistics: bool,
    quiet: bool,
    no_color: bool,
    unsafe: bool,
    notes: list[str],
    to_stderr: bool,
    output_file: str | None,
    catalog: Catalog,
    root: Path,
    sources: SourceFiles,
) -> None:
    from retrylint.reporters import mask, mask_findings
    from retrylint.reporters.formats import MACHINE_FORMATS, render_machine

    result.findings, errors = mask_findings(result.findings, errors)  # every format: masked
    notes = [mask(note) for note in notes]

    if output_format in MACHINE_FORMATS:
        document = render_machine(
            output_format,
            result.findings,
            result.files,
            errors,
            unsafe=unsafe,
            catalog=catalog,
            sources=sources,
            root=root,
        )
        emit(document, output_file, to_stderr)
        if output_format != "json":
            print_problems(errors, [], no_color)
        return
    from retrylint.reporters.text import (
        print_errors,
        print_findings,
        statistics_table,
        summary_line,
    )

    console = make_console(no_color or bool(output_file), stderr=to_stderr)
    if output_file:
        console.file = io.StringIO()
        console.width = 200
    if statistics:
        if result.findings:
            console.print(statistics_table(result.findings))
    else:
        print_findings(console, result.findings, unsafe_allowed=unsafe)
    print_errors(make_console(no_color, stderr=True), errors)
    if not quiet:
        for path, why in result.skipped:
            console.print(f"note: {path}: {why}", highlight=False)
        for note in notes:
            console.print(note, highlight=False)
        console.print(summary_line(result.findings, result.files, unsafe_allowed=unsafe))
    if output_file:
        assert isinstance(console.file, io.StringIO)
        emit(console.file.getvalue(), output_file, to_stderr)


def emit(document: str, output_file: str | None, to_stderr: bool) -> None:
    """A report to its file (created or replaced), or to stdout."""
    if not output_file:
        click.echo(document, err=to_stderr)
        return
    try:
        with open(output_file, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(document if document.endswith("\n") else document + "\n")
    except OSError as error:
        fail(f"{output_file}: cannot write the report: {error.strerror or error}")


def print_problems(errors: list[tuple[str, str]], notes: list[str], no_color: bool) -> None:
    """Errors and notes on stderr, for modes whose stdout carries something else (a diff)."""
    from retrylint.reporters.text import print_errors

    console = make_console(no_color, stderr=True)
    print_errors(console, errors)
    for note in notes:
        console.print(note, highlight=False)
