"""Numbers of an expression under an environment: what ``2 ** attempt``, ``delay * 2`` or
``min(delay, 60)`` is worth at one point of a replayed iteration.

This is the arithmetic of the loops adapter, apart from the replay that drives it: a name takes
its value from the environment (counters, delays), else from the function-local literals, else
from the file (``ctx.evaluate``); anything else is unknown (None). A random term (``random.*``,
``*jitter*``) is neutral in arithmetic, so a jittered delay grows like its deterministic part;
the evaluator's flags strip a ``min(<constant>, ...)`` cap to see the growth underneath, or read
a random call as its largest argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.loops.syntax import dotted_name, flag_of, refs
from retrylint.values import is_number

RANDOM_PREFIXES = ("random.", "secrets.", "numpy.random.")

Number = float | int
Constant = Number | tuple[Number, ...]  # a literal, or a literal list of numbers (a schedule)


class _Random:
    """A random term: neutral in + and * (``2 ** n + random.random()`` grows like ``2 ** n``)."""


RANDOM = _Random()
EvalResult = Number | bool | _Random | None


@dataclass
class Evaluator:
    ctx: FileContext
    env: dict[str, Number | None] = field(default_factory=dict)
    strip_min: bool = False  # min(<constant>, x) -> x, to see how x grows
    upper_random: bool = False  # a random call is its largest argument
    flag: str | None = None  # the success flag of ``while not ok``: not set on the failing path
    constants: dict[str, Constant | None] = field(default_factory=dict)  # function-local literals

    def __call__(self, node: cst.BaseExpression) -> EvalResult:
        try:
            return self._eval(node)
        except (ArithmeticError, ValueError, TypeError):
            return None

    def _eval(self, node: cst.BaseExpression) -> EvalResult:
        match node:
            case cst.Integer() | cst.Float():
                return node.evaluated_value
            case cst.Name(value="True"):
                return True
            case cst.Name(value="False"):
                return False
            case cst.Name() | cst.Attribute():
                key = dotted_name(node)
                if key in self.env:
                    return self.env[key]
                constant = self.constants.get(key)
                if constant is not None:
                    return constant if is_num(constant) else None  # type: ignore[return-value]
                value = self.ctx.evaluate(node)
                return value if is_number(value) else None  # type: ignore[return-value]
            case cst.Subscript(
                value=sequence, slice=[cst.SubscriptElement(slice=cst.Index(value=index))]
            ):
                return self._item(sequence, index)
            case cst.UnaryOperation(operator=cst.Not(), expression=operand) if (
                self.flag is not None and dotted_name(operand) == self.flag
            ):
                return True
            case cst.Comparison() if self.flag is not None and flag_of(node) == self.flag:
                return True
            case cst.UnaryOperation(operator=operator, expression=operand):
                inner = self._eval(operand)
                if isinstance(operator, cst.Not):
                    return None if inner is None or inner is RANDOM else not inner
                if not is_num(inner):
                    return None
                return -inner if isinstance(operator, cst.Minus) else inner  # type: ignore[operator]
            case cst.BinaryOperation():
                return self._binary(node)
            case cst.Comparison():
                return self._compare(node)
            case cst.BooleanOperation(left=left, operator=operator, right=right):
                a, b = self._eval(left), self._eval(right)
                if a is None or b is None or a is RANDOM or b is RANDOM:
                    return None
                return (a and b) if isinstance(operator, cst.And) else (a or b)
            case cst.Call():
                return self._call(node)
        return None

    def _binary(self, node: cst.BinaryOperation) -> EvalResult:
        a, b = self._eval(node.left), self._eval(node.right)
        op = node.operator
        if a is RANDOM or b is RANDOM:
            if isinstance(op, cst.Add | cst.Subtract | cst.Multiply | cst.Divide):
                return b if a is RANDOM else a
            return None
        if not is_num(a) or not is_num(b):
            return None
        x, y = float(a), float(b)  # type: ignore[arg-type]
        match op:
            case cst.Add():
                return x + y
            case cst.Subtract():
                return x - y
            case cst.Multiply():
                return x * y
            case cst.Divide():
                return x / y
            case cst.FloorDivide():
                return x // y
            case cst.Modulo():
                return x % y
            case cst.Power() if abs(y) <= 256 and abs(x) <= 1e6:
                return x**y
            case cst.LeftShift() if 0 <= y <= 64:
                return float(int(x) << int(y))
        return None

    def _compare(self, node: cst.Comparison) -> EvalResult:
        left = self._eval(node.left)
        for target in node.comparisons:
            right = self._eval(target.comparator)
            if not is_num(left) or not is_num(right):
                return None
            a, b = float(left), float(right)  # type: ignore[arg-type]
            match target.operator:
                case cst.LessThan():
                    ok = a < b
                case cst.LessThanEqual():
                    ok = a <= b
                case cst.GreaterThan():
                    ok = a > b
                case cst.GreaterThanEqual():
                    ok = a >= b
                case cst.Equal():
                    ok = a == b
                case cst.NotEqual():
                    ok = a != b
                case _:
                    return None
            if not ok:
                return False
            left = right
        return True

    def sequence(self, node: cst.BaseExpression) -> tuple[Number, ...] | None:
        """The numbers of a literal list or tuple ``node`` names (a delay schedule), if any."""
        key = dotted_name(node)
        value: object = self.constants.get(key) if key else None
        if value is None:
            value = self.ctx.evaluate(node)
        if isinstance(value, tuple) and value and all(is_num(v) for v in value):
            return value
        return None

    def _item(self, sequence: cst.BaseExpression, index: cst.BaseExpression) -> EvalResult:
        """``DELAYS[attempt]``: one entry of a schedule; None past its end."""
        values = self.sequence(sequence)
        position = self._eval(index)
        if values is None or not is_num(position) or position != int(position):  # type: ignore[arg-type]
            return None
        try:
            return values[int(position)]
        except IndexError:
            return None

    def _call(self, node: cst.Call) -> EvalResult:
        if any(a.star or a.keyword for a in node.args):
            return None
        qualified = self.ctx.qualify(node.func) or ""
        args = [a.value for a in node.args]
        if qualified == "len" and len(args) == 1:
            schedule = self.sequence(args[0])
            return None if schedule is None else len(schedule)
        if is_random(qualified):
            varying = any(refs(a) & self.env.keys() for a in args)
            if varying or self.upper_random:
                values = [self._eval(a) for a in args]
                numbers = [float(v) for v in values if is_num(v)]  # type: ignore[arg-type]
                if len(numbers) != len(values):
                    return None
                return max(numbers) if numbers else 1.0
            return RANDOM
        values = [self._eval(a) for a in args]
        if qualified in ("min", "max") and args:
            if self.strip_min and qualified == "min":
                growing = [
                    v for a, v in zip(args, values, strict=True) if not is_constant(self.ctx, a)
                ]
                if len(growing) == 1:
                    return growing[0]
            if any(v is RANDOM for v in values):
                values = [v for v in values if v is not RANDOM]
            if not values or not all(is_num(v) for v in values):
                return None
            pick = min if qualified == "min" else max
            return pick(float(v) for v in values)  # type: ignore[arg-type]
        if qualified in ("float", "int", "abs", "round") and len(values) == 1:
            value = values[0]
            if value is RANDOM:
                return RANDOM
            if not is_num(value):
                return None
            number = float(value)  # type: ignore[arg-type]
            if qualified == "int":
                return int(number)
            if qualified == "abs":
                return abs(number)
            return round(number) if qualified == "round" else number
        if qualified in ("pow", "math.pow") and len(values) == 2:
            base, exponent = values
            if is_num(base) and is_num(exponent) and abs(exponent) <= 256:  # type: ignore[arg-type]
                return float(base) ** float(exponent)  # type: ignore[arg-type]
        return None


def is_num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_known(value: object) -> bool:
    """A number, or a bool: what a replayed name can hold (counters, delays, one-pass flags)."""
    return is_num(value) or isinstance(value, bool)


def is_random(qualified: str) -> bool:
    last = qualified.rsplit(".", 1)[-1].lower()
    return qualified.startswith(RANDOM_PREFIXES) or "jitter" in last


def is_constant(ctx: FileContext, node: cst.BaseExpression) -> bool:
    return is_number(ctx.evaluate(node))
