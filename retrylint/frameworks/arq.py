"""arq: coroutine jobs registered in a ``WorkerSettings`` class (or ``Worker(functions=...)``).

arq never retries a job because it raised an ordinary exception: the job fails. It runs a job
again only when the job raises ``arq.Retry(defer=...)`` (the "retry signal"), or when the worker
is shut down or dies while the job runs ("pessimistic execution"). Both count against
``max_tries`` (total attempts: ``WorkerSettings.max_tries`` = 5, ``func(max_tries=...)`` per
function, cron jobs 1), and a job is neither started nor retried after it expires (1 day after
it was due by default). Sources: arq 0.28 ``worker.py`` (``run_job``), ``cron.py``,
``connections.py``.

A job's body and its registration are usually in different modules (``jobs.py`` holds the
coroutines, ``worker.py`` the settings), so the per-file phase records both halves in
``FileFacts.data``: every module-level coroutine with the retry signals it raises
(:class:`Coroutine`), and every registration with its settings (:class:`Registration`,
:class:`Settings`). ``build_jobs`` joins them through the project's imports.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import libcst as cst

from retrylint.context import SELF_MODULE, FileContext, FunctionInfo
from retrylint.facts import CallShape, ConfigFact, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import BodyVisitor, call_shape, keyword_options
from retrylint.frameworks.defaults import (
    ARQ_CRON_MAX_TRIES,
    ARQ_EXPIRES_EXTRA,
    ARQ_JOB_TIMEOUT,
    ARQ_MAX_TRIES,
)
from retrylint.linking import call_site
from retrylint.model import (
    NO_DELAY,
    UNKNOWN,
    CallSite,
    Delay,
    ExceptionsValue,
    Job,
    Marker,
    RetryPolicy,
    SecondsValue,
    Source,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Located, Value, as_seconds, exception_names, is_number

FRAMEWORK = "arq"
RETRY = frozenset({"arq.Retry", "arq.worker.Retry"})
FUNC = frozenset({"arq.func", "arq.worker.func"})
CRON = frozenset({"arq.cron", "arq.cron.cron"})
WORKER = frozenset({"arq.Worker", "arq.worker.Worker"})
RUN_WORKER = frozenset({"arq.run_worker", "arq.worker.run_worker"})
SETTINGS_KEYS = ("max_tries", "job_timeout", "retry_jobs", "keep_result", "expires_extra_ms")
COROUTINE_DATA = "arq.coroutine"
REGISTRATION_DATA = "arq.registration"
SETTINGS_DATA = "arq.settings"
JOB_TRY = "job_try"


@dataclass(frozen=True)
class RetrySignal:
    """One ``raise Retry(...)`` in a job body.

    ``handled`` is what the enclosing ``except`` clause catches (``"all"`` for a bare one), or
    None when the raise is not inside a handler (a condition, not an exception, triggers it).
    """

    span: Span
    code: str
    delay: Delay
    handled: tuple[str, ...] | Literal["all"] | Marker | None


@dataclass(frozen=True)
class Coroutine:
    """A module-level ``async def`` that a WorkerSettings somewhere may register."""

    function: str
    span: Span
    signals: tuple[RetrySignal, ...]


@dataclass(frozen=True)
class Settings:
    """A ``WorkerSettings``-style class or a ``Worker(...)`` call: the worker-wide options."""

    scope: str  # "$.WorkerSettings", "$.<Worker@12>"
    label: str  # "WorkerSettings", "Worker(...)"
    span: Span
    options: tuple[tuple[str, Located], ...]


@dataclass(frozen=True)
class Registration:
    """One entry of ``functions = [...]`` or ``cron_jobs = [...]``."""

    settings: str  # the Settings.scope it belongs to
    target: str  # qualified reference ("$.download", ".jobs.download") or an import string
    by_string: bool
    name: str | None  # func(name=...) / cron(name=...) when a literal
    span: Span
    options: tuple[tuple[str, Located], ...]
    cron: bool
    shape: CallShape | None  # the func(...) / cron(...) call, for fixes adding max_tries=


# ---------------------------------------------------------------------------------------------
# Per-file phase
# ---------------------------------------------------------------------------------------------


def extract(ctx: FileContext, sink: FactSink) -> None:
    uses_arq = any(target.split(".", 1)[0] == FRAMEWORK for target in ctx.imports.values())
    for function in ctx.module_functions():
        if function.is_async and _positional_count(function) >= 1:
            if uses_arq:
                signals = _retry_signals(ctx, function)
                span = ctx.span(function.node.name)
            else:
                # No Retry can be raised without importing arq; and most files with coroutines
                # hold no job, so their span comes from the text, not the position pass.
                signals, span = (), _coroutine_span(ctx, function)
            sink.data.append((COROUTINE_DATA, Coroutine(function.qualname, span, signals)))
    if uses_arq:
        _extract_settings_classes(ctx, sink)
        _extract_worker_calls(ctx, sink)


def _coroutine_span(ctx: FileContext, function: FunctionInfo) -> Span:
    name = function.name
    pattern = re.compile(rf"^async[ \t]+def[ \t]+({re.escape(name)})\b", re.MULTILINE)
    match = pattern.search(ctx.source)
    if match is None:
        return ctx.span(function.node.name)
    starts = ctx.line_starts()
    line = bisect.bisect_right(starts, match.start(1))
    column = match.start(1) - starts[line - 1] + 1
    return Span(line, column, line, column + len(name))


def _positional_count(function: FunctionInfo) -> int:
    params = function.node.params
    return len(params.posonly_params) + len(params.params)


def _extract_settings_classes(ctx: FileContext, sink: FactSink) -> None:
    async_defs = {f"{SELF_MODULE}.{f.qualname}" for f in ctx.module_functions() if f.is_async}
    run_worker_args = {
        name
        for info in ctx.calls
        if ctx.qualify(info.node.func) in RUN_WORKER and info.node.args
        if (name := ctx.qualify(info.node.args[0].value)) is not None
    }
    for info in ctx.classes.values():
        functions = _list_node(ctx, info.attributes.get("functions"))
        cron_jobs = _list_node(ctx, info.attributes.get("cron_jobs"))
        if functions is None and cron_jobs is None:
            continue
        elements = [e.value for e in (*(functions or ()), *(cron_jobs or ()))]
        accepted = (
            "WorkerSettings" in info.name
            or f"{SELF_MODULE}.{info.qualname}" in run_worker_args
            or any(_is_registration_call(ctx, e) or ctx.qualify(e) in async_defs for e in elements)
        )
        if not accepted:
            continue
        scope = f"{SELF_MODULE}.{info.qualname}"
        options = tuple(
            (key, ctx.locate(info.attributes[key]))
            for key in SETTINGS_KEYS
            if key in info.attributes
        )
        span = ctx.span(info.node.name)
        sink.data.append((SETTINGS_DATA, Settings(scope, info.name, span, options)))
        sink.objects.append(ObjectFact(info.qualname, "arq-worker-settings", FRAMEWORK, span))
        for key, located in options:
            sink.configs.append(ConfigFact(FRAMEWORK, key, located, scope))
        _record_registrations(ctx, sink, scope, functions or (), cron=False)
        _record_registrations(ctx, sink, scope, cron_jobs or (), cron=True)


def _extract_worker_calls(ctx: FileContext, sink: FactSink) -> None:
    """``Worker(functions=[...], max_tries=..., ...)`` built by hand."""
    for info in ctx.calls:
        node = info.node
        if ctx.qualify(node.func) not in WORKER:
            continue
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        span = ctx.span(node)
        scope = f"{SELF_MODULE}.<Worker@{span.line}>"
        options = tuple(
            (key, ctx.locate(keywords[key])) for key in SETTINGS_KEYS if key in keywords
        )
        sink.data.append((SETTINGS_DATA, Settings(scope, "Worker(...)", span, options)))
        for key, located in options:
            sink.configs.append(ConfigFact(FRAMEWORK, key, located, scope))
        functions = _list_node(ctx, keywords.get("functions"))
        cron_jobs = _list_node(ctx, keywords.get("cron_jobs"))
        _record_registrations(ctx, sink, scope, functions or (), cron=False)
        _record_registrations(ctx, sink, scope, cron_jobs or (), cron=True)


def _list_node(
    ctx: FileContext, node: cst.BaseExpression | None
) -> tuple[cst.BaseElement, ...] | None:
    """The elements of a list/tuple literal, following a module-level name bound to one."""
    if isinstance(node, cst.Name) and node.value not in ctx.imports:
        node = ctx.constants.get(node.value, node)
    if isinstance(node, cst.List | cst.Tuple):
        return tuple(node.elements)
    return None


def _is_registration_call(ctx: FileContext, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and ctx.qualify(node.func) in FUNC | CRON


def _record_registrations(
    ctx: FileContext,
    sink: FactSink,
    scope: str,
    elements: Iterable[cst.BaseElement],
    *,
    cron: bool,
) -> None:
    for element in elements:
        if isinstance(element, cst.StarredElement):
            continue
        node = element.value
        options: tuple[tuple[str, Located], ...] = ()
        shape = None
        reference = node
        if isinstance(node, cst.Call):
            if not _is_registration_call(ctx, node):
                continue
            positional = [a.value for a in node.args if a.keyword is None and not a.star]
            keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            found = positional[0] if positional else keywords.get("coroutine")
            if found is None:
                continue
            reference = found
            options = tuple((k, v) for k, v in keyword_options(ctx, node) if k != "coroutine")
            shape = call_shape(ctx, node)
            cron = cron or ctx.qualify(node.func) in CRON
        by_string = isinstance(reference, cst.SimpleString | cst.ConcatenatedString)
        if by_string:
            value = ctx.evaluate(reference)
            target = value if isinstance(value, str) else None
        else:
            target = ctx.qualify(reference)
        if not target:
            continue
        name_value = next((v.value for k, v in options if k == "name"), None)
        sink.data.append(
            (
                REGISTRATION_DATA,
                Registration(
                    settings=scope,
                    target=target,
                    by_string=by_string,
                    name=name_value if isinstance(name_value, str) else None,
                    span=ctx.span(node),
                    options=options,
                    cron=cron,
                    shape=shape,
                ),
            )
        )


# -- the retry signal in a job body -------------------------------------------------------------


class _SignalFinder(BodyVisitor):
    """``raise Retry(...)`` statements in one body, with the ``except`` clause around each."""

    def __init__(self, ctx: FileContext, job_try_names: set[str], ctx_param: str | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.job_try_names = job_try_names
        self.ctx_param = ctx_param
        self.signals: list[RetrySignal] = []

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        if exc is None:
            return
        call = exc if isinstance(exc, cst.Call) else None
        if self.ctx.qualify(call.func if call else exc) not in RETRY:
            return
        defer = None
        if call is not None:
            for arg in call.args:
                if arg.keyword is None or arg.keyword.value == "defer":
                    defer = arg.value
                    break
        self.signals.append(
            RetrySignal(
                span=self.ctx.span(node),
                code=self.ctx.code(node).strip(),
                delay=_defer_delay(self.ctx, defer, self),
                handled=self._handled(),
            )
        )

    def _handled(self) -> tuple[str, ...] | Literal["all"] | Marker | None:
        if not self.handlers:
            return None
        handler = self.handlers[-1]
        if handler.type is None:
            return "all"
        return exception_names(self.ctx.evaluate(handler.type))

    def is_job_try(self, node: cst.BaseExpression) -> bool:
        """``ctx['job_try']``, ``ctx.get('job_try')`` or a local name bound to one of them."""
        if isinstance(node, cst.Name):
            return node.value in self.job_try_names
        return _is_job_try_read(node, self.ctx_param)


def _retry_signals(ctx: FileContext, function: FunctionInfo) -> tuple[RetrySignal, ...]:
    params = function.node.params
    positional = [*params.posonly_params, *params.params]
    ctx_param = positional[0].name.value if positional else None
    job_try_names = {
        target.value
        for assignment in ctx.assignments
        if assignment.function is function and _is_job_try_read(assignment.value, ctx_param)
        for target in assignment.targets
        if isinstance(target, cst.Name)
    }
    finder = _SignalFinder(ctx, job_try_names, ctx_param)
    function.node.body.visit(finder)
    return tuple(finder.signals)


def _is_job_try_read(node: cst.BaseExpression, ctx_param: str | None) -> bool:
    if ctx_param is None:
        return False
    match node:
        case cst.Subscript(
            value=cst.Name(value=name),
            slice=[cst.SubscriptElement(slice=cst.Index(value=cst.SimpleString() as key))],
        ):
            return name == ctx_param and key.evaluated_value == JOB_TRY
        case cst.Call(
            func=cst.Attribute(value=cst.Name(value=name), attr=cst.Name(value="get")),
            args=[first, *_],
        ) if isinstance(first.value, cst.SimpleString):
            return name == ctx_param and first.value.evaluated_value == JOB_TRY
    return False


def _defer_delay(ctx: FileContext, node: cst.BaseExpression | None, finder: _SignalFinder) -> Delay:
    """The delay ``Retry(defer=...)`` asks for: constant, ``job_try * N`` linear, ``N ** job_try``
    exponential, ``min(..., cap)`` capped; anything else computed from ``job_try`` is custom."""
    if node is None:
        return NO_DELAY  # re-queued at once
    seconds = as_seconds(ctx.evaluate(node))
    if not isinstance(seconds, Marker):
        return NO_DELAY if seconds <= 0 else Delay("constant", seconds, seconds, False)
    match node:
        case cst.Call(func=cst.Name(value="min"), args=[first, second]):
            for inner, bound in ((first.value, second.value), (second.value, first.value)):
                cap = as_seconds(ctx.evaluate(bound))
                grown = _defer_delay(ctx, inner, finder)
                if not isinstance(cap, Marker) and grown.strategy in ("linear", "exponential"):
                    base = min(grown.base or 0.0, cap)
                    return Delay(grown.strategy, base, cap, False)
        case cst.BinaryOperation(operator=cst.Multiply(), left=left, right=right):
            for counter, factor in ((left, right), (right, left)):
                value = ctx.evaluate(factor)
                if finder.is_job_try(counter) and is_number(value):
                    return Delay("linear", float(value), None, False)  # type: ignore[arg-type]
        case cst.BinaryOperation(operator=cst.Power(), left=left, right=right):
            value = ctx.evaluate(left)
            if finder.is_job_try(right) and is_number(value):
                return Delay("exponential", float(value), None, False)  # type: ignore[arg-type]
    if _mentions_job_try(node, finder):
        return Delay("custom", None, None, None)
    return Delay("unknown")


def _mentions_job_try(node: cst.CSTNode, finder: _SignalFinder) -> bool:
    if isinstance(node, cst.BaseExpression) and finder.is_job_try(node):
        return True
    return any(_mentions_job_try(child, finder) for child in node.children)


# ---------------------------------------------------------------------------------------------
# Project phase
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    value: Value
    source: Source
    origin: str
    span: Span | None
    path: str | None

    def sourced(self, value: object, origin: str | None = None) -> Sourced:
        return Sourced(value, self.source, origin or self.origin, self.span, self.path)


def build_jobs(project: ProjectIndex) -> Iterable[Job]:
    coroutines: dict[str, tuple[ModuleFacts, Coroutine]] = {}
    settings: dict[str, tuple[ModuleFacts, Settings]] = {}
    registrations: list[tuple[ModuleFacts, Registration]] = []
    for module in project:
        for key, value in module.facts.data:
            if key == COROUTINE_DATA:
                coroutines[f"{module.module}.{value.function}"] = (module, value)
            elif key == SETTINGS_DATA:
                settings[project.absolute(value.scope, module)] = (module, value)
            elif key == REGISTRATION_DATA:
                registrations.append((module, value))
    jobs = [
        _build_job(project, module, registration, coroutines, settings)
        for module, registration in registrations
    ]
    by_name = {job.name: position for position, job in enumerate(jobs)}
    sites: dict[int, list[CallSite]] = {}
    for module, call in project.calls():
        # linking.py links enqueue_job("name") only when the receiver is a plain name; arq code
        # usually enqueues from inside a job through ctx["redis"], so link every receiver here
        # (the CallSite is built the same way, so linking's own copy is deduplicated).
        if call.method == "enqueue_job" and call.target in by_name:
            sites.setdefault(by_name[call.target], []).append(call_site(module, call))
    for position, found in sites.items():
        job = jobs[position]
        ordered = sorted({*job.call_sites, *found}, key=lambda s: (s.path, s.span))
        jobs[position] = replace(job, call_sites=tuple(ordered))
    return jobs


def _build_job(
    project: ProjectIndex,
    module: ModuleFacts,
    registration: Registration,
    coroutines: dict[str, tuple[ModuleFacts, Coroutine]],
    settings: dict[str, tuple[ModuleFacts, Settings]],
) -> Job:
    if registration.by_string:
        target = registration.target
    else:
        target = project.canonical(registration.target, module)
    found = coroutines.get(target)
    function_name = target.rsplit(".", 1)[-1]
    name = registration.name or (registration.target if registration.by_string else function_name)
    if registration.cron and registration.name is None:
        name = f"cron:{name}"
    worker = settings.get(project.absolute(registration.settings, module))
    options = _Options(module, registration, worker)

    attempts = options.max_tries()
    retry_jobs = options.retry_jobs()
    if found is None:
        body_module, coroutine = None, None
        signals: tuple[RetrySignal, ...] = ()
    else:
        body_module, coroutine = found
        signals = coroutine.signals
    policy = _policy(project, body_module, coroutine, signals, attempts, retry_jobs)
    details: list[tuple[str, object]] = [
        ("registration", (module.path, registration.span)),
        ("settings", project.absolute(registration.settings, module) if worker else None),
        ("max_tries", attempts),
        ("retry_signals", signals),
        ("cron", registration.cron),
        ("options", registration.options),
    ]
    if registration.shape is not None:
        details.append(("decorator", registration.shape))
    if found is None:
        details.append(("unresolved_function", target))
    return Job(
        name=name,
        qualname=target if found is not None else f"{module.module}.{function_name}",
        framework=FRAMEWORK,
        kind="task",
        path=body_module.path if body_module else module.path,
        span=coroutine.span if coroutine else registration.span,
        policy=policy,
        time_limit=options.timeout(),
        function=coroutine.function if coroutine else None,
        details=tuple(details),
    )


class _Options:
    """A registration's options: ``func()``/``cron()`` keywords, then the worker's, then arq's."""

    def __init__(
        self,
        module: ModuleFacts,
        registration: Registration,
        worker: tuple[ModuleFacts, Settings] | None,
    ) -> None:
        self.module = module
        self.registration = registration
        self.worker = worker

    def _own(self, key: str) -> _Option | None:
        for name, located in self.registration.options:
            if name == key:
                call = "cron" if self.registration.cron else "func"
                origin = f"{call}({key}={located.code})"
                return _Option(located.value, "explicit", origin, located.span, self.module.path)
        return None

    def _worker(self, key: str) -> _Option | None:
        if self.worker is None:
            return None
        module, settings = self.worker
        for name, located in settings.options:
            if name == key:
                if settings.label == "Worker(...)":
                    origin = f"Worker({key}={located.code})"
                else:
                    origin = f"{settings.label}.{key} = {located.code}"
                return _Option(located.value, "app-config", origin, located.span, module.path)
        return None

    def max_tries(self) -> Sourced[int | Marker]:
        own = self._own("max_tries")
        if own is not None and own.value is not None:
            return own.sourced(_count(own.value))
        if self.registration.cron and own is None:
            return default(ARQ_CRON_MAX_TRIES, "cron(max_tries=1) (arq default for cron jobs)")
        worker = self._worker("max_tries")
        if worker is not None:
            return worker.sourced(_count(worker.value))
        return default(ARQ_MAX_TRIES, f"max_tries={ARQ_MAX_TRIES} (arq default)")

    def retry_jobs(self) -> Sourced[bool | Marker] | None:
        worker = self._worker("retry_jobs")
        if worker is None:
            return None
        value = worker.value if isinstance(worker.value, bool) else UNKNOWN
        return worker.sourced(value)

    def timeout(self) -> Sourced[SecondsValue]:
        own = self._own("timeout")
        if own is not None and own.value is not None:
            return own.sourced(as_seconds(own.value))
        worker = self._worker("job_timeout")
        if worker is not None:
            return worker.sourced(None if worker.value is None else as_seconds(worker.value))
        return default(ARQ_JOB_TIMEOUT, "job_timeout=300 s (arq default)")


