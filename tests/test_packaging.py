"""The wheel: it ships the rule catalog, installs into a fresh venv and runs from there.

Slow (a wheel build, a venv and an install that pulls the dependencies from the package index),
but it runs by default: a wheel without `retrylint/rules/*.yaml` passes every in-tree test and
breaks every user.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from retrylint import __version__

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def run(*command: str | Path, cwd: Path | None = None, timeout: int = 600) -> str:
    completed = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        *isolation,
        "-w",
        out,
        REPO,
    )
    (built,) = out.glob("retrylint-*.whl")
    return built


def test_wheel_ships_the_rule_catalog(wheel: Path) -> None:
    assert wheel.name.startswith(f"retrylint-{__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {Path(name).name for name in names if name.startswith("retrylint/rules/")}
    in_repo = {path.name for path in (REPO / "rules").glob("RL*.yaml")}
    assert "retrylint/rules/RL101.yaml" in names
    assert in_repo <= shipped
    assert "retrylint/cli.py" in names and "retrylint/__main__.py" in names
    templates = {name for name in names if name.startswith("retrylint/reporters/audit/templates/")}
    in_tree = REPO / "retrylint" / "reporters" / "audit" / "templates"
    assert {
        f"retrylint/reporters/audit/templates/{p.name}" for p in in_tree.glob("*.j2")
    } == templates
    assert not any(name.startswith(("tests/", "fixtures/")) for name in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "retrylint = retrylint.cli:console" in archive.read(entry_points).decode()


def test_wheel_installs_and_runs_in_a_fresh_venv(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    script = env / "bin" / "retrylint"
    outside = tmp_path_factory.mktemp("elsewhere")  # not the repo: the wheel must stand alone

    listed = run(script, "rules", "--all", "--no-color", cwd=outside)
    assert "RL101" in listed and "unbounded-retries" in listed
    assert run(script, "--version", cwd=outside).strip() == f"retrylint, version {__version__}"
    explained = run(script, "explain", "RL101", cwd=outside)
    assert explained.startswith("# unbounded-retries (RL101)")

    # The audit report's templates load from the installed package.
    (outside / "tasks.py").write_text(
        "from celery import shared_task\n\n\n@shared_task(max_retries=None)\ndef ping():\n"
        "    return 1\n",
        encoding="utf-8",
    )
    run(script, "audit", ".", "-o", "report.html", cwd=outside)
    assert '<table class="inventory">' in (outside / "report.html").read_text(encoding="utf-8")

    where = run(python, "-c", "import retrylint; print(retrylint.__file__)", cwd=outside)
    assert Path(where.strip()).is_relative_to(env)
