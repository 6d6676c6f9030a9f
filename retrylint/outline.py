"""The cheap tier: a file's project facts from the standard library's ``ast``, without libcst.

Most files of an application hold no job code, but the project index still needs every module's
imports, names, literal constants and call graph (a helper three imports away from a task is job
code). ``ast`` parses about eight times faster than libcst; this module reads from its tree
exactly the ``FileFacts`` the libcst collector (``context``) and ``call_reader.call_facts`` write
for such a file, so the project phase cannot tell the tiers apart.

Exactness is the contract, so this mirrors the collector's rules one for one, including its
order of visits (libcst visits decorators first, a function's parameters inside the function, a
class's body before its bases, an ``except`` body before its type, a ``case`` body before its
guard, and call arguments in source order); the order of the calls a function makes and of the
assignments it binds decides which call path reach reports. ``tests/test_prefilter.py`` and the
equality check over real repositories compare both tiers fact by fact.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from retrylint.ast_values import AstNames
from retrylint.call_records import (
    INSTANCE_OF,
    SUPER,
    Binding,
    Called,
    Unit,
    class_facts,
    def_line_offsets,
    function_facts,
)
from retrylint.declarations import ClassDeclaration, Declarations, DecoratedFunction, name_span
from retrylint.facts import ClassFact, FileFacts, FunctionFact
from retrylint.model import UNKNOWN, Span
from retrylint.scopes import Scopes
from retrylint.source import line_starts
from retrylint.suppressions import scan_comments
from retrylint.values import SELF_MODULE

_INSTANCE = ("self", "cls")


@dataclass(eq=False)
class _Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    qualname: str
    class_name: str | None
    parent: _Function | None


@dataclass(eq=False)
class _Class:
    node: ast.ClassDef
    qualname: str
    methods: dict[str, None] = field(default_factory=dict)
    attributes: dict[str, None] = field(default_factory=dict)
    inner: dict[str, _Class] = field(default_factory=dict)


@dataclass
class _Assignment:
    targets: tuple[ast.expr, ...]
    value: ast.expr
    function: _Function | None
    class_name: str | None


@dataclass
class _Outline:
    """What the collector's walk records, from an ``ast`` tree."""

    imports: dict[str, str] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    module_names: set[str] = field(default_factory=set)
    constants: dict[str, ast.expr] = field(default_factory=dict)
    functions: list[_Function] = field(default_factory=list)
    classes: dict[str, _Class] = field(default_factory=dict)
    calls: list[tuple[ast.Call, _Function | None]] = field(default_factory=list)
    assignments: list[_Assignment] = field(default_factory=list)


def outline_facts(source: str, tree: ast.Module) -> FileFacts | None:
    """The ``FileFacts`` the full analysis would give a file in which no adapter, scan or check
    finds anything (the prefilter decides that before calling this); None when an adapter's
    records of the file need the tree after all (``declared`` hooks)."""
    from retrylint.file_phase import is_constant
    from retrylint.frameworks import declaration_hooks

    outline = _Outline()
    _Walk(outline).module(tree)
    names = AstNames(outline.imports, outline.module_names, outline.constants)
    constants = []
    for name, expression in outline.constants.items():
        value = names.evaluate(expression)
        if is_constant(value):
            constants.append((name, value))
    starts = line_starts(source)
    offsets = def_line_offsets(source, [f.node.name for f in outline.functions])
    functions, classes, instances = _call_facts(outline, names, starts, offsets)
    declarations = _declarations(outline, names, source, starts, offsets)
    data: list[tuple[str, Any]] = []
    for declared in declaration_hooks():
        records = declared(declarations)
        if records is None:
            return None
        data.extend(records)
    comments = scan_comments(source)
    return FileFacts(
        imports=tuple(sorted(outline.imports.items())),
        star_imports=tuple(outline.star_imports),
        module_names=tuple(sorted(outline.module_names)),
        constants=tuple(constants),
        functions=functions,
        classes=classes,
        instances=instances,
        suppressions=comments.suppressions,
        ignore_file=comments.ignore_file,
        statement_starts=comments.statement_starts,
        import_insert_line=import_insert_line(tree),
        data=tuple(data),
    )


