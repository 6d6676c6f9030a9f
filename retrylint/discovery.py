"""Which files a run checks.

A file named on the command line is always checked, whatever its name or the excludes say. Folders
are walked for ``*.py`` files, skipping what ``exclude`` / ``extend-exclude`` and (unless turned off)
``.gitignore`` files rule out, with gitignore semantics throughout, as ruff does. Output paths keep
the form the user typed (``src/app.py``, not ``/home/me/proj/src/app.py``); duplicates reached
through symlinks or overlapping arguments are dropped by their real identity.

Production scope: with ``scope = "production"`` (the default) a walk also skips code that never
runs in a worker (``non-production`` / ``extend-non-production``: tests, migrations, scripts ...,
and alembic environments, recognised by an ``env.py`` beside a ``versions/`` folder or a
``script.py.mako``). They are skipped
rather than analysed and filtered, so that a test's settings or a conftest's app config cannot
change a production job's policy either. A non-production folder or file named on the command
line is checked: asking for ``tests/`` means it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISREG

import pathspec

from retrylint.config import Config

__all__ = ["Discovery", "discover"]

_FileKey = tuple[int, int]  # (st_dev, st_ino): one real file or folder, however it was reached


@dataclass(frozen=True)
class Discovery:
    """The files to check, sorted, and the paths that could not be used (with the reason).

    ``paths`` are strings as ``str(Path)`` writes them: a walk over thousands of files builds
    no ``Path`` per file (that was about a seventh of a fully cached run).
    """

    paths: tuple[str, ...]
    errors: tuple[tuple[Path, str], ...]
    out_of_scope: int = 0  # non-production files the walk skipped

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(map(Path, self.paths))


def discover(paths: Sequence[Path], config: Config) -> Discovery:
    """Expand *paths* (files and folders) into the sorted list of files to check."""
    walker = _Walker(config)
    for path in paths:
        walker.add(path)
    return walker.result()


@dataclass(frozen=True)
class _Layer:
    """One gitignore-style pattern set, and how to express a walk-relative path in its terms.

    Gitignore patterns are relative to the folder holding them, so a nested ``a/b/.gitignore`` sees
    ``a/b/c.py`` as ``c.py`` (*strip* ``"a/b/"``), and one above the walk's top folder ``src`` sees
    ``c.py`` as ``src/c.py`` (*add* ``"src/"``).
    """

    spec: _Patterns
    strip: str = ""
    add: str = ""

    def decides(self, rel: str) -> bool | None:
        """True: ignored, False: re-included by a ``!`` pattern, None: no pattern matches."""
        return self.spec.check(self.add + rel[len(self.strip) :])


class _Patterns:
    """A gitignore-style pattern set, with one regex that matches wherever any pattern does.

    Nearly every path a walk sees matches no pattern at all, and pathspec learns that by trying
    each pattern in turn from Python: on 5,559 files under two ``.gitignore`` files that loop was
    half of a fully cached run. The union says "none" in one search; whatever it matches goes to
    pathspec, which decides by gitignore's rules (last match, negation, folder priority). The
    union is a superset of the patterns, so the answer is pathspec's either way.
    """

    def __init__(self, spec: pathspec.GitIgnoreSpec) -> None:
        self.spec = spec
        self._any = _union(spec)

    @classmethod
    def of(cls, lines: Iterable[str]) -> _Patterns:
        return cls(pathspec.GitIgnoreSpec.from_lines(lines))

    def check(self, path: str) -> bool | None:
        if self._any is not None and self._any.search(path) is None:
            return None
        return self.spec.check_file(path).include

    def matches(self, path: str) -> bool:
        return self.check(path) is True


_GROUP_NAME = re.compile(r"\(\?P<\w+>")


def _union(spec: pathspec.GitIgnoreSpec) -> re.Pattern[str] | None:
    """One regex matching where any deciding pattern of ``spec`` matches; None if not sure."""
    sources = []
    for pattern in spec.patterns:
        regex = getattr(pattern, "regex", None)
        if getattr(pattern, "include", None) is None or regex is None:
            continue  # comments and blank lines decide nothing
        if not isinstance(regex.pattern, str) or regex.flags != re.UNICODE:
            return None
        if "(?P=" in regex.pattern:  # a back-reference needs its named group
            return None
        sources.append(_GROUP_NAME.sub("(?:", regex.pattern))  # names repeat across patterns
    try:
        return re.compile("|".join(f"(?:{source})" for source in sources) or "(?!)")
    except re.error:
        return None


@dataclass(frozen=True)
class _Folder:
    path: str  # as str(Path) writes it
    rel: str  # posix path relative to the walk's top folder; "" for the top itself
    gitignores: tuple[_Layer, ...]  # outermost first; the innermost that matches decides
    scope: _Layer | None = None  # non-production paths, when the walk skips them


_NOTHING = _Layer(_Patterns.of([]))


class _Walker:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._exclude = _Patterns.of(config.exclude + config.extend_exclude)
        self._non_production = (
            _Patterns.of(config.non_production + config.extend_non_production)
            if config.scope == "production"
            else None
        )
        self._out_of_scope = 0
        self._gitignore_cache: dict[str, _Patterns | None] = {}
        self._visited: set[_FileKey] = set()
        self._files: list[tuple[str, _FileKey]] = []
        self._errors: list[tuple[Path, str]] = []

    def add(self, path: Path) -> None:
        try:
            mode = (stat := path.stat()).st_mode
        except OSError as exc:
            self._errors.append((path, exc.strerror or str(exc)))
            return
        if S_ISREG(mode):
            self._files.append((str(path), (stat.st_dev, stat.st_ino)))
        elif S_ISDIR(mode):
            self._walk(path)
        else:
            self._errors.append((path, "not a regular file or folder"))

    def result(self) -> Discovery:
        files: list[str] = []
        seen: set[_FileKey] = set()
        for path, key in sorted(self._files, key=lambda item: (_parts(item[0]), item[1])):
            if key not in seen:
                seen.add(key)
                files.append(path)
        return Discovery(tuple(files), tuple(sorted(self._errors)), self._out_of_scope)

    def _walk(self, top: Path) -> None:
        exclude, gitignores = self._layers_for(top)
        scope = self._scope_for(top)
        pending = [_Folder(str(top), "", gitignores, scope)]
        # Symlinked folders wait until the real tree is done, so a folder reached both ways is
        # reported under its real path; `_visited` stops loops and repeats.
        symlinked: list[_Folder] = []
        while pending or symlinked:
            folder = pending.pop() if pending else symlinked.pop()
            for child, is_symlink in self._scan(folder, exclude):
                (symlinked if is_symlink else pending).append(child)

    def _scan(self, folder: _Folder, exclude: _Layer) -> list[tuple[_Folder, bool]]:
        """Record *folder*'s ``.py`` files; return its subfolders to walk (and if symlinked)."""
        try:
            stat = os.stat(folder.path)
            if (stat.st_dev, stat.st_ino) in self._visited:
                return []
            self._visited.add((stat.st_dev, stat.st_ino))
            with os.scandir(folder.path) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            self._errors.append((Path(folder.path), exc.strerror or str(exc)))
            return []
        subfolders: list[tuple[_Folder, bool]] = []
        gitignores = folder.gitignores
        if self._config.respect_gitignore:
            spec = self._gitignore(folder.path)
            if spec is not None:
                gitignores = (*gitignores, _Layer(spec, strip=_as_prefix(folder.rel)))
        scope = folder.scope
        if scope is not None and _is_alembic_environment(entries):
            self._out_of_scope += _count_python(Path(folder.path))
            return []
        for entry in entries:
            rel = f"{folder.rel}/{entry.name}" if folder.rel else entry.name
            path = _join(folder.path, entry.name)
            try:
                if entry.is_dir():
                    if _ignored(f"{rel}/", exclude, gitignores):
                        continue
                    if scope is not None and scope.decides(f"{rel}/"):
                        self._out_of_scope += _count_python(Path(path))
                        continue
                    child = _Folder(path, rel, gitignores, scope)
                    subfolders.append((child, entry.is_symlink()))
                # Broken symlinks, fifos and sockets are not source files: skipped silently.
                elif (
                    entry.name.endswith(".py")
                    and entry.is_file()
                    and not _ignored(rel, exclude, gitignores)
                ):
                    if scope is not None and scope.decides(rel):
                        self._out_of_scope += 1
                        continue
                    stat = entry.stat()
                    self._files.append((path, (stat.st_dev, stat.st_ino)))
            except OSError as exc:
                self._errors.append((Path(path), exc.strerror or str(exc)))
        return subfolders

    def _layers_for(self, top: Path) -> tuple[_Layer, tuple[_Layer, ...]]:
        """The exclude layer and the gitignore layers from above *top* that apply inside it.

        Excludes are relative to the config root. A folder the user names explicitly is walked
        even if it is excluded or gitignored itself; inside it, the excludes then apply relative
        to it (so ``.venv`` or ``__pycache__`` still prune) and the gitignores above it do not.
        """
        real_top = top.resolve()
        from_root = _relative(real_top, self._config.root)
        exclude = _Layer(self._exclude, add=_as_prefix(from_root))
        gitignores = self._gitignores_above(real_top) if self._config.respect_gitignore else ()
        excluded_itself = bool(from_root) and exclude.decides("") is True
        if from_root is None or excluded_itself or _ignored("", _NOTHING, gitignores):
            return _Layer(self._exclude), ()
        return exclude, gitignores

    def _scope_for(self, top: Path) -> _Layer | None:
        """The non-production layer for a walk of *top*; None when the walk keeps everything.

        Patterns are relative to the config root, as excludes are. A folder named on the command
        line that is non-production itself (``retrylint check tests/``) is checked whole.
        """
        if self._non_production is None:
            return None
        from_root = _relative(top.resolve(), self._config.root)
        layer = _Layer(self._non_production, add=_as_prefix(from_root))
        if from_root is None:
            return _Layer(self._non_production)
        parts = from_root.split("/") if from_root else []
        for end in range(1, len(parts) + 1):
            if self._non_production.matches("/".join(parts[:end]) + "/"):
                return None
        return layer

    def _gitignores_above(self, real_top: Path) -> tuple[_Layer, ...]:
        """Gitignore layers of the folders above *real_top*, from the repository (or config) root.

        Includes the repository's ``.git/info/exclude``, which ranks below every ``.gitignore``.
        """
        ancestors = real_top.parents
        repo = next((f for f in (real_top, *ancestors) if (f / ".git").exists()), None)
        base = repo or self._config.root
        if not real_top.is_relative_to(base):
            return ()
        layers: list[_Layer] = []
        if repo is not None:
            info_exclude = self._gitignore(repo / ".git" / "info", name="exclude")
            if info_exclude is not None:
                layers.append(_Layer(info_exclude, add=_as_prefix(_relative(real_top, repo))))
        for folder in reversed(ancestors):
            spec = self._gitignore(folder) if folder.is_relative_to(base) else None
            if spec is not None:
                layers.append(_Layer(spec, add=_as_prefix(_relative(real_top, folder))))
        return tuple(layers)

    def _gitignore(self, folder: str | Path, name: str = ".gitignore") -> _Patterns | None:
        file = os.path.join(folder, name)
        if file not in self._gitignore_cache:
            self._gitignore_cache[file] = self._read_gitignore(file)
        return self._gitignore_cache[file]

    def _read_gitignore(self, file: str) -> _Patterns | None:
        try:
            with open(file, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except (FileNotFoundError, NotADirectoryError):  # none here, or `.git` is a worktree file
            return None
        except OSError as exc:
            self._errors.append((Path(file), exc.strerror or str(exc)))
            return None
        try:
            return _Patterns.of(lines)
        except Exception:  # pathspec's own error types; git skips malformed lines, so do we
            return _Patterns.of(line for line in lines if _valid(line))


def _join(folder: str, name: str) -> str:
    """``str(Path(folder, name))`` for a folder written as ``str(Path)`` writes it."""
    return name if folder == "." else os.path.join(folder, name)


def _parts(path: str) -> tuple[str, ...]:
    """``Path(path).parts`` for a path written as ``str(Path)`` writes it: the order files are
    listed in, as ``Path`` orders them on posix."""
    parts = path.split(os.sep)
    if not parts[0]:
        parts[0] = os.sep  # an absolute path's root
    return tuple(parts)


def _ignored(rel: str, exclude: _Layer, gitignores: tuple[_Layer, ...]) -> bool:
    """Whether the entry at walk-relative *rel* (folders end in ``/``) is skipped."""
    if exclude.decides(rel):
        return True
    for layer in reversed(gitignores):
        decision = layer.decides(rel)
        if decision is not None:
            return decision
    return False


def _is_alembic_environment(entries: list[os.DirEntry[str]]) -> bool:
    """An alembic (or flask-migrate) folder: ``env.py`` with ``versions/`` or the script template."""
    names = {entry.name for entry in entries}
    return "env.py" in names and ("versions" in names or "script.py.mako" in names)


def _count_python(folder: Path) -> int:
    """How many ``.py`` files a skipped folder holds, for the summary line."""
    try:
        return sum(1 for _ in folder.rglob("*.py"))
    except OSError:
        return 0


def _relative(path: Path, base: Path) -> str | None:
    """*path* relative to *base* as a posix string ("" when equal), or None when outside it."""
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def _as_prefix(rel: str | None) -> str:
    """``"a/b"`` -> ``"a/b/"``, ready to join; ``""`` (or None) for the folder itself."""
    return f"{rel}/" if rel else ""


def _valid(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except Exception:
        return False
    return True
