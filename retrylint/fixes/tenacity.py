"""Fixes for tenacity ``@retry`` / ``Retrying(...)`` policies, and the helpers the other retry
libraries' fixes (backoff, stamina, retrying) share.

tenacity (``frameworks.md`` 7.1):

- ``bound_attempts`` (RL101, unsafe): ``stop=stop_after_attempt(N)``; ``stop=stop_never`` is
  replaced, another never-stopping stop gets ``| stop_after_attempt(N)``. A bare ``@retry``
  becomes ``@retry(stop=...)``.
- ``add_backoff`` (RL201, safe): ``wait=wait_random_exponential(multiplier=1, max=<max-backoff>)``
  added, or in place of ``wait_fixed(...)`` / ``wait_none()`` / ``0``. A deliberate schedule
  (``wait_random``, ``wait_chain``, sums) gets no fix.
- ``add_jitter`` (RL202, safe): ``wait_exponential(...)`` renamed ``wait_random_exponential(...)``
  (same parameters: it subclasses ``wait_exponential``). Only when the wait is that one call.
- ``cap_backoff`` (RL203, safe): ``max=<max-backoff>`` added to every uncapped exponential wait
  in the wait expression (also inside ``a + b`` and ``wait_combine``).
- ``cap_window`` (RL102, unsafe): ``stop=<stop> | stop_after_delay(<max-retry-window>)``, or a
  longer literal ``stop_after_delay(...)`` already in a ``|`` chain is shortened to it. Only for
  tenacity stop objects: a plain function as ``stop=`` has no ``|``.

Where the edit goes: the decorator call (``Job.details["decorator"]``, for ``@policy`` the call
``policy`` is bound to, in the module ``Job.details["policy_path"]`` names when a factory of
another module returns it), the ``Retrying(...)`` of a retry block, the ``retry_with(...)`` call
(an option inherited from the decorator is edited in the decorator when the decorator has the
same problem, so both findings make one edit; otherwise the call overrides it), and for
``Retrying(...)(fn)`` the constructor, whose position is known only through its options: with no
options at all, a new keyword has nowhere to go (None).

Names are written in the module's style: an existing ``from tenacity import name`` is used; the
style of the code being edited (``t.wait_fixed`` -> ``t.wait_random_exponential``), else of the
decorator or constructor, else of the call's other options decides between ``t.name`` and a new
``from tenacity import name`` line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.facts import CallShape, FileFacts
from retrylint.findings import Edit, Fix, FixSafety
from retrylint.frameworks.retry_library.options import library_name
from retrylint.model import Span
from retrylint.source import LINE_BREAK, line_starts
from retrylint.values import CallValue, Located, OpValue, Ref, Value, is_number

# =============================================================================================
# Shared by the retry-library fixes
# =============================================================================================


def number(value: float) -> str:
    """``3600`` for 3600.0, ``0.5`` for 0.5: numbers as a person writes them."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _before(a: Span, b: Span) -> bool:
    return (a.line, a.column) < (b.line, b.column)


def _contains(outer: Span, inner: Span) -> bool:
    return not _before(inner, outer) and (inner.end_line, inner.end_column) <= (
        outer.end_line,
        outer.end_column,
    )


def _point(line: int, column: int) -> Span:
    return Span(line, column, line, column)


@dataclass(frozen=True)
class Target:
    """The call a fix edits: where its arguments are, and the options the adapter bound.

    ``call`` is None for ``Retrying(...)(fn)`` jobs, whose constructor the adapter does not
    record: every option is then the constructor's, and ``args_end`` is derived from them.
    ``arguments`` are the written arguments' whole spans (keyword and parentheses included), in
    order; ``*args`` / ``**kwargs`` are not among them.
    """

    path: str
    facts: FileFacts
    options: dict[str, Located]
    call: Span | None
    called: bool
    args_end: Span | None
    has_args: bool
    arguments: tuple[Span, ...]
    keyword_spans: dict[str, Span]
    # retry_with: options edited where the decorator writes them, and that decorator's call
    in_place: frozenset[str] = frozenset()
    base: Target | None = None

    def in_call(self, located: Located) -> bool:
        """Whether an option is written in this call (not inherited by ``retry_with``)."""
        return self.call is None or _contains(self.call, located.span)

    def own(self, name: str) -> Located | None:
        """Option ``name`` when this fix edits it where it is written: in this call, or (named in
        ``in_place``) in the decorator a ``retry_with`` call inherits it from."""
        located = self.options.get(name)
        if located is None:
            return None
        return located if name in self.in_place or self.in_call(located) else None


