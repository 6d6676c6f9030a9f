"""The per-file phase: one file's bytes in, its facts and per-file findings out.

A pure function of the bytes and the settings (``AnalysisSettings``), run in worker processes:
decode, guard against nesting Python cannot parse, let the prefilter outline a file nothing can
be found in (``retrylint.prefilter``), else parse once with libcst, walk once (the collector plus
every per-file check's handlers), let each adapter read the index, run the per-file checks and
scan suppression comments. Bad input becomes a finding (RL001), never an exception; a part that
crashes on one file is recorded and the rest goes on (``Guard``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrylint.config import Config
from retrylint.facts import FileResult
from retrylint.findings import Finding
from retrylint.parsing import syntax_error_finding, too_deeply_nested
from retrylint.source import SourceDecodeError, SourceText, decode_source


@dataclass(frozen=True)
class AnalysisSettings:
    """What the per-file phase depends on besides the bytes: picklable, part of a cache key."""

    config: Config
    selected: frozenset[str]
    verbose: bool = False  # internal errors carry their traceback
    prefilter: bool = True  # files nothing can be found in get the outline only (``prefilter``)

    def cache_key(self) -> str:
        """Names the cached results these settings may share: config, rules, verbosity and
        whether a result may be an outline."""
        rules = ",".join(sorted(self.selected))
        flags = f"{int(self.verbose)}{int(self.prefilter)}"
        return f"{self.config.fingerprint()[:24]}-{_short_digest(rules)}-{flags}"


def _short_digest(text: str) -> str:
    import hashlib

    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def analyse_source(path: str, data: bytes, settings: AnalysisSettings) -> FileResult:
    """The per-file phase for one file's bytes. Never raises for bad input."""
    from retrylint.checks.rl001 import syntax_error

    try:
        source = decode_source(data)
    except SourceDecodeError as error:
        return FileResult(path, None, (syntax_error(path, str(error)),))
    too_deep = too_deeply_nested(source.text)
    if too_deep is not None:
        return FileResult(path, None, (syntax_error(path, *too_deep),))
    tree = None
    if settings.prefilter:
        outlined, tree = _outlined(path, data, source, settings)
        if outlined is not None:
            return outlined
    try:
        module = _parse(source.text)
    except Exception as error:  # libcst.ParserSyntaxError, RecursionError
        return FileResult(path, None, (syntax_error_finding(path, source.text, error),))
    return _analyse_module(path, source, module, settings, tree)


def _outlined(
    path: str, data: bytes, source: SourceText, settings: AnalysisSettings
) -> tuple[FileResult | None, object | None]:
    """The outline of a file the prefilter finds nothing to analyse in; None when the file needs
    the full analysis (``ast`` rejecting it included: libcst then reports why, and a bug of the
    outline's own: the full analysis is never worse than a file lost). With it, the ``ast`` tree
    when one was made: positions reuse it."""
    import ast
    import warnings

    from retrylint.outline import outline_facts
    from retrylint.prefilter import named_by_words, needs_full_analysis

    if named_by_words(data):
        return None, None
    tree = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes: libcst's path says nothing either
            tree = ast.parse(source.text)
        packs = settings.config.secret_name_packs
        if needs_full_analysis(tree, settings.selected, packs):
            return None, tree
        facts = outline_facts(source.text, tree)
    except Exception:  # SyntaxError, RecursionError ... or a bug: the full analysis decides
        return None, tree
    return (None if facts is None else FileResult(path, facts, outlined=True)), tree


def _parse(text: str) -> object:
    import libcst

    return libcst.parse_module(text)


def parses(text: str) -> bool:
    """Whether libcst accepts ``text``: the fixer's check before it keeps a fixed file."""
    if too_deeply_nested(text) is not None:
        return False
    try:
        _parse(text)
    except Exception:
        return False
    return True


