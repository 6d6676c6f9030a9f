"""Celery fixes, end to end: each case in tests/fix_cases/celery/ is fixed by the CLI and compared.

A case is ``<case>.py`` (one module) or a folder ``<case>/`` (a small project); the expected
result of ``retrylint check --fix --unsafe-fixes --select <codes>`` is ``<case>.fixed.py`` or
``<case>.fixed/``, byte for byte. The fixed code compiles, a second ``--fix`` changes nothing, and
no finding of those codes is left. Cases in ``NOT_FIXED`` are reported with no fix at all
(``"fix": null`` in the JSON output) and ``--fix`` leaves them as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from retrylint.cli import main
from tests.conftest import chdir

CASES = Path(__file__).parent / "fix_cases" / "celery"

# The thresholds the expected outputs were computed with: the defaults, pinned so that a config
# file above the temporary folder cannot change them.
THRESHOLDS = {"default-max-attempts": "5", "max-retry-window": '"6h"', "max-backoff": '"1h"'}

FIXED = {
    "bound_decorator": "RL101",  # app.task, celery.shared_task, aliased shared_task, multi-line
    "bound_class": "RL101",  # a task class attribute and a task_annotations entry
    "bound_base_class": "RL101",  # base=: the fix lands in the base class's module
    "backoff_autoretry": "RL201",  # keywords added; retry_backoff=False replaced; ones set kept
    "backoff_multiline": "RL201",  # multi-line decorators, with and without a trailing comma
    "backoff_bare": "RL201",  # autoretry from task_annotations: @app.task, @app.task(), shared
    "backoff_countdown": "RL201",  # self.retry(countdown=<constant>), `import random` added
    "backoff_countdown_alias": "RL201",  # `import random as rnd`: rnd.uniform, no import
    "backoff_no_countdown": "RL201",  # self.retry() without countdown: one added, also in a helper
    "jitter_option": "RL202",  # retry_jitter=False / 0 / a class attribute -> True
    "jitter_elsewhere": "RL202",  # retry_jitter=False on a base class elsewhere: decorator wins
    "jitter_countdown": "RL202",  # growing countdowns wrapped in random.uniform(0, ...)
    "cap_countdown": "RL203",  # min(3600, ...) around a countdown, or inside its random draw
    "window": "RL102",  # fewer retries: decorator, retry_kwargs, self.retry, class, default
    "combined": "RL101,RL102,RL201,RL202,RL203",  # fixes on one node applied round by round
}
NOT_FIXED = {
    "none_here": "RL102,RL201,RL202,RL203",
    "none_elsewhere": "RL102,RL201",
}
# Native options that only change timing the user left to Celery. Flipping a retry_jitter=False
# the user wrote (jitter_option, jitter_elsewhere) shortens the wait they chose: unsafe.
SAFE = {
    "backoff_autoretry",
    "backoff_multiline",
    "backoff_bare",
}


# -- helpers ----------------------------------------------------------------------------------------
def write_case(case: str, root: Path, newline: str = "\n", **thresholds: str) -> None:
    """Copy the case under ``root`` with a pyproject.toml pinning the thresholds."""
    root.mkdir(parents=True, exist_ok=True)
    settings = {**THRESHOLDS, **{k.replace("_", "-"): v for k, v in thresholds.items()}}
    table = "".join(f"{key} = {value}\n" for key, value in settings.items())
    (root / "pyproject.toml").write_text(f"[tool.retrylint]\n{table}")
    for name, text in _case_files(CASES / f"{case}.py", CASES / case).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.replace("\n", newline).encode())


def _case_files(single: Path, folder: Path) -> dict[str, str]:
    if single.is_file():
        return {single.name.replace(".fixed.py", ".py"): single.read_text()}
    return {
        path.relative_to(folder).as_posix(): path.read_text()
        for path in sorted(folder.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def expected_files(case: str, newline: str = "\n") -> dict[str, bytes]:
    files = _case_files(CASES / f"{case}.fixed.py", CASES / f"{case}.fixed")
    assert files, f"no expected output for {case}"
    return {name: text.replace("\n", newline).encode() for name, text in files.items()}


def project_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def cli(root: Path, *args: str) -> Any:
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        runner = CliRunner()
    with chdir(root):
        result = runner.invoke(main, ["check", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "warning:" not in result.stdout + result.stderr  # e.g. a fix that did not parse
    return result


def apply_fixes(root: Path, codes: str, *, unsafe: bool = True) -> None:
    cli(root, "--fix", *(["--unsafe-fixes"] if unsafe else []), "--select", codes, ".")


def findings(root: Path, codes: str) -> list[dict[str, Any]]:
    """The findings of ``codes`` as the JSON output gives them, fixes included."""
    result = cli(root, "--format", "json", "--unsafe-fixes", "--select", codes, ".")
    return list(json.loads(result.stdout)["findings"])


def assert_fixed(case: str, root: Path, newline: str = "\n") -> None:
    codes = FIXED[case]
    write_case(case, root, newline)
    before = project_files(root)
    expected = expected_files(case, newline)
    assert set(expected) == set(before)
    assert expected != before
    found = findings(root, codes)
    assert found, "the case must have findings to fix"
    assert all(f["fix"] is not None for f in found), [f for f in found if f["fix"] is None]
    apply_fixes(root, codes)
    fixed = project_files(root)
    for name, content in expected.items():
        assert fixed[name].decode() == content.decode(), name
        compile(fixed[name], name, "exec")
    apply_fixes(root, codes)
    assert project_files(root) == fixed, "a second --fix changed the code"
    assert findings(root, codes) == []


# -- the cases ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(FIXED))
def test_fix_case(case: str, tmp_path: Path) -> None:
    assert_fixed(case, tmp_path)


@pytest.mark.parametrize("case", sorted(NOT_FIXED))
def test_reported_without_a_fix(case: str, tmp_path: Path) -> None:
    codes = NOT_FIXED[case]
    write_case(case, tmp_path)
    before = project_files(tmp_path)
    found = findings(tmp_path, codes)
    assert found
    assert [f for f in found if f["fix"] is not None] == []
    assert {f["code"] for f in found} == set(codes.split(","))
    apply_fixes(tmp_path, codes)
    assert project_files(tmp_path) == before


def test_fix_keeps_crlf_line_endings(tmp_path: Path) -> None:
    """The added `import random` line and the rewritten countdown use the file's \\r\\n."""
    assert_fixed("backoff_countdown", tmp_path, newline="\r\n")


