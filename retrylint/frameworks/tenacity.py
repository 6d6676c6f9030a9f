"""tenacity: ``@retry`` decorators, ``Retrying`` blocks and wrapped calls.

What becomes a job (all complete within one file, so ``build_jobs`` returns nothing):

- ``@retry`` / ``@tenacity.retry`` / ``@t.retry(...)`` (any import alias) on a function:
  kind ``decorated-function``. Only a name that resolves to ``tenacity.retry`` counts; a
  project-local ``def retry`` decorator does not. A module-level ``policy = retry(...)`` used as
  ``@policy`` is read from its definition (same module only).
- ``for attempt in Retrying(...)`` / ``async for attempt in AsyncRetrying(...)`` (also through a
  name bound to the constructor in the same function or module): kind ``retry-block``, span at the
  ``for`` header, qualname ``<function>#retry-block@<line>``.
- ``Retrying(...)(fn, ...)``, ``r(fn)``, ``r.wraps(fn)``: kind ``decorated-function``, span at the
  call, qualname ``<function>#retry-call@<line>``; ``function`` is ``fn`` when it is defined here.
- ``fn.retry_with(...)`` on a decorated module-level function of the same file: a job of its own
  at the call (qualname ``<function>#retry-call@<line>``, ``function`` = ``fn``) with the
  decorator's options overridden by the call's; the decorator's job keeps its own policy, which
  still applies to plain calls.

Modelling decisions (tenacity 9.2 / 8.5, ``frameworks.md`` 7.1):

- ``stop``: ``stop_after_attempt(n)`` -> n attempts; ``stop_after_delay(s)`` /
  ``stop_before_delay(s)`` -> deadline s with UNBOUNDED attempts; ``stop_never`` or no ``stop=``
  -> UNBOUNDED. ``a | b`` (``stop_any``) stops at the first: the smallest known attempt bound and
  deadline (an unknown stop beside a known one still leaves the known one as an upper bound).
  ``a & b`` (``stop_all``) stops only when both hold: the larger attempt bound (UNBOUNDED when a
  side bounds only time) and the larger deadline; ``stop_after_attempt(3) & stop_after_delay(60)``
  is therefore UNBOUNDED attempts within about 60 s (more when 3 attempts take longer).
- ``wait``: ``wait_fixed(s)`` constant s; none / ``wait_none()`` / ``0`` none;
  ``wait_random(a, b)`` does not grow, so it is ``constant`` with base a, cap b and jitter;
  ``wait_incrementing`` linear; ``wait_exponential`` exponential without jitter (base =
  ``multiplier`` clamped by ``min``/``max``); ``wait_random_exponential`` / ``wait_full_jitter`` /
  ``wait_exponential_jitter`` exponential with jitter; ``a + b`` sums (the faster-growing strategy
  wins, a random term gives jitter); ``wait_chain`` custom (with a schedule when all parts are
  fixed); ``wait_exception`` custom. A growing wait whose ``max`` is a run-time value has strategy
  ``unknown``: ``Delay.cap`` cannot say "unknown", and ``None`` would claim "uncapped".
- ``retry``: none -> ``"all"`` (every ``Exception``); ``retry_if_exception_type(X)`` -> X;
  ``retry_if_not_exception_type(X)`` / ``retry_unless_exception_type(X)`` -> all with X permanent;
  ``retry_if_result`` / ``retry_if_not_result`` -> ``()`` (exceptions are not retried, results
  are); predicates over exceptions -> UNKNOWN; ``|`` / ``retry_any`` union, ``&`` / ``retry_all``
  intersection; ``retry_never`` and ``enabled=False`` -> no retries.
- Hooks: ``before_sleep`` and ``after`` (every failed attempt), ``retry_error_callback`` (once,
  on giving up). ``reraise`` goes into details with what is raised when retries run out.

The helpers in the first section are shared by the other retry-library adapters (backoff,
stamina, retrying): binding a call's arguments to parameter names with their spans, provenance,
and building the jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from retrylint.context import SELF_MODULE, FileContext, FunctionInfo, LoopInfo
from retrylint.facts import CallShape
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import call_shape, make_policy
from retrylint.frameworks.defaults import (
    TENACITY_EXPONENTIAL_BASE,
    TENACITY_EXPONENTIAL_JITTER,
    TENACITY_EXPONENTIAL_MULTIPLIER,
    TENACITY_INCREMENTING,
    TENACITY_STOP,
    TENACITY_WAIT,
    TENACITY_WAIT_RANDOM,
)
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    AttemptsValue,
    Delay,
    DelayStrategy,
    ExceptionsValue,
    FailureHook,
    Job,
    JobKind,
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    Span,
    default,
    explicit,
)
from retrylint.values import (
    CallValue,
    Located,
    OpValue,
    Ref,
    Value,
    as_seconds,
    is_number,
)

# =============================================================================================
# Shared by the retry-library adapters
# =============================================================================================

_ORIGIN_LIMIT = 120
_GROWTH: dict[str, int] = {"none": 0, "constant": 1, "linear": 2, "exponential": 3, "custom": 4}


@dataclass(frozen=True)
class Option:
    """One argument of a retry-library call, bound to its parameter name."""

    name: str
    value: Located
    span: Span  # the whole argument, keyword included: what a fix replaces
    origin: str  # "stop=stop_after_attempt(3)" as written, on one line


@dataclass(frozen=True)
class Options:
    """A retry-library call's arguments by parameter name, and where a fix adds new ones.

    ``starred`` is the span of a ``*args`` / ``**kwargs`` argument: an option not written out may
    come from it, so it is UNKNOWN rather than the library default.
    """

    shape: CallShape
    entries: tuple[Option, ...] = ()
    starred: Span | None = None

    def get(self, name: str) -> Option | None:
        return next((o for o in self.entries if o.name == name), None)

    def value(self, name: str, fallback: Value = None) -> Value:
        option = self.get(name)
        return option.value.value if option is not None else fallback

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def stated(self, name: str, value: Any) -> Sourced[Any]:
        """``value`` as set by option ``name`` (which must be present)."""
        option = self.get(name)
        assert option is not None
        return explicit(value, option.origin, option.span)

    def unstated(self, value: Any, origin: str, unknown: Any = UNKNOWN) -> Sourced[Any]:
        """The library default, or ``unknown`` when a ``**kwargs`` may have set the option."""
        if self.starred is not None:
            return explicit(unknown, "**kwargs (not analysed)", self.starred)
        return default(value, origin)

    def located(self) -> tuple[tuple[str, Located], ...]:
        return tuple((o.name, o.value) for o in self.entries)

    def overridden(self, other: Options) -> Options:
        """These options with ``other``'s on top (tenacity ``retry_with``): ``other``'s shape."""
        names = {o.name for o in other.entries}
        kept = tuple(o for o in self.entries if o.name not in names)
        return Options(other.shape, kept + other.entries, other.starred or self.starred)


def one_line(code: str) -> str:
    text = " ".join(code.split())
    return text if len(text) <= _ORIGIN_LIMIT else text[: _ORIGIN_LIMIT - 3] + "..."


def bind_options(
    ctx: FileContext,
    expression: cst.BaseExpression,
    positional: tuple[str, ...] = (),
) -> Options:
    """Bind a call's arguments to names, positional ones in ``positional`` order, as Python does.

    ``expression`` is the call, or a bare decorator name (no options then).
    """
    shape = call_shape(ctx, expression)
    if not isinstance(expression, cst.Call):
        return Options(shape)
    entries: list[Option] = []
    starred: Span | None = None
    index = 0
    for arg in expression.args:
        if arg.star:
            starred = starred or ctx.span(arg)
            continue
        if arg.keyword is not None:
            name = arg.keyword.value
            origin = f"{name}={one_line(ctx.code(arg.value))}"
        elif starred is not None:
            continue  # after *args the position of what follows is unknown
        else:
            name = positional[index] if index < len(positional) else f"#{index}"
            index += 1
            origin = one_line(ctx.code(arg.value))
        entries.append(Option(name, ctx.locate(arg.value), ctx.span(arg), origin))
    return Options(shape, tuple(entries), starred)


def library_name(qualified: str | None, package: str) -> str | None:
    """``stop_after_attempt`` for ``tenacity.stop.stop_after_attempt`` when package is tenacity."""
    if not qualified or not qualified.startswith(package + "."):
        return None
    return qualified.rsplit(".", 1)[-1]


def called(value: Value, package: str) -> tuple[str, CallValue] | None:
    """(name, call) when ``value`` is a call of something in ``package``."""
    if isinstance(value, CallValue):
        name = library_name(value.func, package)
        if name is not None:
            return name, value
    return None


def count(value: Value) -> int | Marker:
    """A literal attempt count, or UNKNOWN."""
    if isinstance(value, bool):
        return UNKNOWN
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return UNKNOWN


def seconds(value: Value, scale: float = 1.0) -> float | None:
    """Seconds from a literal number or ``timedelta``; None when not statically known."""
    result = as_seconds(value, scale)
    return None if isinstance(result, Marker) else result


def is_exception_like(ref: Ref, ctx: FileContext) -> bool:
    """Whether a name passed where a class *or* a predicate is accepted is a class.

    A function of this module (``$.should_retry``) is a predicate; names that read like
    exception classes (``IOError``, ``requests.Timeout``, ``ApiError``) are classes.
    """
    if ref.name.startswith(SELF_MODULE + "."):
        local = ref.name[len(SELF_MODULE) + 1 :]
        if ctx.function(local) is not None:
            return False
        return local in ctx.classes
    last = ref.last
    return last[:1].isupper() and not last.isupper()


def exception_refs(value: Value, ctx: FileContext) -> tuple[str, ...] | Marker:
    """Exception classes named by ``Exc`` / ``(A, B)``; UNKNOWN for predicates or run-time."""
    items = value if isinstance(value, tuple) else (value,)
    names: list[str] = []
    for item in items:
        if not isinstance(item, Ref) or not is_exception_like(item, ctx):
            return UNKNOWN
        names.append(item.name)
    return tuple(names)


# -- delays ------------------------------------------------------------------------------------


def constant_delay(base: float | None, *, jitter: bool = False, cap: float | None = None) -> Delay:
    if base == 0 and not jitter and not cap:
        return NO_DELAY
    return Delay("constant", base, cap if cap is not None else base, jitter)


def growing_delay(
    strategy: DelayStrategy, base: float | None, cap: Value, cap_given: bool, jitter: bool | None
) -> Delay:
    """A linear/exponential delay; an unknown ``max`` makes the strategy unknown (see above).

    A literal ``None`` cap is the libraries' own spelling of "no cap" (backoff ``max_value``).
    """
    if not cap_given or cap is None:
        return Delay(strategy, base, None, jitter)
    cap_seconds = seconds(cap)
    if cap_seconds is None:
        return Delay("unknown", base, None, jitter)
    return Delay(strategy, base, cap_seconds, jitter)


def _jitter_of(delays: Iterable[Delay]) -> bool | None:
    flags = [d.jitter for d in delays]
    if any(flag is True for flag in flags):
        return True
    return None if any(flag is None for flag in flags) else False


def _cap_of(delay: Delay) -> float | None:
    """The largest delay, None when it grows without a cap or is unknown."""
    if delay.strategy == "none":
        return 0.0
    return delay.cap


def summed_delay(delays: list[Delay]) -> Delay:
    """Waits added together (tenacity ``+`` / ``wait_combine``)."""
    return _combined(delays, sum)


def largest_delay(delays: list[Delay]) -> Delay:
    """The largest of several waits (retrying takes ``max`` over its wait kinds)."""
    return _combined(delays, max)


def _combined(delays: list[Delay], reduce: Callable[[list[float]], float]) -> Delay:
    """Several waits made into one: the fastest-growing strategy, bases and caps reduced."""
    jitter = _jitter_of(delays)
    if not delays or any(d.strategy in ("unknown", "custom") for d in delays):
        strategy: DelayStrategy = "custom" if delays else "unknown"
        if any(d.strategy == "unknown" for d in delays):
            strategy = "unknown"
        return Delay(strategy, None, None, jitter)
    strategy = max((d.strategy for d in delays), key=lambda s: _GROWTH[s])
    if strategy == "none":
        return NO_DELAY
    bases = [0.0 if d.strategy == "none" else d.base for d in delays]
    caps = [_cap_of(d) for d in delays]
    base = None if None in bases else reduce([b for b in bases if b is not None])
    cap = None if None in caps else reduce([c for c in caps if c is not None])
    return Delay(strategy, base, cap, jitter)


# -- jobs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A retry-library decorator on a function.

    ``expression`` holds the options: the decorator itself, or for ``@network_retry`` the call
    that module-level name is bound to (``network_retry = tenacity.retry(...)``).
    """

    qualified: str
    expression: cst.BaseExpression
    shared: str | None = None


