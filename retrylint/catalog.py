"""The rule catalog: one YAML entry per rule under ``rules/``, loaded and validated here.

Rule metadata (code, name, severity, fix class, docs) is data, not code, so that `retrylint explain`,
the `rules` listing, the reporters and the checks all read the same facts, and a wording fix never
touches rule logic. Codes and names are a contract with users (config files, suppression comments),
so the loader is strict: a malformed entry is a packaging bug and must fail loudly, naming the file
and the field, rather than silently dropping a rule.

This module must stay free of libcst: the CLI imports it for `rules` / `explain` without parsing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from retrylint.model import FRAMEWORKS
from retrylint.yaml_files import YAMLError, read_yaml

Severity = Literal["high", "medium", "low"]
FixClass = Literal["safe", "unsafe", "none"]

#: Framework identifiers a rule may declare in ``frameworks`` (the job model's own list).
KNOWN_FRAMEWORKS: frozenset[str] = frozenset(FRAMEWORKS)

_CODE_RE = re.compile(r"^RL\d{3}$")
_CODE_PREFIX_RE = re.compile(r"^RL\d{0,3}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    """One catalog entry, exactly as its ``rules/RLxxx.yaml`` file describes it."""

    code: str
    name: str
    severity: Severity
    fix: FixClass
    enabled_by_default: bool
    frameworks: tuple[str, ...]
    summary: str
    what: str
    why: str
    example: str
    use_instead: str
    fix_safety: str
    options: tuple[str, ...]
    references: tuple[str, ...]


class CatalogError(Exception):
    """A rule entry is missing, malformed or inconsistent; the message names the file and field."""

    def __init__(self, path: Path | str, message: str, field: str | None = None) -> None:
        self.path = Path(path)
        self.field = field
        where = f"{self.path}: field '{field}'" if field else str(self.path)
        super().__init__(f"{where}: {message}")


class Catalog:
    """An immutable, code-sorted collection of rules, addressable by code or by name.

    Lookups are case-insensitive on codes (``rl101`` works) because users type them on the command
    line; names are already lower-case kebab-case.
    """

    __slots__ = ("_by_code", "_by_name", "_codes")

    def __init__(self, rules: Iterable[Rule]) -> None:
        by_code: dict[str, Rule] = {}
        by_name: dict[str, Rule] = {}
        for rule in rules:
            if rule.code in by_code:
                raise ValueError(f"duplicate rule code {rule.code}")
            if rule.name in by_name:
                raise ValueError(f"duplicate rule name {rule.name}")
            by_code[rule.code] = rule
            by_name[rule.name] = rule
        self._codes: tuple[str, ...] = tuple(sorted(by_code))
        self._by_code = {code: by_code[code] for code in self._codes}
        self._by_name = by_name

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._codes)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def __getitem__(self, code_or_name: str) -> Rule:
        rule = self.get(code_or_name)
        if rule is None:
            raise KeyError(code_or_name)
        return rule

    def __repr__(self) -> str:
        return f"Catalog({len(self)} rules: {', '.join(self._codes)})"

    def get(self, code_or_name: str) -> Rule | None:
        """Return the rule for ``RL101``, ``rl101`` or ``unbounded-retries``; None if unknown."""
        key = code_or_name.strip()
        return self._by_code.get(key.upper()) or self._by_name.get(key.lower())

    def codes(self) -> tuple[str, ...]:
        """All rule codes, sorted."""
        return self._codes

    def matching(self, selector: str) -> tuple[Rule, ...]:
        """Rules selected by ``ALL``, a code prefix (``RL1``, ``RL10``, ``RL101``) or a rule name.

        This is the ruff-style selector used by ``select`` / ``ignore`` in config and on the
        command line. An unknown selector selects nothing; the caller decides whether that is an
        error (config validation does, so a typo is not silently ignored).
        """
        key = selector.strip()
        if key.upper() == "ALL":
            return tuple(self)
        if _CODE_PREFIX_RE.match(key.upper()):
            prefix = key.upper()
            return tuple(rule for rule in self if rule.code.startswith(prefix))
        rule = self._by_name.get(key.lower())
        return (rule,) if rule is not None else ()


def rules_dir() -> Path:
    """Where the bundled rule entries live.

    The wheel ships top-level ``rules/`` as ``retrylint/rules`` (hatch force-include), while a
    source checkout or editable install keeps it next to the package directory; check both, in
    that order, so the installed copy wins when both could exist.
    """
    package_dir = Path(__file__).resolve().parent
    candidates = (package_dir / "rules", package_dir.parent / "rules")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise CatalogError(
        candidates[-1],
        "rule catalog directory not found (looked in " + ", ".join(map(str, candidates)) + ")",
    )


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load and validate every ``RL*.yaml`` entry in ``directory`` (default: the bundled rules).

    Only files whose name starts with ``RL`` are rule entries; other YAML files in the same folder
    (knowledge packs such as side effects or secret names) belong to other loaders. The default
    catalog is cached because every command needs it and it never changes during a run.
    """
    if directory is None:
        return _load_default_catalog()
    return _load_directory(Path(directory))


