"""The per-file pass RL501, RL502 and RL503 share, computed once per file.

Per file it finds the sinks (log calls, prints, warnings), the calls that pass a secret-bearing
argument, the parameters named like secrets, and the functions that log one of their own
parameters. The rules turn these into findings here (RL502 on a sink of this file) or into
facts for the project phase, which alone knows which call enqueues which job and which function
a call runs (RL501 at call sites, RL502 through a project logging helper, RL503 for a job's own
``**kwargs``).

Positions cost about two parses, so they are computed only for what is recorded: calls that
invoke a job (their positions exist already) or that may run a project function, and
parameters, whose places come from a scan of the ``def`` text.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath

import libcst as cst

from retrylint.call_reader import called_name
from retrylint.call_records import INSTANCE_OF, SUPER
from retrylint.context import FileContext, FunctionInfo
from retrylint.frameworks.common import invoked
from retrylint.frameworks.names import BY_ARGUMENT_METHODS, BY_NAME_FUNCTIONS, JOB_METHODS
from retrylint.model import Span
from retrylint.secrets.names import Category
from retrylint.secrets.packs import matcher
from retrylint.secrets.sinks import Sink, SinkFinder, Written
from retrylint.secrets.values import Evidence, ValueReader, leaves
from retrylint.values import SELF_MODULE

INVOCATION_METHODS = JOB_METHODS | BY_ARGUMENT_METHODS
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
_MAKERS = ("generate", "create", "make", "new")


@dataclass(frozen=True)
class Clue:
    """Evidence as plain text, for the project phase: how a message names it, what it is."""

    text: str  # `api_token`, the key "Authorization", `headers` (set at line 12 from ...)
    category: Category
    phrase: str  # the matched words: "api key"


@dataclass(frozen=True)
class SecretArgument:
    """An argument of a call that carries a secret."""

    position: int | None  # index among positional arguments; None for keywords and spreads
    keyword: str | None  # the keyword; "*" / "**" for spreads
    span: Span
    clues: tuple[Clue, ...]


@dataclass(frozen=True)
class SecretCall:
    """A call (a job invocation, or a call of what may be a project function) with arguments
    that carry secrets. ``span`` is the call's, as call sites record it."""

    span: Span
    method: str | None  # the attribute called (``delay``), None for a plain call
    callee: str | None  # the called name as the call graph resolves it
    function: str | None  # the outermost enclosing function or method
    arguments: tuple[SecretArgument, ...]


@dataclass(frozen=True)
class SecretParameter:
    """A parameter named like a secret: ``def sync(user_id, api_token)``."""

    function: str  # qualname in the module
    name: str
    span: Span
    clue: Clue


@dataclass(frozen=True)
class LoggedParameters:
    """A function that writes some of its own parameters to a log (a logging helper)."""

    function: str  # outermost function or method
    parameters: tuple[str, ...]  # positional parameters in order, ``self`` included
    keywords: tuple[str, ...]  # keyword-only parameters
    var_keyword: str | None
    logged: tuple[tuple[str, str], ...]  # (parameter, the sink as shown: log.warning(...))


def scan_of(ctx: FileContext) -> SecretScan:
    """The shared scan of ``ctx``'s file (each of the three rules asks for it)."""
    scan = ctx.shared.get("secrets")
    if not isinstance(scan, SecretScan):
        scan = ctx.shared["secrets"] = SecretScan(ctx)
    return scan