def retry_decorators(
    ctx: FileContext, function: FunctionInfo, accepted: frozenset[str]
) -> Iterator[Found]:
    """The decorators of ``function`` that resolve to one of ``accepted`` (qualified names)."""
    for decorator in function.node.decorators:
        expression = decorator.decorator
        target = expression.func if isinstance(expression, cst.Call) else expression
        qualified = ctx.qualify(target)
        if qualified is None:
            continue
        if qualified in accepted:
            yield Found(qualified, expression)
            continue
        shared = module_call(ctx, target)
        if shared is not None and not isinstance(expression, cst.Call):
            inner = ctx.qualify(shared.func)
            if inner in accepted:
                yield Found(inner, shared, one_line(ctx.code(target)))


def module_call(ctx: FileContext, expression: cst.BaseExpression) -> cst.Call | None:
    """The call a module-level name is bound to (``network_retry = tenacity.retry(...)``)."""
    if not isinstance(expression, cst.Name) or expression.value in ctx.imports:
        return None
    value = ctx.constants.get(expression.value)
    return value if isinstance(value, cst.Call) else None


class Bindings:
    """What plain names are bound to in one file: ``r = Retrying(...)`` in a function or module.

    Built once per file (one pass over the assignments), so looking names up for every call and
    loop stays linear in the file's size. The last assignment in a function wins; a name not
    assigned in the function falls back to the module level.
    """

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.local: dict[tuple[int, str], cst.BaseExpression] = {}
        for assignment in ctx.assignments:
            if assignment.function is None:
                continue
            for target in assignment.targets:
                if isinstance(target, cst.Name):
                    self.local[(id(assignment.function), target.value)] = assignment.value

    def call(
        self, expression: cst.BaseExpression, function: FunctionInfo | None
    ) -> cst.Call | None:
        """The call ``expression`` is, or the call the name ``expression`` is bound to."""
        if isinstance(expression, cst.Call):
            return expression
        if not isinstance(expression, cst.Name):
            return None
        if function is not None:
            found = self.local.get((id(function), expression.value))
            if found is not None:
                return found if isinstance(found, cst.Call) else None
        return module_call(self.ctx, expression)