@functools.cache
def _load_default_catalog() -> Catalog:
    return _load_directory(rules_dir())


def _load_directory(directory: Path) -> Catalog:
    if not directory.is_dir():
        raise CatalogError(directory, "rule catalog directory does not exist")
    paths = sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and path.suffix in (".yaml", ".yml") and path.name[:2].upper() == "RL"
    )
    if not paths:
        raise CatalogError(directory, "no rule entries (RLxxx.yaml) found")
    rules: list[Rule] = []
    seen_codes: dict[str, Path] = {}
    seen_names: dict[str, Path] = {}
    for path in paths:
        rule = _load_entry(path)
        if rule.code in seen_codes:
            raise CatalogError(
                path, f"duplicate code {rule.code} (also in {seen_codes[rule.code]})", "code"
            )
        if rule.name in seen_names:
            raise CatalogError(
                path, f"duplicate name {rule.name!r} (also in {seen_names[rule.name]})", "name"
            )
        seen_codes[rule.code] = path
        seen_names[rule.name] = path
        rules.append(rule)
    return Catalog(rules)


_TEXT_FIELDS = ("summary", "what", "why", "example", "use_instead", "fix_safety")
_LIST_FIELDS = ("frameworks", "options", "references")
_REQUIRED_FIELDS = (
    "code",
    "name",
    "severity",
    "fix",
    "enabled_by_default",
    *_LIST_FIELDS,
    *_TEXT_FIELDS,
)


def _load_entry(path: Path) -> Rule:
    """Parse one YAML file into a Rule, or raise CatalogError naming the file and field."""
    try:
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(path, f"cannot read file: {exc}") from exc
    except YAMLError as exc:
        raise CatalogError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(path, f"expected a mapping, got {type(data).__name__}")

    unknown = sorted(str(key) for key in data if key not in _REQUIRED_FIELDS)
    if unknown:
        raise CatalogError(path, "unknown key", unknown[0])
    for field in _REQUIRED_FIELDS:
        if field not in data:
            raise CatalogError(path, "missing required key", field)

    code = _text(path, data, "code")
    if not _CODE_RE.match(code):
        raise CatalogError(path, f"{code!r} is not of the form RL<3 digits>", "code")
    if path.stem != code:
        raise CatalogError(path, f"code {code} does not match the file name {path.name}", "code")
    name = _text(path, data, "name")
    if not _NAME_RE.match(name):
        raise CatalogError(path, f"{name!r} is not lower-case kebab-case", "name")

    severity = _choice(path, data, "severity", get_args(Severity))
    fix = _choice(path, data, "fix", get_args(FixClass))
    enabled = data["enabled_by_default"]
    if not isinstance(enabled, bool):
        raise CatalogError(path, f"expected true or false, got {enabled!r}", "enabled_by_default")

    lists = {field: _string_list(path, data, field) for field in _LIST_FIELDS}
    unknown_frameworks = sorted(set(lists["frameworks"]) - KNOWN_FRAMEWORKS)
    if unknown_frameworks:
        raise CatalogError(
            path,
            f"unknown framework {unknown_frameworks[0]!r} (known: {', '.join(sorted(KNOWN_FRAMEWORKS))})",
            "frameworks",
        )
    texts = {field: _text(path, data, field) for field in _TEXT_FIELDS}

    return Rule(
        code=code,
        name=name,
        severity=cast(Severity, severity),
        fix=cast(FixClass, fix),
        enabled_by_default=enabled,
        frameworks=lists["frameworks"],
        summary=texts["summary"].strip(),
        what=texts["what"].strip(),
        why=texts["why"].strip(),
        # Code keeps its indentation; only surrounding blank lines go.
        example=texts["example"].strip("\n"),
        use_instead=texts["use_instead"].strip("\n"),
        fix_safety=texts["fix_safety"].strip(),
        options=lists["options"],
        references=lists["references"],
    )


def _text(path: Path, data: dict[str, Any], field: str) -> str:
    value = data[field]
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(path, f"expected a non-empty string, got {value!r}", field)
    return value


def _choice(path: Path, data: dict[str, Any], field: str, allowed: tuple[str, ...]) -> str:
    value = data[field]
    if value not in allowed:
        raise CatalogError(path, f"expected one of {', '.join(allowed)}, got {value!r}", field)
    return cast(str, value)


def _string_list(path: Path, data: dict[str, Any], field: str) -> tuple[str, ...]:
    value = data[field]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise CatalogError(path, f"expected a list of non-empty strings, got {value!r}", field)
    if len(set(value)) != len(value):
        raise CatalogError(path, "contains duplicates", field)
    return tuple(value)
