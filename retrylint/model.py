"""The framework-neutral job model that every rule, fix and report reads.

Adapters translate each framework's syntax and defaults into these types; rules never look at
framework syntax again. Everything here is a frozen dataclass of plain values so that the per-file
part of the model can cross a process boundary (the engine's pool) and be stored in a cache.

Two values are first-class and never guessed away:
- ``UNKNOWN``: the value is computed at run time (a variable, a call); rules fire on what is known.
- ``UNBOUNDED``: the framework was told to retry forever (``max_retries=None``, tenacity without
  ``stop=``) -- a known value, not a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, Literal, TypeVar, get_args

T = TypeVar("T")


class Marker(Enum):
    """Values that are not numbers but still say something definite about a policy field."""

    UNKNOWN = "unknown"
    UNBOUNDED = "unbounded"

    def __repr__(self) -> str:
        return self.name


UNKNOWN = Marker.UNKNOWN
UNBOUNDED = Marker.UNBOUNDED

Source = Literal["explicit", "app-config", "default"]
Framework = Literal[
    "celery",
    "rq",
    "dramatiq",
    "huey",
    "arq",
    "taskiq",
    "tenacity",
    "backoff",
    "stamina",
    "retrying",
    "loop",
]
FRAMEWORKS: tuple[str, ...] = get_args(Framework)  # "loop": a handwritten retry loop
JobKind = Literal["task", "actor", "rq-job", "decorated-function", "retry-loop", "retry-block"]
DelayStrategy = Literal["none", "constant", "linear", "exponential", "custom", "unknown"]


@dataclass(frozen=True, order=True)
class Span:
    """A source range: 1-based lines, 1-based columns (as editors and ruff show them)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A policy value and where it came from, so messages and fixes can point at it.

    ``origin`` is the human wording used in messages, e.g. ``"max_retries=None"`` or
    ``"Dramatiq default"``; ``span`` is the node that set it (``None`` for framework defaults);
    ``path`` is set when the value lives in another file than the job (app config modules).
    """

    value: T
    source: Source
    origin: str
    span: Span | None = None
    path: str | None = None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    def describe(self) -> str:
        """Wording for messages: the code as written, or where config or a default set it."""
        if self.source == "app-config":
            location = f" at {self.path}:{self.line}" if self.path and self.span else ""
            return f"{self.origin} (app config{location})"
        return self.origin


def explicit(value: T, origin: str, span: Span | None) -> Sourced[T]:
    return Sourced(value, "explicit", origin, span)


def default(value: T, origin: str) -> Sourced[T]:
    return Sourced(value, "default", origin)


@dataclass(frozen=True)
class Delay:
    """How long a job waits before each retry, in seconds.

    ``base`` is the first delay (or the constant one), ``cap`` the largest delay the policy allows
    (``None``: no cap), ``jitter`` whether a random term spreads retries out (``None``: unknown).
    ``schedule`` is an explicit list of delays where the framework takes one (RQ intervals).
    """

    strategy: DelayStrategy
    base: float | None = None
    cap: float | None = None
    jitter: bool | None = None
    schedule: tuple[float, ...] | None = None


NO_DELAY = Delay("none", 0.0, None, False)
UNKNOWN_DELAY = Delay("unknown")

AttemptsValue = int | Marker  # an int, UNBOUNDED or UNKNOWN
SecondsValue = float | None | Marker  # seconds, None for "no such limit", or UNKNOWN
ExceptionsValue = tuple[str, ...] | Literal["all"] | Marker


@dataclass(frozen=True)
class RetryPolicy:
    """A job's effective retry policy, every field with its provenance.

    ``max_attempts`` counts every execution, the first included (Celery ``max_retries=3`` is 4).
    ``deadline`` is a total-time cap on retrying (tenacity ``stop_after_delay``, backoff
    ``max_time``, stamina ``timeout``); ``None`` means the policy has none.
    ``retries`` says whether the policy retries at all: Celery without ``autoretry_for`` or
    ``self.retry`` does not, even though ``max_retries`` defaults to 3.
    """

    retries: Sourced[bool | Marker]
    max_attempts: Sourced[AttemptsValue]
    delay: Sourced[Delay]
    deadline: Sourced[SecondsValue]
    retry_on: Sourced[ExceptionsValue]
    permanent: Sourced[tuple[str, ...]]
    redelivery: Sourced[bool | Marker]


@dataclass(frozen=True)
class CallSite:
    """One place a job is invoked or enqueued, and any policy set there (RQ ``retry=``)."""

    path: str
    span: Span
    method: str  # delay, apply_async, s, si, signature, send_task, enqueue, send, call, kiq ...
    target: str  # what the call names: a dotted name after import resolution, or a task name
    keywords: tuple[str, ...] = ()
    policy: RetryPolicy | None = None
    job_timeout: Sourced[SecondsValue] | None = None
    failure_hooks: tuple[str, ...] = ()
    failure_ttl: Sourced[SecondsValue] | None = None


@dataclass(frozen=True)
class FailureHook:
    """A place a failure is reported: a callback, signal handler, override or error tracker.

    ``span`` and ``path`` say where it is wired (the decorator, the ``connect`` call, the
    ``sentry_sdk.init``); ``origin`` says, when it is not plain from the kind, why it applies to
    the job (``"CeleryIntegration enabled by default"``).
    """

    kind: str  # on_failure, on_retry_exhausted, link_error, task_failure-signal, errback, ...
    target: str
    span: Span | None = None
    every_attempt: bool = False  # RQ/Dramatiq on_failure fire on each failed attempt
    path: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    """Where a job's final failure is kept for inspection and replay, and for how long.

    ``store`` names it (``"FailedJobRegistry"``, ``"dead-letter queue"``, ``"result backend"``;
    ``""`` when there is none); ``kept`` is how long, in seconds: ``None`` with no expiry, ``0``
    when a failed job is thrown away at once, UNKNOWN when computed at run time.
    """

    store: str
    kept: Sourced[SecondsValue]


@dataclass(frozen=True)
class Job:
    """One background job, retry-decorated function or handwritten retry loop."""

    name: str  # the name the framework knows it by (Celery task name, actor name, function name)
    qualname: str  # module-qualified: "shop.tasks.charge_card" or "shop.sync.poll#loop@12"
    framework: str
    kind: JobKind
    path: str
    span: Span  # the definition's name (or the loop statement's first line)
    policy: RetryPolicy
    policies: tuple[tuple[CallSite, RetryPolicy], ...] = ()  # per-call-site policies (RQ)
    failure_hooks: tuple[FailureHook, ...] = ()
    time_limit: Sourced[SecondsValue] | None = None
    dead_letter: DeadLetter | None = None  # queue jobs; None where the framework keeps nothing
    call_sites: tuple[CallSite, ...] = ()
    function: str | None = None  # qualname within the module of the function whose body is the job
    details: tuple[tuple[str, Any], ...] = field(default=())  # adapter-specific facts for rules

    def detail(self, key: str, fallback: Any = None) -> Any:
        for name, value in self.details:
            if name == key:
                return value
        return fallback

    @property
    def can_run_more_than_once(self) -> bool:
        """True when retries or redelivery may run the job again (rules.md's definition)."""
        retried = any(p.retries.value is True for p in self.all_policies())
        redelivered = any(p.redelivery.value is True for p in self.all_policies())
        return retried or redelivered

    def all_policies(self) -> tuple[RetryPolicy, ...]:
        return (self.policy, *(p for _, p in self.policies))