def value_end(located: Located) -> Span | None:
    """Where an option's value really ends: its recorded span leaves out parentheses of its own
    (``(A, B)``), which its code keeps. None when the code cannot be read."""
    if not located.code.startswith("("):
        return located.span
    written = Written.parse(located)
    if written is None:
        return None
    end = len(written.code)
    return written.span(end, end)


def target(judged: JudgedPolicy, project: Project) -> Target | None:
    """The call to edit for ``judged``'s job; None when the job model does not say where it is."""
    job = judged.job
    path = job.detail("policy_path") or job.path  # a policy shared from another module: there
    module = project.index.by_path.get(path)
    if module is None or judged.site is not None:
        return None
    options = {name: located for name, located in job.detail("options", ())}
    shape = job.detail("decorator")
    if shape is None and (job.detail("block") or job.detail("retry_with_of")):
        shape = job.detail("policy_call")
    if isinstance(shape, CallShape):
        return call_target(path, module.facts, shape, options)
    if job.detail("policy_call") is None:
        return None
    # Retrying(...)(fn): the options are the constructor's arguments, in order. A keyword is
    # only ever added when no **kwargs could hold it (the option would be UNKNOWN otherwise),
    # so the last option's end is the end of the arguments.
    last = max(options.values(), key=lambda o: (o.span.line, o.span.column), default=None)
    end = value_end(last) if last is not None else None
    return Target(
        path=path,
        facts=module.facts,
        options=options,
        call=None,
        called=True,
        args_end=_point(end.end_line, end.end_column) if end is not None else None,
        has_args=last is not None,
        arguments=(),
        keyword_spans={},
    )


def call_target(
    path: str, facts: FileFacts, shape: CallShape, options: dict[str, Located]
) -> Target | None:
    keywords = dict(shape.keyword_spans)
    arguments = list(keywords.values())
    for name, located in options.items():
        if name in keywords or not _contains(shape.span, located.span):
            continue
        end = value_end(located)
        if end is None:
            return None
        start = located.span
        arguments.append(Span(start.line, start.column, end.end_line, end.end_column))
    arguments.sort(key=lambda s: (s.line, s.column))
    args_end = shape.args_end
    if arguments:
        # after the last argument, past any parentheses its value has
        last = arguments[-1]
        end = _point(last.end_line, last.end_column)
        if args_end is None or _before(args_end, end):
            args_end = end
    return Target(
        path=path,
        facts=facts,
        options=options,
        call=shape.span,
        called=shape.called,
        args_end=args_end,
        has_args=shape.has_args,
        arguments=tuple(arguments),
        keyword_spans=keywords,
    )


def add_keywords(target: Target, pairs: Iterable[tuple[str, str]]) -> Edit | None:
    """One edit adding ``name=value`` keywords to the target call (turning ``@x`` into a call).

    In a call written one argument per line the new ones go on lines of their own, indented like
    the last argument; otherwise after ``, ``. A trailing comma stays where it was: after the
    new arguments.
    """
    written = [f"{name}={value}" for name, value in pairs]
    if not written:
        return None
    if not target.called:
        if target.call is None:
            return None
        end = target.call
        return Edit(_point(end.end_line, end.end_column), "(" + ", ".join(written) + ")")
    if target.args_end is None:
        return None
    if not target.has_args:
        return Edit(target.args_end, ", ".join(written))
    separator = ", "
    if target.arguments and target.call is not None:
        last = target.arguments[-1]
        previous_line = (
            target.arguments[-2].end_line if len(target.arguments) > 1 else target.call.line
        )
        if last.line > previous_line:
            separator = ",\n" + " " * (last.column - 1)
    return Edit(target.args_end, "".join(separator + text for text in written))


def set_options(target: Target, pairs: Iterable[tuple[str, str]]) -> list[Edit]:
    """Give each option a value: replaced where this call writes it, added otherwise.

    An option inherited from elsewhere (a ``retry_with`` call's decorator) is added to this call,
    which overrides it, unless the decorator is to be fixed the same way (``in_place``, with
    ``base``); an option this call writes (even as ``None``) is never written twice.
    """
    edits: list[Edit] = []
    added: list[tuple[str, str]] = []
    added_to_base: list[tuple[str, str]] = []
    for name, value in pairs:
        located = target.own(name)
        if located is not None:
            edits.append(Edit(located.span, value))
        elif name in target.in_place and name not in target.options and target.base:
            added_to_base.append((name, value))
        else:
            added.append((name, value))
    for where, keywords in ((target, added), (target.base, added_to_base)):
        if keywords and where is not None:
            edit = add_keywords(where, keywords)
            if edit is None:
                return []
            edits.append(edit)
    return edits


