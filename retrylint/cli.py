"""The `retrylint` command line: check, jobs, rules, explain.

Start-up stays light: this module imports click and the package version only; rich, libcst and
the engine are imported inside the commands, so `retrylint --version` and `--help` are instant.

Exit codes: 0 clean, 1 findings (at or above `fail-on`), 2 usage, config or internal error, or a
file that could not be checked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from retrylint import __version__
from retrylint.cli_output import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    apply_baseline,
    emit,
    fail,
    make_console,
    print_problems,
    report,
)
from retrylint.cli_session import Session, open_session

if TYPE_CHECKING:
    from retrylint.cache import ResultCache
    from retrylint.config import Config
    from retrylint.engine import RunResult

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


_COMMON_OPTIONS = (
    click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Config file (pyproject.toml or retrylint.toml).",
    ),
    click.option(
        "--select",
        multiple=True,
        help="Rule codes or prefixes to check, replacing the config's (RL1,RL301).",
    ),
    click.option(
        "--extend-select", multiple=True, help="Rule codes or prefixes to add to the selection."
    ),
    click.option("--ignore", multiple=True, help="Rule codes or prefixes to leave out."),
    click.option("--no-color", is_flag=True, help="Never colour the output."),
    click.option(
        "--scope",
        type=click.Choice(["production", "all"]),
        help="production (default): leave out tests, migrations, scripts ...; all: check them too.",
    ),
    click.option("-v", "--verbose", is_flag=True, help="Show the traceback of an internal error."),
    click.option(
        "--no-prefilter",
        is_flag=True,
        help="Analyse every file in full, not only those the prefilter finds job code in "
        "(slower; the findings are the same).",
    ),
)


def _common(function: F) -> F:
    for option in reversed(_COMMON_OPTIONS):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="retrylint")
def main() -> None:
    """Find background jobs that fail quietly: unbounded retries, swallowed errors,
    double side effects on retry, and secrets in job payloads."""


def console() -> NoReturn:
    """The console script and ``python -m retrylint``: the CLI, then an exit that frees nothing.

    A check of a large project ends holding millions of objects (every file's facts, the index,
    the jobs and their reach). Handing each back on the way out took 1.5 s of a 5 s run over
    5,559 files where one job module had changed. Like mypy's default fast exit, the process
    ends as soon as its output is flushed: nothing else is pending by then (the pool is joined,
    the cache's writes are renamed into place, an output file is closed). ``main`` itself, which
    tests invoke in-process, exits the usual way.
    """
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"), as Python itself reports it
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: Python's own exit says 120
            code = code or 120
    os._exit(code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@_common
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "github", "junit", "gitlab"]),
    default="text",
    show_default=True,
    help="Output format: text for people; json, sarif (code scanning), github (workflow "
    "annotations), junit, gitlab (Code Quality) for tools.",
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False),
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False),
    help="Leave out the findings recorded in this baseline file: report only new ones.",
)
@click.option(
    "--write-baseline",
    "write_baseline_path",
    type=click.Path(dir_okay=False),
    help="Record every current finding in this baseline file (and report none).",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="With --fix or --diff: also apply unsafe fixes (they change behaviour on purpose).",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Print a diff of what --fix would change; write nothing (exit 1 if there is one).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of each finding.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--stdin-filename", help="The file name to report for source read from stdin (`-`).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Keep per-file results here between runs (default: .retrylint_cache beside the config).",
)
@click.option(
    "--no-cache", is_flag=True, help="Analyse every file afresh; read and write no cache."
)
def check(
    paths: tuple[str, ...],
    config_path: str | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    no_color: bool,
    scope: str | None,
    verbose: bool,
    output_format: str,
    output_file: str | None,
    baseline_path: str | None,
    write_baseline_path: str | None,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    stdin_filename: str | None,
    cache_dir: str | None,
    no_cache: bool,
    no_prefilter: bool,
) -> None:
    """Check PATHS (default: the current folder) for job code that fails quietly.

    Use `-` to read one file from stdin (name it with --stdin-filename); with --fix the fixed
    source is written to stdout and the findings to stderr.
    """
    from retrylint.engine import run
    from retrylint.reporters.progress import ProgressBar, wanted
    from retrylint.spans import SourceFiles

    paths = paths or (".",)
    session = open_session(
        paths,
        config_path=config_path,
        select=select,
        extend_select=extend_select,
        ignore=ignore,
        stdin_filename=stdin_filename,
        scope=scope,
    )
    stdin = None
    if "-" in paths:
        stdin = (stdin_filename or "-", sys.stdin.buffer.read())
    if baseline_path and write_baseline_path:
        fail("--baseline and --write-baseline cannot be used together")
    # A fix writes the files it fixes and nothing else: no cache either.
    prefilter = not no_prefilter
    cache = None if no_cache or fix or diff else _open_cache(session, cache_dir, verbose, prefilter)
    with ProgressBar(output_format == "text" and wanted(False)) as progress:
        result = _guarded(
            run,
            session.files,
            session.config,
            session.selected,
            stdin=stdin,
            verbose=verbose,
            progress=progress,
            cache=cache,
            findings_only=True,
            prefilter=prefilter,
        )
    if cache is not None:
        cache.prune()
    notes: list[str] = []
    if session.out_of_scope:
        count = session.out_of_scope
        notes.append(
            f"note: {count} non-production file{'s' if count != 1 else ''} (tests, migrations, "
            "scripts ...) left out; `--scope all` checks them"
        )
    if fix or diff:
        fixed_stdin = _apply_fixes(
            session, result, stdin, unsafe=unsafe_fixes, diff=diff, notes=notes, prefilter=prefilter
        )
        if diff:
            errors = session.errors + result.errors
            print_problems(errors, notes, no_color)
            if errors:
                sys.exit(EXIT_ERROR)
            sys.exit(EXIT_FINDINGS if fixed_stdin else EXIT_CLEAN)
        if fixed_stdin is not None:
            sys.stdout.buffer.write(fixed_stdin)
            sys.stdout.flush()
            stdin = (stdin[0], fixed_stdin) if stdin else None
    errors = session.errors + result.errors  # write failures of --fix included
    sources = SourceFiles({stdin[0]: stdin[1]} if stdin else None)
    if write_baseline_path or baseline_path:
        apply_baseline(
            result, sources, session.config.root, baseline_path, write_baseline_path, notes
        )
    report(
        result,
        errors,
        output_format,
        statistics=statistics,
        quiet=quiet,
        no_color=no_color,
        unsafe=unsafe_fixes,
        notes=notes,
        to_stderr=stdin is not None and fix,
        output_file=output_file,
        catalog=session.catalog,
        root=session.config.root,
        sources=sources,
    )
    sys.exit(_exit_code(result, errors, session.config, exit_zero))


def _open_cache(
    session: Session, cache_dir: str | None, verbose: bool, prefilter: bool
) -> ResultCache:
    """The cache for this run's settings: --cache-dir, else the config's, else beside it."""
    from retrylint.cache import ResultCache
    from retrylint.engine import AnalysisSettings

    config = session.config
    folder = Path(cache_dir) if cache_dir else config.cache_dir or config.root / ".retrylint_cache"
    settings = AnalysisSettings(config, session.selected, verbose, prefilter)
    return ResultCache(folder.resolve(), settings.cache_key())


def _apply_fixes(
    session: Session,
    result: RunResult,
    stdin: tuple[str, bytes] | None,
    *,
    unsafe: bool,
    diff: bool,
    notes: list[str],
    prefilter: bool,
) -> bytes | None:
    """Run the fixer; updates ``result`` to the findings that remain.

    Returns the fixed stdin bytes (for --fix on stdin), or with --diff a non-empty marker when
    anything would change.
    """
    from retrylint.engine import run
    from retrylint.fix_imports import local_packages
    from retrylint.fixer import fix_until_stable, write_outcome
    from retrylint.reporters import display_path
    from retrylint.source import encode_source

    stdin_name = stdin[0] if stdin else None

    def read(path: str) -> bytes:
        if stdin is not None and path == stdin_name:
            return stdin[1]
        with open(path, "rb") as handle:
            return handle.read()

    def analyse(overlay: dict[str, bytes]) -> list:
        current = (stdin_name, overlay.get(stdin_name, stdin[1])) if stdin and stdin_name else None
        files_overlay = {k: v for k, v in overlay.items() if k != stdin_name}
        return run(
            session.files,
            session.config,
            session.selected,
            stdin=current,
            overlay=files_overlay,
            prefilter=prefilter,
        ).findings

    first_party = local_packages(session.config.root)
    outcome, remaining = fix_until_stable(
        result.findings, read, analyse, unsafe=unsafe, first_party=first_party
    )
    for path, why in outcome.dropped:
        notes.append(f"warning: {display_path(path)}: {why}")
    if diff:
        from retrylint.reporters import mask

        text = outcome.diff(display_path)
        if text:  # it quotes the code around each change: masked like any other output
            click.echo(mask(text), nl=False)
        return b"changed" if text else None
    changed = set(outcome.changed_paths())
    before = sum(1 for f in result.findings if f.path in changed)
    after = sum(1 for f in remaining if f.path in changed)
    fixed_count = max(before - after, 0)
    result.errors.extend(write_outcome(outcome, skip=stdin_name))
    result.findings = remaining
    if fixed_count:
        files = len(outcome.changed_paths())
        notes.append(
            f"Fixed {fixed_count} finding{'s' if fixed_count != 1 else ''} in {files} file{'s' if files != 1 else ''}."
        )
    if stdin is not None and stdin_name is not None:
        if stdin_name in outcome.fixed:
            return encode_source(outcome.fixed[stdin_name], outcome.originals[stdin_name])
        return stdin[1]
    return None


def _guarded(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A bug of ours ends the run with one line and exit 2, not a traceback read as findings."""
    try:
        return function(*args, **kwargs)
    except Exception as error:
        fail(f"internal error: {type(error).__name__}: {error}")


def _exit_code(
    result: RunResult, errors: list[tuple[str, str]], config: Config, exit_zero: bool
) -> int:
    from retrylint.findings import SEVERITY_ORDER

    if errors:
        return EXIT_ERROR
    threshold = SEVERITY_ORDER[config.fail_on]
    failing = [f for f in result.findings if SEVERITY_ORDER.get(f.severity, 3) >= threshold]
    return EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@click.option(
    "--scope",
    type=click.Choice(["production", "all"]),
    help="production (default): leave out tests, migrations, scripts ...; all: list their jobs too.",
)
@click.option("--no-prefilter", is_flag=True, help="Analyse every file in full (slower).")
def jobs(
    paths: tuple[str, ...],
    config_path: str | None,
    output_format: str,
    no_color: bool,
    scope: str | None,
    no_prefilter: bool,
) -> None:
    """List every job found in PATHS with its effective retry policy."""
    from retrylint.engine import run
    from retrylint.reporters.jobs_report import jobs_table, render_jobs_json

    paths = paths or (".",)
    session = open_session(paths, config_path=config_path, scope=scope)
    result = _guarded(run, session.files, session.config, frozenset(), prefilter=not no_prefilter)
    errors = session.errors + result.errors
    if output_format == "json":
        click.echo(render_jobs_json(result.jobs, result.reach))
    else:
        console = make_console(no_color)
        if not console.is_terminal:
            console.width = max(console.width, 200)  # piped: one row per job, not a wrapped column
        console.print(jobs_table(result.jobs, result.reach))
        console.print(
            f"{len(result.jobs)} job{'s' if len(result.jobs) != 1 else ''} in {result.files} files."
        )
    if errors:
        from retrylint.reporters.text import print_errors

        print_errors(make_console(no_color, stderr=True), errors)
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@_common
@click.option(
    "-o",
    "--output",
    "--output-file",
    "output_path",
    type=click.Path(dir_okay=False),
    help="Write the report to this file; its suffix (.html, .md, .json) picks the format.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "markdown", "json"]),
    help="Report format (default: from the output file's suffix; markdown on stdout).",
)
def audit(
    paths: tuple[str, ...],
    config_path: str | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    no_color: bool,
    scope: str | None,
    verbose: bool,
    no_prefilter: bool,
    output_path: str | None,
    output_format: str | None,
) -> None:
    """Write an audit report of PATHS: every job's effective policy, findings by job, grades.

    HTML is one self-contained page (inline charts, no script, nothing fetched); Markdown suits
    a pull request or a wiki; JSON is the same content for tools. Exit 0 once written, 2 when a
    file could not be checked (the report lists it).
    """
    from retrylint.engine import run
    from retrylint.reporters.audit.model import build_audit
    from retrylint.reporters.audit.render import FORMATS, render_html, render_json, render_markdown
    from retrylint.reporters.progress import ProgressBar, wanted
    from retrylint.spans import SourceFiles

    if output_format is None:
        suffix = Path(output_path).suffix.lower() if output_path else ".md"
        output_format = FORMATS.get(suffix)
        if output_format is None:
            fail(f"cannot tell the report format from {output_path!r}: use --format")
    paths = paths or (".",)
    session = open_session(
        paths,
        config_path=config_path,
        select=select,
        extend_select=extend_select,
        ignore=ignore,
        scope=scope,
    )
    with ProgressBar(bool(output_path) and wanted(False)) as progress:
        result = _guarded(
            run,
            session.files,
            session.config,
            session.selected,
            verbose=verbose,
            progress=progress,
            prefilter=not no_prefilter,
        )
    errors = session.errors + result.errors
    report = build_audit(
        tuple(Path(p).resolve().name if p in (".", "./") else p for p in paths),
        result.files,
        result.jobs,
        result.findings,
        result.reach,
        session.catalog,
        session.config.max_retry_window,
        errors,
        SourceFiles(),
    )
    match output_format:
        case "html":
            document = render_html(report)
        case "json":
            document = render_json(report, result.reach)
        case _:
            document = render_markdown(report)
    emit(document, output_path, to_stderr=False)
    if output_path:
        click.echo(
            f"Wrote the audit of {len(report.jobs)} job{'s' if len(report.jobs) != 1 else ''} "
            f"(overall grade {report.grade}, {len(report.findings)} "
            f"finding{'s' if len(report.findings) != 1 else ''}) to {output_path}.",
            err=True,
        )
    print_problems(errors, [], no_color)
    sys.exit(EXIT_ERROR if errors else EXIT_CLEAN)


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--all", "show_all", is_flag=True, help="Also list rules that are off by default.")
@click.option("--no-color", is_flag=True, help="Never colour the output.")
def rules(output_format: str, show_all: bool, no_color: bool) -> None:
    """List the rules: code, name, severity, which fix is available, status."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from retrylint.catalog import load_catalog
    from retrylint.checks import is_implemented
    from retrylint.explain import rules_table_rows

    catalog = load_catalog()
    wanted = {r.code for r in catalog if show_all or r.enabled_by_default}
    rows = [row for row in rules_table_rows(catalog, is_implemented) if row[0] in wanted]
    keys = ("code", "name", "severity", "fix", "status", "summary")
    if output_format == "json":
        click.echo(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
        return
    table = Table(box=None, header_style="bold")
    for column in keys:
        table.add_column(column, overflow="fold", no_wrap=column in ("code", "name", "fix"))
    fixes = {"safe": "[green]safe[/] (--fix)", "unsafe": "[yellow]unsafe[/] (--unsafe-fixes)"}
    for code, name, severity, fix, status, summary in rows:
        table.add_row(
            code,
            name,
            severity,
            fixes.get(fix, "-"),
            status,
            escape(summary),
            style="dim" if status == "planned" else None,
        )
    console = make_console(no_color)
    if not console.is_terminal:
        console.width = max(console.width, 160)  # piped: one line per rule
    console.print(table)


@main.command()
@click.argument("code")
@click.option("--no-color", is_flag=True, help="Print plain Markdown.")
def explain(code: str, no_color: bool) -> None:
    """Explain one rule: what it finds, why it matters, how to fix it (CODE or name)."""
    from retrylint.catalog import load_catalog
    from retrylint.checks import is_implemented
    from retrylint.explain import render_rule

    rule = load_catalog().get(code)
    if rule is None:
        fail(f"unknown rule {code!r}; see `retrylint rules`")
    text = render_rule(rule, is_implemented(rule.code))
    console = make_console(no_color)
    if no_color or not console.is_terminal:
        click.echo(text)
    else:
        from rich.markdown import Markdown

        console.print(Markdown(text))
