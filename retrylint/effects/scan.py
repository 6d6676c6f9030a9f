"""The per-file side-effect scan: it rides the engine's single walk, then records steps.

During the walk (handlers, like a per-file check's) it numbers statements and calls in source
order and puts each in its region: which ``if`` branch, ``try`` body or ``except`` clause, loop
or ``with`` block of which function. The walk only enters nodes, so the regions of a compound
statement's children are registered when the statement itself is entered (children come
later). After the walk, ``facts`` matches the calls against the side-effect catalogue and keeps
what the idempotency rules read (``effects.facts``); everything else about a call is dropped.

Decisions:

- An ``except`` clause's action is what its body does: calls ``<task>.retry()`` or raises a
  ``Retry`` (retry), raises anything else or re-raises (raise), or neither (swallow). A clause
  that catches ``Exception`` / ``BaseException`` / everything catches any failure.
- An ``if`` whose body ends in ``return`` / ``raise`` / ``continue`` / ``break`` and whose test
  reads a state (``state_words``) is an early exit: it guards what comes after it.
- Calls that may be project functions are kept with the names the call graph resolves; calls
  into well-known libraries and log calls are dropped (they never resolve into the project).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import libcst as cst

from retrylint.call_reader import call_names
from retrylint.call_records import INSTANCE_OF
from retrylint.context import FileContext, FunctionInfo
from retrylint.effects.calls import (
    Bindings,
    adds_new_row,
    effect_of,
    match_call,
    record_name,
    short,
)
from retrylint.effects.catalogue import Catalogue, load_side_effects
from retrylint.effects.facts import EffectFacts, FunctionSteps, Handler, Region, Step
from retrylint.facts import Packed
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import decorators

DATA_KEY = "effects"
_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_RETRY_RAISES = frozenset({"Retry", "RetryTask"})
_EXITS = (cst.Return, cst.Raise, cst.Continue, cst.Break)
_INFLECTIONS = ("", "s", "es", "d", "ed", "ing", "led", "ful", "ly")
_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_KEYWORD = re.compile(r"(\w+)\s*=(?!=)")
_STRINGS = re.compile(r"(?P<q>['\"]).*?(?P=q)")
# Roots of calls that never resolve to a project function: not worth a step.
_LIBRARIES = frozenset(
    [
        "logging",
        "os",
        "sys",
        "json",
        "re",
        "time",
        "datetime",
        "typing",
        "math",
        "itertools",
        "functools",
        "collections",
        "uuid",
        "random",
        "hashlib",
        "hmac",
        "base64",
        "decimal",
        "enum",
        "dataclasses",
        "copy",
        "string",
        "pathlib",
        "asyncio",
        "contextlib",
        "operator",
        "traceback",
        "warnings",
        "inspect",
        "textwrap",
        "urllib",
        "structlog",
        "django",
        "celery",
        "dramatiq",
        "rq",
        "huey",
        "arq",
        "taskiq",
        "sqlalchemy",
        "pydantic",
        "requests",
        "httpx",
        "aiohttp",
        "boto3",
        "botocore",
        "stripe",
        "braintree",
        "smtplib",
        "builtins",
    ]
)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})


@dataclass
class _Region:
    parent: int | None
    statement: int
    kind: Any
    role: str
    state: bool = False
    line_node: cst.CSTNode | None = None
    text: str | None = None
    names: frozenset[str] = frozenset()  # identifiers an if's test reads
    handlers: list[tuple[tuple[str, ...] | None, str, int]] = field(default_factory=list)


class EffectScan:
    """One file's side-effect scan: ``handlers()`` for the walk, then ``record()``."""

    def __init__(self, packs: Iterable[Path] = ()) -> None:
        self.catalogue: Catalogue = load_side_effects(packs)
        self.regions: list[_Region] = []
        self.place: dict[int, int] = {}  # id(statement or suite) -> region
        self.current: int | None = None
        self.order = 0
        self.calls: list[tuple[int, cst.Call, int | None, FunctionInfo]] = []
        self.raises: list[tuple[int, cst.Raise, int | None, FunctionInfo]] = []
        self.exits: list[tuple[int, str, int | None, FunctionInfo]] = []
        self.withs: list[tuple[FunctionInfo, str, cst.Call]] = []
        self.flags: dict[int, set[str]] = {}  # except region -> {"raise", "retry"}

    def handlers(self) -> dict[type, Callable[[Any, FileContext], None]]:
        return {
            cst.FunctionDef: self._def,
            cst.ClassDef: self._statement,
            cst.SimpleStatementLine: self._statement,
            cst.SimpleStatementSuite: self._statement,
            cst.If: self._if,
            cst.For: self._loop,
            cst.While: self._loop,
            cst.Try: self._try,
            cst.TryStar: self._try,
            cst.With: self._with,
            cst.Match: self._match,
            cst.Call: self._call,
            cst.Raise: self._raise,
        }

    # -- the walk ------------------------------------------------------------------------------
    def _statement(self, node: cst.CSTNode, ctx: FileContext) -> None:
        self.order += 1
        self.current = self.place.get(id(node))

    def _region(
        self, kind: str, role: str, state: bool = False, node: Any = None, text: str | None = None
    ) -> int:
        self.regions.append(_Region(self.current, self.order, kind, role, state, node, text=text))
        return len(self.regions) - 1

    def _register(self, block: cst.BaseSuite, region: int) -> None:
        if isinstance(block, cst.IndentedBlock):
            for statement in block.body:
                self.place[id(statement)] = region
        else:
            self.place[id(block)] = region

    def _def(self, node: cst.FunctionDef, ctx: FileContext) -> None:
        self._statement(node, ctx)
        self.current = None  # a function body starts afresh: it runs when called
        self._register(node.body, self._region("def", "body"))

    def _if(self, node: cst.If, ctx: FileContext) -> None:
        self._statement(node, ctx)
        test = ctx.code(node.test)
        state = self.is_state_check(test)
        names = frozenset(_identifiers(test))
        body = self._region("if", "body", state, text=short(test))
        self._register(node.body, body)
        other = None
        if isinstance(node.orelse, cst.Else):
            other = self._region("if", "else", state, text=short(test))
            self._register(node.orelse.body, other)
        elif isinstance(node.orelse, cst.If):
            other = self._region("if", "else", state, text=short(test))
            self.place[id(node.orelse)] = other
        for region in (body, other):
            if region is not None:
                self.regions[region].names = names
        if state and ctx.enclosing and _ends_in_exit(node.body):
            self.exits.append((self.order, ctx.code(node.test), self.current, ctx.enclosing[-1]))

    def _loop(self, node: cst.For | cst.While, ctx: FileContext) -> None:
        self._statement(node, ctx)
        state = False
        if isinstance(node, cst.For):
            text = ctx.code(node.iter)
            state = any(self.is_state_check(keyword) for keyword in _KEYWORD.findall(text))
        else:
            text = ctx.code(node.test)
        self._register(node.body, self._region("loop", "body", state, node, short(text)))
        if node.orelse is not None:
            self._register(node.orelse.body, self._region("loop", "else"))

    def _try(self, node: cst.Try | cst.TryStar, ctx: FileContext) -> None:
        self._statement(node, ctx)
        body = self._region("try", "try")
        self._register(node.body, body)
        handlers: tuple[Any, ...] = tuple(node.handlers)  # ExceptHandler or ExceptStarHandler
        for position, handler in enumerate(handlers):
            region = self._region("try", f"except{position}")
            self._register(handler.body, region)
            catches = _caught(ctx, handler.type)
            text = f"except {ctx.code(handler.type)}" if handler.type is not None else "except:"
            self.regions[body].handlers.append((catches, " ".join(text.split()), region))
        if node.orelse is not None:
            self._register(node.orelse.body, self._region("try", "else"))
        if node.finalbody is not None:
            self._register(node.finalbody.body, self._region("try", "finally"))

    def _with(self, node: cst.With, ctx: FileContext) -> None:
        self._statement(node, ctx)
        for item in node.items:
            target = item.asname.name if item.asname is not None else None
            call = item.item.expression if isinstance(item.item, cst.Await) else item.item
            if isinstance(target, cst.Name) and isinstance(call, cst.Call) and ctx.enclosing:
                self.withs.append((ctx.enclosing[-1], target.value, call))
        self._register(node.body, self._region("with", "body"))

    def _match(self, node: cst.Match, ctx: FileContext) -> None:
        self._statement(node, ctx)
        for position, case in enumerate(node.cases):
            self._register(case.body, self._region("match", f"case{position}"))

    def _call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.enclosing:
            return
        self.order += 1
        function = ctx.enclosing[-1]
        self.calls.append((self.order, node, self.current, function))
        if _is_task_retry(node, function):
            self._flag("retry")

    def _raise(self, node: cst.Raise, ctx: FileContext) -> None:
        if not ctx.enclosing:
            return
        self.order += 1
        self.raises.append((self.order, node, self.current, ctx.enclosing[-1]))
        self._flag("retry" if _raises_retry(node) else "raise")

    def _flag(self, action: str) -> None:
        """Mark the innermost ``except`` clause around the current statement."""
        region = self.current
        while region is not None:
            found = self.regions[region]
            if found.kind == "def":
                return
            if found.role.startswith("except"):
                self.flags.setdefault(region, set()).add(action)
                return
            region = found.parent

    def is_state_check(self, code: str) -> bool:
        """Whether an expression reads a state (``order.paid``, ``sent_at``, ``not created``)."""
        for identifier in _identifiers(code):
            tokens = _tokens(identifier)
            for word in self.catalogue.state_words:
                if word.startswith("_"):
                    if len(tokens) > 1 and tokens[-1] == word[1:]:
                        return True
                elif word.endswith("_"):
                    if len(tokens) > 1 and tokens[0] == word[:-1]:
                        return True
                elif any(t.startswith(word) and t[len(word) :] in _INFLECTIONS for t in tokens):
                    return True
        return False

    # -- after the walk ----------------------------------------------------------------------------
    def record(self, ctx: FileContext, sink: FactSink) -> None:
        facts = self.facts(ctx)
        if facts.functions:
            sink.data.append((DATA_KEY, Packed.of(facts)))

    def facts(self, ctx: FileContext) -> EffectFacts:
        bindings = Bindings(ctx, self.withs)
        self.assigned = _assigned(ctx)
        steps: dict[int, list[Step]] = {}
        functions: dict[int, FunctionInfo] = {}
        nodes: dict[int, cst.CSTNode] = {}
        for order, node, region, function in self.calls:
            step = self._call_step(ctx, bindings, order, node, region, function)
            if step is not None:
                steps.setdefault(id(function), []).append(step)
                functions[id(function)] = function
                nodes[order] = node
        for order, raised, region, function in self.raises:
            step = self._raise_step(ctx, order, raised, region, function)
            if step is not None:
                steps.setdefault(id(function), []).append(step)
                functions[id(function)] = function
                nodes[order] = raised
        has_effects = any(s.kind == "effect" for found in steps.values() for s in found)
        if has_effects:  # the position pass is paid already: every step gets its line
            for found in steps.values():
                found[:] = [
                    replace(s, span=ctx.span(nodes[s.order]))
                    if s.span is None and s.order in nodes
                    else s
                    for s in found
                ]
        for order, test, region, function in self.exits:
            exit_step = Step(order, "exit", region or 0, short(f"if {test}: ..."))
            steps.setdefault(id(function), []).append(exit_step)
            functions[id(function)] = function
        records = []
        for key, found in steps.items():
            function = functions[key]
            if all(step.kind in ("exit", "marker") for step in found):
                continue
            params = function.node.params.params
            records.append(
                FunctionSteps(
                    unit=_unit(function).qualname,
                    function=function.qualname,
                    steps=tuple(sorted(found, key=lambda s: s.order)),
                    first_parameter=params[0].name.value if params else None,
                    decorators=tuple(d.qualified for d in decorators(ctx, function)),
                )
            )
        return EffectFacts(self._frozen_regions(ctx, has_effects), tuple(records))

    def _call_step(
        self,
        ctx: FileContext,
        bindings: Bindings,
        order: int,
        node: cst.Call,
        region: int | None,
        function: FunctionInfo,
    ) -> Step | None:
        where = region or 0
        text = short(ctx.code(node.func)) + ("(...)" if node.args else "()")
        binds = self.assigned.get(id(node), ())
        match = match_call(ctx, self.catalogue, bindings, node, function)
        insert = match is not None and match.effect and match.entry.needs == "commit"
        if insert and not (
            adds_new_row(ctx, bindings, node, function)
            and self._commits_later(ctx, order, function, match.receiver_text)  # type: ignore[union-attr]
        ):
            match = None
        if match is not None:
            if not match.effect:
                return Step(order, "network", where, text, raises=match.entry.raises, binds=binds)
            effect = effect_of(ctx, match, node, function)
            if effect.klass == "db" and effect.guard is None:
                record = record_name(ctx, bindings, match, node, function)
                if record and self.catalogue.per_run_words & set(_tokens(record)):
                    effect = replace(effect, guard=f"a record kept per run (`{record}`)")
            span = ctx.span(node)
            return Step(order, "effect", where, text, span=span, effect=effect, binds=binds)
        name = ctx.qualify(node.func)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        reads = tuple(sorted(self._reads(region)))
        if _is_task_retry(node, function):
            return Step(order, "retry", where, text, reads=reads)
        if name is not None and node.args and self.catalogue.markers.fullmatch(name):
            return Step(order, "marker", where, text)
        bound = _bound(bindings, function)
        names = tuple(n for n in call_names(ctx, node, bound) if _may_be_project(ctx, n))
        if method is not None and method in self.catalogue.enqueue_methods:
            return Step(order, "enqueue", where, text, names, span=ctx.span(node))
        if not names:
            return None
        return Step(order, "call", where, text, names, binds=binds, reads=reads)

    def _raise_step(
        self,
        ctx: FileContext,
        order: int,
        raised: cst.Raise,
        region: int | None,
        function: FunctionInfo,
    ) -> Step | None:
        """A retry raised on purpose, or an exception raised outside any ``except`` clause."""
        text = short(ctx.code(raised))
        if _raises_retry(raised):
            if _is_task_retry(raised.exc, function):
                return None
            reads = tuple(sorted(self._reads(region)))
            return Step(order, "retry", region or 0, text, reads=reads)
        exc = raised.exc.func if isinstance(raised.exc, cst.Call) else raised.exc
        name = ctx.qualify(exc) if exc is not None else None
        if name is None or self._in_except(region):
            return None
        names = self._reads(region) | set(_identifiers(ctx.code(raised)))
        return Step(order, "raise", region or 0, text, raises=(name,), reads=tuple(sorted(names)))

    def _reads(self, region: int | None) -> set[str]:
        """The names the ``if`` tests around a statement read (in its own function)."""
        reads: set[str] = set()
        while region is not None and self.regions[region].kind != "def":
            reads.update(self.regions[region].names)
            region = self.regions[region].parent
        return reads

    def _in_except(self, region: int | None) -> bool:
        while region is not None:
            found = self.regions[region]
            if found.role.startswith("except"):
                return True
            region = found.parent
        return False

    def _commits_later(
        self, ctx: FileContext, order: int, function: FunctionInfo, receiver: str | None
    ) -> bool:
        wanted = f"{receiver}.commit"
        return any(
            later > order and called is function and ctx.code(node.func) == wanted
            for later, node, _, called in self.calls
        )

    def _frozen_regions(self, ctx: FileContext, lines: bool) -> tuple[Region, ...]:
        """The regions as facts; loop lines only where an effect is (positions cost a pass)."""
        frozen = []
        for region in self.regions:
            handlers = tuple(
                Handler(catches, _action(self.flags.get(clause, set())), text, clause)
                for catches, text, clause in region.handlers
            )
            line = None
            if lines and region.line_node is not None and region.role == "body":
                line = ctx.span(region.line_node).line
            frozen.append(
                Region(
                    region.parent,
                    region.statement,
                    region.kind,
                    region.role,
                    region.state,
                    handlers,
                    region.text,
                    line,
                )
            )
        return tuple(frozen)