def function_job(
    ctx: FileContext,
    function: FunctionInfo,
    framework: str,
    policy: RetryPolicy,
    hooks: tuple[FailureHook, ...],
    details: tuple[tuple[str, Any], ...],
    qualname: str | None = None,
) -> Job:
    return Job(
        name=function.name,
        qualname=qualname or function.qualname,
        framework=framework,
        kind="decorated-function",
        path=ctx.path,
        span=ctx.span(function.node.name),
        policy=policy,
        failure_hooks=hooks,
        function=function.qualname,
        details=details,
    )


def site_job(
    ctx: FileContext,
    *,
    name: str,
    qualname: str,
    framework: str,
    kind: JobKind,
    span: Span,
    function: str | None,
    policy: RetryPolicy,
    hooks: tuple[FailureHook, ...],
    details: tuple[tuple[str, Any], ...],
) -> Job:
    """A job anchored at a statement or call rather than a function definition."""
    return Job(
        name=name,
        qualname=qualname,
        framework=framework,
        kind=kind,
        path=ctx.path,
        span=span,
        policy=policy,
        failure_hooks=hooks,
        function=function,
        details=details,
    )


def loop_header(ctx: FileContext, loop: cst.For) -> Span:
    """``for attempt in Retrying(...)``: from ``for`` (or ``async``) to the end of the iterable."""
    start = ctx.span(loop)
    end = ctx.span(loop.iter)
    return Span(start.line, start.column, end.end_line, end.end_column)


