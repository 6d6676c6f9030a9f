"""The per-file part of the job model: what one file says, before any other file is read.

The per-file phase is a pure function of a file's bytes and the config; it returns these facts
(and the findings of per-file checks). Everything that needs another module -- which object
``app`` is when it was imported, the app config that applies to a task, which function an RQ
enqueue names -- is decided later by the project index from these facts alone. Plain frozen
values only: they cross the process pool and are what a cache stores.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from retrylint.findings import Finding
from retrylint.model import Job, Span
from retrylint.values import Located, Value

_T = TypeVar("_T")
_UNREAD: Any = object()


class Packed(Generic[_T]):
    """A fact kept pickled until it is read: for facts the project phase reads for few files.

    The side-effect scan's records were 38 % of the cached bytes of a 5,559-file project and
    more of its objects, yet only the files some job reaches are ever read: unpickling all of
    them cost a run where one file changed about a second, and the main process their memory.
    Equal when the values are equal, whatever the bytes.
    """

    __slots__ = ("_value", "blob")

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self._value: _T = _UNREAD

    @classmethod
    def of(cls, value: _T) -> Packed[_T]:
        return cls(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))

    @property
    def value(self) -> _T:
        if self._value is _UNREAD:
            self._value = pickle.loads(self.blob)
        return self._value

    def __reduce__(self) -> tuple[type[Packed[_T]], tuple[bytes]]:
        return (Packed, (self.blob,))  # the bytes travel, never the value read from them

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Packed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Packed({self.value!r})"


@dataclass(frozen=True)
class CallShape:
    """Where a call's arguments are, so a fix can add or replace a keyword argument.

    ``args_end`` is the position just after the last argument (or just after ``(``), where a new
    keyword is inserted; ``called`` is False for a bare decorator (``@app.task``), which a fix
    turns into a call.
    """

    span: Span
    called: bool
    args_end: Span | None
    has_args: bool
    keyword_spans: tuple[tuple[str, Span], ...] = ()

    def keyword_span(self, name: str) -> Span | None:
        return next((span for key, span in self.keyword_spans if key == name), None)


@dataclass(frozen=True)
class ObjectFact:
    """A module-level name bound to a framework object: ``app = Celery(...)``, ``huey = RedisHuey()``."""

    name: str
    kind: str  # celery-app, huey, dramatiq-broker, taskiq-broker, rq-queue, arq-worker-settings ...
    framework: str
    span: Span
    constructor: Located | None = None


@dataclass(frozen=True)
class JobDef:
    """A job definition in this file.

    ``framework`` is None when it depends on what ``receiver`` (the qualified name of ``X`` in
    ``@X.task``) turns out to be; the project index resolves it. ``options`` are the keyword
    arguments or class attributes that configure it, with their nodes.
    """

    function: str  # qualname of the function (or class) within the module
    name: str | None  # an explicit name= / actor_name=; None means the framework's default name
    kind: str
    span: Span  # the function or class name
    framework: str | None = None
    receiver: str | None = None
    decorator: CallShape | None = None
    options: tuple[tuple[str, Located], ...] = ()
    data: tuple[
        tuple[str, Any], ...
    ] = ()  # adapter-specific facts (bind=True, self.retry calls ...)

    def option(self, key: str) -> Located | None:
        return next((value for name, value in self.options if name == key), None)

    def datum(self, key: str, fallback: Any = None) -> Any:
        return next((value for name, value in self.data if name == key), fallback)


@dataclass(frozen=True)
class CallFact:
    """A call that invokes or enqueues a job, or configures an app/broker at run time.

    ``target`` is the qualified name of what is invoked (``$.send_email`` for
    ``send_email.delay()``), the enqueued function for RQ, or a task name string for
    ``send_task``; ``receiver`` is the qualified object the method is called on.
    """

    method: str
    target: str | None
    span: Span
    receiver: str | None = None
    args: tuple[Located, ...] = ()
    keywords: tuple[tuple[str, Located], ...] = ()
    shape: CallShape | None = None
    function: str | None = None  # the enclosing function's qualname
    framework: str | None = None

    def keyword(self, key: str) -> Located | None:
        return next((value for name, value in self.keywords if name == key), None)


@dataclass(frozen=True)
class ConfigFact:
    """A piece of app- or broker-level configuration: ``app.conf.task_acks_late = True``.

    ``scope`` is the qualified object it configures (``$.app``), or a namespace such as
    ``settings:CELERY`` for Django-style settings modules.
    """

    framework: str
    key: str
    value: Located
    scope: str | None = None


@dataclass(frozen=True)
class HookFact:
    """A failure hook wired somewhere: a signal handler, an ``on_failure`` override, a middleware."""

    framework: str
    kind: str
    target: str
    span: Span


@dataclass(frozen=True)
class FunctionFact:
    """A function or method of one file and the names it calls (its nested functions' too)."""

    qualname: str  # "send", "Mailer.send"
    line: int  # of the ``def``
    class_name: str | None  # qualname of the class for a method
    calls: tuple[str, ...]  # "$.notify", "shop.mail.send", "self.flush", "super().save"


@dataclass(frozen=True)
class ClassFact:
    """A class of one file: its bases as qualified names, for ``self.x`` through inheritance;
    its attributes bound to a call (``self.client = Client()``), for ``self.client.send()``; and
    its literal class attributes, for settings classes (``MAX_RETRIES: int = 20``)."""

    qualname: str
    bases: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...] = ()  # (attribute, the callee as qualified here)
    constants: tuple[tuple[str, Value], ...] = ()  # class-level NAME = <literal> (settings)


@dataclass(frozen=True)
class Suppression:
    """A ``# noqa`` or ``# retrylint: ignore[...]`` comment; ``codes`` None means all codes."""

    line: int
    codes: tuple[str, ...] | None
    kind: str  # "noqa" or "retrylint"
    span: Span  # the comment itself
    comment: str  # the comment's text
    code_end: int  # 1-based column where the blanks before the comment start


@dataclass(frozen=True)
class FileFacts:
    """Everything the per-file phase learned about one file."""

    imports: tuple[tuple[str, str], ...] = ()
    star_imports: tuple[str, ...] = ()  # `from X import *` modules, as written (maybe relative)
    module_names: tuple[str, ...] = ()
    constants: tuple[tuple[str, Value], ...] = ()  # module-level NAME = <literal>
    objects: tuple[ObjectFact, ...] = ()
    job_defs: tuple[JobDef, ...] = ()
    calls: tuple[CallFact, ...] = ()
    configs: tuple[ConfigFact, ...] = ()
    hooks: tuple[HookFact, ...] = ()
    jobs: tuple[Job, ...] = ()  # jobs complete within the file (retry loops, decorators)
    functions: tuple[FunctionFact, ...] = ()  # for the call graph behind job reach
    classes: tuple[ClassFact, ...] = ()
    instances: tuple[tuple[str, str], ...] = ()  # module-level `name = Callee(...)`
    suppressions: tuple[Suppression, ...] = ()
    ignore_file: bool = False
    statement_starts: tuple[tuple[int, int], ...] = ()  # (line, first line of its statement)
    import_insert_line: int = 1
    data: tuple[tuple[str, Any], ...] = field(default=())


@dataclass(frozen=True)
class FileResult:
    """The per-file phase's output for one path: facts, findings, or why it could not be read."""

    path: str
    facts: FileFacts | None
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # an I/O problem: the file was not checked
    # (rule code or adapter, reason): a part that crashed on this file; the rest of it was checked
    internal_errors: tuple[tuple[str, str], ...] = ()
    # Facts from the prefilter's outline: analysed in full if a job reaches the file.
    outlined: bool = False