def _action(flags: set[str]) -> Any:
    return "retry" if "retry" in flags else "raise" if "raise" in flags else "swallow"


def _caught(ctx: FileContext, node: cst.BaseExpression | None) -> tuple[str, ...] | None:
    """What an ``except`` clause catches, qualified; None for everything."""
    if node is None:
        return None
    elements = [e.value for e in node.elements] if isinstance(node, cst.Tuple) else [node]
    names = []
    for element in elements:
        name = ctx.qualify(element)
        if name in _BROAD:
            return None
        names.append(name or ctx.code(element))
    return tuple(names)


def _ends_in_exit(body: cst.BaseSuite) -> bool:
    """The body ends the run of what follows (``return``, ``raise``, ``continue``), other than
    by a retry: ``if not ready: raise self.retry()`` waits, it guards nothing."""
    last: cst.CSTNode | None = None
    if isinstance(body, cst.IndentedBlock) and body.body:
        statement = body.body[-1]
        if isinstance(statement, cst.SimpleStatementLine) and statement.body:
            last = statement.body[-1]
    elif isinstance(body, cst.SimpleStatementSuite) and body.body:
        last = body.body[-1]
    if isinstance(last, cst.Raise) and _raises_retry(last):
        return False
    return isinstance(last, _EXITS)


