"""The single walk over a parsed file: fills a ``FileContext`` and dispatches nodes to checks.

The engine walks each CST exactly once: the collector records the nodes the adapters need
(imports, functions, classes, calls, assignments, loops) and hands every node to the per-file
checks that asked for its type, so adding a check never adds a traversal. libcst's own ``visit``
rebuilds every node it passes; this walk only reads fields and skips trivia.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import libcst as cst

from retrylint.context import (
    AssignInfo,
    CallInfo,
    ClassInfo,
    FileContext,
    FunctionInfo,
    LoopInfo,
    NodeHandler,
)
from retrylint.scopes import Scopes

if TYPE_CHECKING:
    from retrylint.config import Config


class Collector:
    """The single walk: fills a FileContext and dispatches nodes to per-file check handlers."""

    def __init__(self, context: FileContext, handlers: dict[type, list[NodeHandler]]) -> None:
        self.context = context
        self.scopes: Scopes[FunctionInfo, ClassInfo] = Scopes(context.enclosing)
        own: dict[type, Callable[[Any], None]] = {
            cst.FunctionDef: self.visit_FunctionDef,
            cst.ClassDef: self.visit_ClassDef,
            cst.SimpleStatementLine: self.visit_SimpleStatementLine,
            cst.Import: self.visit_Import,
            cst.ImportFrom: self.visit_ImportFrom,
            cst.Call: self.visit_Call,
            cst.Assign: self.visit_Assign,
            cst.AnnAssign: self.visit_AnnAssign,
            cst.While: self.visit_While,
            cst.For: self.visit_For,
        }
        self.enter: dict[type, list[Callable[[Any], None]]] = {t: [f] for t, f in own.items()}
        for node_type, node_handlers in handlers.items():
            for handler in node_handlers:
                self.enter.setdefault(node_type, []).append(partial(_call, handler, context))
        self.leave: dict[type, Callable[[Any], None]] = {
            cst.FunctionDef: self.leave_FunctionDef,
            cst.ClassDef: self.leave_ClassDef,
        }

    def run(self, module: cst.Module) -> None:
        walk(module, self.enter, self.leave)

    # scopes -----------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        ctx, scopes = self.context, self.scopes
        owner = scopes.class_body
        class_name = owner.qualname if owner is not None else None
        info = FunctionInfo(
            node, scopes.qualname(node.name.value), class_name, scopes.function_body
        )
        ctx.functions.append(info)
        if scopes.at_module_level:
            ctx.module_names.add(node.name.value)
        elif owner is not None:
            owner.methods[node.name.value] = info
        scopes.enter_function(info)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.leave_function()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        scopes = self.scopes
        info = ClassInfo(node, scopes.qualname(node.name.value))
        owner = scopes.class_body
        if scopes.at_module_level:
            self.context.module_names.add(node.name.value)
        elif owner is not None:
            owner.inner_classes[node.name.value] = info
        self.context.classes[info.qualname] = info
        scopes.enter_class(info)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.leave_class()

    # imports ----------------------------------------------------------------------------------
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if self.scopes.at_module_level and any(
            isinstance(s, cst.Import | cst.ImportFrom) for s in node.body
        ):
            self.context.import_statements.append(node)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if alias.asname is not None:
                local = dotted_name(alias.asname.name)
                self.context.imports[local] = dotted
            else:
                head = dotted.split(".", 1)[0]
                self.context.imports.setdefault(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        base = "." * len(node.relative) + (dotted_name(node.module) if node.module else "")
        if isinstance(node.names, cst.ImportStar):
            if self.scopes.at_module_level and base:
                self.context.star_imports.append(base)
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            local = dotted_name(alias.asname.name) if alias.asname is not None else name
            joiner = "" if base.endswith(".") else "."
            self.context.imports[local] = f"{base}{joiner}{name}" if base else name

    # calls, assignments, loops ------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        self.context.calls.append(CallInfo(node, self.scopes.function))

    def visit_Assign(self, node: cst.Assign) -> None:
        targets = tuple(t.target for t in node.targets)
        self._record_assignment(targets, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record_assignment((node.target,), node.value, node)

    def _record_assignment(
        self, targets: tuple[cst.BaseExpression, ...], value: cst.BaseExpression, node: cst.CSTNode
    ) -> None:
        ctx, scopes = self.context, self.scopes
        owner = scopes.class_body
        class_name = owner.qualname if owner is not None else None
        ctx.assignments.append(AssignInfo(targets, value, node, scopes.function_body, class_name))
        for target in targets:
            if not isinstance(target, cst.Name):
                continue
            if scopes.at_module_level:
                ctx.module_names.add(target.value)
                ctx.constants[target.value] = value
            elif owner is not None:
                owner.attributes[target.value] = value

    def visit_While(self, node: cst.While) -> None:
        self.context.loops.append(LoopInfo(node, self.scopes.function))

    def visit_For(self, node: cst.For) -> None:
        self.context.loops.append(LoopInfo(node, self.scopes.function))


def _call(handler: NodeHandler, context: FileContext, node: cst.CSTNode) -> None:
    handler(node, context)


# Nodes that never hold anything a rule looks at: whitespace, punctuation, operators.
_TRIVIA: frozenset[type] = frozenset(
    {
        cst.SimpleWhitespace,
        cst.ParenthesizedWhitespace,
        cst.TrailingWhitespace,
        cst.EmptyLine,
        cst.Newline,
        cst.Comment,
        cst.Comma,
        cst.Colon,
        cst.Dot,
        cst.Semicolon,
        cst.LeftParen,
        cst.RightParen,
        cst.LeftSquareBracket,
        cst.RightSquareBracket,
        cst.LeftCurlyBrace,
        cst.RightCurlyBrace,
        cst.AssignEqual,
        cst.Asynchronous,
        cst.ImportStar,
    }
)
_Node = TypeVar("_Node", bound=cst.CSTNode)
_TRIVIA_FIELD_PREFIXES = ("whitespace", "leading_lines", "lines_after", "lpar", "rpar", "comma")
_FIELDS: dict[type, tuple[str, ...]] = {}
# Decorators are outside the scope they decorate, and come first in the source.
_DECORATED = (cst.FunctionDef, cst.ClassDef)
_BEFORE, _ENTER, _LEAVE = 0, 1, 2


def _child_fields(node_type: type) -> tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if not f.name.startswith(_TRIVIA_FIELD_PREFIXES)
            and not (node_type in _DECORATED and f.name == "decorators")
        )
        _FIELDS[node_type] = fields
    return fields


def child_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """A node's children that can hold code: trivia (whitespace, punctuation) left out."""
    children: list[cst.CSTNode] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if type(value) not in _TRIVIA:
                children.append(value)
        elif isinstance(value, tuple | list):
            children.extend(
                item
                for item in value
                if isinstance(item, cst.CSTNode) and type(item) not in _TRIVIA
            )
    return children


