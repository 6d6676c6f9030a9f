"""Which arguments of a project exception class end up in its message.

``raise ValueError(f"bad token {token}")`` puts the token in the message, and so does
``raise AuthError(token)`` when ``AuthError`` keeps the constructor's arguments (Python's own
``Exception.__init__`` does: ``str(exc)`` shows them). A project class with its own
``__init__`` decides: ``InvalidInvitationToken(token)`` that stores the token as an attribute and
passes ``"Invalid or expired invitation token"`` to ``super().__init__`` leaks nothing into logs.

Per file, each class with an ``__init__`` records which parameters reach a base ``__init__``
call or a message attribute (directly, or through a local formatted from them); the project
phase looks the raised class up through imports and its project bases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from retrylint.context import ClassInfo, FileContext, FunctionInfo
from retrylint.secrets.leak_names import EXCEPTION_SUFFIXES
from retrylint.secrets.values import ValueReader, leaves

# Attributes an exception's text is commonly built from.
_MESSAGE_ATTRIBUTES = frozenset({"message", "msg", "detail", "details", "args", "description"})


@dataclass(frozen=True)
class MessageParameters:
    """A class's ``__init__``: its parameters in order, and those its message is built from."""

    class_name: str  # qualname in the module
    positional: tuple[str, ...]  # without self
    var_positional: str | None
    reaching: frozenset[str]

    def reaches(self, position: int | None, keyword: str | None) -> bool:
        """Whether the argument at ``position`` / named ``keyword`` ends up in the message."""
        if keyword is not None:
            return keyword in self.reaching
        if position is not None and position < len(self.positional):
            return self.positional[position] in self.reaching
        return self.var_positional is not None and self.var_positional in self.reaching


def message_parameters(ctx: FileContext, reader: ValueReader) -> Iterator[MessageParameters]:
    """Exception classes of the file with an ``__init__`` of their own (named ``...Error``,
    ``...Exception``, or based on one)."""
    inits = {
        id(init): info
        for info in ctx.classes.values()
        if (init := info.methods.get("__init__")) is not None and _exception_like(info)
    }
    if not inits:
        return
    parts: dict[int, list[cst.BaseExpression]] = {key: [] for key in inits}
    for call in ctx.calls:
        func = call.node.func
        is_base_init = isinstance(func, cst.Attribute) and func.attr.value == "__init__"
        if call.function is not None and id(call.function) in parts and is_base_init:
            parts[id(call.function)].extend(arg.value for arg in call.node.args)
    for assignment in ctx.assignments:
        if assignment.function is None or id(assignment.function) not in parts:
            continue
        for target in assignment.targets:
            if isinstance(target, cst.Attribute) and target.attr.value in _MESSAGE_ATTRIBUTES:
                parts[id(assignment.function)].append(assignment.value)
    for info in inits.values():
        init = info.methods["__init__"]
        yield _of(reader, info, init, parts[id(init)])


def _exception_like(info: ClassInfo) -> bool:
    names = [info.name, *(_last(base.value) for base in info.node.bases)]
    return any(name.endswith(EXCEPTION_SUFFIXES) for name in names)


def _last(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    return node.attr.value if isinstance(node, cst.Attribute) else ""


def _of(
    reader: ValueReader, info: ClassInfo, init: FunctionInfo, parts: list[cst.BaseExpression]
) -> MessageParameters:
    params = init.node.params
    positional = tuple(p.name.value for p in (*params.posonly_params, *params.params))[1:]
    star = params.star_arg
    var_positional = star.name.value if isinstance(star, cst.Param) else None
    names = {*positional, *(p.name.value for p in params.kwonly_params)}
    if var_positional:
        names.add(var_positional)
    reaching: set[str] = set()
    for value in parts:
        for name in _names(value):
            if name in names:
                reaching.add(name)
            for bound in reader.bound_to(init, name):
                reaching.update(n for n in _names(bound) if n in names)
    return MessageParameters(info.qualname, positional, var_positional, frozenset(reaching))


def _names(value: cst.BaseExpression) -> Iterator[str]:
    for leaf in leaves(value):
        if leaf.kind == "ref" and isinstance(leaf.node, cst.Name):
            yield leaf.node.value
