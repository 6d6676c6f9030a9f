"""RL604 network-call-without-timeout: job code waits on a server that may never answer.

The calls and their timeouts are data (``rules/network_calls.yaml``, extended by the config's
``extra-network-calls`` packs): requests' functions, ``urlopen``, ``smtplib`` / ``imaplib`` /
``poplib`` / ``ftplib`` / ``http.client`` connections, ``socket.create_connection`` wait forever
unless given a timeout; httpx and aiohttp have a default one and are reported only when it is
switched off (``timeout=None``, ``httpx.Timeout(None)``, ``aiohttp.ClientTimeout()``).

Methods of a session are calls too when this file shows what the receiver is: a local, a
module-level name or a ``self.<attr>`` bound to the session's constructor, a ``with ... as``
name, or the constructor call itself. A requests session has no timeout of its own; one is
visible when the file mounts an adapter built with ``timeout=`` on it or replaces its
``request`` with ``partial(..., timeout=...)``: its calls are then not reported.

Per file, from ``ctx.calls`` after the walk (a ``With`` handler records ``as`` bindings during
it); each finding holds only where a job reaches the enclosing function (``job_code_finding``).
A call passing ``*args`` / ``**kwargs`` may carry a timeout: not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from retrylint.checks import job_code_finding
from retrylint.config import Config
from retrylint.context import FileContext, FunctionInfo
from retrylint.findings import Finding
from retrylint.network_calls import Bounded, NetworkCalls, load_network_calls

CODE = "RL604"
PARTIAL = frozenset({"functools.partial"})
TimeoutState = Literal["missing", "none", "no-limit", "set", "unknown"]
BindingKey = tuple[object, ...]


class FileCheck:
    def __init__(self, catalogue: NetworkCalls) -> None:
        self.catalogue = catalogue
        self.with_items: list[tuple[FunctionInfo | None, str, cst.Call]] = []

    @classmethod
    def from_config(cls, config: Config) -> FileCheck:
        return cls(load_network_calls(config.network_call_packs))

    def handlers(self) -> dict[type, object]:
        return {cst.With: self._with}

    def _with(self, node: cst.With, ctx: FileContext) -> None:
        function = ctx.enclosing[-1] if ctx.enclosing else None
        for item in node.items:
            if (
                isinstance(item.item, cst.Call)
                and item.asname is not None
                and isinstance(item.asname.name, cst.Name)
            ):
                self.with_items.append((function, item.asname.name.value, item.item))

    def findings(self, ctx: FileContext) -> Iterator[Finding]:
        names = self.catalogue.last_names
        sessions: _Sessions | None = None
        for info in ctx.calls:
            func = info.node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else None
            if isinstance(func, cst.Name):
                last = func.value
            if last not in names or info.function is None:
                continue
            qualified = ctx.qualify(func)
            bounded = self.catalogue.calls.get(qualified or "")
            label = f"`{qualified}`"
            if bounded is None and isinstance(func, cst.Attribute):
                if sessions is None:
                    sessions = _Sessions.of(ctx, self.catalogue, self.with_items)
                found = sessions.session(func.value, info.function)
                if found is None:
                    continue
                constructor, key = found
                methods, bounded = self.catalogue.sessions[constructor]
                if last not in methods or (bounded.default == "none" and key in sessions.defaults):
                    continue
                label = f"`{ctx.code(func)}` (session from {constructor})"
            if bounded is None:
                continue
            finding = self._check(ctx, info.node, info.function, bounded, label)
            if finding is not None:
                yield finding

    def _check(
        self,
        ctx: FileContext,
        call: cst.Call,
        function: FunctionInfo,
        bounded: Bounded,
        label: str,
    ) -> Finding | None:
        state, node = _timeout(ctx, call, bounded, self.catalogue)
        if state == "none" and bounded.none_keeps_default:
            return None
        if state in ("set", "unknown") or (state == "missing" and bounded.default == "finite"):
            return None
        if state == "missing":
            what = f"{label} without a timeout"
            fix = f"pass {bounded.timeout}="
        else:
            what = f"{label} with {ctx.code(node)}"
            fix = "give it a finite timeout"
        return job_code_finding(
            CODE,
            f"{what} in job code: {bounded.note}, so a server that accepts the connection and "
            f"never answers holds the job and its worker until a time limit (if the job has "
            f"one) or a person kills it, and no retry starts; {fix}",
            ctx,
            node,
            function=function.qualname,
        )


def _timeout(
    ctx: FileContext, call: cst.Call, bounded: Bounded, catalogue: NetworkCalls
) -> tuple[TimeoutState, cst.CSTNode]:
    """Whether the call bounds its wait, and the node to point at (the argument, or the call)."""
    spread = any(arg.star for arg in call.args)
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == bounded.timeout:
            return _value(ctx, arg.value, catalogue), arg
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if bounded.position is not None and len(positional) > bounded.position:
        chosen = positional[bounded.position]
        return _value(ctx, chosen.value, catalogue), chosen
    return ("unknown" if spread else "missing"), call.func


def _value(ctx: FileContext, node: cst.BaseExpression, catalogue: NetworkCalls) -> TimeoutState:
    if isinstance(node, cst.Name) and node.value == "None":
        return "none"
    if isinstance(node, cst.Call):
        parameters = catalogue.no_timeout_values.get(ctx.qualify(node.func) or "")
        if parameters is not None and not any(
            _given(node, parameter.keyword, parameter.position) for parameter in parameters
        ):
            return "no-limit"
    return "set"


def _given(call: cst.Call, keyword: str, position: int | None) -> bool:
    """Whether a parameter is given a value other than a literal None."""
    chosen: cst.BaseExpression | None = None
    for arg in call.args:
        if arg.star:
            return True  # may be anything
        if arg.keyword is not None and arg.keyword.value == keyword:
            chosen = arg.value
    positional = [arg.value for arg in call.args if arg.keyword is None]
    if chosen is None and position is not None and len(positional) > position:
        chosen = positional[position]
    return chosen is not None and not (isinstance(chosen, cst.Name) and chosen.value == "None")


@dataclass
class _Sessions:
    """What the receivers of this file's method calls are bound to, when it is a session, and
    which sessions have a visible default timeout."""

    ctx: FileContext
    catalogue: NetworkCalls
    local: dict[tuple[int, str], str] = field(default_factory=dict)  # (function id, name)
    module: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)  # (class, attribute)
    defaults: set[BindingKey] = field(default_factory=set)

    @classmethod
    def of(
        cls,
        ctx: FileContext,
        catalogue: NetworkCalls,
        with_items: list[tuple[FunctionInfo | None, str, cst.Call]],
    ) -> _Sessions:
        found = cls(ctx, catalogue)
        for assignment in ctx.assignments:
            value = assignment.value
            if not isinstance(value, cst.Call):
                continue
            for target in assignment.targets:
                found._bind(assignment.function, target, value)
        for function, name, call in with_items:
            found._bind(function, cst.Name(name), call)
        found._find_defaults()
        return found

    def _constructor(self, call: cst.Call) -> str | None:
        name = self.ctx.qualify(call.func)
        return name if name in self.catalogue.sessions else None

    def _bind(
        self, function: FunctionInfo | None, target: cst.BaseExpression, call: cst.Call
    ) -> None:
        constructor = self._constructor(call)
        if constructor is None:
            return
        if isinstance(target, cst.Name):
            if function is None:
                self.module[target.value] = constructor
            else:
                self.local[(id(function), target.value)] = constructor
        elif _is_self_attribute(target) and (owner := _class_of(function)) is not None:
            self.attributes[(owner, target.attr.value)] = constructor  # type: ignore[attr-defined]

    def session(
        self, receiver: cst.BaseExpression, function: FunctionInfo | None
    ) -> tuple[str, BindingKey] | None:
        """(constructor, binding key) of a receiver bound to a session, else None."""
        if isinstance(receiver, cst.Call):
            constructor = self._constructor(receiver)
            return (constructor, ("call", id(receiver))) if constructor else None
        if isinstance(receiver, cst.Name):
            scope: FunctionInfo | None = function
            while scope is not None:
                key = (id(scope), receiver.value)
                if key in self.local:
                    return self.local[key], ("local", *key)
                scope = scope.parent
            if receiver.value in self.module:
                return self.module[receiver.value], ("module", receiver.value)
            return None
        if _is_self_attribute(receiver) and (owner := _class_of(function)) is not None:
            key2 = (owner, receiver.attr.value)  # type: ignore[attr-defined]
            if key2 in self.attributes:
                return self.attributes[key2], ("attribute", *key2)
        return None

    def _find_defaults(self) -> None:
        """``session.mount(prefix, Adapter(timeout=...))`` and ``session.request =
        partial(session.request, timeout=...)``: a default timeout for that session."""
        for info in self.ctx.calls:
            func = info.node.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value == "mount"
                and any(_sets_timeout(self.ctx, arg.value) for arg in info.node.args)
                and (found := self.session(func.value, info.function)) is not None
            ):
                self.defaults.add(found[1])
        for assignment in self.ctx.assignments:
            value = assignment.value
            if not (
                isinstance(value, cst.Call)
                and self.ctx.qualify(value.func) in PARTIAL
                and _has_keyword(value, "timeout")
            ):
                continue
            for target in assignment.targets:
                if isinstance(target, cst.Attribute) and target.attr.value == "request":
                    found = self.session(target.value, assignment.function)
                    if found is not None:
                        self.defaults.add(found[1])


def _sets_timeout(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """An adapter built with a timeout (directly, or a module-level name bound to one)."""
    if isinstance(node, cst.Name) and node.value in ctx.constants and node.value not in ctx.imports:
        node = ctx.constants[node.value]
    return isinstance(node, cst.Call) and _has_keyword(node, "timeout")


def _has_keyword(call: cst.Call, keyword: str) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == keyword for arg in call.args)


def _is_self_attribute(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
    )


def _class_of(function: FunctionInfo | None) -> str | None:
    while function is not None:
        if function.class_name is not None:
            return function.class_name
        function = function.parent
    return None
