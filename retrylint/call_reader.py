"""The call graph's per-file half over libcst: a file's functions, assignments and calls as
``call_records`` takes them, and the names single calls are recorded under (for the side-effect
and secrets scans, which must name a call as the call graph does).

Lines of ``def`` statements come from a scan of the source text, not libcst positions: every
file needs them, and positions cost about two parses.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

import libcst as cst

from retrylint.call_records import (
    INSTANCE_NAMES,
    INSTANCE_OF,
    SUPER,
    Binding,
    Called,
    CallFacts,
    Unit,
    class_facts,
    function_facts,
    names_of,
    rebound,
)
from retrylint.context import AssignInfo, FileContext, FunctionInfo
from retrylint.model import UNKNOWN
from retrylint.values import SELF_MODULE


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
        and target.value.value in INSTANCE_NAMES
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


def _def_lines(ctx: FileContext) -> dict[int, int]:
    """Line of each function's ``def``."""
    starts = ctx.line_starts()
    return {key: bisect.bisect_right(starts, offset) for key, offset in ctx.def_offsets().items()}
