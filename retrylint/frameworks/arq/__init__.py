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

import bisect
import re

from retrylint.context import FileContext, FunctionInfo
from retrylint.frameworks import FactSink
from retrylint.frameworks.arq.jobs import build_jobs
from retrylint.frameworks.arq.records import COROUTINE_DATA, FRAMEWORK, Coroutine, RetrySignal
from retrylint.frameworks.arq.registry import extract_settings_classes, extract_worker_calls
from retrylint.frameworks.arq.signals import retry_signals
from retrylint.model import Span

__all__ = ["COROUTINE_DATA", "RetrySignal", "build_jobs", "extract"]


def extract(ctx: FileContext, sink: FactSink) -> None:
    uses_arq = any(target.split(".", 1)[0] == FRAMEWORK for target in ctx.imports.values())
    for function in ctx.module_functions():
        if function.is_async and _positional_count(function) >= 1:
            if uses_arq:
                signals = retry_signals(ctx, function)
                span = ctx.span(function.node.name)
            else:
                # No Retry can be raised without importing arq; and most files with coroutines
                # hold no job, so their span comes from the text, not the position pass.
                signals, span = (), _coroutine_span(ctx, function)
            reads = uses_arq and bool(_READS_RESULT.search(ctx.code(function.node.body)))
            coroutine = Coroutine(function.qualname, span, signals, reads)
            sink.data.append((COROUTINE_DATA, coroutine))
    if uses_arq:
        extract_settings_classes(ctx, sink)
        extract_worker_calls(ctx, sink)


# ``Job(ctx["job_id"], ctx["redis"]).result_info()`` and the like: the only way an
# ``on_job_end`` / ``after_job_end`` hook learns that the job failed.
_READS_RESULT = re.compile(r"\b(result_info|result)\(")


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
