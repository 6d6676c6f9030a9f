"""Who calls whom inside the project: the per-file half and the project half of the call graph.

Job reach (``retrylint.reach``) needs to know which project functions a job's body calls. The
per-file half records, for every function and method, the names it calls as written and
qualified through the file's imports (``$.notify``, ``shop.mail.send``, ``self.flush``): plain
strings, so the facts stay picklable and cacheable. The project half resolves those names to
function definitions in the project, through re-exports, ``self`` / ``cls`` / ``super()`` on
project classes and their project bases, and classes called as constructors. Names outside the
project (third-party packages, the standard library) resolve to nothing: reach never enters them.

Functions nested inside a function are part of that function (a closure usually runs when its
parent does), so their calls are recorded against the outermost function or method.

Lines of ``def`` statements come from a scan of the source text, not libcst positions: every
file needs them, and positions cost about two parses.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from retrylint.context import SELF_MODULE, AssignInfo, FileContext, FunctionInfo
from retrylint.facts import ClassFact, FunctionFact
from retrylint.model import UNKNOWN
from retrylint.values import Value

if TYPE_CHECKING:
    from retrylint.project import ModuleFacts, ProjectIndex

_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([^\W\d]\w*)", re.MULTILINE)
_INSTANCE = ("self", "cls")
SUPER = "super()"
INSTANCE_OF = "()."  # "shop.Client().send": the method send on what shop.Client(...) returns


# -- the per-file half ----------------------------------------------------------------------------


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


def call_facts(ctx: FileContext) -> CallFacts:
    """The call graph's facts of a file read with libcst (``function_facts``, ``class_facts``)."""
    index = {id(function): at for at, function in enumerate(ctx.functions)}
    lines = _def_lines(ctx)
    units = [
        Unit(f.qualname, lines.get(id(f), 1), f.class_name, index[id(_unit(f))])
        for f in ctx.functions
    ]
    bindings = [_binding(ctx, assignment, index) for assignment in ctx.assignments]
    calls = [
        _called(ctx, info.node, index[id(_unit(info.function))])
        for info in ctx.calls
        if info.function is not None
    ]
    classes = [
        (
            info.qualname,
            tuple(q for base in info.node.bases if (q := ctx.qualify(base.value)) is not None),
        )
        for info in ctx.classes.values()
    ]
    functions, instances = function_facts(units, bindings, calls)
    return CallFacts(functions, class_facts(classes, units, bindings), instances)


def _binding(ctx: FileContext, assignment: AssignInfo, index: dict[int, int]) -> Binding:
    callee = _callee(ctx, assignment.value)
    in_class_body = assignment.function is None and assignment.class_name is not None
    constant = ctx.evaluate(assignment.value) if callee is None and in_class_body else UNKNOWN
    unit = None if assignment.function is None else index[id(_unit(assignment.function))]
    return Binding(
        tuple(_target(target) for target in assignment.targets),
        callee,
        constant,
        unit,
        assignment.class_name,
    )


def _target(target: cst.BaseExpression) -> tuple[str, str]:
    if isinstance(target, cst.Name):
        return ("name", target.value)
    if _is_self_attribute(target):
        return ("self", target.attr.value)  # type: ignore[attr-defined]
    return ("other", "")


def _unit(function: FunctionInfo) -> FunctionInfo:
    while function.parent is not None:
        function = function.parent
    return function


def _callee(ctx: FileContext, value: cst.BaseExpression) -> str | None:
    if isinstance(value, cst.Await):
        value = value.expression
    return ctx.qualify(value.func) if isinstance(value, cst.Call) else None


def _is_self_attribute(target: cst.BaseExpression) -> bool:
    return (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value in _INSTANCE
    )


def _called(ctx: FileContext, call: cst.Call, unit: int) -> Called:
    """The called name, then arguments naming a function (``pool.submit(refresh, key)``)."""
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    ):
        name: str | None = f"{SUPER}.{func.attr.value}"
        rebindable = False
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
        callee = ctx.qualify(func.value.func)  # Client(...).send()
        name = None if callee is None else f"{callee}{INSTANCE_OF}{func.attr.value}"
        rebindable = False
    else:
        name, rebindable = ctx.qualify(func), True
    arguments = []
    for arg in call.args:
        if isinstance(arg.value, cst.Name | cst.Attribute):
            named = ctx.qualify(arg.value)
            if named is not None and (named.startswith(SELF_MODULE) or "." in named):
                arguments.append(named)
    return Called(unit, name, rebindable, tuple(arguments))


def called_name(
    ctx: FileContext, call: cst.Call, bound: dict[str, str] | None = None
) -> str | None:
    """The name a call is recorded under (``$.notify``, ``self.flush``, ``shop.Client().send``),
    as ``CallGraph.resolve`` takes it; ``bound`` maps locals to the callee they were bound to."""
    return rebound(_called(ctx, call, 0), bound or {})


def call_names(ctx: FileContext, call: cst.Call, bound: dict[str, str]) -> Iterator[str]:
    """The called name, then arguments naming a function (``pool.submit(refresh, key)``)."""
    yield from names_of(_called(ctx, call, 0), bound)


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


def _def_lines(ctx: FileContext) -> dict[int, int]:
    """Line of each function's ``def``."""
    starts = ctx.line_starts()
    return {key: bisect.bisect_right(starts, offset) for key, offset in ctx.def_offsets().items()}


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