def _analyse_module(
    path: str,
    source: SourceText,
    module: object,
    settings: AnalysisSettings,
    tree: object | None = None,
) -> FileResult:
    from retrylint.call_reader import call_facts
    from retrylint.checks import rule_module
    from retrylint.collector import build_context
    from retrylint.effects.scan import EffectScan
    from retrylint.frameworks import FactSink, adapter_modules
    from retrylint.suppressions import scan_comments
    from retrylint.values import Value

    guard = Guard(settings.verbose)
    file_checks = [
        (code, _file_check(check_class, settings.config))
        for code in sorted(settings.selected)
        if (rule := rule_module(code)) is not None
        and (check_class := getattr(rule, "FileCheck", None)) is not None
    ]
    # The side-effect scan rides the same walk: the job inventory needs it whatever is selected.
    effects = EffectScan(settings.config.side_effect_packs)
    handlers: dict[type, list] = {}
    for code, check in file_checks:
        for node_type, handler in check.handlers().items():
            handlers.setdefault(node_type, []).append(guard.wrap(code, handler))
    for node_type, handler in effects.handlers().items():
        handlers.setdefault(node_type, []).append(guard.wrap("the side-effect scan", handler))
    ctx = build_context(path, source.text, module, handlers, settings.config, tree)  # type: ignore[arg-type]
    sink = FactSink()
    for adapter in adapter_modules():
        name = f"the {adapter.__name__.rsplit('.', 1)[-1]} adapter"
        guard.run(name, adapter.extract, ctx, sink)
    guard.run("the side-effect scan", effects.record, ctx, sink)
    findings: list[Finding] = []
    for code, check in file_checks:
        findings.extend(guard.run(code, check.findings, ctx) or ())
        if hasattr(check, "facts"):  # what its project phase needs from this file
            sink.data.extend(guard.run(code, check.facts, ctx) or ())
    comments = scan_comments(source.text)
    constants: list[tuple[str, Value]] = []
    for name, expression in ctx.constants.items():
        value = ctx.evaluate(expression)
        if is_constant(value):
            constants.append((name, value))
    graph = call_facts(ctx)
    facts = sink.into_facts(
        functions=graph.functions,
        classes=graph.classes,
        instances=graph.instances,
        imports=tuple(sorted(ctx.imports.items())),
        star_imports=tuple(ctx.star_imports),
        module_names=tuple(sorted(ctx.module_names)),
        constants=tuple(constants),
        suppressions=comments.suppressions,
        ignore_file=comments.ignore_file,
        statement_starts=comments.statement_starts,
        import_insert_line=ctx.import_insert_line(),
    )
    return FileResult(path, facts, tuple(findings), internal_errors=tuple(guard.failures))


class Guard:
    """One rule or adapter failing on one file must not take the others down with it.

    A part that raises is recorded once (its name and a one-line reason; the traceback too when
    verbose) and not called again for this file; everything else goes on.
    """

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.failures: list[tuple[str, str]] = []
        self._failed: set[str] = set()

    def run(self, part: str, function: Any, *args: Any) -> Any:
        if part in self._failed:
            return None
        try:
            return function(*args)
        except Exception as error:  # recorded and reported as an internal error of this part
            self._failed.add(part)
            reason = describe(error)
            if self.verbose:
                import traceback

                reason += "\n" + "".join(traceback.format_exc()).rstrip()
            self.failures.append((part, reason))
            return None

    def wrap(self, part: str, handler: Any) -> Any:
        def guarded(node: Any, ctx: Any) -> None:
            self.run(part, handler, node, ctx)

        return guarded


def _file_check(check_class: Any, config: Config) -> Any:
    """A rule's per-file check for one file; one that reads settings has ``from_config``."""
    from_config = getattr(check_class, "from_config", None)
    return from_config(config) if from_config is not None else check_class()


def is_constant(value: object) -> bool:
    """A literal, or arithmetic over literals and names the project index may resolve
    (``MAX_AGE // DELAY + 10`` with both from a settings class)."""
    if isinstance(value, int | float | str | bool | tuple) or value is None:
        return True
    from retrylint.values import OpValue, Ref

    if isinstance(value, OpValue):
        return is_constant(value.left) and is_constant(value.right)
    return isinstance(value, Ref)


def describe(error: Exception) -> str:
    """An exception in one line: its type and message."""
    return f"{type(error).__name__}: {error}"
