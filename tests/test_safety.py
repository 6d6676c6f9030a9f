"""The analysed code is never imported or run, and a run writes nothing but the files it fixes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLANTED = """\
import pathlib

pathlib.Path(__file__).with_name("IMPORTED").write_text("the analysed code ran")

from celery import shared_task


@shared_task(autoretry_for=(Exception,), max_retries=None)
def sync():
    pathlib.Path(__file__).with_name("RAN").write_text("a task ran")
"""


def retrylint(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retrylint", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        path.relative_to(root).as_posix(): (path.stat().st_mode, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_analysed_code_is_never_imported(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("import app.tasks\n")
    (tmp_path / "app" / "tasks.py").write_text(PLANTED)
    for command in (["check", "."], ["jobs", "."], ["check", "--fix", "--unsafe-fixes", "."]):
        completed = retrylint(tmp_path, *command)
        assert "Traceback" not in completed.stderr, completed.stderr
    assert not (tmp_path / "app" / "IMPORTED").exists()
    assert not (tmp_path / "app" / "RAN").exists()


def test_a_fix_writes_only_the_files_it_fixes(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "tasks.py").write_text(PLANTED)
    (tmp_path / "app" / "clean.py").write_text("def ok():\n    return 1\n")
    os.chmod(tmp_path / "app" / "tasks.py", 0o640)
    before = tree(tmp_path)
    completed = retrylint(tmp_path, "check", "--fix", "--unsafe-fixes", ".")
    assert completed.returncode in (0, 1), completed.stderr
    after = tree(tmp_path)
    assert set(after) == set(before)  # no new file: no temp file, no cache, no report
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"app/tasks.py"}
    assert after["app/tasks.py"][0] == before["app/tasks.py"][0]  # mode kept
