"""What a module declares, read the same way from either tree: functions, classes, bindings.

Several adapters record, for every file, facts the project phase needs whether or not the file
holds job code: where module functions are (RQ may enqueue any of them), each class's bases and
methods (``self.enqueue`` on a project class; a Dramatiq ``GenericActor`` subclass three modules
away), what module-level names were built by (a Celery app or a Huey instance). Those records
are computed here from ``Declarations``, which the libcst collector (``FileContext``) and the
prefilter's ``ast`` outline both produce; one function writes each record for both tiers, so
they cannot drift apart.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from retrylint.model import Span

_DEF_LINE = re.compile(r"^(?:async[ \t]+)?def[ \t]+([^\W\d]\w*)", re.MULTILINE)
_CLASS_LINE = re.compile(r"^class[ \t]+([^\W\d]\w*)", re.MULTILINE)
_METHOD_LINE = re.compile(r"^([ \t]+)(?:async[ \t]+)?def[ \t]+([^\W\d]\w*)", re.MULTILINE)
_TOP_LEVEL_LINE = re.compile(r"^[^\s#)\]}]", re.MULTILINE)


@dataclass(frozen=True)
class ClassDeclaration:
    """A class as its file writes it (nested classes have dotted qualnames)."""

    qualname: str
    bases: tuple[str, ...]  # qualified through the file's imports; unnamed bases left out
    methods: tuple[str, ...]  # names of the functions in its body, first definitions first
    meta: tuple[str, ...] | None  # names an inner ``Meta`` class binds; None: no ``Meta``

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class DecoratedFunction:
    """One decorator on one function (a function with two has two): a project decorator may be
    a retry policy or a job factory defined in another module."""

    function: str  # qualname
    decorator: str  # what is applied or called, qualified through the file's imports
    called: bool  # ``@policy(...)`` rather than ``@policy``
    passed: tuple[str, ...]  # the call's arguments: "#0", "#1" ... and keyword names (no * / **)
    span: Span  # the function's name
    is_async: bool


@dataclass(frozen=True)
class Declarations:
    """A file's module functions, classes and module-level bindings to calls."""

    source: str
    line_starts: tuple[int, ...]
    module_functions: tuple[str, ...]  # names of functions outside any class or function
    classes: tuple[ClassDeclaration, ...]
    # Module-level ``name = callee(...)``: one entry per assignment and name, in source order.
    module_calls: tuple[tuple[str, str], ...]
    # Module constants (the last value bound) that are a call, not imported: (name, callee).
    constant_calls: tuple[tuple[str, str | None], ...]
    decorated: tuple[DecoratedFunction, ...]  # decorators with a dotted name, in source order
    # Module-level ``async def``s taking a positional parameter (an arq job takes ``ctx``).
    coroutines: tuple[str, ...]


def function_spans(declarations: Declarations) -> tuple[tuple[str, Span], ...]:
    """(name, span of the name) of each module-level function and each method of a module-level
    class, from ``def`` lines in the text rather than positions of the tree.

    A class's body runs from its ``class`` line to the next line that starts at column 0 (a
    closing bracket of a multi-line header does not count); its methods are the ``def`` lines
    with the body's (smallest) indentation there. The last definition of a name wins, as in
    Python.
    """
    source, starts = declarations.source, declarations.line_starts
    names = set(declarations.module_functions)
    found: dict[str, tuple[str, Span]] = {}
    for match in _DEF_LINE.finditer(source) if names else ():
        name = match.group(1)
        if name in names:
            found[name] = (name, name_span(starts, match.start(1), name))
    classes = {c.name: c for c in declarations.classes if "." not in c.qualname and c.methods}
    for match in _CLASS_LINE.finditer(source) if classes else ():
        declared = classes.get(match.group(1))
        if declared is None:
            continue
        header_end = source.find("\n", match.end())
        if header_end < 0:
            continue
        following = _TOP_LEVEL_LINE.search(source, header_end + 1)
        end = following.start() if following else len(source)
        methods = set(declared.methods)
        defs = [
            m for m in _METHOD_LINE.finditer(source, header_end + 1, end) if m.group(2) in methods
        ]
        if not defs:
            continue
        indent = min(len(m.group(1)) for m in defs)
        for method in defs:
            if len(method.group(1)) == indent:
                name = f"{declared.name}.{method.group(2)}"
                found[name] = (name, name_span(starts, method.start(2), method.group(2)))
    return tuple(found.values())


def name_span(starts: tuple[int, ...], offset: int, name: str) -> Span:
    """The span of ``name`` starting at ``offset`` in the text."""
    line, column = _place(starts, offset)
    return Span(line, column, line, column + len(name))


def _place(starts: tuple[int, ...], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def class_name_span(declarations: Declarations, name: str) -> tuple[int, int] | None:
    """(line, column) of the first ``class <name>`` line in the text: a span without the tree's
    positions (None when the text hides it, e.g. a continuation line)."""
    return _first(declarations, rf"^[ \t]*class[ \t]+({re.escape(name)})\b", name)


def coroutine_span(declarations: Declarations, name: str) -> Span | None:
    """The name's span in the first module-level ``async def <name>`` line of the text."""
    place = _first(declarations, rf"^async[ \t]+def[ \t]+({re.escape(name)})\b", name)
    return None if place is None else Span(place[0], place[1], place[0], place[1] + len(name))


def _first(declarations: Declarations, pattern: str, name: str) -> tuple[int, int] | None:
    match = re.compile(pattern, re.MULTILINE).search(declarations.source)
    return None if match is None else _place(declarations.line_starts, match.start(1))
