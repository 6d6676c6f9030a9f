"""Where a libcst node is in its file, paying for the statement it is in, not the whole module.

libcst's ``PositionProvider`` regenerates the code of the whole module, node by node, to place
one node: in a profile of real projects it was the largest single cost of a run (more than the
parse), and a file that reports one finding paid it in full. Here only the top-level statement
holding the node is placed, as a module of its own, and its lines are shifted to the file's: the
statement's first token is on the line the standard library's ``ast`` gives for it, and its
leading blank and comment lines (libcst keeps them with the statement) are right above.

Exactness is the contract (``tests/test_positions.py`` compares every node of the fixtures and of
generated Python with the whole-module pass). Anything this cannot map (``ast`` refusing the
text, a node outside every statement) falls back to the whole-module pass.
"""

from __future__ import annotations

import ast
import warnings

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from retrylint.collector import subtree


class Positions:
    """Code ranges of one module's nodes, resolved lazily, statement by statement."""

    def __init__(self, module: cst.Module, source: str, tree: ast.Module | None = None) -> None:
        self.module = module
        self.source = source
        self.tree = tree  # the file's ast tree, when one was made already
        self._first_lines: list[int] | None = None
        self._statement_of: dict[int, int] = {}  # id(node) -> index of its top-level statement
        self._walked = 0  # statements whose nodes are in ``_statement_of``
        self._placed: dict[int, tuple[object, int]] = {}  # statement -> (positions, line shift)
        self._whole: object | None = None

    def range(self, node: cst.CSTNode) -> CodeRange:
        """The node's range in the file (lines 1-based, columns 0-based, as libcst gives them)."""
        index = self._statement_index(node)
        if index is None or self._lines() is None:
            return self._whole_module()[node]  # type: ignore[index]
        positions, shift = self._place(index)
        found: CodeRange = positions[node]  # type: ignore[index]
        if not shift:
            return found
        start, end = found.start, found.end
        return CodeRange((start.line + shift, start.column), (end.line + shift, end.column))

    # -- which statement -----------------------------------------------------------------------
    def _statement_index(self, node: cst.CSTNode) -> int | None:
        key = id(node)
        body = self.module.body
        while key not in self._statement_of and self._walked < len(body):
            index = self._walked
            for inner in subtree(body[index]):
                self._statement_of[id(inner)] = index
            self._walked += 1
        return self._statement_of.get(key)

    # -- where each statement starts ---------------------------------------------------------------
    def _lines(self) -> list[int] | None:
        """The file line of each top-level statement's first token, from ``ast``; None when
        ``ast`` refuses the text or its statements do not pair with libcst's."""
        if self._first_lines is None:
            self._first_lines = _first_lines(self.module, self.source, self.tree) or []
        return self._first_lines or None

    def _place(self, index: int) -> tuple[object, int]:
        placed = self._placed.get(index)
        if placed is None:
            statement = self.module.body[index]
            alone = self.module.with_changes(body=[statement], header=[], footer=[])
            positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
            leading = len(getattr(statement, "leading_lines", ()))
            shift = self._first_lines[index] - leading - 1  # type: ignore[index]
            placed = self._placed[index] = (positions, shift)
        return placed

    def _whole_module(self) -> object:
        if self._whole is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._whole = wrapper.resolve(PositionProvider)
        return self._whole


def _first_lines(module: cst.Module, source: str, tree: ast.Module | None) -> list[int] | None:
    """Per libcst top-level statement, the line of its first token (a decorator's, if any)."""
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    statements = tree.body
    lines: list[int] = []
    at = 0
    for statement in module.body:
        # ``a = 1; b = 2`` is one libcst line of two small statements, and two ast statements.
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        if at + count > len(statements):
            return None
        first = statements[at]
        decorators = getattr(first, "decorator_list", ())
        lines.append(min([first.lineno, *(d.lineno for d in decorators)]))
        at += count
    return lines if at == len(statements) else None