# -- the project half -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionRef:
    """A project function: its module and its qualname there."""

    module: ModuleFacts
    fact: FunctionFact

    @property
    def qualname(self) -> str:
        return f"{self.module.module}.{self.fact.qualname}"

    @property
    def path(self) -> str:
        return self.module.path


class CallGraph:
    """Project functions and the resolved call edges between them (computed on demand)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._edges: dict[tuple[str, str], tuple[FunctionRef, ...]] = {}

    @cached_property
    def _functions(self) -> dict[tuple[str, str], FunctionRef]:
        return {
            (module.path, fact.qualname): FunctionRef(module, fact)
            for module in self.index
            for fact in module.facts.functions
        }

    @cached_property
    def _by_qualname(self) -> dict[str, FunctionRef]:
        return {ref.qualname: ref for ref in self._functions.values()}

    def named(self, qualname: str) -> FunctionRef | None:
        """The function with this project-wide name (``shop.tasks.sync``)."""
        return self._by_qualname.get(qualname)

    def function(self, path: str, qualname: str) -> FunctionRef | None:
        return self._functions.get((path, qualname))

    def entry_points(self, path: str, qualname: str) -> tuple[FunctionRef, ...]:
        """The functions a job's body is: the function itself, or a job class's methods."""
        found = self.function(path, qualname)
        if found is not None:
            return (found,)
        if (path, qualname) in self.index.classes:
            prefix = f"{qualname}."
            return tuple(
                ref
                for (where, name), ref in self._functions.items()
                if where == path and name.startswith(prefix) and "." not in name[len(prefix) :]
            )
        return ()

    def callees(self, caller: FunctionRef) -> tuple[FunctionRef, ...]:
        key = (caller.path, caller.fact.qualname)
        found = self._edges.get(key)
        if found is None:
            seen: dict[tuple[str, str], FunctionRef] = {}
            for name in caller.fact.calls:
                for ref in self.resolve(caller, name):
                    seen.setdefault((ref.path, ref.fact.qualname), ref)
            seen.pop(key, None)
            found = self._edges[key] = tuple(seen.values())
        return found

    def resolve(self, caller: FunctionRef, name: str) -> tuple[FunctionRef, ...]:
        """The project functions one name called in ``caller`` stands for (as ``callees`` does
        for all of them): rules that follow one call site along a call path need it."""
        return self._resolve(caller, name)

    def _resolve(self, caller: FunctionRef, name: str) -> tuple[FunctionRef, ...]:
        module, owner = caller.module, caller.fact.class_name
        if INSTANCE_OF in name:
            callee, _, method = name.rpartition(INSTANCE_OF)
            return self._instance_method(module, callee, method)
        head, _, rest = name.partition(".")
        if head in _INSTANCE and owner is not None and rest:
            attribute, dot, method = rest.partition(".")
            if not dot:
                return self._method(module, owner, attribute)
            found = self._attribute(module, owner, attribute)
            return self._instance_method(*found, method) if found else ()
        if name.startswith(SUPER + ".") and owner is not None:
            return self._method(module, owner, name[len(SUPER) + 1 :], skip_own=True)
        if not (name.startswith(SELF_MODULE) or name.startswith(".") or "." in name):
            return ()  # a builtin, a local or a nested function (part of the caller)
        found = self.index.split(self.index.canonical(name, module))
        if found is None:
            return ()
        where, attribute = found
        ref = self.function(where.path, attribute)
        if ref is not None:
            return (ref,)
        if (where.path, attribute) in self.index.classes:  # a constructor call
            return self._method(where, attribute, "__init__")
        instance, dot, method = attribute.partition(".")  # a module-level `client = Client()`
        if not dot:
            return ()
        methods: dict[tuple[str, str], FunctionRef] = {}
        for name, bound in where.facts.instances:  # one per branch: `if ...: x = A() else: B()`
            if name == instance:
                for ref in self._instance_method(where, bound, method):
                    methods.setdefault((ref.path, ref.fact.qualname), ref)
        return tuple(methods.values())

    def _instance_method(
        self, module: ModuleFacts, callee: str, method: str
    ) -> tuple[FunctionRef, ...]:
        """``method`` called on what ``callee(...)`` returns, when that is a project class."""
        if "." in method or INSTANCE_OF in callee:
            return ()
        found = self.index.instance_class(module, callee)
        return self._method(*found, method) if found else ()

    def _method(
        self, module: ModuleFacts, class_name: str, method: str, *, skip_own: bool = False
    ) -> tuple[FunctionRef, ...]:
        """``method`` on a project class or, through its project bases, the first that has it."""
        for where, name in self.index.lineage(module, class_name):
            if skip_own and (where, name) == (module, class_name):
                continue
            ref = self.function(where.path, f"{name}.{method}")
            if ref is not None:
                return (ref,)
        return ()

    def _attribute(
        self, module: ModuleFacts, class_name: str, attribute: str
    ) -> tuple[ModuleFacts, str] | None:
        """The callee bound to ``self.<attribute>`` in a project class or its bases."""
        for where, name in self.index.lineage(module, class_name):
            cls = self.index.classes.get((where.path, name))
            callee = dict(cls.attributes).get(attribute) if cls else None
            if callee is not None:
                return where, callee
        return None
