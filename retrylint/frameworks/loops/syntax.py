"""Reading a loop body's tree: how control leaves a statement list, the nodes of one scope, the
names an expression reads.

Every other room of the loops adapter asks these questions of libcst nodes, and none of the
answers depends on what the loop is for; they are kept here, apart from the decisions built on
them. The walks share one cache of node children for the duration of a file's extract.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import libcst as cst

from retrylint.collector import dotted_name

# Flow outcomes of a statement list: how control leaves it.
NEXT, CONTINUE, BREAK, RETURN, RAISE = "next", "continue", "break", "return", "raise"
LEAVE = frozenset({BREAK, RETURN})


def block(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body)


def top_level(statements: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Top-level statements, small statements split out and ``with`` bodies looked through."""
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        elif isinstance(statement, cst.With):
            yield from top_level(block(statement.body))
        else:
            yield statement


def flow(statements: Sequence[cst.CSTNode]) -> frozenset[str]:
    """How control can leave a statement list: next (falls off the end), continue, break ..."""
    outcomes: set[str] = set()
    for statement in statements:
        result = flow_one(statement)
        outcomes |= result - {NEXT}
        if NEXT not in result:
            return frozenset(outcomes)
    outcomes.add(NEXT)
    return frozenset(outcomes)


def flow_one(node: cst.CSTNode) -> frozenset[str]:
    match node:
        case cst.SimpleStatementLine() | cst.SimpleStatementSuite():
            return flow(node.body)
        case cst.Break():
            return frozenset({BREAK})
        case cst.Continue():
            return frozenset({CONTINUE})
        case cst.Return():
            return frozenset({RETURN})
        case cst.Raise():
            return frozenset({RAISE})
        case cst.Expr(value=cst.Call(func=func)) if _is_exit_call(func):
            return frozenset({RAISE})
        case cst.If():
            other = flow_one(node.orelse) if node.orelse is not None else frozenset({NEXT})
            return flow(block(node.body)) | other
        case cst.Else():
            return flow(block(node.body))
        case cst.With():
            return flow(block(node.body))
        case cst.Try():
            result = flow([*block(node.body), *(block(node.orelse.body) if node.orelse else [])])
            for handler in node.handlers:
                result |= flow(block(handler.body))
            if node.finalbody is not None:
                final = flow(block(node.finalbody.body))
                if NEXT not in final:
                    return final
                result |= final - {NEXT}
            return result
        case cst.For() | cst.While():
            inner = flow(block(node.body))
            rest = flow(block(node.orelse.body)) if node.orelse else frozenset({NEXT})
            return frozenset({NEXT} | (inner & {RETURN, RAISE})) | rest
        case cst.Match():
            result = frozenset({NEXT})
            for case in node.cases:
                result |= flow(block(case.body))
            return result
    return frozenset({NEXT})


def _is_exit_call(func: cst.BaseExpression) -> bool:
    return isinstance(func, cst.Attribute | cst.Name) and dotted_name(func) in (
        "sys.exit",
        "os._exit",
    )


# libcst computes ``node.children`` with a visitor on every access; the walks below ask for the
# same nodes' children many times, so they are kept for the duration of one file's extract.
# Each entry keeps its node alive, so an id cannot be reused while it is cached.
CHILDREN: dict[int, tuple[cst.CSTNode, Sequence[cst.CSTNode]]] = {}


def cached_children(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    entry = CHILDREN.get(id(node))
    if entry is None or entry[0] is not node:
        entry = CHILDREN[id(node)] = (node, node.children)
    return entry[1]


_SCOPE_TYPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})
_LOOP_TYPES = frozenset({cst.For, cst.While})


def walk_all(
    nodes: Iterable[cst.CSTNode], *, into_loops: bool = False, skip: frozenset[int] = frozenset()
) -> list[cst.CSTNode]:
    """Every node in ``nodes`` and under them in this scope, in source order: not nested
    functions, classes, lambdas, nor the subtrees in ``skip``; nested loops are included but
    not entered unless ``into_loops``."""
    found: list[cst.CSTNode] = []
    stack = list(nodes)
    stack.reverse()
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in _SCOPE_TYPES or (skip and id(node) in skip):
            continue
        found.append(node)
        if not into_loops and kind in _LOOP_TYPES:
            continue
        children = cached_children(node)
        stack.extend(children[index] for index in range(len(children) - 1, -1, -1))
    return found


def refs(node: cst.CSTNode | None) -> set[str]:
    """Codes of the names and attribute chains an expression reads (``n``, ``self.ready``,
    ``self``); not attribute names on their own, nor keyword argument names."""
    found: set[str] = set()

    def visit(current: cst.CSTNode) -> None:
        if isinstance(current, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            dotted = dotted_name(current)
            if dotted:
                found.add(dotted)
            visit(current.value)
        elif isinstance(current, cst.Arg):
            visit(current.value)
        else:
            for child in cached_children(current):
                visit(child)

    if node is not None:
        visit(node)
    return found


def name_of(target: cst.BaseExpression) -> str | None:
    dotted = dotted_name(target) if isinstance(target, cst.Name | cst.Attribute) else ""
    return dotted or None


def flag_of(test: cst.BaseExpression) -> str | None:
    """``not ok`` / ``x is None`` / ``x is False`` / ``x == None``: the name tested, or None."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return name_of(test.expression)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if (
            isinstance(target.operator, cst.Is | cst.Equal)
            and isinstance(target.comparator, cst.Name)
            and target.comparator.value in ("None", "False")
        ):
            return name_of(test.left)
    return None


def exit_parts(test: cst.BaseExpression, exit_when: bool) -> list[cst.BaseExpression]:
    """Conditions each sufficient to leave: ``a or b`` exits on either; ``while a and b`` stops
    when either is false."""
    joiner = cst.Or if exit_when else cst.And
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, joiner):
        return [*exit_parts(test.left, exit_when), *exit_parts(test.right, exit_when)]
    return [test]


def one_line(code: str) -> str:
    return " ".join(code.split())


def target_names(node: cst.Assign | cst.AnnAssign | cst.AugAssign) -> list[str]:
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    names: list[str] = []
    for target in targets:
        if isinstance(target, cst.Tuple | cst.List):
            names.extend(n for e in target.elements if (n := name_of(e.value)))
        elif name := name_of(target):
            names.append(name)
    return names


def advanced_names(nodes: list[cst.CSTNode]) -> list[tuple[str, bool]]:
    """Names rebound from their own earlier value (directly or through other names), and
    whether the update is arithmetic (``n += 1``, ``delay = min(delay * 2, 60)``)."""
    derived: dict[str, set[str]] = {}
    found: list[tuple[str, bool]] = []
    for node in nodes:
        if isinstance(node, cst.AugAssign) and (name := name_of(node.target)):
            found.append((name, True))
        elif isinstance(node, cst.Assign):
            sources = refs(node.value)
            for ref in list(sources):
                sources |= derived.get(ref, set())
            for target in node.targets:
                name = name_of(target.target)
                if not name:
                    continue
                derived[name] = sources
                if name in sources:
                    found.append((name, is_arithmetic(node.value)))
    return found


def is_arithmetic(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.BinaryOperation):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value in ("min", "max", "abs", "round", "int", "float")
    return isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)
