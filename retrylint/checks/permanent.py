"""The permanent-error catalogue (``rules/permanent_errors.yaml``) and the packs a project adds
with ``extra-permanent-errors``: which retried exceptions will not go away by themselves.

Data, not code, so a project teaches RL304 its own permanent errors without a release. Every
pack has the bundled file's shape (each section optional); a malformed pack stops the rule with
a message naming the file and the section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from retrylint.catalog import rules_dir
from retrylint.yaml_files import YAMLError, read_yaml

CATALOGUE = "permanent_errors.yaml"
_SECTIONS = ("errors", "suffixes", "http-status", "name-words")
_CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")


class PackError(ValueError):
    """A permanent-error pack that cannot be used; the message names the file and section."""


@dataclass(frozen=True)
class PermanentErrors:
    errors: dict[str, str]
    suffixes: dict[str, str]
    http_status: dict[str, str]
    name_words: tuple[tuple[str, ...], ...]

    def why(self, name: str, in_project: bool) -> str | None:
        """Why retrying ``name`` (a canonical exception name) is pointless, or None.

        Exact names and suffixes apply everywhere; name words only to the project's own
        exceptions, whose names are the only description they have.
        """
        if name in self.errors:
            return self.errors[name]
        for suffix, why in self.suffixes.items():
            if name.endswith(suffix):
                return why
        if in_project:
            words = tuple(_CAMEL_WORD.findall(name.rsplit(".", 1)[-1]))
            for wanted in self.name_words:
                if _contains(words, wanted):
                    return f"its name says so ({''.join(wanted)})"
        return None

    def http(self, name: str) -> str | None:
        return self.http_status.get(name)


def _contains(words: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    size = len(wanted)
    return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))


@cache
def permanent_errors(extra: tuple[Path, ...] = ()) -> PermanentErrors:
    """The bundled catalogue merged with the project's packs (later packs win on a name)."""
    errors: dict[str, str] = {}
    suffixes: dict[str, str] = {}
    http_status: dict[str, str] = {}
    words: list[tuple[str, ...]] = []
    for path in (rules_dir() / CATALOGUE, *extra):
        pack = _read(path)
        errors.update(_mapping(pack, "errors", path))
        suffixes.update(_mapping(pack, "suffixes", path))
        http_status.update(_mapping(pack, "http-status", path))
        for word in _words(pack, path):
            split = tuple(_CAMEL_WORD.findall(word))
            if split and split not in words:
                words.append(split)
    return PermanentErrors(errors, suffixes, http_status, tuple(words))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError, YAMLError) as error:
        raise PackError(f"{path}: cannot read the permanent-error pack: {error}") from None
    data = data or {}
    if not isinstance(data, dict):
        raise PackError(f"{path}: a permanent-error pack is a mapping of sections")
    unknown = sorted(str(key) for key in data if key not in _SECTIONS)
    if unknown:
        raise PackError(f"{path}: unknown section {unknown[0]!r} (known: {', '.join(_SECTIONS)})")
    return data


def _mapping(pack: dict[str, Any], section: str, path: Path) -> dict[str, str]:
    value = pack.get(section) or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PackError(f"{path}: section {section!r} must map exception names to reasons")
    return value


def _words(pack: dict[str, Any], path: Path) -> list[str]:
    value = pack.get("name-words") or []
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        raise PackError(f"{path}: section 'name-words' must be a list of words")
    return value