def make_fix(safety: FixSafety, title: str, edits: Iterable[Edit | None]) -> Fix | None:
    """A fix of the edits that are there; None when there is nothing but an import to add."""
    kept = tuple(edit for edit in edits if edit is not None)
    return Fix(safety, title, kept) if any(not e.import_line for e in kept) else None


# -- expressions as written ----------------------------------------------------------------------


class Written:
    """An option's expression parsed from its code, with node positions in the file.

    The adapter records the value's code and span; the code may include parentheses the span
    leaves out, so positions are anchored on the expression node itself. Edits are made as
    (start, end, text) offsets into the code, then either mapped to file spans (the option is
    in the call being fixed) or applied to the code (to write the option anew elsewhere).
    """

    def __init__(self, located: Located) -> None:
        self.located = located
        self.code = located.code
        module = cst.parse_module("(" + self.code + ")\n")
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._positions = wrapper.resolve(PositionProvider)
        self._starts = line_starts(module.code)
        statement = module.body[0]
        assert isinstance(statement, cst.SimpleStatementLine)
        expression = statement.body[0]
        assert isinstance(expression, cst.Expr)
        self.expression = expression.value
        self._anchor = self.range(self.expression)[0]

    @classmethod
    def parse(cls, located: Located) -> Written | None:
        try:
            return cls(located)
        except (cst.ParserSyntaxError, AssertionError, IndexError):
            return None

    def range(self, node: cst.CSTNode) -> tuple[int, int]:
        """``node``'s offsets in the code (parentheses of its own excluded)."""
        code_range: CodeRange = self._positions[node]
        # Offsets in the parsed text, less the "(" put before the code; columns are 0-based.
        start = self._starts[code_range.start.line - 1] + code_range.start.column - 1
        end = self._starts[code_range.end.line - 1] + code_range.end.column - 1
        return start, end

    def span(self, start: int, end: int) -> Span:
        """The file span of code offsets ``start``..``end`` (at or after the expression)."""
        return Span(*self._position(start), *self._position(end))

    def _position(self, offset: int) -> tuple[int, int]:
        origin = self.located.span
        between = self.code[self._anchor : offset]
        breaks = list(LINE_BREAK.finditer(between))
        if not breaks:
            return origin.line, origin.column + len(between)
        return origin.line + len(breaks), len(between) - breaks[-1].end() + 1

    def edited(self, edits: Iterable[tuple[int, int, str]]) -> str:
        """The code with ``edits`` applied."""
        code = self.code
        for start, end, text in sorted(edits, reverse=True):
            code = code[:start] + text + code[end:]
        return code


def rewrite_option(
    target: Target, name: str, written: Written, edits: list[tuple[int, int, str]]
) -> list[Edit]:
    """Apply edits inside option ``name``'s expression: in place, or as an overriding keyword."""
    if target.own(name) is not None:
        return [Edit(written.span(start, end), text) for start, end, text in edits]
    edit = add_keywords(target, [(name, written.edited(edits))])
    return [edit] if edit is not None else []


def dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def qualified(node: cst.BaseExpression, facts: FileFacts) -> str | None:
    """What a dotted name refers to through the file's imports (``t.wait_fixed`` ->
    ``tenacity.wait_fixed``)."""
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    target = dict(facts.imports).get(head)
    if target is None:
        return None
    return f"{target}.{rest}" if rest else target


