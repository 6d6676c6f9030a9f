"""RL401's fix: an idempotency key derived from the job's stable id, where the provider takes one.

A key only protects a retry when the retry sends the same key, so it must come from something
the retry keeps: the job's own id, read where the framework keeps it across retries.

- Celery, a bound task (``bind=True``) or a task class: ``self.request.id`` (a retry re-sends the
  same task id);
- RQ: ``get_current_job().id`` (``from rq import get_current_job`` is added when missing);
- Dramatiq, where the broker runs the ``CurrentMessage`` middleware:
  ``CurrentMessage.get_current_message().message_id`` (a retry re-enqueues the same message);
- arq: ``ctx['job_id']`` (the job's first parameter).

The key is ``f"{<job id>}:<the call as written>"``, so two different calls of one job do not
share it. Only a call in the job's own body is fixed: a helper may run outside any job, where
the job id does not exist. The fix is unsafe: it changes what the provider does with a repeated
request, and a job enqueued again (not retried) gets a new id.
"""

from __future__ import annotations

from retrylint.checks import Project
from retrylint.effects.jobs import JobEffect
from retrylint.facts import CallShape
from retrylint.findings import Edit, Fix
from retrylint.model import Span

_IMPORTS = {
    "rq": ("get_current_job", "rq", "from rq import get_current_job\n"),
    "dramatiq": (
        "CurrentMessage",
        "dramatiq.middleware.CurrentMessage",
        "from dramatiq.middleware import CurrentMessage\n",
    ),
}


def idempotency_key_fix(effect: JobEffect, project: Project) -> Fix | None:
    found = effect.effect
    if found is None or found.fix is None or found.shape is None or found.guard_name is None:
        return None
    if len(effect.path) != 1 or effect.function.function != effect.function.unit:
        return None
    job_id = _job_id(effect)
    if job_id is None:
        return None
    expression, needs_import = job_id
    imported = _import(effect, project) if needs_import else ()
    if imported is None:
        return None
    name = effect.step.text.split("(", 1)[0]
    key = f'f"{{{expression}}}:{name}"'
    if found.fix == "keyword":
        text = f"{found.guard_name}={key}"
    else:
        text = f'options={{"{found.guard_name}": {key}}}'
    title = f"add {text.split('=', 1)[0]}= from the job id ({expression})"
    return Fix("unsafe", title, (*imported, keyword_edit(found.shape, text)))


def keyword_edit(shape: CallShape, text: str) -> Edit:
    """``text`` (``name=value``) added as the call's last argument; a bare decorator
    (``@dramatiq.actor``) becomes a call."""
    if not shape.called:
        end = shape.span
        return Edit(Span(end.end_line, end.end_column, end.end_line, end.end_column), f"({text})")
    assert shape.args_end is not None
    # A keyword's span covers a parenthesised value (``autoretry_for=(IOError,)``); the
    # value's own end stops inside it: the later of the two is after the last argument.
    ends = [(shape.args_end.line, shape.args_end.column)]
    ends.extend((span.end_line, span.end_column) for _, span in shape.keyword_spans)
    line, column = max(ends)
    return Edit(Span(line, column, line, column), f", {text}" if shape.has_args else text)


def _job_id(effect: JobEffect) -> tuple[str, bool] | None:
    """The expression of the job's id in its own body, and whether it needs an import."""
    job, first = effect.job, effect.function.first_parameter
    match job.framework:
        case "celery" if first and (job.detail("bind") or job.detail("form") == "class"):
            return f"{first}.request.id", False
        case "rq":
            return "get_current_job().id", True
        case "dramatiq" if job.detail("current_message"):
            return "CurrentMessage.get_current_message().message_id", True
        case "arq" if first:
            return f"{first}['job_id']", False
    return None


def _import(effect: JobEffect, project: Project) -> tuple[Edit, ...] | None:
    """The import the job id needs: none when the file has it, None when it cannot be added."""
    module = project.index.by_path.get(effect.file)
    if module is None:
        return None
    local, target, statement = _IMPORTS[effect.job.framework]
    imports = dict(module.facts.imports)
    wanted = f"{target}.{local}" if target == "rq" else target
    if imports.get(local) == wanted:
        return ()
    if local in imports or local in module.facts.module_names:
        return None  # the name means something else here
    line = module.facts.import_insert_line
    if line == 1 and module.facts.imports:
        return None  # the insertion point is not known: a docstring or __future__ may be first
    return (Edit(Span(line, 1, line, 1), statement, import_line=True),)
