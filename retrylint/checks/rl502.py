"""RL502 secret-in-log: a secret-looking value reaches a log call, ``print``, a warning or an
exception message.

Scope is the whole production project, not only job code: a token logged by a view leaks as
surely as one logged by a task. Per file: every log call, print and warning. Project phase:
secrets raised in exceptions, once the raised class is known (a project class whose ``__init__``
keeps the value out of its message leaks nothing); and a call that passes a secret to a project
function which logs that parameter (a ``request_with_retries(url, headers=...)`` helper logging
its headers on failure), one level deep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import libcst as cst

from retrylint.checks import Project, make_finding
from retrylint.context import FileContext, FunctionInfo
from retrylint.findings import Finding
from retrylint.model import Span
from retrylint.project import ModuleFacts
from retrylint.secrets.exceptions import MessageParameters, message_parameters
from retrylint.secrets.guards import development_only
from retrylint.secrets.names import CATEGORIES
from retrylint.secrets.scan import Clue, LoggedParameters, SecretArgument, SecretCall, scan_of
from retrylint.secrets.values import Evidence
from retrylint.secrets.wording import LOG_ADVICE, SEVERITY, what, why_leaked, written_by

CODE = "RL502"
KEY = "rl502"


@dataclass(frozen=True)
class RaisedSecret:
    """A secret given to an exception's constructor; a finding unless its class keeps it out of
    the message."""

    exception: str  # the class as qualified in its file
    shown: str  # raise X(...)
    position: int | None
    keyword: str | None
    span: Span
    clue: Clue


@dataclass(frozen=True)
class FileSecrets:
    """What RL502's project phase needs from one file."""

    calls: tuple[SecretCall, ...]
    logged: tuple[LoggedParameters, ...]
    raised: tuple[RaisedSecret, ...]
    messages: tuple[MessageParameters, ...]


class FileCheck:
    """Sinks of one file; the raises and the development-only branches are collected during the
    walk (the index has neither)."""

    def __init__(self) -> None:
        self.raises: list[tuple[cst.Raise, FunctionInfo | None]] = []
        self.development_branches: list[cst.BaseSuite] = []

    def handlers(self) -> dict[type, Callable[[Any, FileContext], None]]:
        return {cst.Raise: self._raise, cst.If: self._if}

    def _raise(self, node: cst.Raise, ctx: FileContext) -> None:
        self.raises.append((node, ctx.enclosing[-1] if ctx.enclosing else None))

    def _if(self, node: cst.If, ctx: FileContext) -> None:
        if development_only(node.test):
            self.development_branches.append(node.body)

    def findings(self, ctx: FileContext) -> Iterator[Finding]:
        scan = scan_of(ctx)
        development = [ctx.span(body) for body in self.development_branches]
        for sink in scan.sink_calls:
            if development and _inside(ctx.span(sink.call), development):
                continue
            for _, evidence in scan.written_secrets(sink):
                clue = scan.clue(_strongest(evidence))
                message = _message(clue, sink.kind, sink.shown)
                span = ctx.span(evidence[0].node)
                yield make_finding(CODE, message, ctx.path, span, severity=SEVERITY[clue.category])

    def facts(self, ctx: FileContext) -> Iterable[tuple[str, Any]]:
        scan = scan_of(ctx)
        raised = tuple(self._raised(ctx))
        messages = tuple(message_parameters(ctx, scan.reader))
        if scan.secret_calls or scan.logged_parameters or raised or messages:
            yield KEY, FileSecrets(scan.secret_calls, scan.logged_parameters, raised, messages)

    def _raised(self, ctx: FileContext) -> Iterator[RaisedSecret]:
        scan = scan_of(ctx)
        for node, function in self.raises:
            sink = scan.sinks.raised(node, function)
            if sink is None:
                continue
            positional = [a for a in sink.call.args if a.keyword is None and not a.star]
            for written, evidence in scan.written_secrets(sink):
                position = next(
                    (i for i, arg in enumerate(positional) if arg is written.argument), None
                )
                yield RaisedSecret(
                    ctx.qualify(sink.call.func) or "",
                    sink.shown,
                    position,
                    written.keyword,
                    ctx.span(evidence[0].node),
                    scan.clue(_strongest(evidence)),
                )


