"""arq: coroutine jobs registered in a ``WorkerSettings`` class (or ``Worker(functions=...)``).

arq never retries a job because it raised an ordinary exception: the job fails. It runs a job
again only when the job raises ``arq.Retry(defer=...)`` (the "retry signal"), or when the worker
is shut down or dies while the job runs ("pessimistic execution"). Both count against
``max_tries`` (total attempts: ``WorkerSettings.max_tries`` = 5, ``func(max_tries=...)`` per
function, cron jobs 1), and a job is neither started nor retried after it expires (1 day after
it was due by default). Sources: arq 0.28 ``worker.py`` (``run_job``), ``cron.py``,
``connections.py``.

``extract`` (here) records every module-level coroutine of a file; the rooms:

- per file: ``registry``, ``WorkerSettings`` classes and ``Worker(...)`` calls with the
  functions and cron jobs they register; ``signals``, the ``raise Retry(defer=...)`` in a
  coroutine's body and the delay it asks for; ``records``, what both phases share;
- project: ``jobs``, ``build_jobs``, each registration joined with its coroutine and settings,
  its options in precedence order; ``policy``, what the retry signals and ``max_tries`` allow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from retrylint.context import FileContext, FunctionInfo
from retrylint.declarations import Declarations, coroutine_span
from retrylint.frameworks import FactSink
from retrylint.frameworks.arq.jobs import build_jobs
from retrylint.frameworks.arq.records import COROUTINE_DATA, FRAMEWORK, Coroutine, RetrySignal
from retrylint.frameworks.arq.registry import extract_settings_classes, extract_worker_calls
from retrylint.frameworks.arq.signals import retry_signals
from retrylint.model import Span

__all__ = ["COROUTINE_DATA", "RetrySignal", "build_jobs", "declared", "extract"]


def extract(ctx: FileContext, sink: FactSink) -> None:
    uses_arq = any(target.split(".", 1)[0] == FRAMEWORK for target in ctx.imports.values())
    if not uses_arq:
        spans = {function.name: function.node.name for function in ctx.module_functions()}
        found = _coroutines(ctx.declarations(), lambda name: ctx.span(spans[name]))
        sink.data.extend(found or ())  # never None with a fallback
        return
    for function in ctx.module_functions():
        if function.is_async and _positional_count(function) >= 1:
            signals = retry_signals(ctx, function)
            reads = bool(_READS_RESULT.search(ctx.code(function.node.body)))
            coroutine = Coroutine(function.qualname, ctx.span(function.node.name), signals, reads)
            sink.data.append((COROUTINE_DATA, coroutine))
    extract_settings_classes(ctx, sink)
    extract_worker_calls(ctx, sink)


def declared(declarations: Declarations) -> list[tuple[str, Any]] | None:
    """A file naming arq nowhere: its coroutines, any of which may be an arq job registered
    elsewhere (no ``Retry`` can be raised without importing arq); None when the text search
    does not place one."""
    return _coroutines(declarations, None)


def _coroutines(
    declarations: Declarations, fallback: Callable[[str], Span] | None
) -> list[tuple[str, Any]] | None:
    """Spans come from the text, not the position pass: most files with coroutines hold no job."""
    found: list[tuple[str, Any]] = []
    for name in declarations.coroutines:
        span = coroutine_span(declarations, name)
        if span is None:
            if fallback is None:
                return None
            span = fallback(name)
        found.append((COROUTINE_DATA, Coroutine(name, span, (), False)))
    return found


# ``Job(ctx["job_id"], ctx["redis"]).result_info()`` and the like: the only way an
# ``on_job_end`` / ``after_job_end`` hook learns that the job failed.
_READS_RESULT = re.compile(r"\b(result_info|result)\(")


def _positional_count(function: FunctionInfo) -> int:
    params = function.node.params
    return len(params.posonly_params) + len(params.params)
