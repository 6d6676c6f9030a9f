"""Imports after a fix: drop the ones the fix made unused, merge the ones it added.

Fixes are text edits; an edit that replaces ``time.sleep(5)`` with ``retry_budget.sleep()`` does
not know whether it took the file's last use of ``time``, and an edit that adds
``from tenacity import wait_random_exponential`` does not know the file already has a
``from tenacity import retry`` to join. Both are decided here, once per fixed file and round,
on the whole new text with libcst's scope analysis:

- an import whose name had references before the fix and has none after it is removed (a name
  that was unused before stays: that was the author's choice, not the fix's);
- an import line the fix added as ``from M import name`` joins an existing module-level
  ``from M import ...`` statement, in sorted place when that statement's names were sorted;
- any other import line the fix added moves into the import block above it where an import
  sorter would put it: its section (``__future__``, standard library, third party, the project's
  own packages, relative), ``import`` lines before ``from`` lines, modules in alphabetical
  order, a blank line between sections.

libcst's ``AddImportsVisitor`` and ``RemoveImportsVisitor`` do the same jobs but put added names
first and new lines last, and leave a blank first line or ``(name)`` after a removal: code that
an import sorter then flags. The scope analysis they rely on is libcst's, used here as well.

Blank lines and comments around a removed statement are kept the way an import sorter leaves
them, so the fixed file passes the unused-import and import-order checks it passed before.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import cast

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

ImportStatement = cst.Import | cst.ImportFrom
LINE_LENGTH = 88  # the import sorters' and formatters' default
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def local_packages(root: Path) -> frozenset[str]:
    """The project's own top-level modules, as import sorters find them: the packages and
    modules in the project root and in its ``src`` folder."""
    names: set[str] = set()
    for folder in (root, root / "src"):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.suffix == ".py" or (entry / "__init__.py").is_file():
                names.add(entry.stem if entry.suffix == ".py" else entry.name)
    return frozenset(names)


def tidy_imports(
    before: str, after: str, added: Collection[str] = (), first_party: frozenset[str] = frozenset()
) -> str:
    """``after`` with the imports ``before`` used but ``after`` no longer uses removed, and the
    import lines in ``added`` merged into existing statements of the same module or moved to
    their sorted place (``first_party``: the project's own top-level modules).

    Returns ``after`` unchanged when either text does not parse or nothing needs doing.
    """
    try:
        module = cst.parse_module(after)
        used_before = _used_import_names(cst.parse_module(before))
    except cst.ParserSyntaxError:
        return after
    used_after = _used_import_names(module)
    unused = {name for name in used_before if name not in used_after}
    unused -= _exported(after)
    dead = _dead_locals(cst.parse_module(before), module)
    if dead:
        module = module.visit(_DeadLocals(dead))
    lines = {line.strip() for line in added}
    merges = _merges(module, lines)
    if unused or merges:
        module = module.visit(_Tidy(unused, merges))
    moved = _placed(module, lines, first_party)
    return after if moved is None and not (unused or merges or dead) else (moved or module).code


def _import_of(statement: Statement) -> ImportStatement | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        node = statement.body[0]
        if isinstance(node, ImportStatement):
            return node
    return None


def _sort_place(node: ImportStatement, first_party: frozenset[str]) -> tuple[int, int, str]:
    """(section, ``import`` before ``from``, module): the order an import sorter keeps."""
    if isinstance(node, cst.ImportFrom):
        if node.relative:
            return 4, 1, "." * len(node.relative)
        name = _module_name(node) or ""
        kind = 1
    else:
        name = cst.helpers.get_full_name_for_node(node.names[0].name) or ""
        kind = 0
    top = name.split(".")[0]
    if top == "__future__":
        section = 0
    elif top in first_party:
        section = 3
    elif top in sys.stdlib_module_names:
        section = 1
    else:
        section = 2
    return section, kind, name.lower()


def _placed(module: cst.Module, added: set[str], first_party: frozenset[str]) -> cst.Module | None:
    """``module`` with each added import line moved to its sorted place in the run of import
    lines just above it (where the fixer inserted it); None when nothing moves."""
    body = list(module.body)
    changed = False
    for statement in list(body):
        node = _import_of(statement)
        if node is None or module.code_for_node(statement).strip() not in added:
            continue
        at = next((i for i, s in enumerate(body) if s is statement), None)
        if at is None:
            continue
        start = at
        while start > 0 and _import_of(body[start - 1]) is not None:
            start -= 1
        block = body[start:at]
        if not block:
            continue
        place = _sort_place(node, first_party)
        places = [_sort_place(_import_of(s), first_party) for s in block]  # type: ignore[arg-type]
        target = _target(places, place)
        rest = body[at + 1 :]
        if at + 1 < len(body) and target < len(block):
            # the line after the removed one keeps the gap the removed one had
            rest[0] = rest[0].with_changes(
                leading_lines=_join_gaps(statement.leading_lines, rest[0].leading_lines)
            )
        moved, block = _inserted(block, places, target, place, statement)
        if moved is None:
            continue
        body = [*body[:start], *block, *rest]
        changed = True
    return module.with_changes(body=body) if changed else None


def _target(places: list[tuple[int, int, str]], place: tuple[int, int, str]) -> int:
    """Where ``place`` goes among ``places``: before the first one sorted after it."""
    return next((i for i, p in enumerate(places) if p > place), len(places))


def _inserted(
    block: list[Statement],
    places: list[tuple[int, int, str]],
    target: int,
    place: tuple[int, int, str],
    statement: Statement,
) -> tuple[Statement | None, list[Statement]]:
    """``block`` with ``statement`` at ``target``; blank lines set the way a sorter sets them:
    none inside a section, one where a section starts."""
    if target == len(block):
        gap = [cst.EmptyLine()] if places[-1][0] != place[0] else []
        moved = statement.with_changes(leading_lines=gap)
        return (None if moved.deep_equals(statement) else moved), [*block, moved]
    after = block[target]
    blanks = [line for line in after.leading_lines if line.comment is None]
    comments = [line for line in after.leading_lines if line.comment is not None]
    same = places[target][0] == place[0]
    if same:
        moved = statement.with_changes(leading_lines=blanks)
        after = after.with_changes(leading_lines=comments)
    else:
        previous_same = target > 0 and places[target - 1][0] == place[0]
        moved = statement.with_changes(
            leading_lines=[] if previous_same else (blanks or [cst.EmptyLine()])
        )
        after = after.with_changes(leading_lines=[cst.EmptyLine(), *comments])
    return moved, [*block[:target], moved, after, *block[target + 1 :]]


def _used_import_names(module: cst.Module) -> set[str]:
    """Module-level import bindings that have at least one reference, by bound name."""
    scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    global_scope = scopes.get(module)
    if global_scope is None:
        return set()
    names: dict[str, bool] = {}
    for assignment in global_scope.assignments:
        node = getattr(assignment, "node", None)
        if isinstance(node, ImportStatement):
            names[assignment.name] = names.get(assignment.name, False) or bool(
                assignment.references
            )
    return {name for name, used in names.items() if used}


FunctionPath = tuple[str, ...]


def _local_uses(module: cst.Module) -> dict[FunctionPath, dict[str, bool]]:
    """Per function (by its path of enclosing names): each local name bound in it, and whether
    anything reads it (a nested function's read counts)."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    found: dict[FunctionPath, dict[str, bool]] = {}
    for path, function in _functions(wrapper.module):
        scope = scopes.get(function.body)
        if scope is None or "locals" in scope.accesses or "vars" in scope.accesses:
            continue  # locals() reads every name
        names = found.setdefault(path, {})
        augmented = _augmented(function)  # ``x += 1`` reads x, though libcst calls it a binding
        for assignment in scope.assignments:
            if isinstance(assignment, cst.metadata.Assignment):
                used = bool(assignment.references) or assignment.name in augmented
                names[assignment.name] = names.get(assignment.name, False) or used
    return found


def _functions(
    node: cst.CSTNode, path: FunctionPath = ()
) -> list[tuple[FunctionPath, cst.FunctionDef]]:
    found = []
    for child in node.children:
        if isinstance(child, cst.FunctionDef | cst.ClassDef):
            inner = (*path, child.name.value)
            if isinstance(child, cst.FunctionDef):
                found.append((inner, child))
            found.extend(_functions(child, inner))
        else:
            found.extend(_functions(child, path))
    return found


def _augmented(node: cst.CSTNode) -> set[str]:
    names = set()
    if isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
        names.add(node.target.value)
    for child in node.children:
        names |= _augmented(child)
    return names


def _dead_locals(before: cst.Module, after: cst.Module) -> dict[FunctionPath, set[str]]:
    """Locals read before the fix and never read after it, per function."""
    was = _local_uses(before)
    dead: dict[FunctionPath, set[str]] = {}
    for path, names in _local_uses(after).items():
        gone = {n for n, used in names.items() if not used and was.get(path, {}).get(n)}
        if gone:
            dead[path] = gone
    return dead


_PURE = (
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.Name,
    cst.BinaryOperation,
    cst.UnaryOperation,
    cst.Tuple,
    cst.Element,
)


def _pure(node: cst.CSTNode) -> bool:
    """Whether evaluating ``node`` can do nothing but make a value (numbers, names, arithmetic)."""
    if not isinstance(node, _PURE):
        return False
    return all(
        _pure(child)
        for child in node.children
        if not isinstance(child, cst.BaseParenthesizableWhitespace | cst.LeftParen | cst.RightParen)
        and not isinstance(child, cst.BaseBinaryOp | cst.BaseUnaryOp | cst.Comma)
    )


class _DeadLocals(cst.CSTTransformer):
    """Remove ``name = value`` lines of locals the fix left unread: the whole line when the value
    is plain arithmetic, else the value alone stays as a statement (its side effects kept)."""

    def __init__(self, dead: dict[FunctionPath, set[str]]) -> None:
        super().__init__()
        self.dead = dead
        self.path: list[str] = []
        self.in_function: list[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.path.append(node.name.value)
        self.in_function.append(True)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.path.pop()
        self.in_function.pop()
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.path.append(node.name.value)
        self.in_function.append(False)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.path.pop()
        self.in_function.pop()
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if not (self.in_function and self.in_function[-1]) or len(updated.body) != 1:
            return updated
        node = updated.body[0]
        dead = self.dead.get(tuple(self.path), set())
        if not (
            isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and node.targets[0].target.value in dead
        ):
            return updated
        if _pure(node.value):
            return cst.RemoveFromParent()
        return updated.with_changes(body=[cst.Expr(node.value)])


def _exported(text: str) -> set[str]:
    """Names quoted anywhere in a file that has ``__all__``: an export is a use."""
    if "__all__" not in text:
        return set()
    return set(re.findall(r"""["']([A-Za-z_][\w.]*)["']""", text))


def _module_name(node: cst.ImportFrom) -> str | None:
    if node.relative or node.module is None:
        return None
    return cst.helpers.get_full_name_for_node(node.module)


Merges = dict[int, tuple[int, str]]


def _merges(module: cst.Module, added: set[str]) -> Merges:
    """{id of an added ``from M import name`` statement: (id of the ``from M import ...`` node
    it joins, name)}. Only module-level, absolute, un-aliased single-name lines merge."""
    if not added:
        return {}
    targets: dict[str, cst.ImportFrom] = {}
    candidates: list[tuple[cst.SimpleStatementLine, str, str]] = []
    for statement in module.body:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            continue
        node = statement.body[0]
        if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
            continue
        name = _module_name(node)
        if name is None:
            continue
        alias = node.names[0]
        if (
            module.code_for_node(statement).strip() in added
            and len(node.names) == 1
            and alias.asname is None
            and isinstance(alias.name, cst.Name)
        ):
            candidates.append((statement, name, alias.name.value))
        else:
            targets.setdefault(name, node)
    return {
        id(statement): (id(targets[name]), imported)
        for statement, name, imported in candidates
        if name in targets
    }


def _sort_key(name: str) -> tuple[int, str]:
    """The import sorters' default order of imported names: CONSTANTS, Classes, functions."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name


def _alias_name(alias: cst.ImportAlias) -> str:
    return cst.helpers.get_full_name_for_node(alias.name) or ""


def _blank_lines(lines: Sequence[cst.EmptyLine]) -> int:
    return sum(1 for line in lines if line.comment is None)


class _Tidy(cst.CSTTransformer):
    """Remove unused import names (whole statements when none is left) and merge added lines."""

    def __init__(self, unused: set[str], merges: Merges) -> None:
        super().__init__()
        self.unused = unused
        self.merges = merges
        self.joining: dict[int, list[str]] = {}
        for target, name in merges.values():
            self.joining.setdefault(target, []).append(name)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=self._statements(original.body, updated.body))

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        # every statement is a simple line or a compound one; IndentedBlock types it wider
        originals = cast(Sequence[Statement], original.body)
        body = self._statements(originals, cast(Sequence[Statement], updated.body)) or [
            cst.SimpleStatementLine([cst.Pass()])
        ]
        return updated.with_changes(body=body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # local imports are function scope, not module scope

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        joining = self.joining.get(id(original))
        if not joining or isinstance(updated.names, cst.ImportStar):
            return updated
        return _wrapped(_with_names(updated, joining))

    def _statements(
        self,
        originals: Sequence[Statement],
        statements: Sequence[Statement],
    ) -> list[Statement]:
        """The statements with emptied import lines gone; a removed line's leading blank lines
        and comments pass to the next statement (the larger gap wins, and no blank line is
        left at the top of a block)."""
        kept: list[Statement] = []
        carried: Sequence[cst.EmptyLine] | None = None
        first = True
        for original, statement in zip(originals, statements, strict=True):
            if id(original) in self.merges or self._empties(statement):
                lines = statement.leading_lines
                carried = lines if carried is None else _join_gaps(carried, lines)
                continue
            statement = self._without_unused(statement)
            if carried is not None:
                lines = (
                    [*carried, *(line for line in statement.leading_lines if line.comment)]
                    if first
                    else _join_gaps(carried, statement.leading_lines)
                )
                statement = statement.with_changes(leading_lines=lines)
                carried = None
            kept.append(statement)
            first = False
        return kept

    def _empties(self, statement: Statement) -> bool:
        """Whether removing the unused names leaves this import line with nothing."""
        node = _import_of(statement)
        if node is None or isinstance(node.names, cst.ImportStar):
            return False
        return all(self._unused(alias) for alias in node.names)

    def _unused(self, alias: cst.ImportAlias) -> bool:
        bound = alias.asname.name if alias.asname else alias.name
        if isinstance(bound, cst.Name | cst.Attribute):
            name = cst.helpers.get_full_name_for_node(bound)
            return name in self.unused
        return False

    def _without_unused(self, statement: Statement) -> Statement:
        node = _import_of(statement)
        if node is None or isinstance(node.names, cst.ImportStar):
            return statement
        names = [alias for alias in node.names if not self._unused(alias)]
        if len(names) == len(node.names):
            return statement
        return statement.with_changes(body=[_with_remaining(node, names)])


def _join_gaps(
    first: Sequence[cst.EmptyLine], second: Sequence[cst.EmptyLine]
) -> list[cst.EmptyLine]:
    """Two statements' leading lines as one: the comments of both, the larger blank gap."""
    comments = [line for line in (*first, *second) if line.comment is not None]
    blanks = max(_blank_lines(first), _blank_lines(second))
    return [*(cst.EmptyLine() for _ in range(blanks)), *comments]


def _with_remaining(node: ImportStatement, names: list[cst.ImportAlias]) -> ImportStatement:
    """``node`` importing only ``names``: the last one takes the old last one's comma (a
    trailing comma stays), and a lone name loses parentheses it no longer needs."""
    last = node.names[-1]  # type: ignore[index]
    names[-1] = names[-1].with_changes(comma=last.comma)
    if isinstance(node, cst.Import):
        return node.with_changes(names=names)
    if len(names) == 1 and not isinstance(last.comma, cst.Comma) and node.lpar:
        return node.with_changes(names=names, lpar=None, rpar=None)
    return node.with_changes(names=names)


def _wrapped(node: cst.ImportFrom) -> cst.ImportFrom:
    """A one-line import that grew past ``LINE_LENGTH`` as one name per line with a trailing
    comma: the layout import sorters keep whatever line length a project sets."""
    if node.lpar is not None or isinstance(node.names, cst.ImportStar):
        return node
    code = cst.Module([]).code_for_node(node)
    if len(code) <= LINE_LENGTH:
        return node
    names = "".join(
        f"    {cst.Module([]).code_for_node(a.with_changes(comma=cst.MaybeSentinel.DEFAULT))},\n"
        for a in node.names
    )
    head = code[: code.index(" import ") + len(" import ")]
    statement = cst.parse_statement(f"{head}(\n{names})\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    return cast(cst.ImportFrom, statement.body[0])


def _with_names(node: cst.ImportFrom, joining: list[str]) -> cst.ImportFrom:
    """``node`` with ``joining`` added: in sorted place when its names were sorted, else last."""
    names = list(node.names)  # type: ignore[arg-type]
    present = {_alias_name(alias) for alias in names}
    ordered = [_sort_key(_alias_name(alias)) for alias in names] == sorted(
        _sort_key(_alias_name(alias)) for alias in names
    )
    separator = names[0].comma
    if not isinstance(separator, cst.Comma) or len(names) == 1:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    for name in sorted(set(joining) - present, key=_sort_key):
        alias = cst.ImportAlias(name=cst.Name(name))
        at = len(names)
        if ordered:
            later = (i for i, a in enumerate(names) if _sort_key(_alias_name(a)) > _sort_key(name))
            at = next(later, len(names))
        if at == len(names):
            trailing = names[-1].comma
            names[-1] = names[-1].with_changes(comma=separator)
            names.append(alias.with_changes(comma=trailing))
        else:
            names.insert(at, alias.with_changes(comma=separator))
    return node.with_changes(names=names)
