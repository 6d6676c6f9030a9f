"""The side-effect catalogue: ``rules/side_effects.yaml`` and the user's ``extra-side-effects``.

Knowledge of which calls charge a card, send an email or insert a row is data, so that a
provider or a team's own payment client is added without touching the rules. The loader is
strict, like the rule catalog's: a malformed entry stops the run with a message naming the file
and the key (``effects[2].methods[0].of``), never a silently ignored entry.

An entry matches a call in one of two ways, both after import resolution:

- ``calls``: the call's dotted name (``stripe.PaymentIntent.create``, ``**.objects.create``);
- ``methods``: a method path called on an object the code built (``of``: its constructor,
  optionally with its first argument, ``boto3.client("ses")``), on an instance of a project
  subclass (``subclass_of``), or on a receiver whose name matches (``names``: ``session``).

Pattern syntax: ``{a,b}`` alternatives (which may hold dots or be empty), ``*`` one name,
``**`` any dotted prefix. ``async_twins`` also matches each name with ``_async`` appended.

A user pack is a list of effect entries, or a mapping with ``effects``, ``network``,
``state_words``, ``markers`` and ``per_run_words``, as the bundled file is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from retrylint.catalog import rules_dir
from retrylint.yaml_files import YAMLError, read_yaml

EffectClass = Literal["payment", "message", "http", "db", "queue"]
FixKind = Literal["keyword", "option"]
BUNDLED = "side_effects.yaml"

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PATTERN = re.compile(r"^[A-Za-z0-9_.*{},]+$")


class SideEffectPackError(Exception):
    """A side-effect pack cannot be used: ``str()`` names the file and the key."""

    def __init__(self, path: Path, key: str, message: str) -> None:
        self.path, self.key, self.message = path, key, message
        super().__init__(f"{path}: {key}: {message}" if key else f"{path}: {message}")


@dataclass(frozen=True)
class Guard:
    """What a guarded call looks like: an idempotency key in one of its shapes.

    ``keyword``: ``idempotency_key=...``; ``option``: a key of an ``options={...}`` dict;
    ``header``: a ``headers={...}`` entry (case-insensitive); ``key``: a key of any dict argument
    (``{"paypal_request_id": ...}``, SQS batch entries); ``flag``: a keyword set to True
    (``ignore_conflicts=True``); ``maybe``: a keyword that may stand for a guard retrylint cannot
    see (``MessageGroupId`` on a FIFO queue with content-based deduplication).
    """

    keyword: tuple[str, ...] = ()
    option: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    flag: tuple[str, ...] = ()
    maybe: tuple[str, ...] = ()

    @property
    def exists(self) -> bool:
        return bool(self.keyword or self.option or self.header or self.key or self.flag)


@dataclass(frozen=True)
class Verb:
    """For generic request methods (``requests.request("POST", ...)``): where the HTTP verb is,
    and which verbs write."""

    position: int
    keyword: str
    methods: tuple[str, ...]
    writes: tuple[str, ...]


@dataclass(frozen=True)
class Receiver:
    """Methods called on an object: built by ``of`` (with first argument in ``arg``), an
    instance of a project subclass of ``subclass_of``, or a receiver named like ``names``."""

    call: re.Pattern[str]
    of: frozenset[str] = frozenset()
    arg: tuple[str, ...] = ()
    subclass_of: frozenset[str] = frozenset()
    names: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Entry:
    name: str
    provider: str
    klass: EffectClass | Literal["network"]
    kind: str
    raises: tuple[str, ...]
    calls: re.Pattern[str] | None = None
    methods: tuple[Receiver, ...] = ()
    verb: Verb | None = None
    guard: Guard = Guard()
    fix: FixKind | None = None
    needs: str | None = None  # "commit": a later commit on the same receiver makes it an insert
    enqueue: frozenset[str] = frozenset()  # invocation methods: a job of the project enqueued
    reads: tuple[str, ...] = ()  # words in a URL or function name that make a write a read

    @property
    def is_effect(self) -> bool:
        return self.klass != "network"


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[Entry, ...]
    state_words: tuple[str, ...]
    markers: re.Pattern[str]
    per_run_words: frozenset[str] = frozenset()

    def effects(self) -> Iterator[Entry]:
        return (entry for entry in self.entries if entry.is_effect)

    @functools.cached_property
    def enqueue_methods(self) -> frozenset[str]:
        return frozenset(method for entry in self.entries for method in entry.enqueue)


def load_side_effects(packs: Iterable[Path] = ()) -> Catalogue:
    """The bundled catalogue plus the user's packs (validated; cached per set of paths)."""
    return _load(tuple(packs))


def validate_pack(path: Path) -> None:
    """Raise ``SideEffectPackError`` when ``path`` is not a usable pack (config loading)."""
    _read_pack(path, bundled=False)


