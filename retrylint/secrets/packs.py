"""The secret-name knowledge packs: the bundled ``rules/secret_names.yaml`` plus the user's.

A user pack (config ``extra-secret-names``) has the bundled pack's shape with every key
optional; its lists are added to the bundled ones. Packs are validated strictly when the config
is read (``validate_pack``), so a typo stops the run naming the file and the key instead of
silently matching nothing; the per-file phase then loads them without surprises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from retrylint.catalog import rules_dir
from retrylint.secrets.names import CATEGORIES, Category, NameMatcher, Vocabulary, words_of
from retrylint.yaml_files import YAMLError, read_yaml

BUNDLED = "secret_names.yaml"
# key -> the sub-keys it may hold (None: a list at the top level)
_SHAPE: dict[str, tuple[str, ...] | None] = {
    "secret": ("words", "sequences", "endings", "last"),
    "connection": ("words", "sequences"),
    "personal": ("words", "sequences"),
    "benign": ("after", "before", "names", "token_modules"),
    "getters": None,
    "literals": None,
}


class PackError(ValueError):
    """A knowledge pack that cannot be used; the message names the file and the key."""

    def __init__(self, path: Path, key: str | None, message: str) -> None:
        where = f"{path}: {key!r}" if key else str(path)
        super().__init__(f"{where}: {message}")


def validate_pack(path: Path) -> dict[str, Any]:
    """The pack's data, checked: known keys, lists of strings, words that are one word,
    sequences of several words, regular expressions that compile."""
    try:
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError) as error:
        raise PackError(path, None, f"cannot read the pack: {error}") from error
    except YAMLError as error:
        raise PackError(path, None, f"invalid YAML: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PackError(path, None, f"expected a mapping, got {type(data).__name__}")
    for key, value in data.items():
        if key not in _SHAPE:
            raise PackError(path, str(key), f"unknown key (known: {', '.join(_SHAPE)})")
        subkeys = _SHAPE[key]
        if subkeys is None:
            if key == "literals":
                _check_literals(path, value)
            else:
                _check_words(path, key, value)
            continue
        if not isinstance(value, dict):
            raise PackError(path, key, f"expected a mapping of {', '.join(subkeys)}")
        for subkey, items in value.items():
            dotted = f"{key}.{subkey}"
            if subkey not in subkeys:
                raise PackError(path, dotted, f"unknown key (known: {', '.join(subkeys)})")
            if subkey == "sequences":
                _check_sequences(path, dotted, items)
            elif subkey in ("names", "token_modules"):
                _strings(path, dotted, items)
            else:
                _check_words(path, dotted, items)
    return data


def _strings(path: Path, key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PackError(path, key, f"expected a list of non-empty strings, got {value!r}")
    return value


def _check_words(path: Path, key: str, value: object) -> None:
    for item in _strings(path, key, value):
        words = words_of(item)
        if len(words) != 1:
            hint = f"; list it under sequences as {' '.join(words)!r}" if len(words) > 1 else ""
            raise PackError(path, key, f"{item!r} is not one word{hint}")


def _check_sequences(path: Path, key: str, value: object) -> None:
    for item in _strings(path, key, value):
        if len(words_of(item)) < 2:
            raise PackError(path, key, f"{item!r} is one word; list it under words")


def _check_literals(path: Path, value: object) -> None:
    if not isinstance(value, list):
        raise PackError(path, "literals", "expected a list of {name, pattern} entries")
    for entry in value:
        if not (isinstance(entry, dict) and set(entry) == {"name", "pattern"}):
            raise PackError(path, "literals", f"expected {{name, pattern}}, got {entry!r}")
        try:
            re.compile(str(entry["pattern"]))
        except re.error as error:
            raise PackError(path, "literals", f"{entry['name']}: bad pattern: {error}") from error


def vocabulary(packs: Iterable[Path] = ()) -> Vocabulary:
    """The bundled pack merged with ``packs`` (cached per list of packs)."""
    return _vocabulary(tuple(packs))


def matcher(packs: Iterable[Path] = ()) -> NameMatcher:
    """The name matcher for a run's packs (one per process and list of packs)."""
    return _matcher(tuple(packs))


@cache
def _matcher(packs: tuple[Path, ...]) -> NameMatcher:
    return NameMatcher(_vocabulary(packs))


@cache
def _vocabulary(packs: tuple[Path, ...]) -> Vocabulary:
    datas = [validate_pack(rules_dir() / BUNDLED), *(validate_pack(p) for p in packs)]
    words: dict[Category, set[str]] = {c: set() for c in CATEGORIES}
    sequences: dict[Category, set[tuple[str, ...]]] = {c: set() for c in CATEGORIES}
    merged: dict[str, set[Any]] = {
        k: set()
        for k in ("endings", "last", "after", "before", "names", "token_modules", "getters")
    }
    literals: list[tuple[str, str]] = []
    for data in datas:
        for category in CATEGORIES:
            section = data.get(category) or {}
            words[category].update(words_of(w)[0] for w in section.get("words", ()))
            sequences[category].update(words_of(s) for s in section.get("sequences", ()))
        secret = data.get("secret") or {}
        merged["endings"].update(words_of(w)[0] for w in secret.get("endings", ()))
        merged["last"].update(words_of(w)[0] for w in secret.get("last", ()))
        benign = data.get("benign") or {}
        merged["after"].update(words_of(w)[0] for w in benign.get("after", ()))
        merged["before"].update(words_of(w)[0] for w in benign.get("before", ()))
        merged["names"].update(words_of(n) for n in benign.get("names", ()))
        merged["token_modules"].update(benign.get("token_modules", ()))
        merged["getters"].update(words_of(w)[0] for w in data.get("getters", ()))
        literals.extend((str(e["name"]), str(e["pattern"])) for e in data.get("literals", ()))
    return Vocabulary(
        words={c: frozenset(v) for c, v in words.items()},
        sequences={c: frozenset(v) for c, v in sequences.items()},
        endings=frozenset(merged["endings"]),
        last=frozenset(merged["last"]),
        after=frozenset(merged["after"]),
        before=frozenset(merged["before"]),
        names=frozenset(merged["names"]),
        token_modules=frozenset(merged["token_modules"]),
        getters=frozenset(merged["getters"]),
        literals=tuple(literals),
    )