# -- the walk -------------------------------------------------------------------------------------


class _Walk:
    """The collector's single walk, in libcst's order of visits."""

    def __init__(self, outline: _Outline) -> None:
        self.out = outline
        self.scopes: Scopes[_Function, _Class] = Scopes()

    def module(self, tree: ast.Module) -> None:
        for statement in tree.body:
            self.node(statement)

    def node(self, node: ast.AST) -> None:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node)
        else:
            self.children(node)

    def children(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                self.node(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.node(item)

    def nodes(self, items: list) -> None:
        for item in items:
            if item is not None:
                self.node(item)

    # scopes ---------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.nodes(node.decorator_list)
        scopes = self.scopes
        owner = scopes.class_body
        class_name = owner.qualname if owner is not None else None
        info = _Function(node, scopes.qualname(node.name), class_name, scopes.function_body)
        self.out.functions.append(info)
        if scopes.at_module_level:
            self.out.module_names.add(node.name)
        elif owner is not None:
            owner.methods[node.name] = None
        scopes.enter_function(info)
        self._parameters(node.args)
        self.nodes(node.body)
        if node.returns is not None:
            self.node(node.returns)
        scopes.leave_function()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _parameters(self, args: ast.arguments) -> None:
        """libcst's order: plain parameters, ``*args``, keyword-only, ``**kwargs``, then the
        positional-only ones; each parameter's annotation before its default."""
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults.extend(args.defaults)
        paired = list(zip(positional, defaults, strict=True))
        only = len(args.posonlyargs)
        for arg, default in paired[only:]:
            self._parameter(arg, default)
        if args.vararg is not None:
            self._parameter(args.vararg, None)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            self._parameter(arg, default)
        if args.kwarg is not None:
            self._parameter(args.kwarg, None)
        for arg, default in paired[:only]:
            self._parameter(arg, default)

    def _parameter(self, arg: ast.arg, default: ast.expr | None) -> None:
        if arg.annotation is not None:
            self.node(arg.annotation)
        if default is not None:
            self.node(default)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._parameters(node.args)
        self.node(node.body)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.nodes(node.decorator_list)
        scopes = self.scopes
        info = _Class(node, scopes.qualname(node.name))
        owner = scopes.class_body
        if scopes.at_module_level:
            self.out.module_names.add(node.name)
        elif owner is not None:
            owner.inner[node.name] = info
        self.out.classes[info.qualname] = info
        scopes.enter_class(info)
        self.nodes(node.body)
        self.nodes(node.bases)
        self.nodes([keyword.value for keyword in node.keywords])
        scopes.leave_class()

    # imports --------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self.out.imports[alias.asname] = alias.name
            else:
                head = alias.name.split(".", 1)[0]
                self.out.imports.setdefault(head, head)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = "." * node.level + (node.module or "")
        if len(node.names) == 1 and node.names[0].name == "*":
            if self.scopes.at_module_level and base:
                self.out.star_imports.append(base)
            return
        for alias in node.names:
            local = alias.asname if alias.asname is not None else alias.name
            joiner = "" if base.endswith(".") else "."
            self.out.imports[local] = f"{base}{joiner}{alias.name}" if base else alias.name

    # calls and assignments ------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        self.out.calls.append((node, self.scopes.function))
        self.node(node.func)
        for argument in _arguments_in_order(node):
            self.node(argument)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assignment(tuple(node.targets), node.value)
        self.children(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assignment((node.target,), node.value)
        self.children(node)

    def _assignment(self, targets: tuple[ast.expr, ...], value: ast.expr) -> None:
        scopes = self.scopes
        owner = scopes.class_body
        class_name = owner.qualname if owner is not None else None
        function = scopes.function_body
        self.out.assignments.append(_Assignment(targets, value, function, class_name))
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if scopes.at_module_level:
                self.out.module_names.add(target.id)
                self.out.constants[target.id] = value
            elif owner is not None:
                owner.attributes[target.id] = None

    # libcst's order of fields where it differs from ast's ---------------------------------------
    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                self.node(key)
            self.node(value)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.nodes(node.body)
        if node.type is not None:
            self.node(node.type)

    def visit_match_case(self, node: ast.match_case) -> None:
        self.node(node.pattern)
        self.nodes(node.body)
        if node.guard is not None:
            self.node(node.guard)


def _arguments_in_order(node: ast.Call) -> list[ast.expr]:
    """Positional and keyword arguments as written (``f(a=1, *rest)`` is legal)."""
    values: list[ast.expr] = [*node.args, *(keyword.value for keyword in node.keywords)]
    if node.keywords and node.args:
        starts: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
        order = sorted(range(len(starts)), key=lambda i: (starts[i].lineno, starts[i].col_offset))
        values = [values[i] for i in order]
    return values


# -- names and values -----------------------------------------------------------------------------


# -- the call graph's per-file half -----------------------------------------------------------


def _call_facts(
    outline: _Outline, names: AstNames, starts: list[int], offsets: dict[int, int]
) -> tuple[tuple[FunctionFact, ...], tuple[ClassFact, ...], tuple[tuple[str, str], ...]]:
    """``call_reader.call_facts`` over the outline: the same records, assembled by the same code."""
    index = {id(function): at for at, function in enumerate(outline.functions)}
    units = [
        Unit(
            f.qualname,
            bisect.bisect_right(starts, offsets[at]) if at in offsets else 1,
            f.class_name,
            index[id(_unit(f))],
        )
        for at, f in enumerate(outline.functions)
    ]
    bindings = [_binding(names, assignment, index) for assignment in outline.assignments]
    calls = [
        _called(names, node, index[id(_unit(function))])
        for node, function in outline.calls
        if function is not None
    ]
    classes = [(info.qualname, _bases(names, info)) for info in outline.classes.values()]
    functions, instances = function_facts(units, bindings, calls)
    return functions, class_facts(classes, units, bindings), instances


def _binding(names: AstNames, assignment: _Assignment, index: dict[int, int]) -> Binding:
    value = assignment.value
    if isinstance(value, ast.Await):
        value = value.value
    callee = names.qualify(value.func) if isinstance(value, ast.Call) else None
    in_class_body = assignment.function is None and assignment.class_name is not None
    constant = names.evaluate(assignment.value) if callee is None and in_class_body else UNKNOWN
    unit = None if assignment.function is None else index[id(_unit(assignment.function))]
    targets = tuple(_target(target) for target in assignment.targets)
    return Binding(targets, callee, constant, unit, assignment.class_name)


def _target(target: ast.expr) -> tuple[str, str]:
    if isinstance(target, ast.Name):
        return ("name", target.id)
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id in _INSTANCE
    ):
        return ("self", target.attr)
    return ("other", "")


def _called(names: AstNames, call: ast.Call, unit: int) -> Called:
    func = call.func
    name: str | None
    rebindable = False
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    ):
        name = f"{SUPER}.{func.attr}"
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        callee = names.qualify(func.value.func)
        name = None if callee is None else f"{callee}{INSTANCE_OF}{func.attr}"
    else:
        name, rebindable = names.qualify(func), True
    arguments = []
    for argument in _arguments_in_order(call):
        if isinstance(argument, ast.Starred):
            argument = argument.value
        if isinstance(argument, ast.Name | ast.Attribute):
            qualified = names.qualify(argument)
            if qualified is not None and (qualified.startswith(SELF_MODULE) or "." in qualified):
                arguments.append(qualified)
    return Called(unit, name, rebindable, tuple(arguments))


def _bases(names: AstNames, info: _Class) -> tuple[str, ...]:
    return tuple(q for base in info.node.bases if (q := names.qualify(base)) is not None)


def _unit(function: _Function) -> _Function:
    while function.parent is not None:
        function = function.parent
    return function


# -- declarations ---------------------------------------------------------------------------------


def _declarations(
    outline: _Outline, names: AstNames, source: str, starts: list[int], offsets: dict[int, int]
) -> Declarations:
    """``FileContext.declarations`` from the outline (``offsets``: each function's name in the
    text, by its index in ``outline.functions``)."""
    classes = tuple(
        ClassDeclaration(
            info.qualname,
            _bases(names, info),
            tuple(info.methods),
            None if (meta := info.inner.get("Meta")) is None else tuple(meta.attributes),
        )
        for info in outline.classes.values()
    )
    module_calls: list[tuple[str, str]] = []
    for assignment in outline.assignments:
        if assignment.function is not None or assignment.class_name is not None:
            continue
        value = assignment.value
        callee = names.qualify(value.func) if isinstance(value, ast.Call) else None
        if callee is not None:
            module_calls.extend(
                (target.id, callee) for target in assignment.targets if isinstance(target, ast.Name)
            )
    constant_calls = tuple(
        (name, names.qualify(value.func))
        for name, value in outline.constants.items()
        if isinstance(value, ast.Call) and name not in outline.imports
    )
    return Declarations(
        source,
        tuple(starts),
        tuple(f.node.name for f in outline.functions if f.parent is None and f.class_name is None),
        classes,
        tuple(module_calls),
        constant_calls,
        tuple(_decorated(outline, names, source, starts, offsets)),
        tuple(
            f.node.name
            for f in outline.functions
            if f.parent is None
            and f.class_name is None
            and isinstance(f.node, ast.AsyncFunctionDef)
            and len(f.node.args.posonlyargs) + len(f.node.args.args)
        ),
    )


def _decorated(
    outline: _Outline, names: AstNames, source: str, starts: list[int], offsets: dict[int, int]
) -> Iterator[DecoratedFunction]:
    for at, function in enumerate(outline.functions):
        for expression in function.node.decorator_list:
            call = expression if isinstance(expression, ast.Call) else None
            qualified = names.qualify(call.func if call else expression)
            if qualified is None:
                continue
            passed: list[str] = []
            keywords = {id(k.value): k.arg for k in call.keywords} if call else {}
            for argument in _arguments_in_order(call) if call else []:
                if isinstance(argument, ast.Starred) or keywords.get(id(argument), "") is None:
                    continue  # *args, **kwargs
                keyword = keywords.get(id(argument))
                passed.append(keyword if keyword is not None else f"#{len(passed)}")
            node = function.node
            offset = offsets.get(at)
            span = (
                name_span(tuple(starts), offset, node.name)
                if offset is not None
                else _name_span(source, starts, node)
            )
            is_async = isinstance(node, ast.AsyncFunctionDef)
            yield DecoratedFunction(
                function.qualname, qualified, call is not None, tuple(passed), span, is_async
            )


_DEF_KEYWORDS = re.compile(r"(?:async\s+)?def\s+")


def _name_span(
    source: str, starts: list[int], node: ast.FunctionDef | ast.AsyncFunctionDef
) -> Span:
    """The span of a function's name in its ``def`` (ast gives the ``def``'s, in UTF-8 bytes):
    for a ``def`` the text search of ``def`` lines did not place."""
    begin = starts[node.lineno - 1]
    end = starts[node.lineno] if node.lineno < len(starts) else len(source)
    text = source[begin:end]
    column = len(text.encode()[: node.col_offset].decode(errors="ignore"))
    found = _DEF_KEYWORDS.match(text, column)
    column = found.end() if found else column
    return Span(node.lineno, column + 1, node.lineno, column + 1 + len(node.name))


# -- where an added import goes -------------------------------------------------------------------


def import_insert_line(tree: ast.Module) -> int:
    """``FileContext.import_insert_line`` from an ``ast`` tree: the line after the last
    module-level import statement (with what shares its line after a ``;``), else after the
    docstring, else 1."""
    body = tree.body
    last = max(
        (i for i, s in enumerate(body) if isinstance(s, ast.Import | ast.ImportFrom)), default=-1
    )
    if last < 0 and body and _is_docstring(body):
        last = 0
    if last < 0:
        return 1
    end = body[last].end_lineno or body[last].lineno
    for following in body[last + 1 :]:  # `import os; x = (\n 1)`: one line of statements
        if following.lineno != end:
            break
        end = following.end_lineno or following.lineno
    return end + 1


def _is_docstring(body: list[ast.stmt]) -> bool:
    first = body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        return False
    if not isinstance(first.value.value, str | bytes):
        return False
    return len(body) == 1 or body[1].lineno != (first.end_lineno or first.lineno)