@functools.cache
def _load(packs: tuple[Path, ...]) -> Catalogue:
    entries: list[Entry] = []
    words: list[str] = []
    markers: list[str] = []
    per_run: list[str] = []
    seen: dict[str, Path] = {}
    for path, bundled in ((rules_dir() / BUNDLED, True), *((p, False) for p in packs)):
        pack = _read_pack(path, bundled)
        for position, entry in enumerate(pack.entries):
            if entry.name in seen and entry.is_effect:
                raise SideEffectPackError(
                    path,
                    f"effects[{position}].name",
                    f"{entry.name!r} is also in {seen[entry.name]}",
                )
            seen.setdefault(entry.name, path)
        entries.extend(pack.entries)
        words.extend(pack.state_words)
        markers.extend(pack.markers)
        per_run.extend(pack.per_run_words)
    return Catalogue(
        tuple(entries), tuple(dict.fromkeys(words)), _compile(markers), frozenset(per_run)
    )


@dataclass(frozen=True)
class _Pack:
    entries: tuple[Entry, ...]
    state_words: tuple[str, ...]
    markers: tuple[str, ...]
    per_run_words: tuple[str, ...]


_TOP_KEYS = ("version", "effects", "network", "state_words", "markers", "per_run_words")
_ENTRY_KEYS = (
    "name",
    "provider",
    "class",
    "kind",
    "raises",
    "calls",
    "methods",
    "async_twins",
    "verb",
    "guard",
    "fix",
    "needs",
    "enqueue",
    "reads",
)
_NETWORK_KEYS = ("raises", "calls", "methods")
_METHOD_KEYS = ("of", "arg", "subclass_of", "names", "call")
_GUARD_KEYS = ("keyword", "option", "header", "key", "flag", "maybe")
_VERB_KEYS = ("position", "keyword", "methods", "writes")


def _read_pack(path: Path, bundled: bool) -> _Pack:
    try:
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError) as error:
        raise SideEffectPackError(path, "", f"cannot read: {error}") from None
    except YAMLError as error:
        raise SideEffectPackError(path, "", f"invalid YAML: {error}") from None
    reader = _Reader(path)
    if data is None or (isinstance(data, list) and not bundled):
        data = {"effects": data or []}
    table = reader.mapping(data, "", _TOP_KEYS)
    if bundled and table.get("version") != 1:
        raise SideEffectPackError(path, "version", "expected 1")
    entries = [
        reader.entry(item, f"effects[{i}]")
        for i, item in enumerate(reader.items(table.get("effects", []), "effects"))
    ]
    entries.extend(
        reader.network(item, f"network[{i}]")
        for i, item in enumerate(reader.items(table.get("network", []), "network"))
    )
    words = reader.strings(table.get("state_words", []), "state_words")
    markers = reader.patterns(table.get("markers", []), "markers")
    per_run = reader.strings(table.get("per_run_words", []), "per_run_words")
    return _Pack(tuple(entries), words, markers, tuple(word.lower() for word in per_run))


