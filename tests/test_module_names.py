"""Module names from the folder layout: packages, namespace folders inside them, import roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrylint.module_names import module_name_for


@pytest.mark.parametrize(
    ("files", "path", "expected"),
    [
        (["shop/__init__.py", "shop/tasks.py"], "shop/tasks.py", ("shop.tasks", False)),
        (["shop/__init__.py"], "shop/__init__.py", ("shop", True)),
        # A folder without __init__.py inside a package imports as part of it (PEP 420).
        (
            ["shop/__init__.py", "shop/jobs/builds.py"],
            "shop/jobs/builds.py",
            ("shop.jobs.builds", False),
        ),
        (
            ["shop/__init__.py", "shop/jobs/deep/__init__.py", "shop/jobs/deep/run.py"],
            "shop/jobs/deep/run.py",
            ("shop.jobs.deep.run", False),
        ),
        # Where neither a folder nor its parent is a package, the folder is the import root.
        (["src/shop/__init__.py", "src/shop/tasks.py"], "src/shop/tasks.py", ("shop.tasks", False)),
        (["scripts/nightly.py"], "scripts/nightly.py", ("nightly", False)),
    ],
)
def test_module_name(
    tmp_path: Path, files: list[str], path: str, expected: tuple[str, bool]
) -> None:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert module_name_for(tmp_path / path) == expected
