"""Project configuration: ``[tool.retrylint]`` in pyproject.toml, or a ``retrylint.toml``.

Every key is validated when the file is read, so a typo or a bad value stops the run with a message
naming the file and the key (exit 2) instead of silently falling back to a default. Rule selection
follows ruff's rules, which users already know: the most specific selector wins.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    import pathspec

__all__ = [
    "DEFAULT_EXCLUDE",
    "Config",
    "ConfigError",
    "Severity",
    "find_config_file",
    "load_config",
    "parse_duration",
]

Severity = Literal["low", "medium", "high"]
Scope = Literal["production", "all"]
Unreached = Literal["lower", "same", "ignore"]

# Names of tool and environment folders match at any depth; ``build``, ``dist`` and ``env`` only
# at the top, where build artifacts and environments live: a package may well have a source
# folder of that name (``worker/helpers/build/``), and skipping it silently loses its jobs.
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "/env",
    "__pypackages__",
    "node_modules",
    "/build",
    "/dist",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
    ".eggs",
    "*.egg-info",
    "site-packages",
    ".retrylint_cache",
)

# Code that never runs in a worker: tests, migrations, one-off scripts, dev tooling, benchmarks,
# examples, docs, infrastructure. Gitignore-style, relative to the config root. Management
# commands and CLI entry points are *not* here: they run in production (cron, deploy hooks,
# container entry points), so their retry loops are checked, as code no job reaches.
DEFAULT_NON_PRODUCTION: tuple[str, ...] = (
    # tests
    "tests/",
    "test/",
    "test_*.py",
    "*_test.py",
    "*_tests.py",
    "tests.py",
    "conftest.py",
    # schema migrations: Django's numbered files (not other modules under migrations/: some
    # projects keep real backfill tasks there); alembic environments are found by their env.py
    "**/migrations/[0-9]*.py",
    # one-off and developer scripts, benchmarks, examples, documentation
    "scripts/",
    "dev/",
    "bench/",
    "benchmark/",
    "benchmarks/",
    "examples/",
    "example/",
    "example_*/",
    # code templates: cookiecutter folders, Jinja-rendered .py files
    "*{{*",
    "template/",
    "templates/",
    "docs/",
    "doc/",
    # infrastructure code and tool folders (.github, .semgrep, .circleci ...): not workers
    "terraform/",
    ".*/",
)

PYPROJECT = "pyproject.toml"
RETRYLINT_TOML = "retrylint.toml"

_SELECTOR = re.compile(r"ALL|RL\d{0,3}")
_DURATION = re.compile(
    r"(?:(?P<d>\d+(?:\.\d+)?)\s*d)?\s*"
    r"(?:(?P<h>\d+(?:\.\d+)?)\s*h)?\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*m)?\s*"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*s)?"
)
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


class ConfigError(Exception):
    """A config file cannot be used; `str()` names the file and the key, ready to print."""


@dataclass(frozen=True)
class Config:
    """The resolved settings for one run (file values, then CLI overrides)."""

    root: Path
    """Folder of the config file (paths in the config are relative to it), else the start folder."""
    path: Path | None
    """The config file that was read, if any."""
    select: tuple[str, ...] | None = None
    """Selectors replacing the default rule set; None keeps the catalog's defaults."""
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(gitignore-style glob relative to `root`, selectors); a leading ``!`` negates the glob."""
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    fail_on: Severity = "low"
    """Findings below this severity are still printed but do not make the run fail."""
    default_max_attempts: int = 5
    max_retry_window: float = 21600.0
    max_backoff: float = 3600.0
    max_attempts_risky: int = 3
    scope: Scope = "production"
    """``production`` skips `non-production` paths (tests, migrations ...) unless named."""
    non_production: tuple[str, ...] = DEFAULT_NON_PRODUCTION
    extend_non_production: tuple[str, ...] = ()
    job_reach_depth: int = 3
    """How many calls deep job code reaches from a job's body."""
    unreached: Unreached = "lower"
    """Retry code no job reaches: reported one severity lower, at the same, or not at all."""
    per_item_isolation: bool = True
    """RL302: a broad handler in a ``for`` loop that logs with the traceback and goes on to the
    next item isolates items on purpose; ``False`` reports it as a swallowed failure."""
    side_effect_packs: tuple[Path, ...] = ()
    secret_name_packs: tuple[Path, ...] = ()
    permanent_error_packs: tuple[Path, ...] = ()
    network_call_packs: tuple[Path, ...] = ()
    """RL604: YAML packs of network calls, on top of ``rules/network_calls.yaml``."""
    cache_dir: Path | None = None
    """Where per-file results are kept between runs; None: ``.retrylint_cache`` under `root`."""

    def with_overrides(
        self,
        *,
        select: Iterable[str] | None = None,
        extend_select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        fail_on: Severity | None = None,
        exclude: Iterable[str] | None = None,
        extend_exclude: Iterable[str] = (),
        respect_gitignore: bool | None = None,
        scope: Scope | None = None,
    ) -> Config:
        """Apply command-line flags on top of the file's settings.

        As in ruff, ``--select`` starts the selection afresh (the file's select, extend-select and
        ignore no longer apply), while ``--extend-select`` and ``--ignore`` add to what is there.
        """
        config = self
        if select is not None:
            config = replace(config, select=tuple(select), extend_select=(), ignore=())
        return replace(
            config,
            extend_select=config.extend_select + tuple(extend_select),
            ignore=config.ignore + tuple(ignore),
            fail_on=config.fail_on if fail_on is None else fail_on,
            exclude=config.exclude if exclude is None else tuple(exclude),
            extend_exclude=config.extend_exclude + tuple(extend_exclude),
            respect_gitignore=(
                config.respect_gitignore if respect_gitignore is None else respect_gitignore
            ),
            scope=config.scope if scope is None else scope,
        )

    def fingerprint(self) -> str:
        """A stable hash of everything that changes per-file results, for the cache key.

        Leaves out where the project lives (`root`, `path`), which files are walked and the exit
        threshold; includes the contents of extra packs, so editing a pack invalidates the cache.
        """
        relevant = {
            "select": self.select,
            "extend_select": self.extend_select,
            "ignore": self.ignore,
            "per_file_ignores": self.per_file_ignores,
            "default_max_attempts": self.default_max_attempts,
            "max_retry_window": self.max_retry_window,
            "max_backoff": self.max_backoff,
            "max_attempts_risky": self.max_attempts_risky,
            "job_reach_depth": self.job_reach_depth,
            "unreached": self.unreached,
            "per_item_isolation": self.per_item_isolation,
            "side_effect_packs": [_file_digest(p) for p in self.side_effect_packs],
            "secret_name_packs": [_file_digest(p) for p in self.secret_name_packs],
            "permanent_error_packs": [_file_digest(p) for p in self.permanent_error_packs],
            "network_call_packs": [_file_digest(p) for p in self.network_call_packs],
        }
        blob = json.dumps(relevant, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def is_selected(self, code: str, enabled_by_default: bool) -> bool:
        """Whether rule *code* runs, with ruff's semantics.

        Among the selectors matching *code*, the longest wins (``RL101`` beats ``RL1`` beats
        ``ALL``); on a tie ``ignore`` wins. With no explicit `select`, a rule nothing matches
        runs when it is enabled by default.
        """
        chosen = _best_match(code, (*(self.select or ()), *self.extend_select))
        ignored = _best_match(code, self.ignore)
        if chosen is None:
            return self.select is None and enabled_by_default and ignored is None
        return ignored is None or chosen > ignored

    def ignored_codes_for(self, relpath: str) -> frozenset[str]:
        """Selectors that per-file-ignores turn off for *relpath* (posix, relative to `root`)."""
        codes: set[str] = set()
        for pattern, selectors in self.per_file_ignores:
            if _glob_matches(pattern, relpath):
                codes.update(selectors)
        return frozenset(codes)

    def is_ignored_for(self, relpath: str, code: str) -> bool:
        """Whether per-file-ignores turn off rule *code* for *relpath*."""
        return any(_selector_matches(s, code) for s in self.ignored_codes_for(relpath))


def find_config_file(start: Path) -> Path | None:
    """The nearest config file at or above *start*; a pyproject.toml counts only with our table."""
    found = _find_config(start)
    return None if found is None else found[0]


def load_config(start: Path, explicit: Path | None = None) -> Config:
    """Read the config for a run started in *start*, or from the *explicit* ``--config`` file."""
    if explicit is not None:
        document = _read_toml(explicit)
        table = _retrylint_table(document, explicit) if explicit.name == PYPROJECT else document
        return _build(explicit.resolve(), table or {})
    found = _find_config(start)
    if found is None:
        return Config(root=_folder(start), path=None)
    return _build(*found)


def parse_duration(value: object, *, key: str, file: Path) -> float:
    """Seconds from a number or a string like ``"6h"``, ``"90s"``, ``"2d"`` or ``"1h30m"``."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        match = _DURATION.fullmatch(text)
        if text and match:
            seconds = sum(
                float(amount) * _UNIT_SECONDS[unit]
                for unit, amount in match.groupdict().items()
                if amount is not None
            )
        elif re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
    if seconds is None or not seconds > 0 or seconds == float("inf"):
        raise _error(file, f"{key!r} must be a duration like '6h', got {_show(value)}")
    return seconds


def _find_config(start: Path) -> tuple[Path, Mapping[str, Any]] | None:
    folder = _folder(start)
    for candidate in (folder, *folder.parents):
        retrylint_toml = candidate / RETRYLINT_TOML
        if retrylint_toml.is_file():
            return retrylint_toml, _read_toml(retrylint_toml)
        pyproject = candidate / PYPROJECT
        if pyproject.is_file():
            table = _retrylint_table(_read_toml(pyproject), pyproject)
            if table is not None:
                return pyproject, table
    return None


def _folder(start: Path) -> Path:
    start = start.resolve()
    return start.parent if start.is_file() else start


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise _error(file, f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # TOMLDecodeError, or bytes that are not UTF-8
        raise _error(file, f"invalid TOML: {exc}") from None


def _retrylint_table(document: Mapping[str, Any], file: Path) -> Mapping[str, Any] | None:
    tool = document.get("tool")
    if not isinstance(tool, dict) or "retrylint" not in tool:
        return None
    table = tool["retrylint"]
    if not isinstance(table, dict):
        raise _error(file, "[tool.retrylint] must be a table")
    return table


def _build(file: Path, table: Mapping[str, Any]) -> Config:
    root = file.parent
    where = " in [tool.retrylint]" if file.name == PYPROJECT else ""
    values: dict[str, Any] = {}
    for key, value in table.items():
        parser = _PARSERS.get(key)
        if parser is None:
            raise _error(file, f"unknown key {key!r}{where}{_suggest(key)}")
        field_name, parse = parser
        values[field_name] = parse(value, key, file, root)
    return Config(root=root, path=file, **values)


def _suggest(key: str) -> str:
    import difflib  # only on the error path

    close = difflib.get_close_matches(key.replace("_", "-"), _PARSERS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _error(file: Path, message: str) -> ConfigError:
    return ConfigError(f"{_display(file)}: {message}")


def _display(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def _show(value: object) -> str:
    """A value as it looks in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


# Per-key parsers: (value, key, file, root) -> the Config field's value.


def _strings(value: object, key: str, file: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _error(file, f"{key!r} must be a list of strings, got {_show(value)}")
    return tuple(value)


def _selectors(value: object, key: str, file: Path, root: Path) -> tuple[str, ...]:
    selectors = _strings(value, key, file)
    for selector in selectors:
        if not _SELECTOR.fullmatch(selector):
            raise _error(
                file,
                f"{key!r} entry {selector!r} is not a rule selector "
                "(expected 'ALL' or a code prefix like 'RL1' or 'RL101')",
            )
    return selectors


def _patterns(value: object, key: str, file: Path, root: Path) -> tuple[str, ...]:
    patterns = _strings(value, key, file)
    for pattern in patterns:
        try:
            _compile(pattern.removeprefix("!") if key == "per-file-ignores" else pattern)
        except ValueError as exc:
            raise _error(file, f"{key!r} has a bad pattern {pattern!r}: {exc}") from None
    return patterns


def _per_file_ignores(
    value: object, key: str, file: Path, root: Path
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise _error(file, f"{key!r} must be a table of glob = [codes], got {_show(value)}")
    _patterns(list(value), key, file, root)
    return tuple(
        (pattern, _selectors(codes, f"{key}.{pattern}", file, root))
        for pattern, codes in value.items()
    )


def _flag(value: object, key: str, file: Path, root: Path) -> bool:
    if not isinstance(value, bool):
        raise _error(file, f"{key!r} must be true or false, got {_show(value)}")
    return value


def _choice(kind: Any) -> Callable[[object, str, Path, Path], Any]:
    """A parser accepting exactly the strings of the ``Literal`` type ``kind``."""
    choices = get_args(kind)

    def parse(value: object, key: str, file: Path, root: Path) -> Any:
        if value not in choices:
            expected = ", ".join(repr(choice) for choice in choices)
            raise _error(file, f"{key!r} must be one of {expected}, got {_show(value)}")
        return value

    return parse


def _positive_int(value: object, key: str, file: Path, root: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _error(file, f"{key!r} must be a whole number >= 1, got {_show(value)}")
    return value


def _count(value: object, key: str, file: Path, root: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _error(file, f"{key!r} must be a whole number >= 0, got {_show(value)}")
    return value


def _duration(value: object, key: str, file: Path, root: Path) -> float:
    return parse_duration(value, key=key, file=file)


def _folder_path(value: object, key: str, file: Path, root: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise _error(file, f"{key!r} must be a folder path, got {_show(value)}")
    return (root / value).resolve()


def _packs(value: object, key: str, file: Path, root: Path) -> tuple[Path, ...]:
    packs = []
    for name in _strings(value, key, file):
        pack = (root / name).resolve()
        if not pack.is_file():
            raise _error(file, f"{key!r} file {name!r} does not exist (looked for {pack})")
        packs.append(pack)
    return tuple(packs)


def _checked_packs(
    value: object, key: str, file: Path, root: Path, problem: Callable[[Path], str | None]
) -> tuple[Path, ...]:
    """Paths of knowledge packs, each read and validated now: a bad entry stops the run here,
    naming the config file, the key, the pack and the entry in it."""
    packs = _packs(value, key, file, root)
    for pack in packs:
        found = problem(pack)
        if found is not None:
            raise _error(file, f"{key!r} pack {_display(pack)}: {found}")
    return packs


def _side_effect_packs(value: object, key: str, file: Path, root: Path) -> tuple[Path, ...]:
    def problem(pack: Path) -> str | None:
        from retrylint.effects.catalogue import SideEffectPackError, validate_pack

        try:
            validate_pack(pack)
        except SideEffectPackError as error:
            return f"{error.key}: {error.message}" if error.key else error.message
        return None

    return _checked_packs(value, key, file, root, problem)


def _secret_packs(value: object, key: str, file: Path, root: Path) -> tuple[Path, ...]:
    def problem(pack: Path) -> str | None:
        from retrylint.secrets.packs import PackError, validate_pack

        try:
            validate_pack(pack)
        except PackError as error:
            return str(error).removeprefix(f"{pack}: ")  # the pack is named once, by the caller
        return None

    return _checked_packs(value, key, file, root, problem)


def _network_packs(value: object, key: str, file: Path, root: Path) -> tuple[Path, ...]:
    def problem(pack: Path) -> str | None:
        from retrylint.network_calls import PackError, read_pack

        try:
            read_pack(pack)
        except PackError as error:
            return str(error)
        return None

    return _checked_packs(value, key, file, root, problem)


_PARSERS: dict[str, tuple[str, Callable[[Any, str, Path, Path], Any]]] = {
    "select": ("select", _selectors),
    "extend-select": ("extend_select", _selectors),
    "ignore": ("ignore", _selectors),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _patterns),
    "extend-exclude": ("extend_exclude", _patterns),
    "respect-gitignore": ("respect_gitignore", _flag),
    "fail-on": ("fail_on", _choice(Severity)),
    "scope": ("scope", _choice(Scope)),
    "non-production": ("non_production", _patterns),
    "extend-non-production": ("extend_non_production", _patterns),
    "job-reach-depth": ("job_reach_depth", _count),
    "unreached": ("unreached", _choice(Unreached)),
    "default-max-attempts": ("default_max_attempts", _positive_int),
    "max-retry-window": ("max_retry_window", _duration),
    "max-backoff": ("max_backoff", _duration),
    "max-attempts-risky": ("max_attempts_risky", _positive_int),
    "per-item-isolation": ("per_item_isolation", _flag),
    "extra-side-effects": ("side_effect_packs", _side_effect_packs),
    "extra-secret-names": ("secret_name_packs", _secret_packs),
    "extra-permanent-errors": ("permanent_error_packs", _packs),
    "extra-network-calls": ("network_call_packs", _network_packs),
    "cache-dir": ("cache_dir", _folder_path),
}


# Rule selection and per-file globs.


def _selector_matches(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _best_match(code: str, selectors: Iterable[str]) -> int | None:
    """Specificity of the most specific selector matching *code* (ALL = 0), or None."""
    lengths = [0 if s == "ALL" else len(s) for s in selectors if _selector_matches(s, code)]
    return max(lengths, default=None)


def _glob_matches(pattern: str, relpath: str) -> bool:
    if pattern.startswith("!"):
        return not _compile(pattern[1:]).match_file(relpath)
    return _compile(pattern).match_file(relpath)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> pathspec.GitIgnoreSpec:
    import pathspec  # imported lazily: it costs ~30 ms and most commands never match a glob

    try:
        return pathspec.GitIgnoreSpec.from_lines([pattern])
    except Exception as exc:  # pathspec raises its own error types for malformed patterns
        raise ValueError(str(exc)) from exc


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{path.name}"
