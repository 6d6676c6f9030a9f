"""Static values: what an expression is known to be without running it.

Adapters turn option expressions (``max_retries=None``, ``autoretry_for=(IOError,)``,
``stop=stop_after_attempt(3) | stop_after_delay(60)``, ``retry=Retry(max=3, interval=[10, 30])``)
into these plain, picklable values in the per-file phase; the framework logic that computes an
effective policy then works on data, not on CST nodes. Anything computed at run time is
``UNKNOWN``: never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from retrylint.model import UNKNOWN, Marker, Span

# The analysed file's own module in a qualified name, before the project names it: ``$.notify``.
SELF_MODULE = "$"
# libcst operator class names shown as Python writes them in an unevaluated OpValue.
OPERATOR_SYMBOLS = {"BitOr": "|", "BitAnd": "&", "Add": "+", "Multiply": "*", "Power": "**"}
# How deep an expression is evaluated (nested calls, operators, names followed to constants):
# the libcst reader and the prefilter's ast reader stop at the same depth, so both give a
# file the same values.
MAX_EVAL_DEPTH = 12
# Settings read from the environment with a default in the code: the default is what runs unless
# an operator sets the variable, and the message quotes the call, so a reader sees where the
# number comes from. (name, position of the default, keyword of the default)
_ENVIRONMENT_LOOKUPS = {
    "os.getenv": (1, "default"),
    "os.environ.get": (1, "default"),
    "decouple.config": (1, "default"),
}
_CONVERSIONS = {"int": int, "float": float}


@dataclass(frozen=True)
class Ref:
    """A name, qualified through the file's imports: ``requests.Timeout``, ``$.MAX_RETRIES``.

    ``$`` stands for the file's own module (unknown in the per-file phase); a leading ``.`` marks a
    relative import, resolved by the project index.
    """

    name: str

    @property
    def last(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class CallValue:
    """A call with statically evaluated arguments: ``Retry(max=3)``, ``stop_after_attempt(5)``."""

    func: str | None
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str, Value], ...] = ()

    def kwarg(self, name: str, fallback: Value = None) -> Value:
        for key, value in self.kwargs:
            if key == name:
                return value
        return fallback

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.kwargs)

    def arg(self, index: int, name: str | None = None, fallback: Value = None) -> Value:
        """Positional argument ``index``, or keyword ``name``: how Python binds it."""
        if name is not None and self.has(name):
            return self.kwarg(name)
        return self.args[index] if index < len(self.args) else fallback

    @property
    def last(self) -> str:
        return (self.func or "").rsplit(".", 1)[-1]


@dataclass(frozen=True)
class OpValue:
    """A binary operation left unevaluated because an operand is not a number (``a | b``)."""

    op: str
    left: Value
    right: Value


@dataclass(frozen=True)
class LambdaValue:
    """``lambda ...: <body>``: the body's static value, for predicates like ``retry_when``."""

    body: Value


@dataclass(frozen=True)
class DictValue:
    items: tuple[tuple[Value, Value], ...]

    def get(self, key: object, fallback: Value = None) -> Value:
        for item_key, value in self.items:
            if item_key == key:
                return value
        return fallback


Value: TypeAlias = (
    int
    | float
    | str
    | bool
    | tuple["Value", ...]
    | Ref
    | CallValue
    | OpValue
    | LambdaValue
    | DictValue
    | Marker
    | None
)


@dataclass(frozen=True)
class Located:
    """A value with the node it came from: the span for messages and fixes, the code as written."""

    value: Value
    span: Span
    code: str


def is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_seconds(value: Value, scale: float = 1.0) -> float | Marker:
    """A number of seconds from a literal (``scale`` converts ms), or UNKNOWN."""
    if is_number(value):
        return float(value) * scale  # type: ignore[arg-type]
    if isinstance(value, CallValue) and value.last == "timedelta":
        units = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
        total = 0.0
        for key, amount in value.kwargs:
            if key not in units or not is_number(amount):
                return UNKNOWN
            total += float(amount) * units[key]  # type: ignore[arg-type]
        if value.args:
            if not is_number(value.args[0]) or len(value.args) > 1:
                return UNKNOWN
            total += float(value.args[0]) * 86400  # type: ignore[arg-type]
        return total
    return UNKNOWN


def exception_names(value: Value) -> tuple[str, ...] | Marker:
    """Exception classes named by ``Exc`` or ``(A, B)``: qualified names, or UNKNOWN."""
    if isinstance(value, Ref):
        return (value.name,)
    if isinstance(value, tuple):
        names: list[str] = []
        for item in value:
            if not isinstance(item, Ref):
                return UNKNOWN
            names.append(item.name)
        return tuple(names)
    return UNKNOWN


def arithmetic(op: str, left: float, right: float) -> Value:
    try:
        match op:
            case "Add":
                return left + right
            case "Subtract":
                return left - right
            case "Multiply":
                return left * right
            case "Divide":
                return left / right
            case "FloorDivide":
                return left // right
            case "Modulo":
                return left % right
            case "Power" if abs(right) <= 64:
                return left**right
    except (ZeroDivisionError, OverflowError):
        return UNKNOWN
    return UNKNOWN


def qualified(
    imports: dict[str, str], module_names: set[str], head: str, attributes: list[str]
) -> str:
    """``head.a.b`` (``attributes`` innermost first: b, a) qualified through a file's imports
    and module-level names; shared by both readers of a file (libcst's and ``ast``'s)."""
    if head in imports:
        base = imports[head]
    elif head in module_names:
        base = f"{SELF_MODULE}.{head}"
    else:
        base = head
    return ".".join([base, *reversed(attributes)])


def negative(value: Value) -> Value:
    """``-value`` for a number; UNKNOWN for anything else."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return -value if is_number else UNKNOWN  # type: ignore[operator]


def combined(operator: str, left: Value, right: Value) -> Value:
    """``left <operator> right`` (libcst's operator class name): a number when both are numbers,
    else an unevaluated ``OpValue`` the project index may finish."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
        return arithmetic(operator, left, right)  # type: ignore[arg-type]
    return OpValue(OPERATOR_SYMBOLS.get(operator, operator), left, right)


def known_result(call: CallValue) -> Value:
    """What a call gives when its result is plain: an environment lookup's default in the code,
    ``int("5")`` / ``float(2)``. Any other call stays a ``CallValue``."""
    lookup = _ENVIRONMENT_LOOKUPS.get(call.func or "")
    if lookup is not None and (call.has(lookup[1]) or len(call.args) > lookup[0]):
        default = call.arg(*lookup)
        return default if default is not None else UNKNOWN
    convert = _CONVERSIONS.get(call.func or "")
    if convert is not None and len(call.args) == 1 and not call.kwargs:
        value = call.args[0]
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            try:
                return convert(value)
            except ValueError:
                return UNKNOWN
    return call