def _count(value: Value) -> int | Marker:
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 1)
    return UNKNOWN


def _policy(
    project: ProjectIndex,
    module: ModuleFacts | None,
    coroutine: Coroutine | None,
    signals: tuple[RetrySignal, ...],
    attempts: Sourced[int | Marker],
    retry_jobs: Sourced[bool | Marker] | None,
) -> RetryPolicy:
    redelivery = _redelivery(attempts)
    permanent: Sourced[tuple[str, ...]] = default(
        (), "arq fails a job on any exception other than Retry"
    )
    if coroutine is None:
        unknown = "the job's coroutine was not found in the project"
        return RetryPolicy(
            retries=default(UNKNOWN, unknown),
            max_attempts=attempts,
            delay=default(Delay("unknown"), unknown),
            deadline=default(UNKNOWN, unknown),
            retry_on=default(UNKNOWN, unknown),
            permanent=permanent,
            redelivery=redelivery,
        )
    disabled = retry_jobs is not None and retry_jobs.value is False
    single = isinstance(attempts.value, int) and attempts.value <= 1
    if not signals or disabled or single:
        if disabled and retry_jobs is not None:
            origin = f"{retry_jobs.origin}: Retry is not honoured"
            flag: Sourced[bool | Marker] = Sourced(
                False, retry_jobs.source, origin, retry_jobs.span, retry_jobs.path
            )
        elif signals:
            origin = f"{attempts.origin}: raising Retry fails the job at once"
            flag = Sourced(False, attempts.source, origin, attempts.span, attempts.path)
        else:
            flag = default(False, "arq does not retry on exceptions and this job raises no Retry")

        def same(value: object) -> Sourced:
            return Sourced(value, flag.source, flag.origin, flag.span, flag.path)

        return RetryPolicy(
            retries=flag,
            max_attempts=same(1),
            delay=same(NO_DELAY),
            deadline=same(None),
            retry_on=same(()),
            permanent=permanent,
            redelivery=redelivery,
        )
    first = signals[0]
    assert module is not None
    if retry_jobs is not None and retry_jobs.value is UNKNOWN:
        retries: Sourced[bool | Marker] = retry_jobs
    elif attempts.value is UNKNOWN:
        retries = Sourced(UNKNOWN, attempts.source, attempts.origin, attempts.span, attempts.path)
    else:
        retries = explicit_at(True, first.code, first.span)
    return RetryPolicy(
        retries=retries,
        max_attempts=attempts,
        delay=explicit_at(_combined_delay(signals), first.code, first.span),
        deadline=default(
            ARQ_EXPIRES_EXTRA,
            "expires_extra_ms=1 day (arq default): an expired job is not retried",
        ),
        retry_on=explicit_at(_retry_on(project, module, signals), first.code, first.span),
        permanent=permanent,
        redelivery=redelivery,
    )


