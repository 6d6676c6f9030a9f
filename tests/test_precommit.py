"""The hooks in `.pre-commit-hooks.yaml`, run by real pre-commit on real `git commit`s.

A temporary repository uses this checkout as its hook repository (at its HEAD commit, as a user
would pin a tag): committing a task with a constant retry delay fails with the finding, and the
commit after `retrylint-fix` has rewritten the file passes.

Slow: pre-commit builds the hook's environment (pip installs this checkout and its
dependencies) once per run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BAD_TASK = """\
from celery import shared_task


@shared_task(autoretry_for=(ConnectionError,), max_retries=3)
def sync_stock(sku):
    return sku
"""


def _git(*args: str, cwd: Path) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    return completed.stdout.strip()


def _checkout_head() -> str | None:
    if shutil.which("git") is None:
        return None
    try:
        return _git("rev-parse", "HEAD", cwd=REPO)
    except subprocess.CalledProcessError:
        return None


HEAD = _checkout_head()


@pytest.mark.skipif(HEAD is None, reason="needs git and a git checkout of retrylint")
def test_hooks_fail_a_bad_commit_and_pass_after_the_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "shop").mkdir(parents=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "NO_COLOR": "1",
    }
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, timeout=600
        )

    assert run("git", "init", "-q").returncode == 0
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {REPO}\n"
        f"    rev: {HEAD}\n"
        "    hooks:\n"
        "      - id: retrylint\n"
        "      - id: retrylint-fix\n",
        encoding="utf-8",
    )
    (project / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (project / "shop" / "tasks.py").write_text(BAD_TASK, encoding="utf-8")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    installed = run(*pre_commit, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert run("git", "add", ".").returncode == 0

    failed = run("git", "commit", "-q", "-m", "add a task")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "RL201" in output and "shop/tasks.py:5:5" in output
    assert "retry_backoff=True" in (project / "shop" / "tasks.py").read_text(encoding="utf-8")

    assert run("git", "add", ".").returncode == 0
    passed = run("git", "commit", "-q", "-m", "add a task, backing off")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert run("git", "log", "--oneline").stdout.count("\n") == 1
