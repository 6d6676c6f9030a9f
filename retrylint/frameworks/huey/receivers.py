"""Whose decorator it is: the Huey object behind a task decorator's or a signal handler's
receiver.

Celery (``@app.task``) and taskiq (``@broker.task``) use the same attribute, so a decorator is
claimed only when it is called (Huey's decorators must be) and its receiver is a Huey object: a
module-level ``RedisHuey(...)`` / ``SqliteHuey(...)`` / ... anywhere in the project
(``huey-instance`` objects), djhuey, or a ``huey`` name shadowing the imported module. When the
receiver cannot be resolved, the decorator is claimed only with Huey-only options (``retries=``,
``retry_delay=``; ``retry_backoff=`` too when Celery is not imported, since Celery has one) and
``huey`` imported somewhere in the project.
"""

from __future__ import annotations

from retrylint.facts import JobDef
from retrylint.frameworks.huey.records import DJHUEY, FRAMEWORK, HUEY_CLASSES
from retrylint.frameworks.rq.records import MODULE_BINDINGS_KEY
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Value


def task_instance(
    project: ProjectIndex, module: ModuleFacts, job_def: JobDef
) -> tuple[str | None, Value] | bool:
    """(instance key, constructor) of the task's Huey object; False when it is not Huey's."""
    kind = job_def.datum("receiver_kind")
    if kind == "djhuey":
        return DJHUEY, None
    if kind == "shadow":
        # `huey = huey.RedisHuey()`: the name resolves to the import, so look the object up here.
        fact = next((o for o in module.facts.objects if o.name == "huey"), None)
        constructor = fact.constructor.value if fact and fact.constructor else None
        return f"{module.module}.huey", constructor
    return resolve_receiver(project, module, job_def.receiver, job_def)


def resolve_receiver(
    project: ProjectIndex, module: ModuleFacts, receiver: str | None, job_def: JobDef | None
) -> tuple[str | None, Value] | bool:
    found = project.object(receiver, module) if receiver else None
    if found is not None:
        owner, fact = found
        if fact.framework != FRAMEWORK:
            return False
        constructor = fact.constructor.value if fact.constructor else None
        return f"{owner.module}.{fact.name}", constructor
    if receiver is not None and _other_instance(project, module, receiver):
        return False
    if job_def is None:
        return None, None
    imported = project.frameworks_imported
    options = {name for name, _ in job_def.options}
    huey_only = bool(options & {"retries", "retry_delay"}) or (
        "retry_backoff" in options and "celery" not in imported
    )
    if huey_only and "huey" in imported:
        return None, None
    return False


def _other_instance(project: ProjectIndex, module: ModuleFacts, receiver: str) -> bool:
    """The receiver is a module-level ``name = SomeClass(...)`` of a class that is not Huey's
    (``plugins = Registry()``, ``app = Celery()``), as recorded by the RQ adapter's extract."""
    found = project.split(project.canonical(receiver, module))
    if found is None:
        return False
    owner, attribute = found
    bindings = next((v for k, v in owner.facts.data if k == MODULE_BINDINGS_KEY), ())
    callee = dict(bindings).get(attribute)
    if callee is None:
        return False
    last = project.canonical(callee, owner).rsplit(".", 1)[-1]
    return last not in HUEY_CLASSES
