"""RL605 schedule-names-unknown-job: a periodic schedule sends a job nobody registered.

Schedules name their job by a string that nothing checks until it fires:

- Celery: ``beat_schedule`` / ``CELERY_BEAT_SCHEDULE`` / ``CELERYBEAT_SCHEDULE`` entries'
  ``"task"`` (settings modules, config classes, ``app.conf``; ``celery.config`` records them)
  and ``add_periodic_task(..., signature("name"))`` (``frameworks.schedulers``). A name is known
  when a Celery task of the project is registered under it: its explicit ``name=``, or the
  module-qualified default (``<module>.<function>``, ``<module>.<Class>``) that autodiscovery
  registers. Celery's own tasks (``celery.*``) are known.
- APScheduler: ``add_job("package.module:attribute", ...)`` (how Huey, Dramatiq and RQ projects
  often schedule): the module must be in the project and define the attribute.

What the analysis cannot see is not reported: a name whose first component is not a package of
the analysed project belongs to a library (``django_celery_beat``, ``health_check``); a
project with no Celery task at all, or a name in a module that was not analysed while its
package was not either, says nothing about the rest of the project (a run over a few files). The analysis derives module names
from the folders (``__init__.py`` up to the import root): when that root differs from the one
the worker imports from (namespace packages, a ``src`` layout run from above), a default name
and a schedule may differ by leading package names, so a name that ends with a task's default
name (or is the end of one) counts as that task. A task named by a value the analysis cannot
read (``name=NAME_FROM_ENV``) may be the one: the finding's confidence is then low.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from retrylint.checks import Project, make_finding
from retrylint.findings import Finding
from retrylint.frameworks.celery.config import BEAT_ENTRY
from retrylint.frameworks.schedulers import APSCHEDULER, APSCHEDULER_JOB
from retrylint.model import Job
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Located

CODE = "RL605"
BUILTIN_PREFIX = (
    "celery."  # celery.backend_cleanup, celery.chord_unlock ... (celery/app/builtins.py)
)
_NEAR = 3
_CUTOFF = 0.8


@dataclass(frozen=True)
class _Entry:
    module: ModuleFacts
    value: Located
    name: str


def check_project(project: Project) -> Iterator[Finding]:
    roots = {module.module.split(".")[0] for module in project.index}
    celery = [job for job in project.jobs if job.framework == "celery"]
    if celery:
        yield from _celery(project.index, celery, roots)
    yield from _apscheduler(project, roots)


# -- Celery ------------------------------------------------------------------------------------
def _celery(index: ProjectIndex, jobs: list[Job], roots: set[str]) -> Iterator[Finding]:
    names = {job.name: job for job in jobs}
    unreadable = [job for job in jobs if not job.detail("name_known", True)]
    for entry in _entries(index, "celery", BEAT_ENTRY):
        name = entry.name
        if name.startswith(BUILTIN_PREFIX) or _known(name, jobs):
            continue
        if "." in name and name.split(".")[0] not in roots:
            continue  # a library's task
        if not _judged(index, name.rpartition(".")[0]):
            continue
        near = difflib.get_close_matches(name, names, n=_NEAR, cutoff=_CUTOFF)
        shown = [f"'{n}' ({names[n].path}:{names[n].span.line})" for n in near]
        hint = (
            "; ".join(
                part
                for part in (
                    _module_hint(index, jobs, name),
                    f"near names: {', '.join(shown)}" * bool(shown),
                )
                if part
            )
            or "no task has a near name"
        )
        doubt = ""
        if unreadable:
            doubt = (
                f" (unless it is the task whose name is not written out: {unreadable[0].qualname})"
            )
        yield make_finding(
            CODE,
            f"the schedule sends task '{name}', but no Celery task in the project is registered "
            f"under that name (explicit name= or the module-qualified default){doubt}: beat "
            f"sends it on time and the worker discards it as unregistered, so the periodic job "
            f"never runs and nothing fails; {hint}",
            entry.module.path,
            entry.value.span,
            confidence="low" if unreadable else "high",
        )


def _known(name: str, jobs: list[Job]) -> bool:
    """Registered under ``name``, allowing for an import root the analysis cannot see."""
    for job in jobs:
        if job.name == name:
            return True
        if not _default_named(job) or "." not in name:
            continue
        if job.name.endswith("." + name) or name.endswith("." + job.name):
            return True
    return False


def _default_named(job: Job) -> bool:
    """The name is Celery's default ``<module>.<function or class>``, which follows the import
    root; an explicit name= does not."""
    last = (job.function or job.qualname).rsplit(".", 1)[-1]
    return job.qualname.endswith("." + last) and job.name.endswith("." + last)


# -- APScheduler -------------------------------------------------------------------------------
def _apscheduler(project: Project, roots: set[str]) -> Iterator[Finding]:
    index = project.index
    references = sorted(
        {
            f"{job.qualname.rsplit('.', 1)[0]}:{job.qualname.rsplit('.', 1)[1]}"
            for job in project.jobs
            if "." in job.qualname and "#" not in job.qualname
        }
    )
    for entry in _entries(index, APSCHEDULER, APSCHEDULER_JOB):
        module_name, _, attribute = entry.name.partition(":")
        module = index.modules.get(module_name)
        head = attribute.split(".")[0]
        if module is None and module_name.split(".")[0] not in roots:
            continue  # a library's function
        if not _judged(index, module_name):
            continue
        if module is not None and (head in module.names or head in module.imports):
            continue
        if module is None:
            what = f"there is no module '{module_name}' in the project"
            wanted = f"{module_name}:{head}"
            near = difflib.get_close_matches(wanted, references, n=_NEAR, cutoff=_CUTOFF)
        else:
            what = f"'{module_name}' ({module.path}) defines no '{head}'"
            candidates = sorted({*module.names, *module.imports})
            near = [
                f"{module_name}:{n}"
                for n in difflib.get_close_matches(head, candidates, n=_NEAR, cutoff=_CUTOFF)
            ]
        hint = f"near names: {', '.join(repr(n) for n in near)}" if near else "no near names"
        yield make_finding(
            CODE,
            f"the scheduler's job '{entry.name}' names nothing: {what}; APScheduler resolves the "
            f"reference when the job is added or loaded from its job store, so the schedule "
            f"fails there and its job never runs; {hint}",
            entry.module.path,
            entry.value.span,
        )


# -- shared ------------------------------------------------------------------------------------
def _entries(index: ProjectIndex, framework: str, key: str) -> Iterator[_Entry]:
    """Schedule entries whose job name is a string (written out or a project constant)."""
    seen: set[tuple[str, int, int]] = set()
    for module, config in index.configs(framework):
        if config.key != key:
            continue
        value = index.literal(config.value.value, module)
        place = (module.path, config.value.span.line, config.value.span.column)
        if isinstance(value, str) and value and place not in seen:
            seen.add(place)
            yield _Entry(module, config.value, value)


def _judged(index: ProjectIndex, module_name: str) -> bool:
    """Whether the analysis can tell that a job in ``module_name`` is missing: the module was
    analysed, or its package was and the module is not in it. A run over some files of a
    project (or a namespace package, which has no ``__init__``) says nothing about the rest."""
    if not module_name or module_name in index.modules:
        return True
    package = module_name.rpartition(".")[0]
    return bool(package) and package in index.modules and index.modules[package].is_package


def _module_hint(index: ProjectIndex, jobs: list[Job], name: str) -> str:
    """What the module part of a dotted name says: missing, defining a task registered under
    another name, or defining it but not as a task."""
    module_name, _, function = name.rpartition(".")
    if not module_name:
        return ""
    for job in jobs:
        if job.qualname == name:
            return f"'{name}' is the task registered as '{job.name}' ({job.path}:{job.span.line})"
    module = index.modules.get(module_name)
    if module is None:
        return f"there is no module '{module_name}' in the project"
    if function in module.names or function in module.imports:
        return f"'{module_name}' ({module.path}) has '{function}', but it is not a task"
    return ""