@pytest.mark.parametrize("case", sorted(set(FIXED) - {"combined"}))
def test_safety(case: str, tmp_path: Path) -> None:
    """Native options are safe; a rewritten countdown or a changed attempt count is unsafe. Plain
    --fix applies exactly the safe ones."""
    write_case(case, tmp_path)
    found = findings(tmp_path, FIXED[case])
    expected = "safe" if case in SAFE else "unsafe"
    assert {f["fix"]["safety"] for f in found} == {expected}
    before = project_files(tmp_path)
    apply_fixes(tmp_path, FIXED[case], unsafe=False)
    if case in SAFE:
        assert project_files(tmp_path) == expected_files(case)
    else:
        assert project_files(tmp_path) == before


def test_titles_and_edits(tmp_path: Path) -> None:
    write_case("backoff_autoretry", tmp_path / "autoretry")
    fixes = {f["line"]: f["fix"] for f in findings(tmp_path / "autoretry", "RL201")}
    # `@app.task(autoretry_for=(ConnectionError,))`: after the tuple's ")", not inside it.
    assert fixes[15] == {
        "safety": "safe",
        "title": "retry_backoff=True, retry_backoff_max=3600, retry_jitter=True",
        "applicable": True,
        "edits": [
            {
                "line": 14,
                "column": 43,
                "end_line": 14,
                "end_column": 43,
                "content": ", retry_backoff=True, retry_backoff_max=3600, retry_jitter=True",
            }
        ],
    }
    assert fixes[20]["title"] == "retry_backoff=True, retry_backoff_max=3600"
    write_case("backoff_countdown", tmp_path / "countdown")
    titles = {f["fix"]["title"] for f in findings(tmp_path / "countdown", "RL201")}
    assert "back off exponentially from 1 min up to 1 h, with full jitter" in titles
    write_case("window", tmp_path / "window")
    titles = {f["fix"]["title"] for f in findings(tmp_path / "window", "RL102")}
    assert "lower max_retries to 120: at most 6 h of retrying" in titles


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    write_case("bound_decorator", tmp_path / "attempts", default_max_attempts="3")
    apply_fixes(tmp_path / "attempts", "RL101")
    assert (tmp_path / "attempts" / "bound_decorator.py").read_text().count("max_retries=2") == 3
    write_case("backoff_autoretry", tmp_path / "backoff", max_backoff='"10m"')
    apply_fixes(tmp_path / "backoff", "RL201")
    fixed = (tmp_path / "backoff" / "backoff_autoretry.py").read_text()
    assert "max_retries=5, retry_backoff=True, retry_backoff_max=600, retry_jitter=True)" in fixed
    write_case("window", tmp_path / "window", max_retry_window='"1h"')
    apply_fixes(tmp_path / "window", "RL102")
    fixed = (tmp_path / "window" / "window.py").read_text()
    assert "max_retries=20, default_retry_delay=180)" in fixed
