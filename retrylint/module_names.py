"""Dotted module names of files, from the folder layout alone (nothing is imported).

The project index files every module's facts under the name other modules import it by; the
incremental check asks the same of a changed file without building the index.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from retrylint.realpaths import RealPaths


def module_name_for(path: Path) -> tuple[str, bool]:
    """(dotted module name, is a package ``__init__``) from the folder layout.

    Walks up while the folder holds an ``__init__.py``, or its parent does: a folder without one
    inside a package is a namespace package (``shop/tasks/`` with no ``__init__.py`` imports as
    ``shop.tasks``, and callers import its jobs by that name). The first folder where neither
    holds one is the import root (a project root, ``src/``, a scripts folder).
    """
    return ModuleNamer().name(path)


class ModuleNamer:
    """``module_name_for`` over many files: each folder is resolved and climbed once.

    ``given`` maps paths (as the run names them) to the module names a caller decided (the
    fixer's rounds over copies); those win over the layout.
    """

    def __init__(self, given: Mapping[str, str] | None = None) -> None:
        self._given = given or {}
        self._real = RealPaths()
        self._packages: dict[Path, tuple[str, ...]] = {}

    def name(self, path: str | Path) -> tuple[str, bool]:
        if (given := self._given.get(os.fspath(path))) is not None:
            return given, os.fspath(path).endswith("__init__.py")
        path = Path(path)
        absolute = self._real.resolve(path) if path.exists() else path.absolute()
        is_package = absolute.name == "__init__.py"
        parts = [*self._package_parts(absolute.parent), absolute.stem]
        if is_package:
            parts.pop()
        return ".".join(parts) or absolute.parent.name, is_package

    def _package_parts(self, folder: Path) -> tuple[str, ...]:
        """The dotted parts ``folder`` contributes, from its import root down."""
        known = self._packages.get(folder)
        if known is not None:
            return known
        parts: tuple[str, ...] = ()
        if folder.parent != folder and (
            (folder / "__init__.py").is_file() or (folder.parent / "__init__.py").is_file()
        ):
            parts = (*self._package_parts(folder.parent), folder.name)
        self._packages[folder] = parts
        return parts
