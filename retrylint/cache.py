"""Per-file results kept between runs, so an unchanged file is never parsed twice.

Layout under the cache folder (``.retrylint_cache`` beside the config by default)::

    CACHEDIR.TAG, .gitignore          backup tools and git leave the folder alone
    <code>/<settings>/files/<path>    one entry per analysed path
    <code>/<settings>/runs/<run>      the outcome of a whole `check` run
    <code>/<settings>/stats-<folder>  each path's stat and content digest, per working folder

``<code>`` digests retrylint's own files (version, sources and rule catalogue; an edit to the
installed package is a new code), ``<settings>`` what the per-file phase depends on
(``AnalysisSettings.cache_key``: the config's fingerprint, the selected rules, verbosity), and
``<path>`` the path as given plus the working folder. An entry starts with the digest of the bytes
it was made from, so a changed file misses without anything being unpickled. A file whose stat
(size, times, inode) is the one recorded with its digest is not read to find its digest
(``engine.digest_sources``).

A run whose every file hits reuses the stored outcome of the run over exactly those files and
digests: its findings, file errors and skipped files. That answer needs neither the parser nor
the adapters (which import libcst); a run where any file changed unpickles the cached facts and
runs the project phase again, parsing only what changed.

Writes go to a temporary file in the same folder and are renamed into place, so concurrent runs
see a whole entry or none; an unreadable entry is a miss. Pruning (at most once a day): other
codes' folders go, and entries, runs and settings folders nobody used for ``STALE_DAYS``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import retrylint

DIGEST_SIZE = 16
STALE_DAYS = 30
KEPT_RUNS = 16  # outcomes of whole runs kept per settings (each a few findings' worth)
_DAY = 86400.0
_PRUNED_MARK = ".pruned"
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by retrylint.\n"
)


def digest(data: bytes) -> bytes:
    """The content digest a cache entry is keyed and checked by."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


def code_key() -> str:
    """A digest of the installed retrylint: version plus name, size and mtime of its files.

    The version alone would let a development checkout or a patched install read results made
    by other code; stat-ing the ~200 files costs about a millisecond.
    """
    package = Path(retrylint.__file__).resolve().parent
    roots = [package, package.parent / "rules"]  # the wheel ships rules inside the package
    blob = hashlib.blake2b(retrylint.__version__.encode(), digest_size=DIGEST_SIZE)
    for root in roots:
        for folder, folders, files in os.walk(root):
            folders[:] = sorted(f for f in folders if f != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".yaml", ".yml")):
                    stat = os.stat(os.path.join(folder, name))
                    blob.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return blob.hexdigest()