def retry_loops(ctx: FileContext, bindings: Bindings) -> Iterator[tuple[LoopInfo, cst.Call]]:
    """Every ``for`` loop with the call (or the name bound to it) it iterates over."""
    for loop in ctx.loops:
        node = loop.node
        if not isinstance(node, cst.For):
            continue
        call = bindings.call(node.iter, loop.function)
        if call is not None:
            yield loop, call


def block_qualname(function: FunctionInfo | None, tag: str, line: int) -> str:
    return f"{function.qualname if function else '<module>'}#{tag}@{line}"


def hook(option: Option | None, kind: str, every_attempt: bool) -> tuple[FailureHook, ...]:
    if option is None or option.value.value is None:
        return ()
    return (FailureHook(kind, one_line(option.value.code), option.span, every_attempt),)


def dedupe_qualname(job: Job, taken: set[str]) -> Job:
    """Two retry decorators on one function (tenacity over backoff): keep qualnames unique."""
    if job.qualname in taken:
        job = replace(job, qualname=f"{job.qualname}#{job.framework}")
    taken.add(job.qualname)
    return job


# =============================================================================================
# tenacity
# =============================================================================================

FRAMEWORK = "tenacity"
DECORATORS = frozenset({"tenacity.retry"})
RETRYING_CLASSES = frozenset({"Retrying", "AsyncRetrying", "TornadoRetrying"})
# BaseRetrying.__init__ parameter order (tenacity/__init__.py): retry(*dargs) passes them on.
POSITIONAL = (
    "sleep",
    "stop",
    "wait",
    "retry",
    "before",
    "after",
    "before_sleep",
    "reraise",
    "retry_error_cls",
    "retry_error_callback",
    "name",
    "enabled",
)
_STOP_DEFAULT = f"tenacity default: stop={TENACITY_STOP}"
_WAIT_DEFAULT = f"tenacity default: wait={TENACITY_WAIT}()"
_RETRY_DEFAULT = "tenacity default: retry=retry_if_exception_type() (every Exception)"
_NO_REDELIVERY = "in-process retries: no redelivery"
# What a caller sees when retries run out, by ``reraise=``.
_GIVES_UP_WITH: dict[Value, str] = {False: "tenacity.RetryError", True: "original"}
StopBounds = tuple[AttemptsValue, SecondsValue]  # (attempts, deadline) of a stop strategy


