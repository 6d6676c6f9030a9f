"""Real paths of many files at once, each folder resolved once.

``Path.resolve()`` walks and ``lstat``s every component of every path it is given. The project
phase needs the real path of every file twice (its module name, its path under the config root
for per-file-ignores); on a 5,559-file project whose per-file work all came from the cache that
was about a fifth of the run. Files share folders, so resolving the folder once and the file's own
name only when it is a symlink gives the same answers for a fraction of the system calls.
"""

from __future__ import annotations

import os
from pathlib import Path


class RealPaths:
    """``Path(path).resolve()`` (non-strict) with the folders' resolutions remembered.

    Relative paths are taken from the working folder when the instance is made.
    """

    def __init__(self) -> None:
        self._cwd = os.getcwd()
        self._folders: dict[str, str] = {}

    def resolve(self, path: str | Path) -> Path:
        return Path(self._real(os.fspath(path)))

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

    def _real(self, text: str) -> str:
        if not os.path.isabs(text):
            text = os.path.join(self._cwd, text)
        folder, name = os.path.split(text)
        if not name or name in (".", ".."):  # not a file name: nothing to share
            return os.path.realpath(text)
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        full = os.path.join(real, name)
        return os.path.realpath(full) if os.path.islink(full) else full
