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
        self._packages: dict[str, tuple[str, ...]] = {}

    def name(self, path: str | Path) -> tuple[str, bool]:
        text = os.fspath(path)
        if (given := self._given.get(text)) is not None:
            return given, text.endswith("__init__.py")
        # Strings, not Paths: a project phase names every file, and Path objects were most of it.
        absolute = self._real.existing(text) or str(Path(text).absolute())
        folder, file_name = os.path.split(absolute)
        is_package = file_name == "__init__.py"
        parts = self._package_parts(folder)
        if not is_package:
            parts = (*parts, os.path.splitext(file_name)[0])
        return ".".join(parts) or os.path.basename(folder), is_package

    def _package_parts(self, folder: str) -> tuple[str, ...]:
        """The dotted parts ``folder`` contributes, from its import root down."""
        known = self._packages.get(folder)
        if known is not None:
            return known
        parent, name = os.path.split(folder)
        parts: tuple[str, ...] = ()
        if parent != folder and (
            os.path.isfile(os.path.join(folder, "__init__.py"))
            or os.path.isfile(os.path.join(parent, "__init__.py"))
        ):
            parts = (*self._package_parts(parent), name)
        self._packages[folder] = parts
        return parts
