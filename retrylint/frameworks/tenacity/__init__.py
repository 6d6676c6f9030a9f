"""tenacity: ``@retry`` decorators, ``Retrying`` blocks and wrapped calls.

Every job is complete within one file, so ``build_jobs`` returns nothing. ``extract`` (here) finds
the decorated functions:

- ``@retry`` / ``@tenacity.retry`` / ``@t.retry(...)`` (any import alias) on a function:
  kind ``decorated-function``. Only a name that resolves to ``tenacity.retry`` counts; a
  project-local ``def retry`` decorator does not. A module-level ``policy = retry(...)`` used as
  ``@policy`` is read from its definition; from another module, or through a project factory
  returning ``retry(...)``, in ``retry_library.shared``. ``retry(...)(fn)`` applies it by hand
  (``retry_library.jobs``).

Each modelling decision (tenacity 9.2 / 8.5, ``frameworks.md`` 7.1) stands in the module that
makes it. The rooms:

- ``names``: tenacity's own names (the framework, ``retry``, the ``Retrying`` classes, the
  parameter order of their options);
- ``sites``: the jobs anchored at a statement or a call: ``Retrying`` blocks, wrapped calls,
  ``retry_with`` calls;
- ``combinators``: what ``stop=`` / ``wait=`` / ``retry=`` strategies mean, alone and combined;
- ``policy``: the effective policy of one call's options, with tenacity's defaults and hooks.

What every retry library shares (binding options, delays, finding decorators and building
jobs) is in ``retrylint.frameworks.retry_library``.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.retry_library.jobs import (
    Bindings,
    Library,
    PolicyParts,
    applied_calls,
    dedupe_qualname,
    function_job,
    retry_decorators,
    stack_retries,
)
from retrylint.frameworks.retry_library.options import Options, bind_options
from retrylint.frameworks.tenacity.names import DECORATORS, FRAMEWORK, POSITIONAL
from retrylint.frameworks.tenacity.policy import tenacity_policy
from retrylint.frameworks.tenacity.sites import retry_blocks, retry_with_calls, wrapped_calls
from retrylint.model import Job
from retrylint.values import SELF_MODULE


def _bind(ctx: FileContext, qualified: str, expression: cst.BaseExpression) -> Options:
    return bind_options(ctx, expression, POSITIONAL)


def _policy(ctx: FileContext, qualified: str, options: Options) -> PolicyParts:
    return tenacity_policy(options, ctx)


LIBRARY = Library(FRAMEWORK, DECORATORS, _bind, _policy)


def extract(ctx: FileContext, sink: FactSink) -> None:
    if not LIBRARY.imported(ctx):
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
    jobs.extend(retry_blocks(ctx, bindings))
    jobs.extend(wrapped_calls(ctx, bindings))
    jobs.extend(retry_with_calls(ctx, decorated))
    jobs.extend(applied_calls(ctx, LIBRARY, taken | {job.qualname for job in jobs}))
    sink.jobs.extend(jobs)
    stack_retries(sink.jobs)


def build_jobs(project: object) -> tuple[Job, ...]:
    return ()