def extract(ctx: FileContext, sink: FactSink) -> None:
    if not any(t == FRAMEWORK or t.startswith(FRAMEWORK + ".") for t in ctx.imports.values()):
        return
    taken = {job.qualname for job in sink.jobs}
    decorated: dict[str, tuple[Options, Job]] = {}  # "$.fn" -> its options and job
    jobs: list[Job] = []
    for function in ctx.functions:
        for found in retry_decorators(ctx, function, DECORATORS):
            options = bind_options(ctx, found.expression, POSITIONAL)
            policy, hooks, details = tenacity_policy(options, ctx)
            extra: tuple[tuple[str, Any], ...] = (
                ("decorator", options.shape),
                ("async", function.is_async),
            )
            if found.shared:
                extra += (("shared_policy", found.shared),)
            job = dedupe_qualname(
                function_job(ctx, function, FRAMEWORK, policy, hooks, details + extra), taken
            )
            if function.is_module_level:
                decorated[f"{SELF_MODULE}.{function.name}"] = (options, job)
            jobs.append(job)
    bindings = Bindings(ctx)
    jobs.extend(_retry_blocks(ctx, bindings))
    jobs.extend(_wrapped_calls(ctx, bindings))
    jobs.extend(_retry_with_calls(ctx, decorated))
    sink.jobs.extend(jobs)


def build_jobs(project: object) -> tuple[Job, ...]:
    return ()


def _is_retrying_call(ctx: FileContext, call: cst.Call) -> bool:
    name = library_name(ctx.qualify(call.func), FRAMEWORK)
    return name in RETRYING_CLASSES


def _retry_blocks(ctx: FileContext, bindings: Bindings) -> Iterator[Job]:
    for loop, call in retry_loops(ctx, bindings):
        if not _is_retrying_call(ctx, call):
            continue
        options = bind_options(ctx, call, POSITIONAL)
        policy, hooks, details = tenacity_policy(options, ctx)
        span = loop_header(ctx, loop.node)  # type: ignore[arg-type]
        function = loop.function
        yield site_job(
            ctx,
            name=function.name if function else "<module>",
            qualname=block_qualname(function, "retry-block", span.line),
            framework=FRAMEWORK,
            kind="retry-block",
            span=span,
            function=function.qualname if function else None,
            policy=policy,
            hooks=hooks,
            details=(*details, ("policy_call", options.shape), ("block", ctx.span(loop.node))),
        )


def _wrapped_calls(ctx: FileContext, bindings: Bindings) -> Iterator[Job]:
    """``Retrying(...)(fn)``, ``r(fn)``, ``r.wraps(fn)``: a function wrapped at a call."""
    for info in ctx.calls:
        node = info.node
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "wraps":
            constructor = bindings.call(func.value, info.function)
        elif isinstance(func, cst.Call | cst.Name):
            constructor = bindings.call(func, info.function)
        else:
            continue
        if constructor is None or not _is_retrying_call(ctx, constructor):
            continue
        wrapped = next((a.value for a in node.args if a.keyword is None and not a.star), None)
        if wrapped is None:
            continue
        options = bind_options(ctx, constructor, POSITIONAL)
        policy, hooks, details = tenacity_policy(options, ctx)
        yield wrapped_job(ctx, info.function, node, wrapped, FRAMEWORK, policy, hooks, details)


def wrapped_job(
    ctx: FileContext,
    enclosing: FunctionInfo | None,
    call: cst.Call,
    wrapped: cst.BaseExpression,
    framework: str,
    policy: RetryPolicy,
    hooks: tuple[FailureHook, ...],
    details: tuple[tuple[str, Any], ...],
) -> Job:
    span = ctx.span(call)
    target = local_function(ctx, wrapped, enclosing)
    return site_job(
        ctx,
        name=one_line(ctx.code(wrapped)),
        qualname=block_qualname(enclosing, "retry-call", span.line),
        framework=framework,
        kind="decorated-function",
        span=span,
        function=target.qualname if target else None,
        policy=policy,
        hooks=hooks,
        details=(*details, ("policy_call", call_shape(ctx, call))),
    )


