"""Fixes for Dramatiq retry policies: actor options, ``GenericActor`` Meta, broker ``Retries``.

Every duration option is in **milliseconds** (``frameworks.md`` 3.1). A fix edits the node its
finding points at, which the adapter decides: the actor's decorator (a value set there, or a
framework default reported at the actor's name), a ``GenericActor``'s ``Meta`` attribute, a
``send_with_options(...)`` keyword, or a keyword of the broker's ``Retries(...)`` middleware.

- ``bound_attempts`` (RL101, unsafe): ``max_retries=None`` becomes ``max_retries=<N>`` with N =
  ``default-max-attempts`` - 1 (Dramatiq counts retries), wherever it is written. A
  ``retry_when`` that can always answer yes gets no fix: it is a predicate, and only its author
  can say which failures deserve another try and how many (``retries < 4 and ...``).
- ``cap_window`` (RL102, unsafe): ``max_backoff=<max-backoff in ms>`` (when the cap is higher)
  and ``max_retries=<n>``, n the largest retry count whose worst case fits
  ``max-retry-window``. Worst case: Dramatiq 2.x draws each delay from ``[d, 2d]`` (``d =
  min_backoff * 2**k``) until that passes ``max_backoff``, then from ``[max_backoff/2,
  max_backoff]``; 1.x stays within ``[d/2, d]``. So the window is ``policy_math.retry_window``
  with ``min_backoff`` doubled, which bounds both versions (the rule's own figure is 1.x's).
  ``max_backoff`` is never set below ``min_backoff`` (that would quietly override the delay
  the author chose). Added to the decorator (a bare ``@dramatiq.actor`` becomes a call), or to
  the broker's ``Retries(...)`` when the finding points there (only when the actor sets none of
  the retry options itself: an edit there would miss it). A ``Meta`` class only gets its
  existing literal attributes rewritten: where an attribute would have to be added, the fix
  lowers ``max_retries`` under the current cap, or there is none. No fix when ``retry_when``
  sets the bound (it overrides ``max_retries``), at a ``send_with_options`` site, when a value
  to change is a name or an expression, or when not even one retry fits.
- ``add_backoff`` (RL201, unsafe): the one way Dramatiq retries without backoff is
  ``min_backoff=0`` on an actor (or a message: the middleware's own 0 falls back to its
  default); it becomes ``min_backoff=15000``, Dramatiq's default. Unsafe: retries that ran at
  once now spread over the actor's whole backoff schedule (days, with the default 20 retries,
  which RL102 then reports).
- ``add_jitter`` (RL202) and ``cap_backoff`` (RL203) are not defined: Dramatiq always jitters
  and always caps its backoff (at most 7 days).

The call-editing helpers at the end (``KeywordCall``, ``set_keywords``, ``ParsedCode``) are
shared with the arq and taskiq fixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.facts import CallShape
from retrylint.findings import Edit, Fix
from retrylint.frameworks.defaults import DRAMATIQ_MIN_BACKOFF
from retrylint.model import Delay, RetryPolicy, Sourced, Span
from retrylint.policy_math import format_duration, retry_window
from retrylint.source import LINE_BREAK, line_starts
from retrylint.values import Located, Value, is_number

MS = 1000
# Options of the actor that, when it sets them, make a broker-wide edit miss this actor.
RETRY_OPTIONS = ("max_retries", "min_backoff", "max_backoff", "retry_when")
UNBOUNDED_ORIGINS = ("max_retries=None", "Retries(max_retries=None)")


def bound_attempts(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL101: ``max_retries=None`` -> ``max_retries=<default-max-attempts - 1>`` where it is."""
    field = judged.policy.max_attempts
    if field.origin not in UNBOUNDED_ORIGINS or field.span is None:
        return None  # retry_when (a predicate), or a None that is not written as such
    retries = max(project.config.default_max_attempts - 1, 0)
    title = f"bound the retries: max_retries={retries} ({retries + 1} attempts in all)"
    return Fix("unsafe", title, (Edit(field.span, str(retries)),))


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL201: ``min_backoff=0`` -> ``min_backoff=15000`` (Dramatiq's default, milliseconds)."""
    field = judged.policy.delay
    if field.value.strategy != "none" or field.span is None:
        return None
    key, _, code = field.origin.split(", ", 1)[0].partition("=")
    if key != "min_backoff" or not _is_zero(code):
        return None
    default_ms = number(DRAMATIQ_MIN_BACKOFF * MS)
    title = (
        f"back off: min_backoff={default_ms} (ms, Dramatiq's default): exponential delays "
        "with jitter instead of immediate retries"
    )
    return Fix("unsafe", title, (Edit(field.span, default_ms),))


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    """RL102: a lower ``max_backoff`` and fewer ``max_retries``, so the worst case fits."""
    policy = judged.policy
    attempts = policy.max_attempts.value
    delay = policy.delay.value
    if judged.site is not None or not isinstance(attempts, int) or attempts < 2:
        return None
    if delay.strategy != "exponential" or not delay.base or delay.cap is None:
        return None
    if "retry_when" in policy.max_attempts.origin:
        return None  # retry_when replaces max_retries: a max_retries would change nothing
    field = policy.max_attempts if policy.max_attempts.source != "default" else policy.delay
    target = _target(judged, project, field)
    if target is None:
        return None
    retries = attempts - 1
    cap = delay.cap
    if target.can_set("max_backoff") and project.config.max_backoff >= delay.base:
        # A max_backoff under min_backoff would quietly override the actor's chosen delay.
        cap = min(cap, float(project.config.max_backoff))
    found = fitting_retries(policy, retries, cap, project.config.max_retry_window)
    if found is None:
        return None  # even one retry can wait longer than max-retry-window
    fewer, window = found
    pairs: list[tuple[str, str]] = []
    if fewer < retries:
        pairs.append(("max_retries", str(fewer)))
    if cap < delay.cap:
        pairs.append(("max_backoff", number(cap * MS)))
    edits = set_keywords(target, pairs) if pairs else None
    if not edits:
        return None
    written = ", ".join(
        f"{name}={value}" + (f" ({format_duration(cap)})" if name == "max_backoff" else "")
        for name, value in pairs
    )
    title = (
        f"give up sooner: {written}: at most {format_duration(window)} of waiting "
        f"over {fewer} retries"
    )
    if field.source == "app-config":
        title += " (broker-wide: every actor of the broker that does not set its own)"
    return Fix("unsafe", title, tuple(edits))


def fitting_retries(
    policy: RetryPolicy, retries: int, cap: float, limit: float
) -> tuple[int, float] | None:
    """The largest retry count up to ``retries`` whose worst-case window fits ``limit``, with
    that window; None when not even one retry fits."""

    def window(count: int) -> float | None:
        delay = policy.delay.value
        assert delay.base is not None
        worst = Delay("exponential", delay.base * 2, cap, True)
        trial = replace(
            policy,
            max_attempts=replace(policy.max_attempts, value=count + 1),
            delay=replace(policy.delay, value=worst),
        )
        value = retry_window(trial)
        return float(value) if isinstance(value, float | int) else None

    low, high = 0, retries  # window(low) fits (no retry waits nothing); find the last that fits
    best: tuple[int, float] | None = None
    while low < high:
        middle = (low + high + 1) // 2
        found = window(middle)
        if found is None:
            return None
        if found <= limit:
            low, best = middle, (middle, found)
        else:
            high = middle - 1
    return best


# -- where to edit --------------------------------------------------------------------------------


def _target(judged: JudgedPolicy, project: Project, field: Sourced[Any]) -> KeywordCall | None:
    """The options the RL102 finding about ``field`` points at, as an editable call."""
    job = judged.job
    path, span = judged.location(field)
    if field.source == "app-config":
        if field.span is None or path != field.path:
            return None
        actor_options = dict(job.detail("options", ()))
        if any(name in actor_options for name in RETRY_OPTIONS):
            return None  # the actor overrides part of the broker's policy: an edit there misses
        return _retries_middleware(project, path, field.span)
    options = dict(job.detail("options", ()))
    decorator = job.detail("decorator")
    if isinstance(decorator, CallShape):
        if path != job.path or not (span == job.span or contains(decorator.span, span)):
            return None
        return decorator_call(decorator, options)
    if job.detail("actor_class") and field.source == "explicit":
        # Meta attributes: rewritten in place; nowhere known to add one.
        return KeywordCall(keywords=options)
    return None


def _retries_middleware(project: Project, path: str, anchor: Span) -> KeywordCall | None:
    """The broker's ``Retries(...)`` call whose keyword value is at ``anchor``.

    Only its keyword values are recorded (they are keyword-only), so new keywords go after the
    last one; with several, the layout (one per line or not) is read from their positions.
    """
    module = project.index.by_path.get(path)
    if module is None:
        return None
    configs = [
        config
        for config in module.facts.configs
        if config.framework == "dramatiq" and config.key.startswith("Retries.")
    ]
    scope = next((c.scope for c in configs if c.value.span == anchor), None)
    if scope is None:
        return None
    keywords: dict[str, Located] = {}
    for config in configs:
        if config.scope != scope:
            continue
        name = config.key.split(".", 1)[1]
        if name in keywords:
            return None  # two Retries(...) for one broker: which one counts is a guess
        keywords[name] = config.value
    values = sorted((located.span, name) for name, located in keywords.items())
    last = values[-1][0]
    starts = tuple(point(span.line, max(span.column - len(name) - 1, 1)) for span, name in values)
    return KeywordCall(
        keywords=keywords,
        args_end=point(last.end_line, last.end_column),
        has_args=True,
        arg_starts=starts,
        line=values[0][0].line,
    )


# =============================================================================================
# Call editing, shared with the arq and taskiq fixes
# =============================================================================================

_LITERAL = re.compile(r"^[0-9_.eE+\-*/ ()]+$")


def number(value: float) -> str:
    """``3600000`` for 3600000.0, ``0.5`` for 0.5: numbers as a person writes them."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def is_literal(located: Located) -> bool:
    """A number written with digits only (``300_000``, ``7 * 86_400_000``), or ``True``/
    ``False``/``None``: rewriting it changes this option and nothing else. A name may be
    shared with other code, so it is never rewritten."""
    code = located.code.strip()
    if code in ("True", "False", "None"):
        return True
    return is_number(located.value) and _LITERAL.match(code) is not None


def _is_zero(code: str) -> bool:
    code = code.strip().replace("_", "")
    return _LITERAL.match(code) is not None and re.fullmatch(r"0+(\.0*)?", code) is not None


def point(line: int, column: int) -> Span:
    return Span(line, column, line, column)


def contains(outer: Span, inner: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


@dataclass(frozen=True)
class KeywordCall:
    """A call (or a class body) whose keyword options a fix sets.

    ``keywords`` are the values written there; ``args_end`` is where a new keyword goes (None:
    nowhere known, so options can only be rewritten); ``bare_end`` is the end of a bare
    decorator, which a new keyword turns into a call; ``arg_starts`` (each argument's start, in
    order) and ``line`` (where the call starts) tell whether arguments are one per line.
    """

    keywords: dict[str, Located]
    args_end: Span | None = None
    has_args: bool = False
    arg_starts: tuple[Span, ...] = ()
    line: int = 0
    bare_end: Span | None = None

    def can_set(self, name: str) -> bool:
        located = self.keywords.get(name)
        if located is not None:
            return is_literal(located)
        return self.args_end is not None or self.bare_end is not None


def decorator_call(shape: CallShape, options: dict[str, Located]) -> KeywordCall | None:
    """A decorator's keywords as a ``KeywordCall``.

    A keyword is only added after the last argument when that argument is a keyword the adapter
    saw, so no ``**options`` (which might hold the same name) can follow or be alone.
    """
    if not shape.called:
        end = shape.span
        return KeywordCall(keywords={}, bare_end=point(end.end_line, end.end_column))
    args_end = shape.args_end
    starts = tuple(point(span.line, span.column) for _, span in shape.keyword_spans)
    if shape.has_args and args_end is not None:
        last = max((span for _, span in shape.keyword_spans), default=None)
        if last is None or point(last.end_line, last.end_column) != args_end:
            args_end = None  # a positional or ** argument we cannot see into comes last
    return KeywordCall(
        keywords=options,
        args_end=args_end,
        has_args=shape.has_args,
        arg_starts=starts,
        line=shape.span.line,
    )


def set_keywords(call: KeywordCall, pairs: Iterable[tuple[str, str]]) -> list[Edit] | None:
    """Give each option a value: rewritten where the call writes it (a literal only), added after
    the last argument otherwise. None when some option can be neither."""
    edits: list[Edit] = []
    added: list[str] = []
    for name, value in pairs:
        located = call.keywords.get(name)
        if located is not None:
            if not is_literal(located):
                return None
            if located.code.strip() != value:
                edits.append(Edit(located.span, value))
        else:
            added.append(f"{name}={value}")
    if not added:
        return edits
    if call.bare_end is not None:
        return [*edits, Edit(call.bare_end, "(" + ", ".join(added) + ")")]
    if call.args_end is None:
        return None
    if not call.has_args:
        return [*edits, Edit(call.args_end, ", ".join(added))]
    separator = ", "
    if call.arg_starts:
        last = call.arg_starts[-1]
        previous = call.arg_starts[-2].line if len(call.arg_starts) > 1 else call.line
        if last.line > previous:
            separator = ",\n" + " " * (last.column - 1)
    return [*edits, Edit(call.args_end, "".join(separator + text for text in added))]


class ParsedCode:
    """Recorded code (a value's, a statement's) parsed again, with file positions for its nodes.

    ``origin`` is the file span of the node the code is: positions are anchored on that node
    (a value's recorded code may include parentheses of its own, which its span leaves out).
    libcst writes a node's continuation lines without the indentation of the block around it,
    so that indentation is measured on the node's end and added back on every line after the
    first (positions and text alike).
    """

    def __init__(self, code: str, origin: Span, *, statement: bool = False) -> None:
        self.origin = origin
        self.module = cst.parse_module(code + "\n" if statement else "(" + code + ")\n")
        self.full = self.module.code
        self._starts = line_starts(self.full)
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self._positions = wrapper.resolve(PositionProvider)
        root = self._root(statement)
        if root is None:
            raise ValueError("no statement or expression")
        self.root: cst.CSTNode = root
        self._anchor = self.range(root)[0]
        self._indent = 0
        end = self.position(self.range(root)[1])
        if end.line != origin.end_line:
            raise ValueError("the code does not match its span")
        if end.line != origin.line:
            self._indent = origin.end_column - end.column
            if self._indent < 0:
                raise ValueError("the code does not match its span")

    @classmethod
    def parse(cls, code: str, origin: Span, *, statement: bool = False) -> ParsedCode | None:
        try:
            return cls(code, origin, statement=statement)
        except (cst.ParserSyntaxError, ValueError):
            return None

    def _root(self, statement: bool) -> cst.CSTNode | None:
        line = self.module.body[0] if len(self.module.body) == 1 else None
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        small = line.body[0]
        if statement:
            return small
        return small.value if isinstance(small, cst.Expr) else None

    def range(self, node: cst.CSTNode) -> tuple[int, int]:
        """``node``'s offsets in the parsed text (parentheses of its own excluded)."""
        code_range = self._positions[node]
        start = self._starts[code_range.start.line - 1] + code_range.start.column
        end = self._starts[code_range.end.line - 1] + code_range.end.column
        return start, end

    def position(self, offset: int) -> Span:
        """The (empty) file span at an offset of the parsed text, at or after the root node."""
        between = self.full[self._anchor : offset]
        breaks = list(LINE_BREAK.finditer(between))
        if not breaks:
            return point(self.origin.line, self.origin.column + len(between))
        column = len(between) - breaks[-1].end() + 1 + self._indent
        return point(self.origin.line + len(breaks), column)

    def span(self, node: cst.CSTNode) -> Span:
        start, end = self.range(node)
        first, last = self.position(start), self.position(end)
        return Span(first.line, first.column, last.line, last.column)

    def text(self, node: cst.CSTNode) -> str:
        """``node``'s code as written, without parentheses of its own."""
        start, end = self.range(node)
        return LINE_BREAK.sub(lambda m: m.group() + " " * self._indent, self.full[start:end])


def parsed_call(located: Located) -> KeywordCall | None:
    """A call recorded as a value (``SmartRetryMiddleware(...)``), as a ``KeywordCall``.

    None when it is not a call or has positional or ``*``/``**`` arguments: the adapter reads
    keywords only, so such a call is not what it judged.
    """
    parsed = ParsedCode.parse(located.code, located.span)
    call = parsed.root if parsed is not None else None
    if parsed is None or not isinstance(call, cst.Call):
        return None
    if any(arg.keyword is None or arg.star for arg in call.args):
        return None
    keywords = {
        arg.keyword.value: Located(
            _literal_value(arg.value), parsed.span(arg.value), parsed.text(arg.value)
        )
        for arg in call.args
        if arg.keyword is not None
    }
    if call.args:
        last = parsed.span(call.args[-1].value)
        args_end = point(last.end_line, last.end_column)
    else:
        paren = parsed.full.index("(", parsed.range(call.func)[1])
        args_end = parsed.position(paren + 1)
    return KeywordCall(
        keywords=keywords,
        args_end=args_end,
        has_args=bool(call.args),
        arg_starts=tuple(parsed.position(parsed.range(arg)[0]) for arg in call.args),
        line=located.span.line,
    )


def _literal_value(node: cst.BaseExpression) -> Value:
    """A literal's value (a number, True, False, None); None for anything else."""
    if isinstance(node, cst.Integer | cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None
