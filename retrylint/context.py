"""The index of a parsed file that adapters and per-file checks read, and its static values.

``retrylint.collector`` fills a ``FileContext`` in one walk; everything after the walk (adapters,
checks) reads this index, not the tree: names qualified through the file's imports, expressions
evaluated to static values, declarations, and spans.

Positions are resolved lazily, one top-level statement at a time (``retrylint.positions``): most
files hold no job code, and libcst's position pass over a whole module costs more than a parse.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from retrylint.model import UNKNOWN, Span
from retrylint.source import LINE_BREAK, line_starts
from retrylint.values import (
    MAX_EVAL_DEPTH,
    CallValue,
    DictValue,
    LambdaValue,
    Located,
    Ref,
    Value,
    combined,
    known_result,
    negative,
    qualified,
)

if TYPE_CHECKING:
    from retrylint.config import Config
    from retrylint.declarations import Declarations, DecoratedFunction
    from retrylint.positions import Positions


@dataclass
class FunctionInfo:
    node: cst.FunctionDef
    qualname: str  # "send_email", "Mailer.send", "outer.inner"
    class_name: str | None  # qualname of the class when this is a method
    parent: FunctionInfo | None

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def is_async(self) -> bool:
        return self.node.asynchronous is not None

    @property
    def is_module_level(self) -> bool:
        return self.parent is None and self.class_name is None


@dataclass
class ClassInfo:
    node: cst.ClassDef
    qualname: str
    attributes: dict[str, cst.BaseExpression] = field(default_factory=dict)
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    inner_classes: dict[str, ClassInfo] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name.value


@dataclass
class CallInfo:
    node: cst.Call
    function: FunctionInfo | None  # the innermost enclosing function


@dataclass
class AssignInfo:
    targets: tuple[cst.BaseExpression, ...]
    value: cst.BaseExpression
    statement: cst.CSTNode
    function: FunctionInfo | None
    class_name: str | None


@dataclass
class LoopInfo:
    node: cst.While | cst.For
    function: FunctionInfo | None


NodeHandler = Callable[[cst.CSTNode, "FileContext"], None]


class FileContext:
    """The parsed file plus its one-pass index; what adapters and per-file checks receive."""

    def __init__(
        self, path: str, source: str, module: cst.Module, config: Config | None = None
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.config = config  # the run's settings (knowledge packs); None: the defaults
        self.imports: dict[str, str] = {}  # local name -> qualified target
        self.star_imports: list[str] = []  # modules of `from X import *` (module level)
        self.import_statements: list[cst.SimpleStatementLine] = []  # module-level import lines
        self.module_names: set[str] = set()  # names bound at module level
        self.constants: dict[str, cst.BaseExpression] = {}  # module-level NAME = <expr>
        self.functions: list[FunctionInfo] = []
        self.classes: dict[str, ClassInfo] = {}
        self.calls: list[CallInfo] = []
        self.assignments: list[AssignInfo] = []
        self.loops: list[LoopInfo] = []
        # During the walk: the functions around the node being visited, innermost last (per-file
        # checks read it to say which function a finding is in).
        self.enclosing: list[FunctionInfo] = []
        self._positions: Positions | None = None
        self._line_starts: list[int] | None = None
        self._declarations: Declarations | None = None
        self._def_offsets: dict[int, int] | None = None
        self.ast_tree: ast.Module | None = None  # the prefilter's, when it made one
        # What several rules of this file ask for (the secrets scan): made once, and gone with
        # the file. A module-level table keyed by the context would keep every file's tree.
        self.shared: dict[str, object] = {}

    # -- locations -------------------------------------------------------------------------
    def span(self, node: cst.CSTNode) -> Span:
        """1-based line and column range of ``node`` (end exclusive)."""
        if self._positions is None:
            from retrylint.positions import Positions

            self._positions = Positions(self.module, self.source, self.ast_tree)
        code_range = self._positions.range(node)
        start, end = code_range.start, code_range.end
        return Span(start.line, start.column + 1, end.line, end.column + 1)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def line_text(self, line: int) -> str:
        starts = self.line_starts()
        begin = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.source)
        return self.source[begin:end].rstrip("\r\n")

    def line_starts(self) -> list[int]:
        """Offsets where each line starts, splitting only on \\r\\n, \\r and \\n as Python does."""
        if self._line_starts is None:
            self._line_starts = line_starts(self.source)
        return self._line_starts

    def locate(self, node: cst.BaseExpression) -> Located:
        return Located(self.evaluate(node), self.span(node), self.code(node))

    # -- names -----------------------------------------------------------------------------
    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The dotted name an expression refers to, through this file's imports.

        ``st`` -> ``celery.shared_task`` after ``from celery import shared_task as st``;
        ``app`` -> ``$.app`` for a module-level name; ``ValueError`` -> ``ValueError``.
        ``None`` when the expression is not a plain dotted name (a call, a subscript).
        """
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        return qualified(self.imports, self.module_names, node.value, parts)

    def evaluate(self, node: cst.BaseExpression, depth: int = 0) -> Value:
        """The static value of ``node`` (see ``retrylint.values``); UNKNOWN when run-time."""
        if depth > MAX_EVAL_DEPTH:
            return UNKNOWN
        match node:
            case cst.Integer() | cst.Float():
                return node.evaluated_value
            case cst.SimpleString() | cst.ConcatenatedString():
                value = node.evaluated_value
                return value if isinstance(value, str) else UNKNOWN
            case cst.Name(value="True"):
                return True
            case cst.Name(value="False"):
                return False
            case cst.Name(value="None"):
                return None
            case cst.Name(value=name) if name in self.constants and name not in self.imports:
                return self.evaluate(self.constants[name], depth + 1)
            case cst.Name() | cst.Attribute():
                qualified = self.qualify(node)
                return Ref(qualified) if qualified else UNKNOWN
            case (
                cst.Tuple(elements=elements)
                | cst.List(elements=elements)
                | cst.Set(elements=elements)
            ):
                if any(isinstance(e, cst.StarredElement) for e in elements):
                    return UNKNOWN
                return tuple(self.evaluate(e.value, depth + 1) for e in elements)
            case cst.Dict(elements=elements):
                items: list[tuple[Value, Value]] = []
                for element in elements:
                    if not isinstance(element, cst.DictElement):
                        return UNKNOWN
                    key = self.evaluate(element.key, depth + 1)
                    items.append((key, self.evaluate(element.value, depth + 1)))
                return DictValue(tuple(items))
            case cst.Call():
                return self._evaluate_call(node, depth)
            case cst.UnaryOperation(operator=cst.Minus(), expression=operand):
                return negative(self.evaluate(operand, depth + 1))
            case cst.BinaryOperation(left=left, operator=operator, right=right):
                operands = (self.evaluate(left, depth + 1), self.evaluate(right, depth + 1))
                return combined(type(operator).__name__, *operands)
            case cst.Lambda(body=body):
                return LambdaValue(self.evaluate(body, depth + 1))
        return UNKNOWN

    def _evaluate_call(self, node: cst.Call, depth: int) -> Value:
        args: list[Value] = []
        kwargs: list[tuple[str, Value]] = []
        for arg in node.args:
            if arg.star:
                return CallValue(self.qualify(node.func), (UNKNOWN,), ())
            value = self.evaluate(arg.value, depth + 1)
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, value))
            else:
                args.append(value)
        call = CallValue(self.qualify(node.func), tuple(args), tuple(kwargs))
        return known_result(call)

    # -- helpers for adapters ----------------------------------------------------------------
    def declarations(self) -> Declarations:
        """The file's declarations (see ``retrylint.declarations``), made once."""
        if self._declarations is None:
            self._declarations = self._declare()
        return self._declarations

    def _declare(self) -> Declarations:
        from retrylint.declarations import ClassDeclaration, Declarations

        classes = []
        for info in self.classes.values():
            meta = info.inner_classes.get("Meta")
            classes.append(
                ClassDeclaration(
                    info.qualname,
                    tuple(
                        q for base in info.node.bases if (q := self.qualify(base.value)) is not None
                    ),
                    tuple(info.methods),
                    None if meta is None else tuple(meta.attributes),
                )
            )
        module_calls: list[tuple[str, str]] = []
        for assignment in self.assignments:
            if assignment.function is not None or assignment.class_name is not None:
                continue
            value = assignment.value
            callee = self.qualify(value.func) if isinstance(value, cst.Call) else None
            if callee is not None:
                module_calls.extend(
                    (target.value, callee)
                    for target in assignment.targets
                    if isinstance(target, cst.Name)
                )
        constant_calls = tuple(
            (name, self.qualify(value.func))
            for name, value in self.constants.items()
            if isinstance(value, cst.Call) and name not in self.imports
        )
        return Declarations(
            self.source,
            tuple(self.line_starts()),
            tuple(f.name for f in self.module_functions()),
            tuple(classes),
            tuple(module_calls),
            constant_calls,
            tuple(self._decorated()),
            tuple(
                f.name
                for f in self.module_functions()
                if f.is_async and len(f.node.params.posonly_params) + len(f.node.params.params)
            ),
        )

    def def_offsets(self) -> dict[int, int]:
        """Offset in the source of each function's name in its ``def`` (keyed by ``id`` of its
        FunctionInfo), from the text's ``def`` lines (no position pass); made once: the call
        graph, the declarations and the secrets scan all read it."""
        if self._def_offsets is None:
            from retrylint.call_records import def_line_offsets

            found = def_line_offsets(self.source, [function.name for function in self.functions])
            self._def_offsets = {
                id(self.functions[at]): at_offset for at, at_offset in found.items()
            }
        return self._def_offsets

    def _decorated(self) -> Iterator[DecoratedFunction]:
        from retrylint.declarations import DecoratedFunction, name_span

        offsets: dict[int, int] | None = None
        for function in self.functions:
            for decorator in function.node.decorators:
                expression = decorator.decorator
                call = expression if isinstance(expression, cst.Call) else None
                qualified = self.qualify(call.func if call else expression)
                if qualified is None:
                    continue
                if offsets is None:  # the text's ``def`` lines: no position pass
                    offsets = self.def_offsets()
                offset = offsets.get(id(function))
                span = (
                    name_span(tuple(self.line_starts()), offset, function.name)
                    if offset is not None
                    else self.span(function.node.name)
                )
                args = [a for a in (call.args if call else ()) if not a.star]
                passed = tuple(
                    a.keyword.value if a.keyword else f"#{at}" for at, a in enumerate(args)
                )
                yield DecoratedFunction(
                    function.qualname, qualified, call is not None, passed, span, function.is_async
                )

    def module_functions(self) -> Iterator[FunctionInfo]:
        return (f for f in self.functions if f.is_module_level)

    def function(self, qualname: str) -> FunctionInfo | None:
        return next((f for f in self.functions if f.qualname == qualname), None)

    def import_insert_line(self) -> int:
        """The line before which a new import goes: after the last module-level import, else
        after the docstring, else at the top.

        Counted from the code of the statements before it, so it needs no position pass.
        """
        body = self.module.body
        imports = {id(statement) for statement in self.import_statements}
        last = max((i for i, s in enumerate(body) if id(s) in imports), default=-1)
        if last < 0 and body and _is_docstring(body[0]):
            last = 0
        if last < 0:
            return 1
        code = "".join(self.code(node) for node in (*self.module.header, *body[: last + 1]))
        return len(LINE_BREAK.findall(code)) + 1


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )
