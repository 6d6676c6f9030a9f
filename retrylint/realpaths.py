"""Real paths of many files at once, each folder resolved once.

``Path.resolve()`` walks and ``lstat``s every component of every path it is given. The project
phase needs the real path of every file twice (its module name, its path under the config root
for per-file-ignores); on a 5,559-file project whose per-file work all came from the cache that
was about a fifth of the run. Files share folders, so resolving the folder once and the file's own
name only when it is a symlink gives the same answers for a fraction of the system calls.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class RealPaths:
    """``Path(path).resolve()`` (non-strict) with the folders' resolutions remembered.

    Relative paths are taken from the working folder when the instance is made.
    """

    def __init__(self) -> None:
        self._cwd = os.getcwd()
        self._folders: dict[str, str] = {}
        self._files: dict[str, tuple[str, bool]] = {}  # as given -> (real path, exists)

    def resolve(self, path: str | Path) -> Path:
        return Path(self._real(os.fspath(path)))

    def existing(self, path: str) -> str | None:
        """The real path of ``path`` when something is there (a link's target must be), else
        None: ``Path.exists()`` and ``resolve()`` in one look at the file."""
        real, exists = self._entry(path)
        return real if exists else None

    def relative(self, path: str, root: Path) -> str:
        """``path`` relative to ``root`` (real paths, posix form); as given when outside it."""
        try:
            real, base = self._real(path), self._real(os.fspath(root))
        except OSError:  # a symlink loop
            return Path(path).as_posix()
        prefix = base if base.endswith(os.sep) else base + os.sep
        if os.sep == "/" and real.startswith(prefix):  # the common case, without Path
            return real[len(prefix) :]
        try:
            return Path(real).relative_to(base).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def _real(self, given: str) -> str:
        return self._entry(given)[0]

    def _entry(self, given: str) -> tuple[str, bool]:
        known = self._files.get(given)
        if known is None:
            known = self._files[given] = self._look(given)
        return known

    def _look(self, given: str) -> tuple[str, bool]:
        text = given if os.path.isabs(given) else os.path.join(self._cwd, given)
        folder, name = os.path.split(text)
        if not name or name in (".", ".."):  # not a file name: nothing to share
            whole = os.path.realpath(text)
            return whole, os.path.exists(whole)
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        full = os.path.join(real, name)
        try:
            mode = os.lstat(full).st_mode
        except OSError:
            return full, False
        if stat.S_ISLNK(mode):
            full = os.path.realpath(full)
            return full, os.path.exists(full)
        return full, True
