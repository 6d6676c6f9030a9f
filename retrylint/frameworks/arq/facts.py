"""arq's per-file phase: every module-level coroutine of a file, with the retry signals it
raises, and the settings classes and ``Worker(...)`` calls that register jobs."""

from __future__ import annotations

import re

from retrylint.context import FileContext, FunctionInfo
from retrylint.frameworks import FactSink
from retrylint.frameworks.arq.from_declarations import coroutines
from retrylint.frameworks.arq.records import COROUTINE_DATA, FRAMEWORK, Coroutine
from retrylint.frameworks.arq.registry import extract_settings_classes, extract_worker_calls
from retrylint.frameworks.arq.signals import retry_signals


def extract(ctx: FileContext, sink: FactSink) -> None:
    uses_arq = any(target.split(".", 1)[0] == FRAMEWORK for target in ctx.imports.values())
    if not uses_arq:
        spans = {function.name: function.node.name for function in ctx.module_functions()}
        found = coroutines(ctx.declarations(), lambda name: ctx.span(spans[name]))
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


# ``Job(ctx["job_id"], ctx["redis"]).result_info()`` and the like: the only way an
# ``on_job_end`` / ``after_job_end`` hook learns that the job failed.
_READS_RESULT = re.compile(r"\b(result_info|result)\(")


def _positional_count(function: FunctionInfo) -> int:
    params = function.node.params
    return len(params.posonly_params) + len(params.params)