class ResultCache:
    """Cached per-file results and run outcomes for one code and one analysis setting."""

    def __init__(self, folder: Path, settings_key: str) -> None:
        self.root = folder
        self.code = code_key()
        self.folder = folder / self.code / settings_key
        self._files = str(self.folder / "files")
        self._cwd = os.getcwd()
        cwd = hashlib.blake2b(self._cwd.encode(), digest_size=DIGEST_SIZE).hexdigest()
        self._stats = str(self.folder / f"stats-{cwd}")

    # -- per file ---------------------------------------------------------------------------
    def _entry(self, path: str) -> str:
        name = hashlib.blake2b(f"{self._cwd}\0{path}".encode(), digest_size=DIGEST_SIZE)
        return os.path.join(self._files, name.hexdigest())

    def load(self, path: str, content: bytes) -> Any | None:
        """The stored result for ``path`` made from bytes with digest ``content``, else None.

        A hit is marked as used (for pruning) on the open file, at most once a day.
        """
        try:
            with open(self._entry(path), "rb") as handle:
                data = handle.read()
                if data[:DIGEST_SIZE] != content:
                    return None
                _mark_used(handle.fileno())
        except OSError:
            return None
        try:
            return pickle.loads(data[DIGEST_SIZE:])
        except Exception:  # a truncated or foreign entry is a miss, never an error
            return None

    def store(self, path: str, content: bytes, result: object) -> None:
        self._write(self._entry(path), content + pickle.dumps(result, pickle.HIGHEST_PROTOCOL))

    # -- files by their stat ------------------------------------------------------------------
    def stat_index(self) -> dict[str, tuple[tuple[int, ...], bytes]]:
        """path -> (stat key, content digest) as recorded by earlier runs from this folder."""
        try:
            with open(self._stats, "rb") as handle:
                index = pickle.loads(handle.read())
        except Exception:  # absent, unreadable or from an older layout: read every file
            return {}
        return index if isinstance(index, dict) else {}

    def store_stat_index(self, index: dict[str, tuple[tuple[int, ...], bytes]]) -> None:
        self._write(self._stats, pickle.dumps(index, pickle.HIGHEST_PROTOCOL))

    # -- whole runs -------------------------------------------------------------------------
    def run_key(self, parts: Iterable[object]) -> str:
        """Key of a run's outcome: every (path, digest) and whatever else the caller names."""
        blob = hashlib.blake2b(self._cwd.encode(), digest_size=DIGEST_SIZE)
        for part in parts:
            blob.update(repr(part).encode())
            blob.update(b"\0")
        return blob.hexdigest()

    def load_run(self, key: str, paths: Iterable[str]) -> Any | None:
        """The stored outcome of run ``key`` over ``paths``, else None.

        Answering marks the run and its files' entries as used, at most once a day: the run
        that stored the outcome wrote or marked each entry it read less than a day earlier, so
        no entry's mark is more than a day older than the outcome's.
        """
        run = self.folder / "runs" / key
        try:
            with open(run, "rb") as handle:
                outcome = pickle.loads(handle.read())
                if _mark_used(handle.fileno()):
                    self.touch(paths)
        except Exception:  # absent, unreadable or from an older layout: recompute
            return None
        return outcome

    def store_run(self, key: str, outcome: object) -> None:
        self._write(self.folder / "runs" / key, pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL))
        runs = self.folder / "runs"
        try:
            kept = sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in kept[KEPT_RUNS:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # another run pruned them first

    # -- housekeeping -----------------------------------------------------------------------
    def _write(self, target: Path | str, data: bytes) -> None:
        """Write ``target`` whole or not at all; a read-only or full disk only costs speed."""
        try:
            folder = os.path.dirname(target)
            os.makedirs(folder, exist_ok=True)
            self._tag()
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, target)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass

    def _tag(self) -> None:
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(_TAG, encoding="utf-8")
            (self.root / ".gitignore").write_text("# Made by retrylint.\n*\n", encoding="utf-8")

    def touch(self, paths: Iterable[str]) -> None:
        """Mark entries as used, so pruning keeps what runs still read."""
        now = time.time()
        for path in paths:
            with contextlib.suppress(OSError):
                os.utime(self._entry(path), (now, now))

    def prune(self, now: float | None = None) -> None:
        """Drop what no run can use: other codes' results, and anything unused for STALE_DAYS.

        Runs at most once a day; an entry another run removes first is simply gone.
        """
        now = time.time() if now is None else now
        mark = self.root / _PRUNED_MARK
        try:
            if now - mark.stat().st_mtime < _DAY:
                return
        except OSError:
            pass
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            mark.touch()
            os.utime(mark, (now, now))
            for code in self.root.iterdir():
                if code.is_dir() and code.name != self.code:
                    shutil.rmtree(code, ignore_errors=True)
            for settings in (self.root / self.code).iterdir():
                _prune_folder(settings, now - STALE_DAYS * _DAY)
        except OSError:
            pass


def _mark_used(handle: int) -> bool:
    """Set an open entry's mtime to now when the last mark is a day old; whether it did.

    Pruning goes by mtime in days, so a finer mark only costs a system call per file per run.
    """
    with contextlib.suppress(OSError):
        if time.time() - os.fstat(handle).st_mtime >= _DAY:
            os.utime(handle)
            return True
    return False


def _prune_folder(settings: Path, cutoff: float) -> None:
    stale = 0
    total = 0
    for kind in ("files", "runs"):
        folder = settings / kind
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            total += 1
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    stale += 1
            except OSError:
                pass
    if stale == total:
        shutil.rmtree(settings, ignore_errors=True)
