"""What the two phases share: RQ's names, the keys under which the per-file phase stores its data
in ``sink.data``, and the records stored there.

The per-file modules write these and the project modules read them back (``data``); huey's
adapter reads the module bindings too. The contract sits in a module of its own so that both
sides import it without either importing the other.

For fixes, each ``retry=Retry(...)`` call's shape is recorded (``RetryShape``: its CallShape and
the spans and code of its ``max`` / ``interval`` values) in ``EnqueueSite.retry_shape`` and, for an
``@job`` decorator, ``Job.details["decorator_retry"]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from retrylint.facts import CallShape
from retrylint.model import Span
from retrylint.project import ModuleFacts
from retrylint.values import Located, Value

FRAMEWORK = "rq"
RQ_ROOTS = frozenset({"rq", "django_rq"})
DJANGO_ENQUEUE = frozenset({"django_rq.enqueue", "django_rq.queues.enqueue"})
# Queue methods whose first (or second) argument is the job function.
QUEUE_METHODS = frozenset({"enqueue", "enqueue_call", "enqueue_in", "enqueue_at", "prepare_data"})
# sink.data keys (per file)
FUNCTIONS_KEY = "rq.functions"  # ((name, span), ...) of module-level functions
BINDINGS_KEY = "rq.receivers"  # ((call span, binding), ...) for enqueue* receivers
MODULE_BINDINGS_KEY = "rq.module-bindings"  # ((name, callee), ...) module-level `x = Class()`
QUEUE_SUBCLASSES_KEY = "rq.queue-classes"  # names of classes deriving from rq.Queue

CLASSES_KEY = "rq.classes"  # ((class qualname, bases, method names), ...)
GETTERS_KEY = "rq.queue-getters"  # ((function, returns), ...): see facts._record_queue_getters
WRAPPERS_KEY = "rq.wrappers"  # (WrapperDef, ...): functions passing a parameter as the job
WRAPPER_CALLS_KEY = "rq.wrapper-calls"  # ((CallFact, caller's parameters), ...)
RETRY_SHAPES_KEY = "rq.retry-shapes"  # ((span of the Retry call, RetryShape), ...)
# ConfigFact key: Worker(disable_default_exception_handler=...), failed jobs then not kept.
DISABLE_DEFAULT_HANDLER = "disable_default_exception_handler"

Binding = tuple[str, str | None, Value]  # ("call", callee, CallValue) / ("name", target, None)


@dataclass(frozen=True)
class RetryArgument:
    """One argument of a ``Retry(...)`` call: its value's span and code (and, for a list or
    tuple written in the call, each element's code)."""

    span: Span
    code: str
    elements: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RetryShape:
    """A ``Retry(...)`` call as written: where a fix inserts or replaces its arguments.

    ``max`` and ``interval`` are bound as Python binds them (keyword, else position 0 / 1).
    """

    shape: CallShape
    max: RetryArgument | None
    interval: RetryArgument | None


@dataclass(frozen=True)
class WrapperDef:
    """A function that passes its parameter ``parameter`` as the job of an ``enqueue*`` call.

    ``parameters`` are the names a caller binds, positional ones first (without ``self`` /
    ``cls`` for a method called on an instance or a class); ``positional`` how many of them can
    be given by position.
    """

    function: str
    parameter: str
    index: int | None
    parameters: tuple[str, ...]
    positional: int
    defaults: tuple[tuple[str, Located], ...]
    var_keyword: str | None
    call_span: Span
    kind: str  # function, method, classmethod, staticmethod


def data(module: ModuleFacts, key: str) -> Any:
    return next((value for name, value in module.facts.data if name == key), None)


# Names of functions that may be enqueue helpers (``jobs.enqueue``, ``enqueue_job``,
# ``run_async``): only calls of these are read as possible wrapper calls, which keeps the
# per-file phase from resolving positions in files without job code.
WRAPPER_NAME = re.compile(r"enqueue|queue|job|task|async|background|defer|schedul|submit|dispatch")