def _is_task_retry(node: cst.BaseExpression | None, function: FunctionInfo) -> bool:
    """``<first parameter>.retry(...)``: a bound Celery task (or Task.run) retrying itself."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False
    receiver = node.func.value
    params = _unit(function).node.params.params
    return (
        node.func.attr.value == "retry"
        and isinstance(receiver, cst.Name)
        and bool(params)
        and receiver.value == params[0].name.value
    )


def _raises_retry(node: cst.Raise) -> bool:
    exc = node.exc
    if isinstance(exc, cst.Call):
        func = exc.func
        last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        return last in _RETRY_RAISES or last == "retry"
    if isinstance(exc, cst.Name | cst.Attribute):
        last = exc.attr.value if isinstance(exc, cst.Attribute) else exc.value
        return last in _RETRY_RAISES
    return False


def _unit(function: FunctionInfo) -> FunctionInfo:
    while function.parent is not None:
        function = function.parent
    return function


def _bound(bindings: Bindings, function: FunctionInfo) -> dict[str, str]:
    bound: dict[str, str] = {}
    scope: FunctionInfo | None = function
    while scope is not None:
        for name, callee in bindings.callees(scope).items():
            bound.setdefault(name, callee)
        scope = scope.parent
    return bound


def _may_be_project(ctx: FileContext, name: str) -> bool:
    """Whether the call graph may resolve ``name`` to a project function: not a builtin, a
    method of a local value (``data.get``), a library call or a log line."""
    head, _, rest = name.partition(".")
    if not rest or head in _LIBRARIES:
        return False
    if (
        head not in ("$", "self", "cls", "super()")
        and not head.startswith(".")
        and (INSTANCE_OF not in name)
    ):
        roots = {target.split(".", 1)[0] for target in ctx.imports.values()}
        if head not in roots:
            return False  # a method of a local value (``data.get``)
    last = name.rsplit(".", 1)[-1]
    return not (last in _LOG_METHODS and "log" in name.rsplit(".", 2)[-2].lower())


def _assigned(ctx: FileContext) -> dict[int, tuple[str, ...]]:
    """Call node -> the names its result is assigned to (``response = await post(...)``,
    ``response, data = send(...)``)."""
    found: dict[int, tuple[str, ...]] = {}
    for assignment in ctx.assignments:
        value = assignment.value
        if isinstance(value, cst.Await):
            value = value.expression
        names = tuple(name for target in assignment.targets for name in _target_names(target))
        if names:
            found[id(value)] = names
    return found


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        return [name for element in target.elements for name in _target_names(element.value)]
    return []


def _identifiers(code: str) -> list[str]:
    return _WORDS.findall(_STRINGS.sub("", code))


def _tokens(identifier: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", identifier)
    return [token for token in spaced.lower().split("_") if token]