def calls_of(node: cst.BaseExpression) -> Iterator[cst.Call]:
    """``node`` and the calls combined into it with ``+`` (tenacity waits add up)."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        yield from calls_of(node.left)
        yield from calls_of(node.right)
    elif isinstance(node, cst.Call):
        yield node


def add_argument(written: Written, call: cst.Call, text: str) -> tuple[int, int, str]:
    """An edit adding argument ``text`` at the end of ``call``'s arguments (on a line of its own
    when the arguments are written one per line)."""
    if not call.args:
        func_end = written.range(call.func)[1]
        paren = written.code.index("(", func_end) + 1
        return paren, paren, text
    last_start, end = written.range(call.args[-1])
    before = written.range(call.args[-2])[1] if len(call.args) > 1 else written.range(call.func)[1]
    last = written.span(last_start, last_start)
    if last.line > written.span(before, before).line:
        return end, end, ",\n" + " " * (last.column - 1) + text
    return end, end, ", " + text


# -- names in the module's style -------------------------------------------------------------

Style = Literal["from"] | str  # "from", or the module alias to qualify with ("t", "tenacity")


@dataclass(frozen=True)
class Names:
    """How a file refers to a library: ``from lib import x`` names and module aliases."""

    library: str
    facts: FileFacts

    @property
    def aliases(self) -> list[str]:
        return [local for local, target in self.facts.imports if target == self.library]

    def imported(self, name: str) -> str | None:
        """The local name of ``lib.name`` when the file imports it by name."""
        for local, target in self.facts.imports:
            if library_name(target, self.library) == name:
                return local
        return None

    def style_of(self, node: cst.BaseExpression) -> Style | None:
        """The style of a name as written: ``t.x`` -> "t", ``x`` (imported from lib) -> "from"."""
        name = dotted(node)
        if name is None:
            return None
        head = name.partition(".")[0]
        target = dict(self.facts.imports).get(head)
        if target == self.library and "." in name:
            return head
        if target is not None and target.startswith(self.library + "."):
            return "from"
        return None

    def style_in(self, codes: Iterable[Located]) -> Style | None:
        """The style of the first library name in some options' code."""
        for located in sorted(codes, key=lambda lo: (lo.span.line, lo.span.column)):
            written = Written.parse(located)
            if written is None:
                continue
            for node in _names(written.expression):
                style = self.style_of(node)
                if style is not None:
                    return style
        return None

    def style_of_call(self, target: Target, entries: Iterable[str]) -> Style | None:
        """The style of the decorator or constructor itself, from how long its name is.

        Only its span is recorded: the name's length is told by where ``(`` or the first
        argument starts, and matched against the ways this file can write ``entries``.
        """
        if target.call is None:
            return None
        call = target.call
        if not target.called:
            if call.end_line != call.line:
                return None
            length = call.end_column - call.column
        elif not target.has_args and target.args_end is not None:
            if target.args_end.line != call.line:
                return None
            length = target.args_end.column - 1 - call.column
        elif target.arguments and target.arguments[0].line == call.line:
            length = target.arguments[0].column - 1 - call.column
        else:
            return None
        names = set(entries)
        styles: set[Style] = set()
        for local, imported in self.facts.imports:
            if library_name(imported, self.library) in names and len(local) == length:
                styles.add("from")
        for alias in self.aliases:
            if any(len(alias) + 1 + len(name) == length for name in names):
                styles.add(alias)
        return styles.pop() if len(styles) == 1 else None

    def reference(self, name: str, *styles: Style | None) -> tuple[str, Edit | None] | None:
        """How to write ``lib.name`` here, and the import line it needs (if any).

        ``styles`` are hints, best first; an existing import of the name wins, and the file's
        imports decide when no hint does (a module alias needs no new import line).
        """
        local = self.imported(name)
        style = next((s for s in styles if s is not None), None)
        if local is not None and (style is None or style == "from"):
            return local, None
        if style is None:
            aliases = self.aliases
            style = aliases[0] if aliases else "from"
        if style != "from":
            return f"{style}.{name}", None
        if local is not None:
            return local, None
        if name in self.facts.module_names or name in dict(self.facts.imports):
            aliases = self.aliases
            return (f"{aliases[0]}.{name}", None) if aliases else None  # the name is taken
        line = self.facts.import_insert_line
        return name, Edit(_point(line, 1), f"from {self.library} import {name}\n", True)