class SecretScan:
    """What one file says about secrets; every part is computed when first asked for."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        packs = ctx.config.secret_name_packs if ctx.config is not None else ()
        self.reader = ValueReader(ctx, matcher(packs))
        self.sinks = SinkFinder(ctx)

    @cached_property
    def sink_calls(self) -> tuple[Sink, ...]:
        return tuple(self.sinks.calls())

    def clue(self, evidence: Evidence) -> Clue:
        line = self.ctx.span(evidence.via_node).line if evidence.via_node is not None else None
        return Clue(evidence.describe(line), evidence.match.category, evidence.match.phrase)

    def written_secrets(self, sink: Sink) -> Iterator[tuple[Written, list[Evidence]]]:
        """Each argument of a sink that writes a secret, and why (the first reason's node is
        where it shows, e.g. the name inside an f-string)."""
        for written in sink.written():
            found: list[Evidence] = []
            if written.keyword is not None and self.reader.matcher.is_metadata(written.keyword):
                continue  # token_id=exporter.token: the call says what the value stands for
            if written.keyword is not None:
                keyword = self.reader.keyword(written.keyword, written.value, written.argument)
                if keyword is not None:
                    found.append(keyword)
            found.extend(
                self.reader.evidence(
                    written.value, sink.function, label=written.label, about=sink.exception
                )
            )
            if sink.kind == "print":
                found = [e for e in found if not _made_here(e)]
            if found:
                yield written, found

    # -- calls with secret arguments (RL501 call sites, RL502 logging helpers) ------------------
    @cached_property
    def secret_calls(self) -> tuple[SecretCall, ...]:
        sinks = {id(sink.call) for sink in self.sink_calls}
        calls: list[SecretCall] = []
        for info in self.ctx.calls:
            if id(info.node) in sinks:
                continue
            call = invoked(self.ctx, info.node)
            func = call.func
            method = func.attr.value if isinstance(func, cst.Attribute) else None
            callee = called_name(self.ctx, call)
            if (
                method not in INVOCATION_METHODS
                and callee not in BY_NAME_FUNCTIONS
                and not self._maybe_project(callee)
            ):
                continue
            arguments = tuple(self._secret_arguments(call, info.function))
            if arguments:
                unit = _outermost(info.function)
                calls.append(
                    SecretCall(
                        self.ctx.span(info.node),
                        method,
                        callee,
                        unit.qualname if unit else None,
                        arguments,
                    )
                )
        return tuple(calls)

    def _secret_arguments(
        self, call: cst.Call, function: FunctionInfo | None
    ) -> Iterator[SecretArgument]:
        position = 0
        for arg in call.args:
            found: list[Evidence] = []
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword is not None and self.reader.matcher.is_metadata(keyword):
                continue  # token_id=exporter.token: the call says what the value stands for
            if keyword is not None:
                named = self.reader.keyword(keyword, arg.value, arg)
                if named is not None:
                    found.append(named)
            found.extend(self.reader.evidence(arg.value, function))
            at = None if keyword is not None or arg.star else position
            if keyword is None and not arg.star:
                position += 1
            if found:
                clues = tuple(dict.fromkeys(self.clue(e) for e in found))
                spread = arg.star or None
                place = self.ctx.span(found[0].node)  # the name inside args=(...), not the tuple
                yield SecretArgument(at, keyword or spread, place, clues)

    def _maybe_project(self, callee: str | None) -> bool:
        """Whether a call may run a project function (so it is worth recording): names of this
        module, ``self`` / ``super()``, relative imports, and imports whose top package is a
        folder of this file's path. Builtins, the standard library and other packages are not."""
        if callee is None:
            return False
        head = callee.split(INSTANCE_OF, 1)[0]
        if head.startswith((f"{SELF_MODULE}.", "self.", "cls.", f"{SUPER}.", ".")):
            return True
        top = head.split(".", 1)[0]
        if top in _STDLIB or "." not in head:
            return False
        return top in self._folders or "tasks" in head.split(".")[:-1]

    @cached_property
    def _folders(self) -> frozenset[str]:
        return frozenset(PurePath(self.ctx.path).parts[:-1])

    # -- secret-named parameters (RL501's definition side) --------------------------------------
    @cached_property
    def secret_parameters(self) -> tuple[SecretParameter, ...]:
        found: list[SecretParameter] = []
        offsets: dict[int, int] | None = None
        for function in self.ctx.functions:
            for param in _parameters(function.node):
                match = self.reader.match(param.name.value)
                if match is None:
                    continue
                if offsets is None:
                    offsets = self.ctx.def_offsets()
                span = self._parameter_span(offsets.get(id(function)), param.name.value)
                if span is None:
                    continue
                clue = Clue(f"`{param.name.value}`", match.category, match.phrase)
                found.append(SecretParameter(function.qualname, param.name.value, span, clue))
        return tuple(found)

    def _parameter_span(self, def_offset: int | None, name: str) -> Span | None:
        """Where parameter ``name`` is, from the text after its function's name (no positions:
        a parameter list is short, and positions cost a parse)."""
        if def_offset is None:
            return None
        source = self.ctx.source
        opening = source.find("(", def_offset)
        if opening < 0:
            return None
        found = re.compile(rf"(?<![\w.]){re.escape(name)}\b").search(source, opening)
        if found is None:
            return None
        starts = self.ctx.line_starts()
        line = bisect.bisect_right(starts, found.start())
        column = found.start() - starts[line - 1] + 1
        return Span(line, column, line, column + len(name))

    # -- functions that log their parameters (RL502 one level into a helper) -----------------
    @cached_property
    def logged_parameters(self) -> tuple[LoggedParameters, ...]:
        """Functions writing a parameter to a log, for parameters whose name says nothing of a
        secret (``headers``, ``params``): a secret-named one is reported at the log call."""
        by_function: dict[int, tuple[FunctionInfo, dict[str, str]]] = {}
        for sink in self.sink_calls:
            function = sink.function
            if function is None or function.parent is not None:
                continue
            names = _parameter_names(function.node)
            for written in sink.written():
                for leaf in leaves(written.value):
                    node = leaf.node
                    if (
                        leaf.kind == "ref"
                        and isinstance(node, cst.Name)
                        and node.value in names
                        and self.reader.match(node.value) is None
                    ):
                        entry = by_function.setdefault(id(function), (function, {}))
                        entry[1].setdefault(node.value, sink.shown)
        facts: list[LoggedParameters] = []
        for function, logged in by_function.values():
            params = function.node.params
            positional = tuple(p.name.value for p in (*params.posonly_params, *params.params))
            star = params.star_kwarg
            facts.append(
                LoggedParameters(
                    function.qualname,
                    positional,
                    tuple(p.name.value for p in params.kwonly_params),
                    star.name.value if star is not None else None,
                    tuple(sorted(logged.items())),
                )
            )
        return tuple(facts)


def _made_here(evidence: Evidence) -> bool:
    """``print(generate_secret_key())``: a command showing the secret it just made, which is
    what such a command is for."""
    return evidence.kind == "call" and evidence.name.startswith(_MAKERS)


def _outermost(function: FunctionInfo | None) -> FunctionInfo | None:
    while function is not None and function.parent is not None:
        function = function.parent
    return function


def _parameters(node: cst.FunctionDef) -> Iterator[cst.Param]:
    params = node.params
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def _parameter_names(node: cst.FunctionDef) -> frozenset[str]:
    return frozenset(param.name.value for param in _parameters(node))
