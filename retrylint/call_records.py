"""The call graph's records of one file, the same whichever tree they were read from.

The per-file half of the call graph (``call_reader`` over libcst, ``outline`` over ``ast``)
turns a file into these: its functions (``Unit``), assignments (``Binding``) and calls
(``Called``); ``function_facts`` and ``class_facts`` assemble them into the ``FunctionFact`` and
``ClassFact`` a file's facts hold, and the project half (``callgraph``) resolves. Plain strings
and no tree: a file the prefilter outlines never imports the parser.

Functions nested inside a function are part of that function (a closure usually runs when its
parent does), so their calls are recorded against the outermost function or method.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from retrylint.facts import ClassFact, FunctionFact
from retrylint.values import Value

_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([^\W\d]\w*)", re.MULTILINE)
INSTANCE_NAMES = ("self", "cls")
SUPER = "super()"
INSTANCE_OF = "()."  # "shop.Client().send": the method send on what shop.Client(...) returns


@dataclass(frozen=True)
class CallFacts:
    """What the call graph needs from one file (stored in its ``FileFacts``)."""

    functions: tuple[FunctionFact, ...]
    classes: tuple[ClassFact, ...]
    instances: tuple[tuple[str, str], ...]  # module-level `name = Callee(...)`, one per callee


@dataclass(frozen=True)
class Unit:
    """A function as the call graph reads it: ``unit`` is the index of its outermost function
    (itself for an outermost one), in the list of a file's functions in source order."""

    qualname: str
    line: int
    class_name: str | None
    unit: int


@dataclass(frozen=True)
class Binding:
    """One assignment as the call graph reads it, from either tree (libcst's or ``ast``'s).

    ``targets``: ("name", x), ("self", attribute) for ``self.x`` / ``cls.x``, or ("other", "");
    ``callee``: what the value calls (through an ``await``), qualified; ``constant``: the value
    of a class-level literal (UNKNOWN elsewhere); ``unit``: the index of the outermost function
    around it (None outside any); ``class_name``: the class whose body holds it.
    """

    targets: tuple[tuple[str, str], ...]
    callee: str | None
    constant: Value
    unit: int | None
    class_name: str | None


@dataclass(frozen=True)
class Called:
    """One call inside a function: the name it is recorded under, whether a local bound to a
    call may stand at its head (``client.send`` after ``client = Client()``), and the
    arguments naming a function (``pool.submit(refresh, key)``)."""

    unit: int
    name: str | None
    rebindable: bool
    arguments: tuple[str, ...]


def function_facts(
    units: list[Unit], bindings: list[Binding], calls: list[Called]
) -> tuple[tuple[FunctionFact, ...], tuple[tuple[str, str], ...]]:
    """Every outermost function and method with what it calls, and module-level instances
    (``name = Callee(...)``, one per callee).

    A call on a local bound to a call (``client = Client(); client.send()``) is recorded as
    ``Client().send`` (qualified), so the project half can find ``send`` on a project class.
    """
    bound: dict[int, dict[str, str]] = {}  # unit -> local name -> callee
    instances: list[tuple[str, str]] = []  # in source order: a name may get one per branch
    for binding in bindings:
        callee = binding.callee
        if callee is None:
            continue
        for kind, name in binding.targets:
            if binding.unit is None:
                module_level = kind == "name" and binding.class_name is None
                if module_level and (name, callee) not in instances:
                    instances.append((name, callee))
            elif kind == "name":
                bound.setdefault(binding.unit, {})[name] = callee
    names: dict[int, list[str]] = {}
    for call in calls:
        found = names.setdefault(call.unit, [])
        for name in names_of(call, bound.get(call.unit, {})):
            if name not in found:
                found.append(name)
    functions = tuple(
        FunctionFact(unit.qualname, unit.line, unit.class_name, tuple(names.get(at, ())))
        for at, unit in enumerate(units)
        if unit.unit == at
    )
    # By name, each name's callees in source order: ``dict()`` of them keeps the last one.
    return functions, tuple(sorted(instances, key=lambda pair: pair[0]))


def class_facts(
    classes: list[tuple[str, tuple[str, ...]]], units: list[Unit], bindings: list[Binding]
) -> tuple[ClassFact, ...]:
    """Each class (qualname, qualified bases) with its attributes bound to a call (in its body,
    or ``self.x = Client()`` in a method) and its literal class attributes."""
    attributes: dict[str, dict[str, str]] = {}  # class -> attribute -> callee
    constants: dict[str, dict[str, Value]] = {}  # class -> attribute -> literal
    for binding in bindings:
        if binding.callee is None:
            if binding.unit is None and binding.class_name is not None:
                found = constants.setdefault(binding.class_name, {})
                value = binding.constant
                if isinstance(value, int | float | str | bool) or value is None:
                    for kind, name in binding.targets:
                        if kind == "name":
                            found[name] = value
            continue
        for kind, name in binding.targets:
            if binding.unit is None:
                if kind == "name" and binding.class_name is not None:
                    attributes.setdefault(binding.class_name, {})[name] = binding.callee
            elif kind == "self" and (owner := units[binding.unit].class_name) is not None:
                attributes.setdefault(owner, {})[name] = binding.callee
    return tuple(
        ClassFact(
            qualname,
            bases,
            tuple(sorted(attributes.get(qualname, {}).items())),
            tuple(sorted(constants.get(qualname, {}).items())),
        )
        for qualname, bases in classes
    )


def rebound(call: Called, bound: dict[str, str]) -> str | None:
    """The call's name, with a local bound to a call at its head replaced by that call."""
    name = call.name
    if name is not None and call.rebindable and bound:
        head, dot, rest = name.partition(".")
        if dot and head in bound:
            return f"{bound[head]}{INSTANCE_OF}{rest}"
    return name


def names_of(call: Called, bound: dict[str, str]) -> Iterator[str]:
    name = rebound(call, bound)
    if name is not None:
        yield name
    yield from call.arguments


def def_line_offsets(source: str, names: list[str]) -> dict[int, int]:
    """Offset of each function's name in its ``def`` (keyed by its position in ``names``, the
    functions in source order as a walk meets them), matching ``def`` lines in order."""
    matches = [(m.group(1), m.start(1)) for m in _DEF.finditer(source)]
    offsets: dict[int, int] = {}
    position = 0
    for index, wanted in enumerate(names):
        for at in range(position, len(matches)):
            name, offset = matches[at]
            if name == wanted:
                offsets[index] = offset
                position = at + 1
                break
    return offsets