def local_function(
    ctx: FileContext, expression: cst.BaseExpression, enclosing: FunctionInfo | None
) -> FunctionInfo | None:
    """The function of this file a name refers to: nested in ``enclosing``, or module-level."""
    if not isinstance(expression, cst.Name):
        return None
    scope = enclosing
    while scope is not None:
        found = ctx.function(f"{scope.qualname}.{expression.value}")
        if found is not None:
            return found
        scope = scope.parent
    found = ctx.function(expression.value)
    return found if found is not None and found.is_module_level else None


def _retry_with_calls(ctx: FileContext, decorated: dict[str, tuple[Options, Job]]) -> Iterator[Job]:
    """``fn.retry_with(stop=...)(...)``: ``fn`` retried with the decorator's options overridden.

    A job of its own at the call (like ``Retrying(...)(fn)``), not a ``Job.policies`` entry: the
    decorator's policy still applies to every plain call of ``fn``.
    """
    for info in ctx.calls:
        func = info.node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "retry_with"):
            continue
        target = ctx.qualify(func.value)
        if target not in decorated:
            continue
        options, base = decorated[target]
        merged = options.overridden(bind_options(ctx, info.node, POSITIONAL))
        policy, hooks, details = tenacity_policy(merged, ctx)
        span = ctx.span(info.node)
        yield site_job(
            ctx,
            name=base.name,
            qualname=block_qualname(info.function, "retry-call", span.line),
            framework=FRAMEWORK,
            kind="decorated-function",
            span=span,
            function=base.function,
            policy=policy,
            hooks=hooks,
            details=(*details, ("policy_call", merged.shape), ("retry_with_of", base.qualname)),
        )


# -- the policy ----------------------------------------------------------------------------------


def tenacity_policy(
    options: Options, ctx: FileContext
) -> tuple[RetryPolicy, tuple[FailureHook, ...], tuple[tuple[str, Any], ...]]:
    """The effective policy of a ``retry(...)`` / ``Retrying(...)`` call's options."""
    stop = options.get("stop")
    if stop is None:
        attempts: Sourced[AttemptsValue] = options.unstated(UNBOUNDED, _STOP_DEFAULT)
        deadline: Sourced[SecondsValue] = options.unstated(None, _STOP_DEFAULT)
    else:
        bound, limit = stop_bounds(stop.value.value)
        attempts = options.stated("stop", bound)
        deadline = options.stated("stop", limit)

    if options.has("wait"):
        delay = options.stated("wait", wait_delay(options.value("wait")))
    else:
        delay = options.unstated(NO_DELAY, _WAIT_DEFAULT, UNKNOWN_DELAY)

    if options.has("retry"):
        predicate = retry_predicate(options.value("retry"), ctx)
        retry_on = options.stated("retry", predicate.exceptions)
        permanent = options.stated("retry", predicate.permanent)
        if predicate.never:
            attempts = options.stated("retry", 1)
    else:
        retry_on = options.unstated("all", _RETRY_DEFAULT)
        permanent = options.unstated((), _RETRY_DEFAULT, ())
        predicate = RetryOn("all")

    if options.value("enabled", True) is False:
        attempts = options.stated("enabled", 1)
    policy = make_policy(
        max_attempts=attempts,
        delay=delay,
        deadline=deadline,
        retry_on=retry_on,
        permanent=permanent,
        redelivery=default(False, _NO_REDELIVERY),
    )
    hooks = (
        *hook(options.get("before_sleep"), "before_sleep", True),
        *hook(options.get("after"), "after", True),
        *hook(options.get("retry_error_callback"), "retry_error_callback", False),
    )
    reraise = options.value("reraise", False)
    details: tuple[tuple[str, Any], ...] = (
        ("library", FRAMEWORK),
        ("options", options.located()),
        ("reraise", reraise if isinstance(reraise, bool) else UNKNOWN),
        ("gives_up_with", _GIVES_UP_WITH.get(reraise, UNKNOWN)),
        ("retry_on_result", predicate.on_result),
    )
    return policy, hooks, details


