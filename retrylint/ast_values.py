"""Static values over stdlib ``ast`` nodes: ``FileContext.qualify`` and ``evaluate`` for the
prefilter's outline, with the same rules (and the same shared helpers) as the libcst reader."""

from __future__ import annotations

import ast

from retrylint.model import UNKNOWN
from retrylint.values import (
    MAX_EVAL_DEPTH,
    CallValue,
    DictValue,
    LambdaValue,
    Ref,
    Value,
    combined,
    known_result,
    negative,
    qualified,
)

# ast's operator class names as libcst names them (an unevaluated OpValue carries the name).
_OPERATORS = {
    "Add": "Add",
    "Sub": "Subtract",
    "Mult": "Multiply",
    "Div": "Divide",
    "FloorDiv": "FloorDivide",
    "Mod": "Modulo",
    "Pow": "Power",
    "BitOr": "BitOr",
    "BitAnd": "BitAnd",
    "BitXor": "BitXor",
    "LShift": "LeftShift",
    "RShift": "RightShift",
    "MatMult": "MatrixMultiply",
}


class AstNames:
    """``FileContext.qualify`` and ``FileContext.evaluate`` over ``ast`` nodes."""

    def __init__(
        self, imports: dict[str, str], module_names: set[str], constants: dict[str, ast.expr]
    ) -> None:
        self.imports = imports
        self.module_names = module_names
        self.constants = constants

    def qualify(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        return qualified(self.imports, self.module_names, node.id, parts)

    def evaluate(self, node: ast.expr, depth: int = 0) -> Value:
        if depth > MAX_EVAL_DEPTH:
            return UNKNOWN
        match node:
            case ast.Constant(value=literal):
                if isinstance(literal, bool | int | float | str) or literal is None:
                    return literal
                return UNKNOWN  # bytes, complex, Ellipsis
            case ast.Name(id=name) if name in self.constants and name not in self.imports:
                return self.evaluate(self.constants[name], depth + 1)
            case ast.Name() | ast.Attribute():
                qualified = self.qualify(node)
                return Ref(qualified) if qualified else UNKNOWN
            case ast.Tuple(elts=elements) | ast.List(elts=elements) | ast.Set(elts=elements):
                if any(isinstance(e, ast.Starred) for e in elements):
                    return UNKNOWN
                return tuple(self.evaluate(e, depth + 1) for e in elements)
            case ast.Dict(keys=keys, values=entries):
                items: list[tuple[Value, Value]] = []
                for key, entry in zip(keys, entries, strict=True):
                    if key is None:
                        return UNKNOWN
                    items.append((self.evaluate(key, depth + 1), self.evaluate(entry, depth + 1)))
                return DictValue(tuple(items))
            case ast.Call():
                return self._call(node, depth)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return negative(self.evaluate(operand, depth + 1))
            case ast.BinOp(left=left, op=operator, right=right):
                name = type(operator).__name__
                operands = (self.evaluate(left, depth + 1), self.evaluate(right, depth + 1))
                return combined(_OPERATORS.get(name, name), *operands)
            case ast.Lambda(body=body):
                return LambdaValue(self.evaluate(body, depth + 1))
        return UNKNOWN

    def _call(self, node: ast.Call, depth: int) -> Value:
        func = self.qualify(node.func)
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        if starred or any(k.arg is None for k in node.keywords):
            return CallValue(func, (UNKNOWN,), ())
        args = tuple(self.evaluate(a, depth + 1) for a in node.args)
        kwargs = tuple((k.arg, self.evaluate(k.value, depth + 1)) for k in node.keywords)
        return known_result(CallValue(func, args, kwargs))  # type: ignore[arg-type]
