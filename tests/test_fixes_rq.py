"""RQ fixes, end to end: each case in tests/fix_cases/rq/ is fixed by the CLI and compared.

``<case>.py`` is the input and ``<case>.fixed.py`` the exact output of
``retrylint check --fix --unsafe-fixes --select <codes>``; the fixed file compiles, a second
``--fix`` changes nothing, and no finding of those codes is left. Cases without a ``.fixed.py``
are reported with no fix at all (``"fix": null`` in the JSON output).

The helpers here are shared with tests/test_fixes_huey.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from retrylint.cli import main
from tests.conftest import chdir

CASES = Path(__file__).parent / "fix_cases" / "rq"

# The thresholds the expected outputs were computed with: the defaults, pinned here so a config
# file above the temporary folder cannot change them.
THRESHOLDS = {"default-max-attempts": "5", "max-retry-window": '"6h"', "max-backoff": '"1h"'}


# -- helpers (shared with test_fixes_huey) --------------------------------------------------------


def write_project(root: Path, files: dict[str, str | bytes], **thresholds: str) -> None:
    """Write ``files`` under ``root`` with a pyproject.toml that pins the thresholds."""
    settings = {**THRESHOLDS, **{k.replace("_", "-"): v for k, v in thresholds.items()}}
    table = "".join(f"{key} = {value}\n" for key, value in settings.items())
    (root / "pyproject.toml").write_text(f"[tool.retrylint]\n{table}")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())


def cli(root: Path, *args: str) -> Any:
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        runner = CliRunner()
    with chdir(root):
        result = runner.invoke(main, ["check", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def apply_fixes(root: Path, codes: str) -> None:
    cli(root, "--fix", "--unsafe-fixes", "--select", codes, ".")


def findings(root: Path, codes: str) -> list[dict[str, Any]]:
    """The findings of ``codes`` as the JSON output gives them (fixes included)."""
    result = cli(root, "--format", "json", "--unsafe-fixes", "--select", codes, ".")
    return list(json.loads(result.stdout)["findings"])


def assert_fixed(cases: Path, case: str, codes: str, root: Path, newline: str = "\n") -> None:
    """Fix ``<case>.py`` and compare it byte for byte with ``<case>.fixed.py``; then prove the fix
    compiles, is idempotent and leaves no finding of ``codes``."""
    source = (cases / f"{case}.py").read_text()
    expected = (cases / f"{case}.fixed.py").read_text()
    assert source != expected
    write_project(root, {f"{case}.py": source.replace("\n", newline).encode()})
    target = root / f"{case}.py"
    assert findings(root, codes), "the case must have findings to fix"
    apply_fixes(root, codes)
    fixed = target.read_bytes()
    assert fixed == expected.replace("\n", newline).encode()
    compile(fixed, str(target), "exec")
    apply_fixes(root, codes)
    assert target.read_bytes() == fixed, "a second --fix changed the file"
    assert findings(root, codes) == []


def assert_not_fixed(cases: Path, case: str, codes: str, root: Path) -> list[dict[str, Any]]:
    """``<case>.py`` has findings of ``codes``, none with a fix, and --fix leaves it as it is."""
    source = (cases / f"{case}.py").read_text()
    write_project(root, {f"{case}.py": source})
    found = findings(root, codes)
    assert found
    assert [f for f in found if f["fix"] is not None] == []
    apply_fixes(root, codes)
    assert (root / f"{case}.py").read_text() == source
    return found


def fixes_by_line(root: Path, codes: str) -> dict[tuple[int, str], dict[str, Any]]:
    return {(f["line"], f["code"]): f["fix"] for f in findings(root, codes)}


# -- the cases ------------------------------------------------------------------------------------

FIXED = {
    "immediate": "RL201",  # Retry(max=N) and interval=0: a list from 10 s
    "constant_interval": "RL201",  # int interval, positional, keyword order, a constant list
    "multiline": "RL201",  # multi-line Retry, with and without a trailing comma
    "qualified": "RL201",  # rq.Retry, r.Retry, an aliased Retry: no import added
    "decorator": "RL201",  # @job(retry=...) with .delay(), and an @job never enqueued
    "window": "RL102",  # lower max; cut a list; a short list keeps its values
    "backoff_then_window": "RL102,RL201",  # RL201's list, then RL102 cuts it
}


@pytest.mark.parametrize("case", sorted(FIXED))
def test_fix_case(case: str, tmp_path: Path) -> None:
    assert_fixed(CASES, case, FIXED[case], tmp_path)


def test_fix_keeps_crlf_line_endings(tmp_path: Path) -> None:
    assert_fixed(CASES, "multiline", "RL201", tmp_path, newline="\r\n")


def test_reported_without_a_fix(tmp_path: Path) -> None:
    found = assert_not_fixed(CASES, "no_fix", "RL102,RL201", tmp_path)
    # One retry; already at max-backoff; a Retry held in a name; max held in a name; one retry
    # longer than the window: each reported, none fixed.
    assert sorted((f["line"], f["code"]) for f in found) == [
        (17, "RL201"),
        (19, "RL201"),
        (21, "RL201"),
        (23, "RL102"),
        (23, "RL201"),
        (25, "RL102"),
        (25, "RL201"),
    ]


def test_safety_and_titles(tmp_path: Path) -> None:
    """Immediate -> delayed retries needs the RQ scheduler: unsafe. A growing list where an
    interval is set already changes only the delays: safe. Lowering max is unsafe."""
    write_project(tmp_path, {"jobs.py": (CASES / "constant_interval.py").read_text()})
    fixes = fixes_by_line(tmp_path, "RL102,RL201")
    assert fixes[(15, "RL201")]["safety"] == "safe"
    assert fixes[(15, "RL201")]["title"] == (
        "retry with growing delays: interval=[15, 30] "
        "(RQ runs delayed retries only on workers started with --with-scheduler)"
    )
    write_project(tmp_path, {"jobs.py": (CASES / "immediate.py").read_text()})
    assert fixes_by_line(tmp_path, "RL201")[(13, "RL201")]["safety"] == "unsafe"
    write_project(tmp_path, {"jobs.py": (CASES / "window.py").read_text()})
    fixes = fixes_by_line(tmp_path, "RL102")
    assert {fix["safety"] for fix in fixes.values()} == {"unsafe"}
    assert fixes[(13, "RL102")]["title"] == "give up sooner: Retry(max=6): at most 6 h of retrying"
    assert fixes[(17, "RL102")]["title"] == (
        "give up sooner: Retry(max=10, interval=[60, 120, 300, 600, 1800, 3600, 3600, 3600, "
        "3600, 3600]): at most 348 min of retrying"
    )


def test_only_the_argument_is_edited(tmp_path: Path) -> None:
    write_project(tmp_path, {"jobs.py": (CASES / "immediate.py").read_text()})
    edits = fixes_by_line(tmp_path, "RL201")[(13, "RL201")]["edits"]
    insert_at = {"line": 13, "column": 68, "end_line": 13, "end_column": 68}
    assert edits == [{**insert_at, "content": ", interval=[10, 20, 40]"}]


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {"jobs.py": (CASES / "immediate.py").read_text()},
        max_backoff='"30s"',
    )
    apply_fixes(tmp_path, "RL201")
    fixed = (tmp_path / "jobs.py").read_text()
    assert "retry=Retry(max=3, interval=[10, 20, 30]))" in fixed
    assert "retry=Retry(max=8, interval=[10, 20, 30, 30, 30, 30, 30, 30]))" in fixed


def test_decorator_in_another_file_than_the_enqueue_site(tmp_path: Path) -> None:
    """A Fix edits the file of its finding. Findings reported at the enqueue site in views.py
    cannot fix the decorator in jobs.py; whatever is fixed, views.py is never touched."""
    jobs = (
        "from django_rq import job\n"
        "from rq import Retry\n\n\n"
        '@job("high", retry=Retry(max=50, interval=3600))\n'
        "def refresh(name):\n    return name\n\n\n"
        '@job("low", retry=Retry(max=3))\n'
        "def warm(key):\n    return key\n"
    )
    views = 'from app.jobs import refresh, warm\n\n\ndef go():\n    refresh.delay("x")\n    warm.delay("y")\n'
    write_project(tmp_path, {"app/__init__.py": "", "app/jobs.py": jobs, "app/views.py": views})
    assert findings(tmp_path, "RL102,RL201")
    apply_fixes(tmp_path, "RL102,RL201")
    assert (tmp_path / "app" / "views.py").read_text() == views
    assert (tmp_path / "app" / "jobs.py").read_text() in (jobs, jobs.replace("max=50", "max=6"))