class _Reader:
    """Validation with the key path of every value, so an error says exactly where it is."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> SideEffectPackError:
        return SideEffectPackError(self.path, key, message)

    def mapping(self, value: object, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {_show(value)}")
        for name in value:
            if name not in allowed:
                where = f"{key}.{name}" if key else str(name)
                raise self.fail(where, f"unknown key (expected one of: {', '.join(allowed)})")
        return value

    def items(self, value: object, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_show(value)}")
        return value

    def strings(self, value: object, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        items = self.items(value, key)
        for position, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(
                    f"{key}[{position}]", f"expected a non-empty string, got {_show(item)}"
                )
        return tuple(items)

    def patterns(self, value: object, key: str) -> tuple[str, ...]:
        patterns = self.strings(value, key)
        for position, pattern in enumerate(patterns):
            if not _PATTERN.match(pattern) or pattern.count("{") != pattern.count("}"):
                raise self.fail(
                    f"{key}[{position}]",
                    f"{pattern!r} is not a dotted name pattern (names, '.', '*', '**', '{{a,b}}')",
                )
        return patterns

    def text(self, table: dict[str, Any], key: str, where: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", f"expected a non-empty string, got {_show(value)}")
        return value

    def entry(self, value: object, where: str) -> Entry:
        table = self.mapping(value, where, _ENTRY_KEYS)
        name = self.text(table, "name", where)
        if not _NAME.match(name):
            raise self.fail(f"{where}.name", f"{name!r} is not lower-case kebab-case")
        klass = table.get("class")
        if klass not in get_args(EffectClass):
            expected = ", ".join(get_args(EffectClass))
            raise self.fail(f"{where}.class", f"expected one of {expected}, got {_show(klass)}")
        fix = table.get("fix")
        if fix is not None and fix not in get_args(FixKind):
            raise self.fail(f"{where}.fix", f"expected keyword or option, got {_show(fix)}")
        needs = table.get("needs")
        if needs not in (None, "commit"):
            raise self.fail(f"{where}.needs", f"expected commit, got {_show(needs)}")
        twins = table.get("async_twins", False)
        if not isinstance(twins, bool):
            raise self.fail(f"{where}.async_twins", f"expected true or false, got {_show(twins)}")
        entry = Entry(
            name=name,
            provider=self.text(table, "provider", where),
            klass=cast(EffectClass, klass),
            kind=self.text(table, "kind", where),
            raises=self.strings(table.get("raises", []), f"{where}.raises"),
            calls=self.calls(table, where, twins),
            methods=self.methods(table, where, twins),
            verb=self.verb(table.get("verb"), f"{where}.verb"),
            guard=self.guard(table.get("guard", {}), f"{where}.guard"),
            fix=cast(FixKind | None, fix),
            needs=needs,
            enqueue=frozenset(self.strings(table.get("enqueue", []), f"{where}.enqueue")),
            reads=tuple(w.lower() for w in self.strings(table.get("reads", []), f"{where}.reads")),
        )
        if entry.calls is None and not entry.methods and not entry.enqueue:
            raise self.fail(where, "needs calls, methods or enqueue to match anything")
        if entry.fix == "keyword" and not entry.guard.keyword:
            raise self.fail(f"{where}.fix", "a keyword fix needs guard.keyword")
        if entry.fix == "option" and not entry.guard.option:
            raise self.fail(f"{where}.fix", "an option fix needs guard.option")
        return entry

    def network(self, value: object, where: str) -> Entry:
        table = self.mapping(value, where, _NETWORK_KEYS)
        entry = Entry(
            name="network",
            provider="network",
            klass="network",
            kind="network",
            raises=self.strings(table.get("raises", []), f"{where}.raises"),
            calls=self.calls(table, where, False),
            methods=self.methods(table, where, False),
        )
        if entry.calls is None and not entry.methods:
            raise self.fail(where, "needs calls or methods to match anything")
        return entry

    def calls(self, table: dict[str, Any], where: str, twins: bool) -> re.Pattern[str] | None:
        if "calls" not in table:
            return None
        return _compile(self.patterns(table["calls"], f"{where}.calls"), twins)

    def methods(self, table: dict[str, Any], where: str, twins: bool) -> tuple[Receiver, ...]:
        receivers = []
        for position, item in enumerate(self.items(table.get("methods", []), f"{where}.methods")):
            key = f"{where}.methods[{position}]"
            method = self.mapping(item, key, _METHOD_KEYS)
            if "call" not in method:
                raise self.fail(f"{key}.call", "missing: the method path called on the object")
            of = self.strings(method.get("of", []), f"{key}.of")
            subclass_of = self.strings(method.get("subclass_of", []), f"{key}.subclass_of")
            names = self.patterns(method.get("names", []), f"{key}.names")
            if not (of or subclass_of or names):
                raise self.fail(key, "needs of, subclass_of or names: which objects it is about")
            receivers.append(
                Receiver(
                    call=_compile(self.patterns(method["call"], f"{key}.call"), twins),
                    of=frozenset(of),
                    arg=self.strings(method.get("arg", []), f"{key}.arg"),
                    subclass_of=frozenset(subclass_of),
                    names=_compile(names) if names else None,
                )
            )
        return tuple(receivers)

    def guard(self, value: object, where: str) -> Guard:
        table = self.mapping(value, where, _GUARD_KEYS)
        return Guard(
            **{key: self.strings(table.get(key, []), f"{where}.{key}") for key in _GUARD_KEYS}
        )

    def verb(self, value: object, where: str) -> Verb | None:
        if value is None:
            return None
        table = self.mapping(value, where, _VERB_KEYS)
        position = table.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise self.fail(
                f"{where}.position", f"expected a whole number >= 0, got {_show(position)}"
            )
        return Verb(
            position=position,
            keyword=self.text(table, "keyword", where),
            methods=self.strings(table.get("methods", []), f"{where}.methods"),
            writes=tuple(
                v.upper() for v in self.strings(table.get("writes", []), f"{where}.writes")
            ),
        )


def _compile(patterns: Iterable[str], twins: bool = False) -> re.Pattern[str]:
    """One regex for a list of name patterns; never matches when the list is empty."""
    alternatives = [_translate(pattern) for pattern in patterns]
    if not alternatives:
        return re.compile(r"(?!)")
    suffix = "(?:_async)?" if twins else ""
    return re.compile(f"(?:{'|'.join(alternatives)}){suffix}")


def _translate(pattern: str) -> str:
    out: list[str] = []
    depth = 0
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if pattern.startswith("**", position):
            out.append(".*")
            position += 2
            continue
        if char == "*":
            out.append("[^.]*")
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        position += 1
    return "".join(out)


def _show(value: object) -> str:
    return repr(value) if value is not None else "nothing"
