"""The command line: output formats, flags, exit codes, config errors and the sub-commands."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrylint import __version__
from retrylint.catalog import load_catalog
from retrylint.cli import main

SELECT = ("--select", "RL001,RL002,RL101")
BROKEN = "x = 1\n\ny = (\n"
STALE = "x = 1  # noqa: RL101\n"
ANSI = re.compile(r"\x1b\[")
# What makes rich style its output outside a terminal, whatever the environment running the tests.
TERMINAL = {"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color", "TTY_COMPATIBLE": None}
FINDING_FIELDS = {
    "code",
    "name",
    "severity",
    "confidence",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
    "job",
    "jobs",
    "call_path",
    "fix",
}


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch) -> None:
    """Text assertions need unstyled output, whatever the environment running the tests."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def runner(**kwargs) -> CliRunner:
    """stdout and stderr apart, on click 8.1 (mix_stderr) and 8.2+ (always)."""
    try:
        return CliRunner(mix_stderr=False, **kwargs)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner(**kwargs)


def invoke(*args: str, input: bytes | str | None = None, env: dict[str, str | None] | None = None):
    result = runner(env=env).invoke(main, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A broken file (RL001, high) and a stale suppression (RL002, low), checked from its root."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "stale.py").write_text(STALE, encoding="utf-8")
    (tmp_path / "clean.py").write_text("def ok():\n    return 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# check --format json


def test_json_document(project: Path) -> None:
    result = invoke("check", "--format", "json", *SELECT, ".")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert set(document) == {"version", "findings", "summary"}
    assert document["version"] == __version__
    for finding in document["findings"]:
        assert set(finding) == FINDING_FIELDS
    syntax, stale = document["findings"]
    assert syntax == {
        **syntax,
        "code": "RL001",
        "name": "syntax-error",
        "severity": "high",
        "confidence": "high",
        "path": "pkg/bad.py",
        "line": 3,
        "column": 5,
        "end_line": 3,
        "end_column": 6,
        "job": None,
        "fix": None,
    }
    assert stale == {
        "code": "RL002",
        "name": "unused-suppression",
        "severity": "low",
        "confidence": "high",
        "path": "stale.py",
        "line": 1,
        "column": 8,
        "end_line": 1,
        "end_column": 21,
        "message": "Unused suppression (RL101): nothing was reported here",
        "job": None,
        "jobs": [],
        "call_path": [],
        "fix": {
            "safety": "safe",
            "title": "remove unused suppression of RL101",
            "applicable": True,
            "edits": [{"line": 1, "column": 6, "end_line": 1, "end_column": 21, "content": ""}],
        },
    }
    assert document["summary"] == {
        "files": 3,
        "findings": 2,
        "fixable": 1,
        "by_severity": {"high": 1, "medium": 0, "low": 1},
        "by_code": {"RL001": 1, "RL002": 1},
        "errors": [],
    }


def test_json_paths_are_relative_to_the_cwd(project: Path, monkeypatch) -> None:
    absolute = os.fspath(project / "stale.py")
    document = json.loads(invoke("check", "--format", "json", *SELECT, absolute).stdout)
    assert [f["path"] for f in document["findings"]] == ["stale.py"]
    monkeypatch.chdir(project / "pkg")
    document = json.loads(invoke("check", "--format", "json", *SELECT, "..").stdout)
    assert [f["path"] for f in document["findings"]] == ["../pkg/bad.py", "../stale.py"]


# check, text output


def test_text_output_line_format(project: Path) -> None:
    result = invoke("check", *SELECT, ".")
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    pattern = re.compile(r"^(?P<path>[\w/.]+):(?P<line>\d+):(?P<col>\d+): (RL\d{3}) \[(\w+)\] .+")
    assert pattern.match(lines[0]) and lines[0].startswith("pkg/bad.py:3:5: RL001 [high] ")
    assert lines[1] == (
        "stale.py:1:8: RL002 [low] Unused suppression (RL101): nothing was reported here [*]"
    )
    assert lines[-1] == "Found 2 findings in 2 of 3 files. 1 fixable with `--fix`."


def test_clean_run(project: Path) -> None:
    result = invoke("check", *SELECT, "clean.py")
    assert result.exit_code == 0
    assert result.stdout.strip() == "All checks passed (1 file checked)."


def test_statistics(project: Path) -> None:
    result = invoke("check", "--statistics", *SELECT, ".")
    assert result.exit_code == 1
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()]
    assert rows[0] == ["count", "code", "name", "severity", "fixable"]
    assert ["1", "RL001", "syntax-error", "high", "0"] in rows
    assert ["1", "RL002", "unused-suppression", "low", "1"] in rows
    assert "stale.py:1:8" not in result.stdout  # counts instead of findings


def test_quiet_prints_findings_only(project: Path) -> None:
    result = invoke("check", "--quiet", *SELECT, ".")
    assert result.exit_code == 1
    assert "stale.py:1:8: RL002" in result.stdout
    assert "Found" not in result.stdout
    clean = invoke("check", "-q", *SELECT, "clean.py")
    assert (clean.exit_code, clean.stdout.strip()) == (0, "")


def test_output_without_a_terminal_has_no_escapes(project: Path) -> None:
    for extra in ((), ("--no-color",)):
        result = invoke("check", *extra, *SELECT, ".")
        assert not ANSI.search(result.stdout + result.stderr)


def test_forced_terminal_is_coloured(project: Path) -> None:
    result = invoke("check", *SELECT, ".", env=TERMINAL)
    assert ANSI.search(result.stdout)


def test_no_color_on_a_terminal_has_no_escapes(project: Path) -> None:
    result = invoke("check", "--no-color", *SELECT, ".", env=TERMINAL)
    assert "stale.py:1:8: RL002" in result.stdout
    assert not ANSI.search(result.stdout), repr(result.stdout[:80])


def test_exit_zero(project: Path) -> None:
    result = invoke("check", "--exit-zero", *SELECT, ".")
    assert result.exit_code == 0
    assert "stale.py:1:8: RL002" in result.stdout


def test_the_console_script_flushes_everything_and_keeps_the_exit_code(project: Path) -> None:
    """``python -m retrylint`` (as the console script) ends without freeing its objects: what it
    printed must all arrive, and its exit codes must be the command's."""

    def console(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "retrylint", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    found = console("check", ".", "--format", "json", *SELECT)
    assert found.returncode == 1, found.stderr
    document = json.loads(found.stdout)  # the whole document, nothing cut off
    assert {f["code"] for f in document["findings"]} == {"RL001", "RL002"}
    assert console("check", ".", "--exit-zero", *SELECT).returncode == 0
    assert console("check", ".", "--select", "RL999").returncode == 2
    version = console("--version")
    assert version.returncode == 0 and __version__ in version.stdout


def test_exit_zero_does_not_hide_errors(project: Path) -> None:
    result = invoke("check", "--exit-zero", *SELECT, "missing.py")
    assert result.exit_code == 2
    assert "missing.py" in result.stderr


def test_stdin_with_a_file_name(project: Path) -> None:
    result = invoke(
        "check", "--format", "json", *SELECT, "-", "--stdin-filename", "pkg/t.py", input=STALE
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [(f["path"], f["code"]) for f in document["findings"]] == [("pkg/t.py", "RL002")]
    assert document["summary"]["files"] == 1


def test_stdin_syntax_error_text(project: Path) -> None:
    result = invoke("check", *SELECT, "-", "--stdin-filename", "t.py", input=BROKEN)
    assert result.exit_code == 1
    assert result.stdout.startswith("t.py:3:5: RL001 [high] ")


def test_stdin_fix_writes_source_to_stdout_and_report_to_stderr(project: Path) -> None:
    result = invoke(
        "check", "--fix", *SELECT, "-", "--stdin-filename", "t.py", input="x = 1  # noqa: RL101\n"
    )
    assert result.exit_code == 0
    assert result.stdout == "x = 1\n"
    assert "Fixed 1 finding in 1 file." in result.stderr


# Exit codes and config


def test_unknown_config_key(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.retrylint]\nselct = ['RL1']\n", encoding="utf-8")
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "pyproject.toml" in lines[0] and "'selct'" in lines[0]
    assert "did you mean 'select'?" in lines[0]


def test_bad_config_value(project: Path) -> None:
    (project / "retrylint.toml").write_text("fail-on = 'urgent'\n", encoding="utf-8")
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert "retrylint.toml" in result.stderr and "'fail-on'" in result.stderr


def test_unknown_selector_on_the_command_line(project: Path) -> None:
    result = invoke("check", "--select", "RL999", ".")
    assert result.exit_code == 2
    assert "unknown rule selector 'RL999'" in result.stderr
    assert "command line" in result.stderr


def test_unknown_selector_in_config(project: Path) -> None:
    (project / "retrylint.toml").write_text("extend-select = ['RL999']\n", encoding="utf-8")
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert "retrylint.toml" in result.stderr and "'RL999'" in result.stderr


def test_explicit_config_file(project: Path, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("conf") / "custom.toml"
    elsewhere.write_text("select = ['RL002', 'RL101']\n", encoding="utf-8")
    result = invoke("check", "--format", "json", "--config", os.fspath(elsewhere), ".")
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    assert codes == ["RL002"]  # RL001 is not selected by that file
    missing = invoke("check", "--config", "nope.toml", ".")
    assert missing.exit_code == 2
    assert "nope.toml" in missing.stderr


def test_fail_on_high_lets_low_findings_pass(project: Path) -> None:
    (project / "retrylint.toml").write_text('fail-on = "high"\n', encoding="utf-8")
    low_only = invoke("check", *SELECT, "stale.py")
    assert low_only.exit_code == 0
    assert "stale.py:1:8: RL002 [low]" in low_only.stdout  # still printed
    with_high = invoke("check", *SELECT, ".")
    assert with_high.exit_code == 1


def test_ignore_on_the_command_line(project: Path) -> None:
    result = invoke("check", "--format", "json", *SELECT, "--ignore", "RL002", ".")
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["RL001"]


def test_internal_error_in_the_project_phase_exits_2(project: Path, monkeypatch) -> None:
    from retrylint import engine

    def broken_build(*args, **kwargs):
        raise RuntimeError("adapter bug")

    monkeypatch.setattr(engine, "build_project", broken_build)
    result = runner().invoke(main, ["check", *SELECT, "."])
    assert result.exit_code == 2
    assert "internal error" in result.stderr and "adapter bug" in result.stderr


# rules, explain, jobs


@pytest.fixture
def rl603_unwritten(monkeypatch: pytest.MonkeyPatch) -> str:
    """RL603 as a rule documented in rules/ whose check is not written yet (the catalog's
    ``planned`` status), whatever the state of the real catalog."""
    import retrylint.checks

    written = retrylint.checks.rule_module
    monkeypatch.setattr(
        retrylint.checks, "rule_module", lambda code: None if code == "RL603" else written(code)
    )
    return "RL603"


def test_rules_lists_default_codes_and_all_adds_the_rest(
    project: Path, rl603_unwritten: str
) -> None:
    catalog = load_catalog()
    defaults = [rule.code for rule in catalog if rule.enabled_by_default]
    listed = [row["code"] for row in json.loads(invoke("rules", "--format", "json").stdout)]
    assert listed == defaults
    assert "RL101" in listed and "RL603" not in listed
    everything = json.loads(invoke("rules", "--all", "--format", "json").stdout)
    assert [row["code"] for row in everything] == list(catalog.codes())
    assert "RL603" in [row["code"] for row in everything]
    assert set(everything[0]) == {"code", "name", "severity", "fix", "status", "summary"}
    status = {row["code"]: row["status"] for row in everything}
    assert status["RL101"] == "active" and status["RL001"] == "active"
    assert status["RL301"] == "active"
    assert status[rl603_unwritten] == "planned"  # documented in rules/, no check written yet
    table = invoke("rules", "--no-color").stdout
    assert all(code in table for code in defaults)
    assert "RL603" not in table
    assert "RL603" in invoke("rules", "--all").stdout


@pytest.mark.parametrize("name", ["RL101", "rl101", "unbounded-retries"])
def test_explain(name: str) -> None:
    result = invoke("explain", name)
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("# unbounded-retries (RL101)")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
        "## Options",
        "## References",
    ]


def test_explain_unknown_rule() -> None:
    result = invoke("explain", "RL999")
    assert result.exit_code == 2
    assert "unknown rule 'RL999'" in result.stderr


def test_jobs_json_on_an_empty_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("jobs", "--format", "json", ".")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"version": __version__, "jobs": []}


def test_jobs_table_on_an_empty_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("jobs", ".")
    assert result.exit_code == 0
    assert "0 jobs in 0 files." in result.stdout


def test_jobs_reports_unreadable_paths(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("jobs", "--format", "json", "missing.py")
    assert result.exit_code == 2
    assert "missing.py" in result.stderr


# The installed entry points


def _console_script() -> str:
    found = shutil.which("retrylint") or os.path.join(os.path.dirname(sys.executable), "retrylint")
    if not os.path.exists(found):
        pytest.skip("the retrylint console script is not installed")
    return found


def test_console_script(project: Path) -> None:
    script = _console_script()
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0
    assert version.stdout.strip() == f"retrylint, version {__version__}"
    checked = subprocess.run(
        [script, "check", "--format", "json", *SELECT, "."],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project,
    )
    assert checked.returncode == 1, checked.stderr
    assert json.loads(checked.stdout)["summary"]["by_code"] == {"RL001": 1, "RL002": 1}


def test_python_dash_m(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "retrylint", "check", *SELECT, "--no-color", "."],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project,
    )
    assert completed.returncode == 1, completed.stderr
    assert "stale.py:1:8: RL002 [low] " in completed.stdout
    assert not ANSI.search(completed.stdout)
    version = subprocess.run(
        [sys.executable, "-m", "retrylint", "--version"], capture_output=True, text=True
    )
    assert version.stdout.strip() == f"retrylint, version {__version__}"


def test_selecting_a_planned_rule_says_it_is_not_checked(
    project: Path, rl603_unwritten: str
) -> None:
    result = runner().invoke(main, ["check", "--select", rl603_unwritten, "."])
    assert f"{rl603_unwritten} is documented but not checked yet" in result.stderr
    assert "Planned" in invoke("explain", rl603_unwritten, "--no-color").stdout
    assert "Planned" not in invoke("explain", "RL101", "--no-color").stdout
