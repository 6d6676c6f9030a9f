"""A retry-library call's arguments bound to their parameter names, with the span and the code of
each: what the policy is read from, and where its provenance points.

Shared by every retry-library adapter (tenacity, backoff, stamina, retrying), with the reading of
single values they all need: a library's own names, attempt counts, seconds, exception classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import CallShape
from retrylint.frameworks.common import call_shape
from retrylint.model import UNKNOWN, Marker, Sourced, Span, default, explicit
from retrylint.values import SELF_MODULE, CallValue, Located, Ref, Value, as_seconds

_ORIGIN_LIMIT = 120


@dataclass(frozen=True)
class Option:
    """One argument of a retry-library call, bound to its parameter name."""

    name: str
    value: Located
    span: Span  # the whole argument, keyword included: what a fix replaces
    origin: str  # "stop=stop_after_attempt(3)" as written, on one line


@dataclass(frozen=True)
class Options:
    """A retry-library call's arguments by parameter name, and where a fix adds new ones.

    ``starred`` is the span of a ``*args`` / ``**kwargs`` argument: an option not written out may
    come from it, so it is UNKNOWN rather than the library default.
    """

    shape: CallShape
    entries: tuple[Option, ...] = ()
    starred: Span | None = None

    def get(self, name: str) -> Option | None:
        return next((o for o in self.entries if o.name == name), None)

    def value(self, name: str, fallback: Value = None) -> Value:
        option = self.get(name)
        return option.value.value if option is not None else fallback

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def stated(self, name: str, value: Any) -> Sourced[Any]:
        """``value`` as set by option ``name`` (which must be present)."""
        option = self.get(name)
        assert option is not None
        return explicit(value, option.origin, option.span)

    def unstated(self, value: Any, origin: str, unknown: Any = UNKNOWN) -> Sourced[Any]:
        """The library default, or ``unknown`` when a ``**kwargs`` may have set the option."""
        if self.starred is not None:
            return explicit(unknown, "**kwargs (not analysed)", self.starred)
        return default(value, origin)

    def located(self) -> tuple[tuple[str, Located], ...]:
        return tuple((o.name, o.value) for o in self.entries)

    def overridden(self, other: Options) -> Options:
        """These options with ``other``'s on top (tenacity ``retry_with``): ``other``'s shape."""
        names = {o.name for o in other.entries}
        kept = tuple(o for o in self.entries if o.name not in names)
        return Options(other.shape, kept + other.entries, other.starred or self.starred)


def one_line(code: str) -> str:
    text = " ".join(code.split())
    return text if len(text) <= _ORIGIN_LIMIT else text[: _ORIGIN_LIMIT - 3] + "..."


def bind_options(
    ctx: FileContext,
    expression: cst.BaseExpression,
    positional: tuple[str, ...] = (),
) -> Options:
    """Bind a call's arguments to names, positional ones in ``positional`` order, as Python does.

    ``expression`` is the call, or a bare decorator name (no options then).
    """
    shape = call_shape(ctx, expression)
    if not isinstance(expression, cst.Call):
        return Options(shape)
    entries: list[Option] = []
    starred: Span | None = None
    index = 0
    for arg in expression.args:
        if arg.star:
            starred = starred or ctx.span(arg)
            continue
        if arg.keyword is not None:
            name = arg.keyword.value
            origin = f"{name}={one_line(ctx.code(arg.value))}"
        elif starred is not None:
            continue  # after *args the position of what follows is unknown
        else:
            name = positional[index] if index < len(positional) else f"#{index}"
            index += 1
            origin = one_line(ctx.code(arg.value))
        entries.append(Option(name, ctx.locate(arg.value), ctx.span(arg), origin))
    return Options(shape, tuple(entries), starred)


def library_name(qualified: str | None, package: str) -> str | None:
    """``stop_after_attempt`` for ``tenacity.stop.stop_after_attempt`` when package is tenacity."""
    if not qualified or not qualified.startswith(package + "."):
        return None
    return qualified.rsplit(".", 1)[-1]


def called(value: Value, package: str) -> tuple[str, CallValue] | None:
    """(name, call) when ``value`` is a call of something in ``package``."""
    if isinstance(value, CallValue):
        name = library_name(value.func, package)
        if name is not None:
            return name, value
    return None


def count(value: Value) -> int | Marker:
    """A literal attempt count, or UNKNOWN."""
    if isinstance(value, bool):
        return UNKNOWN
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return UNKNOWN


def seconds(value: Value, scale: float = 1.0) -> float | None:
    """Seconds from a literal number or ``timedelta``; None when not statically known."""
    result = as_seconds(value, scale)
    return None if isinstance(result, Marker) else result


def is_exception_like(ref: Ref, ctx: FileContext) -> bool:
    """Whether a name passed where a class *or* a predicate is accepted is a class.

    A function of this module (``$.should_retry``) is a predicate; names that read like
    exception classes (``IOError``, ``requests.Timeout``, ``ApiError``) are classes.
    """
    if ref.name.startswith(SELF_MODULE + "."):
        local = ref.name[len(SELF_MODULE) + 1 :]
        if ctx.function(local) is not None:
            return False
        return local in ctx.classes
    last = ref.last
    return last[:1].isupper() and not last.isupper()


def exception_refs(value: Value, ctx: FileContext) -> tuple[str, ...] | Marker:
    """Exception classes named by ``Exc`` / ``(A, B)``; UNKNOWN for predicates or run-time."""
    items = value if isinstance(value, tuple) else (value,)
    names: list[str] = []
    for item in items:
        if not isinstance(item, Ref) or not is_exception_like(item, ctx):
            return UNKNOWN
        names.append(item.name)
    return tuple(names)