def stop_bounds(value: Value) -> StopBounds:
    """(attempts, deadline) of a stop strategy."""
    found = called(value, FRAMEWORK)
    if found is not None:
        name, call = found
        if name == "stop_after_attempt":
            number = count(call.arg(0, "max_attempt_number"))
            return (max(number, 1) if isinstance(number, int) else number), None
        if name in ("stop_after_delay", "stop_before_delay"):
            limit = seconds(call.arg(0, "max_delay"))
            return UNBOUNDED, UNKNOWN if limit is None else limit
        if name == "stop_any":
            return _stop_any([stop_bounds(v) for v in call.args])
        if name == "stop_all":
            return _stop_all([stop_bounds(v) for v in call.args])
        return UNKNOWN, UNKNOWN
    if isinstance(value, Ref) and library_name(value.name, FRAMEWORK) == "stop_never":
        return UNBOUNDED, None
    if isinstance(value, OpValue) and value.op in ("|", "&"):
        parts = [stop_bounds(value.left), stop_bounds(value.right)]
        return _stop_any(parts) if value.op == "|" else _stop_all(parts)
    return UNKNOWN, UNKNOWN


def _stop_any(parts: list[StopBounds]) -> StopBounds:
    """Stop at the first condition: the smallest known bound is an upper bound."""
    if not parts:
        return UNBOUNDED, None
    counts = [a for a, _ in parts if isinstance(a, int)]
    limits = [d for _, d in parts if isinstance(d, float)]
    attempts: AttemptsValue = (
        min(counts) if counts else UNKNOWN if any(a is UNKNOWN for a, _ in parts) else UNBOUNDED
    )
    deadline: SecondsValue = (
        min(limits) if limits else UNKNOWN if any(d is UNKNOWN for _, d in parts) else None
    )
    return attempts, deadline


def _stop_all(parts: list[StopBounds]) -> StopBounds:
    """Stop when every condition holds: the larger bounds; a never-stop side never stops."""
    if not parts or any(a is UNBOUNDED and d is None for a, d in parts):
        return UNBOUNDED, None
    if any(a is UNKNOWN for a, _ in parts):
        attempts: AttemptsValue = UNKNOWN
    elif any(a is UNBOUNDED for a, _ in parts):
        attempts = UNBOUNDED
    else:
        attempts = max(a for a, _ in parts if isinstance(a, int))
    limits = [d for _, d in parts if isinstance(d, float)]
    if any(d is UNKNOWN for _, d in parts):
        deadline: SecondsValue = UNKNOWN
    else:
        deadline = max(limits) if limits else None
    return attempts, deadline


def wait_delay(value: Value) -> Delay:
    """The Delay of a tenacity wait strategy (seconds; numbers or ``timedelta``)."""
    if value is None or (is_number(value) and value == 0):
        return NO_DELAY
    if isinstance(value, OpValue):
        if value.op == "+":
            return summed_delay([wait_delay(value.left), wait_delay(value.right)])
        return UNKNOWN_DELAY
    found = called(value, FRAMEWORK)
    if found is None:
        return UNKNOWN_DELAY
    name, call = found
    match name:
        case "wait_none":
            return NO_DELAY
        case "wait_fixed":
            return constant_delay(seconds(call.arg(0, "wait")))
        case "wait_random":
            low = seconds(call.arg(0, "min", TENACITY_WAIT_RANDOM[0]))
            high = seconds(call.arg(1, "max", TENACITY_WAIT_RANDOM[1]))
            return Delay("constant", low, high, True)
        case "wait_incrementing":
            start = seconds(call.arg(0, "start", TENACITY_INCREMENTING[0]))
            return growing_delay(
                "linear", start, call.arg(2, "max"), len(call.args) > 2 or call.has("max"), False
            )
        case "wait_exponential" | "wait_random_exponential" | "wait_full_jitter":
            multiplier = call.arg(0, "multiplier", TENACITY_EXPONENTIAL_MULTIPLIER)
            return _exponential(call, multiplier, 3, jitter=name != "wait_exponential")
        case "wait_exponential_jitter":
            initial = call.arg(0, "initial", TENACITY_EXPONENTIAL_MULTIPLIER)
            multiplier = call.kwarg("multiplier", initial)
            jitter = seconds(call.arg(3, "jitter", TENACITY_EXPONENTIAL_JITTER))
            return _exponential(call, multiplier, 4, jitter=None if jitter is None else jitter > 0)
        case "wait_combine":
            return summed_delay([wait_delay(v) for v in call.args]) if call.args else NO_DELAY
        case "wait_chain":
            return _chain([wait_delay(v) for v in call.args])
        case "wait_exception":
            return Delay("custom", None, None, None)
    return UNKNOWN_DELAY


