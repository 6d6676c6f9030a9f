"""Names the project index turns into literals: constants in other modules, settings classes,
Django settings, and defaults of environment lookups."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from retrylint.config import Config
from retrylint.engine import AnalysisSettings, analyse_files, build_project
from retrylint.model import UNKNOWN
from retrylint.project import ProjectIndex
from tests.conftest import chdir


def index_of(root: Path, files: dict[str, str]) -> ProjectIndex:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    with chdir(root):
        paths = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
        results = analyse_files(paths, AnalysisSettings(Config(root, None), frozenset()))
        index, _ = build_project(results)
    return index


PROJECT = {
    "app/__init__.py": "",
    "app/limits.py": """\
        import os
        from os import getenv

        RETRIES = 5
        TIMEOUT = float(os.environ.get("JOB_TIMEOUT", "30"))
        BACKOFF = int(getenv("CELERY_RETRY_BACKOFF", 7))
        REQUIRED = os.environ["MUST_BE_SET"]
        UNSET = os.getenv("NO_DEFAULT")


        class Config:
            MAX_RETRIES = 8
            NAME = "worker"


        class Settings(Config):
            WORKER_MAX_RETRIES: int = 20


        settings = Settings()
        """,
    "app/tasks.py": "from app import limits\nfrom app.limits import settings\n",  # re-exports
    "proj/__init__.py": "",
    "proj/settings/__init__.py": "",
    "proj/settings/base.py": "RQ_RETRIES = 3\nRQ_INTERVAL = 60\nDEBUG = False\n",
    "proj/settings/dev.py": "from proj.settings.base import *\nDEBUG = True\n",
    "proj/settings/prod.py": "class Production:\n    BUILD_RETRIES = 25\n",
}


@pytest.fixture
def index(tmp_path: Path) -> ProjectIndex:
    return index_of(tmp_path, PROJECT)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("app.limits.RETRIES", 5),
        ("app.limits.TIMEOUT", 30.0),  # float(os.environ.get(..., "30")): the default in the code
        ("app.limits.BACKOFF", 7),
        ("app.limits.REQUIRED", UNKNOWN),  # no default: set by the environment only
        ("app.limits.UNSET", UNKNOWN),
        ("app.limits.Config.MAX_RETRIES", 8),
        ("app.tasks.settings.WORKER_MAX_RETRIES", 20),  # an instance of a settings class
        ("app.tasks.settings.MAX_RETRIES", 8),  # through the class's project base
        ("app.tasks.settings.MISSING", UNKNOWN),
        ("django.conf.settings.RQ_RETRIES", 3),
        ("django.conf.settings.BUILD_RETRIES", 25),  # a class-based settings module
        ("django.conf.settings.DEBUG", UNKNOWN),  # development and production disagree
        ("django.conf.settings.NOT_THERE", UNKNOWN),
    ],
)
def test_constant(index: ProjectIndex, name: str, value: object) -> None:
    """Names as the per-file phase writes them: qualified through the file's imports."""
    assert index.constant(name, index.modules["app.tasks"]) == value