def subtree(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``root`` and every node below it but trivia, decorators included, in no promised order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child_nodes(node))
        if isinstance(node, _DECORATED):  # child_nodes leaves decorators to the walk
            stack.extend(node.decorators)


def nodes_within(root: cst.CSTNode, kind: type[_Node]) -> Iterator[_Node]:
    """``root`` and the nodes below it of type ``kind``, in no promised order.

    What ``libcst.matchers.findall`` gives for a plain type, without importing the matchers
    (their module builds some 500 dataclasses, most of a second of a one-file run).
    """
    return (node for node in subtree(root) if isinstance(node, kind))


def walk(
    root: cst.CSTNode,
    enter: dict[type, list[Callable[[Any], None]]],
    leave: dict[type, Callable[[Any], None]],
) -> None:
    """Depth-first, source-order walk calling ``enter`` and ``leave`` handlers by node type.

    libcst's own ``visit`` rebuilds every node it passes (about as costly as the parse); this
    walk only reads fields, skips trivia, and uses an explicit stack so deep nesting cannot hit
    the recursion limit.
    """
    stack: list[tuple[cst.CSTNode, int]] = [(root, _BEFORE)]
    while stack:
        node, state = stack.pop()
        node_type = type(node)
        if state == _LEAVE:
            leave[node_type](node)
            continue
        if state == _BEFORE and node_type in _DECORATED:
            stack.append((node, _ENTER))
            decorators = node.decorators  # type: ignore[attr-defined]
            stack.extend((d, _BEFORE) for d in reversed(decorators))
            continue
        for handler in enter.get(node_type, ()):
            handler(node)
        if node_type in leave:
            stack.append((node, _LEAVE))
        stack.extend((child, _BEFORE) for child in reversed(child_nodes(node)))


def dotted_name(node: cst.BaseExpression) -> str:
    """``a.b.c`` for a chain of names as written; "" for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted_name(node.value)}.{node.attr.value}"
    return ""


def build_context(
    path: str,
    source: str,
    module: cst.Module,
    handlers: dict[type, list[NodeHandler]],
    config: Config | None = None,
    tree: ast.Module | None = None,
) -> FileContext:
    """The walked context of a parsed file; ``tree``: its ``ast`` tree if the prefilter made one
    (positions reuse it)."""
    context = FileContext(path, source, module, config)
    context.ast_tree = tree
    Collector(context, handlers).run(module)
    return context