def explicit_at(value: object, origin: str, span: Span) -> Sourced:
    return Sourced(value, "explicit", " ".join(origin.split()), span)


def _redelivery(attempts: Sourced[int | Marker]) -> Sourced[bool | Marker]:
    """A job interrupted by a shutdown or crash is run again while ``job_try <= max_tries``."""
    value = attempts.value
    if value is UNKNOWN:
        return Sourced(UNKNOWN, attempts.source, attempts.origin, attempts.span, attempts.path)
    if isinstance(value, int) and value <= 1:
        return Sourced(
            False,
            attempts.source,
            f"{attempts.origin}: an interrupted job is not run again",
            attempts.span,
            attempts.path,
        )
    return default(True, "arq re-runs a job interrupted by a shutdown (pessimistic execution)")


def _combined_delay(signals: tuple[RetrySignal, ...]) -> Delay:
    delays = list(dict.fromkeys(signal.delay for signal in signals))
    if len(delays) == 1:
        return delays[0]
    if any(d.strategy == "unknown" for d in delays):
        return Delay("unknown")
    return Delay("custom", None, None, None)


def _retry_on(
    project: ProjectIndex, module: ModuleFacts, signals: tuple[RetrySignal, ...]
) -> ExceptionsValue:
    names: list[str] = []
    for signal in signals:
        handled = signal.handled
        if handled == "all":
            return "all"
        if handled is UNKNOWN:
            return UNKNOWN
        if handled is None:
            names.append("arq.worker.Retry")
        elif isinstance(handled, tuple):
            names.extend(project.canonical(name, module) for name in handled)
    return tuple(dict.fromkeys(names))