def _names(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """Dotted names in an expression, outermost first (``t.wait_fixed`` before ``t``)."""
    if isinstance(node, cst.Attribute | cst.Name) and dotted(node) is not None:
        yield node
        return
    for child in node.children:
        yield from _names(child)


# =============================================================================================
# tenacity
# =============================================================================================

LIBRARY = "tenacity"
ENTRIES = ("retry", "Retrying", "AsyncRetrying", "TornadoRetrying")
_EXPONENTIAL_WAITS = frozenset(
    {"wait_exponential", "wait_random_exponential", "wait_full_jitter", "wait_exponential_jitter"}
)
_STOPS = frozenset(
    {"stop_after_attempt", "stop_after_delay", "stop_before_delay", "stop_any", "stop_all"}
)


def _target(judged: JudgedPolicy, project: Project) -> Target | None:
    """The call to edit; for ``fn.retry_with(...)``, an option inherited from ``fn``'s decorator
    (or left to the default by both) is fixed in the decorator when the decorator's own policy has
    the same problem: its own finding makes the same edit, so the file gets it once. Otherwise
    the ``retry_with`` call overrides it."""
    found = target(judged, project)
    job = judged.job
    if found is None or job.detail("retry_with_of") is None:
        return found
    base = next(
        (
            other
            for other in project.jobs
            if other.path == job.path
            and other.framework == LIBRARY
            and other.function == job.function
            and isinstance(other.detail("decorator"), CallShape)
        ),
        None,
    )
    if base is None or base.policy.retries.value is not True:
        return found
    fields = {"wait": ("delay",), "stop": ("max_attempts", "deadline")}
    shared = frozenset(
        name
        for name, names in fields.items()
        if all(
            getattr(base.policy, field).value == getattr(judged.policy, field).value
            for field in names
        )
    )
    options = {name: located for name, located in base.detail("options", ())}
    decorator = call_target(found.path, found.facts, base.detail("decorator"), options)
    return replace(found, in_place=shared, base=decorator)


def _setting_style(target: Target, names: Names) -> tuple[Style | None, ...]:
    """Hints for a name in a new option: the decorator's own style (for ``retry_with``, the
    decorated function's), then the other options'."""
    call = target.base or target
    return (names.style_of_call(call, ENTRIES), names.style_in(call.options.values()))


def _is_stop_object(value: Value) -> bool:
    """Whether ``value`` is a tenacity stop object, so ``value | other`` works (only stop_base
    defines ``|``; a plain function as ``stop=`` does not)."""
    if isinstance(value, Ref):
        return library_name(value.name, LIBRARY) == "stop_never"
    if isinstance(value, CallValue):
        return library_name(value.func, LIBRARY) in _STOPS
    return isinstance(value, OpValue) and value.op in ("|", "&")


def bound_attempts(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = _target(judged, project)
    if found is None:
        return None
    attempts = project.config.default_max_attempts
    names = Names(LIBRARY, found.facts)
    stop = found.options.get("stop")
    written = Written.parse(stop) if stop is not None else None
    if stop is not None and (written is None or not _is_stop_object(stop.value)):
        return None
    hints = names.style_in([stop]) if stop is not None else None
    ref = names.reference("stop_after_attempt", hints, *_setting_style(found, names))
    if ref is None:
        return None
    text, import_edit = ref
    bound = f"{text}({attempts})"
    if stop is None or written is None:
        edits = set_options(found, [("stop", bound)])
    else:
        start, end = written.range(written.expression)
        # stop_never is replaced; another never-stopping stop gets a bound beside it
        never = isinstance(stop.value, Ref)
        change = (start, end, bound) if never else (end, end, f" | {bound}")
        edits = rewrite_option(found, "stop", written, [change])
    return make_fix(
        "unsafe",
        f"stop after {attempts} attempts: stop_after_attempt({attempts})",
        [*edits, import_edit],
    )


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = _target(judged, project)
    if found is None:
        return None
    names = Names(LIBRARY, found.facts)
    cap = number(project.config.max_backoff)
    wait = found.options.get("wait")
    hints: tuple[Style | None, ...] = _setting_style(found, names)
    if wait is not None:
        if not _steady_wait(wait.value):
            return None
        written = Written.parse(wait)
        if written is None:
            return None
        expression = written.expression
        func = expression.func if isinstance(expression, cst.Call) else None
        hints = ((names.style_of(func) if func is not None else None), *hints)
    ref = names.reference("wait_random_exponential", *hints)
    if ref is None:
        return None
    text, import_edit = ref
    edits = set_options(found, [("wait", f"{text}(multiplier=1, max={cap})")])
    return make_fix(
        "safe",
        f"wait with exponential backoff and jitter, capped at {cap} s",
        [*edits, import_edit],
    )


def _steady_wait(value: Value) -> bool:
    """A wait the fix may replace: none at all, or a fixed one (not a chosen schedule)."""
    if value is None or (is_number(value) and value == 0):
        return True
    if isinstance(value, CallValue):
        return library_name(value.func, LIBRARY) in ("wait_none", "wait_fixed")
    return False


def add_jitter(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = _target(judged, project)
    wait = found.options.get("wait") if found is not None else None
    if found is None or wait is None:
        return None
    if not (
        isinstance(wait.value, CallValue)
        and library_name(wait.value.func, LIBRARY) == "wait_exponential"
    ):
        return None
    written = Written.parse(wait)
    if written is None or not isinstance(written.expression, cst.Call):
        return None
    func = written.expression.func
    names = Names(LIBRARY, found.facts)
    import_edit: Edit | None = None
    if isinstance(func, cst.Attribute):
        start, end = written.range(func.attr)
        change = (start, end, "wait_random_exponential")
    else:
        ref = names.reference("wait_random_exponential", "from")
        if ref is None:
            return None
        text, import_edit = ref
        start, end = written.range(func)
        change = (start, end, text)
    edits = rewrite_option(found, "wait", written, [change])
    return make_fix(
        "safe",
        "wait_exponential -> wait_random_exponential (full jitter, same arguments)",
        [*edits, import_edit],
    )


def cap_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = _target(judged, project)
    wait = found.options.get("wait") if found is not None else None
    if found is None or wait is None:
        return None
    written = Written.parse(wait)
    if written is None:
        return None
    cap = number(project.config.max_backoff)
    changes = [
        add_argument(written, call, f"max={cap}")
        for call in _uncapped(written.expression, found.facts)
    ]
    if not changes:
        return None
    edits = rewrite_option(found, "wait", written, changes)
    return make_fix("safe", f"cap the exponential wait at max={cap} s", edits)


def _uncapped(node: cst.BaseExpression, facts: FileFacts) -> Iterator[cst.Call]:
    """The exponential waits in a wait expression that have no ``max``."""
    for call in calls_of(node):
        name = library_name(qualified(call.func, facts), LIBRARY)
        if name == "wait_combine":
            for arg in call.args:
                if arg.keyword is None and not arg.star:
                    yield from _uncapped(arg.value, facts)
            continue
        if name not in _EXPONENTIAL_WAITS or any(a.star for a in call.args):
            continue
        positional = [a for a in call.args if a.keyword is None]
        keywords = {a.keyword.value for a in call.args if a.keyword is not None}
        if len(positional) < 2 and "max" not in keywords:
            yield call


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = _target(judged, project)
    stop = found.options.get("stop") if found is not None else None
    if found is None or stop is None or not _is_stop_object(stop.value):
        return None
    written = Written.parse(stop)
    if written is None:
        return None
    window = number(project.config.max_retry_window)
    title = f"stop retrying after {window} s: stop_after_delay({window})"
    limit = project.config.max_retry_window
    longer = list(_time_limits(written.expression, found.facts, limit))
    if longer:  # `... | stop_after_delay(86400)`: shorten the limit that is there
        return make_fix(
            "unsafe",
            title,
            rewrite_option(
                found, "stop", written, [(*written.range(node), window) for node in longer]
            ),
        )
    names = Names(LIBRARY, found.facts)
    ref = names.reference("stop_after_delay", names.style_in([stop]), *_setting_style(found, names))
    if ref is None:
        return None
    text, import_edit = ref
    end = written.range(written.expression)[1]
    edits = rewrite_option(found, "stop", written, [(end, end, f" | {text}({window})")])
    return make_fix("unsafe", title, [*edits, import_edit])


def _time_limits(
    node: cst.BaseExpression, facts: FileFacts, window: float
) -> Iterator[cst.BaseExpression]:
    """The literal limits longer than ``window`` of the time stops in a ``|`` chain (either
    stop ends the retries, so shortening one is enough)."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        yield from _time_limits(node.left, facts, window)
        yield from _time_limits(node.right, facts, window)
    elif isinstance(node, cst.Call) and len(node.args) == 1:
        name = library_name(qualified(node.func, facts), LIBRARY)
        argument = node.args[0]
        keyword = argument.keyword.value if argument.keyword is not None else None
        value = argument.value
        if (
            name in ("stop_after_delay", "stop_before_delay")
            and not argument.star
            and keyword in (None, "max_delay")
            and isinstance(value, cst.Integer | cst.Float)
            and float(value.evaluated_value) > window
        ):
            yield value
