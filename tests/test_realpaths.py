"""Real paths with folders resolved once answer exactly as ``Path.resolve()``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrylint.module_names import ModuleNamer, module_name_for
from retrylint.realpaths import RealPaths


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package, a symlinked folder, a symlinked file, a link to a link; cwd inside it."""
    (tmp_path / "shop" / "jobs").mkdir(parents=True)
    for name in ("shop/__init__.py", "shop/jobs/__init__.py", "shop/jobs/mail.py", "loose.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "shop" / "jobs", target_is_directory=True)
    (tmp_path / "alias.py").symlink_to(tmp_path / "shop" / "jobs" / "mail.py")
    (tmp_path / "alias2.py").symlink_to(tmp_path / "alias.py")
    monkeypatch.chdir(tmp_path / "shop")
    return tmp_path


PATHS = [
    "jobs/mail.py",
    "../loose.py",
    "../linked/mail.py",
    "../linked/../loose.py",  # ".." after a symlinked folder: the link's target's parent
    "../alias.py",
    "../alias2.py",
    "../missing.py",
    "jobs/../jobs/mail.py",
    ".",
]


@pytest.mark.parametrize("path", PATHS)
def test_resolve_is_path_resolve(tree: Path, path: str) -> None:
    real = RealPaths()
    assert real.resolve(path) == Path(path).resolve()
    assert real.resolve(path) == Path(path).resolve()  # and again, from what it remembers
    assert real.resolve(Path(os.getcwd(), path)) == Path(path).resolve()


def test_relative_to_a_root(tree: Path) -> None:
    real = RealPaths()
    assert real.relative("../linked/mail.py", tree) == "shop/jobs/mail.py"
    assert real.relative("/elsewhere/x.py", tree) == "/elsewhere/x.py"
    assert real.relative(str(tree), tree) == "."
    assert real.relative("../shop", tree) == "shop"
    for root in (tree, tree / "shop", tree / "linked"):
        for path in PATHS:  # as Path.resolve().relative_to() says, inside or outside the root
            try:
                expected = Path(path).resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                expected = Path(path).as_posix()
            assert real.relative(path, root) == expected, (path, root)


@pytest.mark.parametrize(
    "path", ["jobs/mail.py", "../linked/mail.py", "../alias2.py", "jobs/__init__.py", "../loose.py"]
)
def test_one_namer_names_as_a_fresh_one(tree: Path, path: str) -> None:
    """Folders climbed for one file are remembered for the next; names do not change."""
    namer = ModuleNamer()
    for other in ["jobs/mail.py", "../loose.py", "jobs/__init__.py"]:
        namer.name(Path(other))
    assert namer.name(Path(path)) == module_name_for(Path(path))
    assert module_name_for(Path("../linked/mail.py")) == ("shop.jobs.mail", False)
