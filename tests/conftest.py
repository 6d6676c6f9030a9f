"""Shared test helpers: run the engine on a folder as its own project."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="Rewrite tests/snapshots/ from the current output instead of comparing.",
    )


@pytest.fixture
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-snapshots"))


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def fixture_projects() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("."))


def analyse_project(folder: Path, select: tuple[str, ...] | None = None, *, prefilter: bool = True):
    """Run retrylint on ``folder`` as the current project; returns the engine's RunResult."""
    from retrylint.catalog import load_catalog
    from retrylint.config import load_config
    from retrylint.discovery import discover
    from retrylint.engine import run

    with chdir(folder):
        config = load_config(Path("."))
        if select is not None:
            config = config.with_overrides(select=select)
        catalog = load_catalog()
        selected = frozenset(
            r.code for r in catalog if config.is_selected(r.code, r.enabled_by_default)
        )
        files = [str(p) for p in discover([Path(".")], config).files]
        return run(files, config, selected, prefilter=prefilter)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the Celery fixture project (findings with safe and unsafe fixes), as the cwd."""
    project = tmp_path / "celery_shop"
    shutil.copytree(FIXTURES / "celery_shop", project)
    monkeypatch.chdir(project)
    return project


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (relative path: source, dedented) under ``folder``."""
    import textwrap

    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def analysed_jobs(folder: Path, files: dict[str, str]) -> list:
    """The jobs of a project made of ``files``, written under ``folder``; it must analyse cleanly."""
    write_files(folder, files)
    result = analyse_project(folder)
    assert not result.errors, result.errors
    return result.jobs


def any_python_settings(examples: int = 40):  # type: ignore[no-untyped-def]
    """Hypothesis settings for properties over hypothesmith's arbitrary Python: the same
    examples every run (CI), no example database, big and slow examples allowed."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
