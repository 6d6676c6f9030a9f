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


def call_facts(ctx: FileContext) -> CallFacts:
    """Every outermost function and method with what it calls; classes; module-level instances.

    A call on a local bound to a call (``client = Client(); client.send()``) is recorded as
    ``Client().send`` (qualified), so the project half can find ``send`` on a project class.
    """
    bound: dict[int, dict[str, str]] = {}  # unit -> local name -> callee
    attributes: dict[str, dict[str, str]] = {}  # class -> attribute -> callee
    constants: dict[str, dict[str, Value]] = {}  # class -> attribute -> literal
    instances: list[tuple[str, str]] = []  # in source order: a name may get one per branch
    for assignment in ctx.assignments:
        callee = _callee(ctx, assignment.value)
        if callee is None:
            if assignment.function is None and assignment.class_name is not None:
                _class_constant(ctx, assignment, constants.setdefault(assignment.class_name, {}))
            continue
        for target in assignment.targets:
            function = assignment.function
            if function is None:
                if isinstance(target, cst.Name) and assignment.class_name is None:
                    if (target.value, callee) not in instances:
                        instances.append((target.value, callee))
                elif isinstance(target, cst.Name) and assignment.class_name is not None:
                    attributes.setdefault(assignment.class_name, {})[target.value] = callee
                continue
            unit = _unit(function)
            if isinstance(target, cst.Name):
                bound.setdefault(id(unit), {})[target.value] = callee
            elif _is_self_attribute(target) and unit.class_name is not None:
                attribute = target.attr.value  # type: ignore[attr-defined]
                attributes.setdefault(unit.class_name, {})[attribute] = callee
    calls: dict[int, list[str]] = {}
    for info in ctx.calls:
        if info.function is None:
            continue
        unit = _unit(info.function)
        found = calls.setdefault(id(unit), [])
        for name in _call_names(ctx, info.node, bound.get(id(unit), {})):
            if name not in found:
                found.append(name)
    lines = _def_lines(ctx)
    functions = tuple(
        FunctionFact(f.qualname, lines.get(id(f), 1), f.class_name, tuple(calls.get(id(f), ())))
        for f in ctx.functions
        if f.parent is None
    )
    classes = tuple(
        ClassFact(
            info.qualname,
            tuple(q for base in info.node.bases if (q := ctx.qualify(base.value)) is not None),
            tuple(sorted(attributes.get(info.qualname, {}).items())),
            tuple(sorted(constants.get(info.qualname, {}).items())),
        )
        for info in ctx.classes.values()
    )
    # By name, each name's callees in source order: ``dict()`` of them keeps the last one.
    return CallFacts(functions, classes, tuple(sorted(instances, key=lambda pair: pair[0])))


def _unit(function: FunctionInfo) -> FunctionInfo:
    while function.parent is not None:
        function = function.parent
    return function


def _class_constant(ctx: FileContext, assignment: AssignInfo, found: dict[str, Value]) -> None:
    for target in assignment.targets:
        if isinstance(target, cst.Name):
            value = ctx.evaluate(assignment.value)
            if isinstance(value, int | float | str | bool) or value is None:
                found[target.value] = value


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


def called_name(
    ctx: FileContext, call: cst.Call, bound: dict[str, str] | None = None
) -> str | None:
    """The name a call is recorded under (``$.notify``, ``self.flush``, ``shop.Client().send``),
    as ``CallGraph.resolve`` takes it; ``bound`` maps locals to the callee they were bound to."""
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    ):
        return f"{SUPER}.{func.attr.value}"
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
        callee = ctx.qualify(func.value.func)  # Client(...).send()
        return None if callee is None else f"{callee}{INSTANCE_OF}{func.attr.value}"
    name = ctx.qualify(func)
    if name is None:
        return None
    head, dot, rest = name.partition(".")
    return f"{bound[head]}{INSTANCE_OF}{rest}" if bound and dot and head in bound else name


def _call_names(ctx: FileContext, call: cst.Call, bound: dict[str, str]) -> Iterator[str]:
    """The called name, then arguments naming a function (``pool.submit(refresh, key)``)."""
    name = called_name(ctx, call, bound)
    if name is not None:
        yield name
    for arg in call.args:
        if isinstance(arg.value, cst.Name | cst.Attribute):
            name = ctx.qualify(arg.value)
            if name is not None and (name.startswith(SELF_MODULE) or "." in name):
                yield name


def _def_lines(ctx: FileContext) -> dict[int, int]:
    """Line of each function's ``def``."""
    starts = ctx.line_starts()
    return {key: bisect.bisect_right(starts, offset) for key, offset in def_offsets(ctx).items()}


def def_offsets(ctx: FileContext) -> dict[int, int]:
    """Offset in the source of each function's name in its ``def`` (keyed by ``id`` of its
    FunctionInfo), matching ``def`` lines to functions in source order."""
    matches = [(m.group(1), m.start(1)) for m in _DEF.finditer(ctx.source)]
    offsets: dict[int, int] = {}
    position = 0
    for function in ctx.functions:  # in source order, as the single walk met them
        for at in range(position, len(matches)):
            name, offset = matches[at]
            if name == function.name:
                offsets[id(function)] = offset
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