def _inside(span: Span, branches: list[Span]) -> bool:
    """Whether ``span`` lies within one of ``branches`` (line ranges: a branch is whole lines)."""
    return any(b.line <= span.line and span.end_line <= b.end_line for b in branches)


def _strongest(evidence: list[Evidence]) -> Evidence:
    return min(evidence, key=lambda e: CATEGORIES.index(e.match.category))


def _message(clue: Clue, kind: str, shown: str) -> str:
    return (
        f"{clue.text}, {what(clue.category, clue.phrase)}, {written_by(kind, shown)}: "
        f"{why_leaked(kind)}; {LOG_ADVICE}"
    )


def check_project(project: Project) -> Iterator[Finding]:
    files = [
        (module, secrets)
        for module in project.index
        if isinstance(secrets := dict(module.facts.data).get(KEY), FileSecrets)
    ]
    yield from _raised(project, files)
    yield from _through_helpers(project, files)


def _raised(project: Project, files: list[tuple[ModuleFacts, FileSecrets]]) -> Iterator[Finding]:
    """Secrets given to exceptions, unless the project class raised keeps them out of its text."""
    messages = {
        (module.path, fact.class_name): fact
        for module, secrets in files
        for fact in secrets.messages
    }
    for module, secrets in files:
        for raised in secrets.raised:
            init = _constructor(project, module, raised.exception, messages)
            if init is not None and not init.reaches(raised.position, raised.keyword):
                continue
            clue = raised.clue
            yield make_finding(
                CODE,
                _message(clue, "raise", raised.shown),
                module.path,
                raised.span,
                severity=SEVERITY[clue.category],
            )


def _constructor(
    project: Project,
    module: ModuleFacts,
    exception: str,
    messages: dict[tuple[str, str], MessageParameters],
) -> MessageParameters | None:
    """The ``__init__`` of a project exception class or of its nearest project base that has
    one; None for other classes (Python's and libraries' keep their arguments)."""
    index = project.index
    found = index.split(index.canonical(exception, module))
    if found is None or (found[0].path, found[1]) not in index.classes:
        return None
    for where, name in index.lineage(*found):
        init = messages.get((where.path, name))
        if init is not None:
            return init
    return None


def _through_helpers(
    project: Project, files: list[tuple[ModuleFacts, FileSecrets]]
) -> Iterator[Finding]:
    """Secrets passed to a project function that logs the parameter they land in."""
    helpers = {
        (module.path, fact.function): fact for module, secrets in files for fact in secrets.logged
    }
    if not helpers:
        return
    graph = project.reach.graph
    for module, secrets in files:
        for call in secrets.calls:
            if call.function is None or call.callee is None:
                continue
            caller = graph.function(module.path, call.function)
            if caller is None:
                continue
            for callee in graph.resolve(caller, call.callee):
                helper = helpers.get((callee.path, callee.fact.qualname))
                if helper is None:
                    continue
                method = callee.fact.class_name is not None and "." in call.callee
                for argument in call.arguments:
                    parameter = _parameter(helper, argument, method)
                    shown = dict(helper.logged).get(parameter or "")
                    if parameter is None or shown is None:
                        continue
                    clue = argument.clues[0]
                    name = call.callee.rsplit(".", 1)[-1]
                    message = (
                        f"{clue.text}, {what(clue.category, clue.phrase)}, is passed to `{name}` "
                        f"as `{parameter}`, which `{callee.qualname}` (line {callee.fact.line}) "
                        f"writes to the log with `{shown}`: {why_leaked('log')}; {LOG_ADVICE}"
                    )
                    yield make_finding(
                        CODE, message, module.path, argument.span, severity=SEVERITY[clue.category]
                    )


def _parameter(helper: LoggedParameters, argument: SecretArgument, method: bool) -> str | None:
    """The helper's parameter an argument lands in, as Python binds it (``self`` skipped when
    the helper is a method called on an object)."""
    if argument.keyword in ("*", "**"):
        return None
    if argument.keyword is not None:
        if argument.keyword in helper.parameters or argument.keyword in helper.keywords:
            return argument.keyword
        return helper.var_keyword
    if argument.position is None:
        return None
    index = argument.position + (1 if method else 0)
    return helper.parameters[index] if index < len(helper.parameters) else None