def _exponential(call: CallValue, multiplier: Value, min_index: int, jitter: bool | None) -> Delay:
    """multiplier * exp_base ** (n - 1), clamped to [min, max]: the first delay is the base."""
    first = seconds(multiplier)
    low = seconds(call.arg(min_index, "min", 0))
    cap_given = len(call.args) > 1 or call.has("max")
    high = seconds(call.arg(1, "max")) if cap_given else None
    exp_base = call.arg(2, "exp_base", TENACITY_EXPONENTIAL_BASE)
    if first is not None and low is not None:
        first = max(first, low)
        if high is not None:
            first = min(first, high)
    if is_number(exp_base) and exp_base <= 1:  # type: ignore[operator]
        return constant_delay(first, jitter=bool(jitter))
    return growing_delay("exponential", first, call.arg(1, "max"), cap_given, jitter)


def _chain(delays: list[Delay]) -> Delay:
    """``wait_chain``: each strategy for one attempt, the last one thereafter."""
    if not delays:
        return UNKNOWN_DELAY
    jitter = _jitter_of(delays)
    caps = [_cap_of(d) for d in delays]
    cap = None if any(c is None for c in caps) else max(c for c in caps if c is not None)
    schedule = None
    if all(d.strategy in ("none", "constant") and not d.jitter for d in delays):
        bases = [0.0 if d.strategy == "none" else d.base for d in delays]
        if all(b is not None for b in bases):
            schedule = tuple(b for b in bases if b is not None)
    if any(d.strategy == "unknown" for d in delays):
        return Delay("unknown", delays[0].base, None, jitter)
    return Delay("custom", delays[0].base, cap, jitter, schedule)


@dataclass(frozen=True)
class RetryOn:
    """What a retry predicate retries: exceptions, the ones excluded, and failed results."""

    exceptions: ExceptionsValue
    permanent: tuple[str, ...] = ()
    on_result: bool = False
    never: bool = False


def retry_predicate(value: Value, ctx: FileContext) -> RetryOn:
    if isinstance(value, OpValue) and value.op in ("|", "&"):
        parts = [retry_predicate(value.left, ctx), retry_predicate(value.right, ctx)]
        return _union(parts) if value.op == "|" else _intersection(parts)
    if isinstance(value, Ref):
        name = library_name(value.name, FRAMEWORK)
        if name == "retry_always":
            return RetryOn("all", on_result=True)
        if name == "retry_never":
            return RetryOn((), never=True)
        return RetryOn(UNKNOWN)
    found = called(value, FRAMEWORK)
    if found is None:
        return RetryOn(UNKNOWN)
    name, call = found
    match name:
        case "retry_if_exception_type":
            if not call.args and not call.kwargs:
                return RetryOn("all")
            return RetryOn(exception_refs(call.arg(0, "exception_types"), ctx))
        case "retry_if_not_exception_type" | "retry_unless_exception_type":
            if not call.args and not call.kwargs:
                excluded: tuple[str, ...] | Marker = ("Exception",)
            else:
                excluded = exception_refs(call.arg(0, "exception_types"), ctx)
            permanent = excluded if isinstance(excluded, tuple) else ()
            return RetryOn("all", permanent, on_result=name == "retry_unless_exception_type")
        case "retry_if_result" | "retry_if_not_result":
            return RetryOn((), on_result=True)
        case "retry_any":
            return _union([retry_predicate(v, ctx) for v in call.args])
        case "retry_all":
            return _intersection([retry_predicate(v, ctx) for v in call.args])
    return RetryOn(UNKNOWN)


def _union(parts: list[RetryOn]) -> RetryOn:
    on_result = any(p.on_result for p in parts)
    if not parts or any(p.exceptions is UNKNOWN for p in parts):
        return RetryOn(UNKNOWN, on_result=on_result)
    listed = [name for p in parts if isinstance(p.exceptions, tuple) for name in p.exceptions]
    alls = [p for p in parts if p.exceptions == "all"]
    if alls:
        excluded = set(alls[0].permanent).intersection(*(p.permanent for p in alls[1:]))
        permanent = tuple(n for n in alls[0].permanent if n in excluded and n not in listed)
        return RetryOn("all", permanent, on_result)
    return RetryOn(tuple(dict.fromkeys(listed)), (), on_result, all(p.never for p in parts))


def _intersection(parts: list[RetryOn]) -> RetryOn:
    on_result = bool(parts) and all(p.on_result for p in parts)
    permanent = tuple(dict.fromkeys(n for p in parts for n in p.permanent))
    if not parts or any(p.exceptions is UNKNOWN for p in parts):
        return RetryOn(UNKNOWN, permanent, on_result)
    listed = [p.exceptions for p in parts if isinstance(p.exceptions, tuple)]
    if not listed:
        return RetryOn("all", permanent, on_result)
    common = [n for n in listed[0] if all(n in other for other in listed[1:])]
    return RetryOn(tuple(common), permanent, on_result, any(p.never for p in parts))
