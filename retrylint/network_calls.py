"""The network-call catalogue RL604 reads: ``rules/network_calls.yaml`` plus the project's packs.

Which calls block on a server, the keyword (and position) that bounds the wait, and whether the
client has a default timeout is knowledge, not logic: it lives in a YAML pack that ships with
retrylint, and a project adds its own clients with ``extra-network-calls`` (paths to packs of the
same shape). A pack is validated when the config is read, so a typo stops the run naming the file
and the entry (``config.py`` turns ``PackError`` into a config error).

This module must stay free of libcst: the config loader imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from retrylint.catalog import rules_dir
from retrylint.yaml_files import YAMLError, read_yaml

BUILTIN_PACK = "network_calls.yaml"
Default = Literal["none", "finite"]
_SECTIONS = ("calls", "sessions", "no_timeout_values")
_CALL_KEYS = {"name", "also", "timeout", "position", "default", "none_keeps_default", "note"}
_SESSION_KEYS = {"constructors", "methods", "timeout", "position", "default", "note"}
_VALUE_KEYS = {"name", "also", "bounded_by"}


class PackError(ValueError):
    """A pack is not usable; the message names the entry and the field."""


@dataclass(frozen=True)
class Bounded:
    """How a call's wait is bounded: the keyword (and position) of its timeout, and what
    happens without one."""

    timeout: str
    position: int | None
    default: Default
    none_keeps_default: bool
    note: str


@dataclass(frozen=True)
class Parameter:
    keyword: str
    position: int | None


@dataclass(frozen=True, eq=False)
class NetworkCalls:
    """The merged catalogue: calls by qualified name, session methods by constructor, and the
    timeout objects that may mean "no limit"."""

    calls: dict[str, Bounded]
    sessions: dict[str, tuple[frozenset[str], Bounded]]
    no_timeout_values: dict[str, tuple[Parameter, ...]]

    @functools.cached_property
    def last_names(self) -> frozenset[str]:
        """Every function or method name a call must end with to be one: a cheap first test."""
        names = {name.rsplit(".", 1)[-1] for name in self.calls}
        for methods, _ in self.sessions.values():
            names |= methods
        return frozenset(names)


def load_network_calls(packs: Iterable[Path] = ()) -> NetworkCalls:
    """The built-in pack with the project's packs on top (a later entry replaces an earlier one
    of the same name)."""
    return _load((rules_dir() / BUILTIN_PACK, *packs))


@functools.lru_cache(maxsize=8)
def _load(paths: tuple[Path, ...]) -> NetworkCalls:
    calls: dict[str, Bounded] = {}
    sessions: dict[str, tuple[frozenset[str], Bounded]] = {}
    values: dict[str, tuple[Parameter, ...]] = {}
    for path in paths:
        pack = read_pack(path)
        calls.update(pack.calls)
        sessions.update(pack.sessions)
        values.update(pack.no_timeout_values)
    return NetworkCalls(calls, sessions, values)


def read_pack(path: Path) -> NetworkCalls:
    """One pack, validated; ``PackError`` names what is wrong."""
    try:
        data = read_yaml(path)
    except (OSError, YAMLError) as error:
        raise PackError(f"cannot be read: {error}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PackError("must be a mapping with `calls`, `sessions` or `no_timeout_values`")
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise PackError(f"unknown section {unknown[0]!r} (expected one of {', '.join(_SECTIONS)})")
    calls: dict[str, Bounded] = {}
    for where, entry in _entries(data, "calls", _CALL_KEYS):
        bounded = _bounded(where, entry)
        for name in (_name(where, entry, "name"), *_names(where, entry, "also")):
            calls[name] = bounded
    sessions: dict[str, tuple[frozenset[str], Bounded]] = {}
    for where, entry in _entries(data, "sessions", _SESSION_KEYS):
        methods = frozenset(_names(where, entry, "methods", required=True))
        bounded = _bounded(where, entry)
        for name in _names(where, entry, "constructors", required=True):
            sessions[name] = (methods, bounded)
    values: dict[str, tuple[Parameter, ...]] = {}
    for where, entry in _entries(data, "no_timeout_values", _VALUE_KEYS):
        parameters = tuple(_parameter(f"{where}.bounded_by", item) for item in _list(where, entry))
        for name in (_name(where, entry, "name"), *_names(where, entry, "also")):
            values[name] = parameters
    return NetworkCalls(calls, sessions, values)


def _entries(
    data: dict[str, Any], section: str, keys: set[str]
) -> Iterable[tuple[str, dict[str, Any]]]:
    entries = data.get(section, [])
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise PackError(f"`{section}` must be a list")
    for index, entry in enumerate(entries):
        where = f"{section}[{index}]"
        if not isinstance(entry, dict):
            raise PackError(f"{where} must be a mapping")
        unknown = sorted(set(entry) - keys)
        if unknown:
            raise PackError(f"{where}: unknown key {unknown[0]!r}")
        yield where, entry


def _name(where: str, entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value or " " in value:
        raise PackError(f"{where}.{key} must be a dotted name")
    return value


def _names(where: str, entry: dict[str, Any], key: str, *, required: bool = False) -> list[str]:
    value = entry.get(key, None if required else [])
    if not isinstance(value, list) or (required and not value):
        raise PackError(f"{where}.{key} must be a {'non-empty ' if required else ''}list of names")
    for item in value:
        if not isinstance(item, str) or not item or " " in item:
            raise PackError(f"{where}.{key}: {item!r} is not a name")
    return value


def _bounded(where: str, entry: dict[str, Any]) -> Bounded:
    timeout = entry.get("timeout")
    if not isinstance(timeout, str) or not timeout.isidentifier():
        raise PackError(f"{where}.timeout must be the keyword that sets the timeout")
    position = entry.get("position")
    if position is not None and (not isinstance(position, int) or position < 0):
        raise PackError(f"{where}.position must be a non-negative integer")
    default = entry.get("default")
    if default not in ("none", "finite"):
        raise PackError(f"{where}.default must be 'none' (no timeout unless given) or 'finite'")
    keeps = entry.get("none_keeps_default", False)
    if not isinstance(keeps, bool):
        raise PackError(f"{where}.none_keeps_default must be true or false")
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise PackError(f"{where}.note must be text")
    return Bounded(timeout, position, default, keeps, note)


def _list(where: str, entry: dict[str, Any]) -> list[Any]:
    value = entry.get("bounded_by")
    if not isinstance(value, list) or not value:
        raise PackError(f"{where}.bounded_by must list the parameters that bound the wait")
    return value


def _parameter(where: str, item: Any) -> Parameter:
    if not isinstance(item, dict) or set(item) - {"keyword", "position"}:
        raise PackError(f"{where}: each entry is {{keyword: ..., position: ...}}")
    keyword, position = item.get("keyword"), item.get("position")
    if not isinstance(keyword, str) or not keyword.isidentifier():
        raise PackError(f"{where}: keyword must be a parameter name")
    if position is not None and (not isinstance(position, int) or position < 0):
        raise PackError(f"{where}: position must be a non-negative integer")
    return Parameter(keyword, position)
