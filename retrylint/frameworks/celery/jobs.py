"""The project half: one ``Job`` per Celery task, decorated function or ``Task`` class.

Per project (``build_jobs``) the receivers are resolved, options are merged with Celery's own
precedence (verified on 5.7.0, see ``OptionLayers``), and the effective policy is computed as
frameworks.md 1.4 says (``policy``). This module decides which tasks there are and gathers what
applies to each; it computes nothing itself.

Decisions:

- A ``.task`` decorator is Celery's when its receiver resolves to a ``Celery(...)`` object, is
  ``celery.current_app``; never when it resolves to another framework's object or to a name
  built by a huey/taskiq constructor; otherwise (imported from outside, built by a factory)
  when it passes a Celery-only keyword, or the project imports celery and neither huey nor
  taskiq. Decorators passing Huey/taskiq-only keywords (``retries``, ``task_name`` ...) never are,
  nor a bare ``@task`` imported from another package (``from invoke import task``).

Not modelled: ``Celery(task_cls=...)`` bases outside the project.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from retrylint.facts import JobDef
from retrylint.frameworks.celery.config import App
from retrylint.frameworks.celery.countdown import HelperCall, RetryCall, RetryPath
from retrylint.frameworks.celery.facts import TaskClass
from retrylint.frameworks.celery.hooks import dead_letter, failure_hooks
from retrylint.frameworks.celery.index import Project
from retrylint.frameworks.celery.names import (
    APP_CONSTRUCTORS,
    CURRENT_APP,
    FRAMEWORK,
    OTHER_FRAMEWORK_ROOTS,
    TASK_KIND,
)
from retrylint.frameworks.celery.options import Option, OptionLayers
from retrylint.frameworks.celery.policy import job
from retrylint.linking import INVOCATIONS, call_site
from retrylint.model import CallSite, Job, Span
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import DictValue, Located, Ref


def build_jobs(project: ProjectIndex) -> Iterable[Job]:
    state = Project(project)
    jobs: list[Job] = []
    for module, job_def in project.job_defs():
        if job_def.kind != TASK_KIND:
            continue
        claimed, app = _claim(state, module, job_def)
        if claimed:
            jobs.append(_function_job(state, module, job_def, app))
    for name, (module, cls) in sorted(state.classes.items()):
        if cls.run is None or not state.is_task_class(name):
            continue
        jobs.append(_class_job(state, name, module, cls))
    return jobs


def _claim(state: Project, module: ModuleFacts, job_def: JobDef) -> tuple[bool, App | None]:
    """Whether a ``.task`` decorator is Celery's, and the app it binds to."""
    index = state.index
    if job_def.framework == FRAMEWORK:
        return True, state.default_app(module)
    receiver = job_def.receiver
    if receiver is None:
        return False, None
    found = index.object(receiver, module)
    if found is not None:
        if found[1].framework != FRAMEWORK:
            return False, None
        return True, state.app_of(receiver, module)
    canonical = index.canonical(receiver, module)
    if canonical in CURRENT_APP:
        return True, state.default_app(module)
    root = canonical.split(".", 1)[0]
    if root in OTHER_FRAMEWORK_ROOTS:
        return False, None
    if job_def.datum("bare_name") and root != "celery" and canonical not in index.modules:
        return False, None  # `from invoke import task`: another package's `task` function
    callee = state.bindings.get(canonical)
    if callee is not None:
        if callee.split(".", 1)[0] in OTHER_FRAMEWORK_ROOTS:
            return False, None
        if callee in APP_CONSTRUCTORS:
            return True, state.default_app(module)
    if job_def.datum("other_framework_kwargs"):
        return False, None
    imported = index.frameworks_imported
    if job_def.datum("celery_only_kwargs") or (
        "celery" in imported and not imported & {"huey", "taskiq"}
    ):
        return True, state.default_app(module)
    return False, None


def _own_options(
    options: Iterable[tuple[str, Located]], module: ModuleFacts, job_path: str, what: str = ""
) -> dict[str, Option]:
    layer: dict[str, Option] = {}
    path = None if module.path == job_path else module.path
    for name, located in options:
        option, _, key = name.partition(".")
        written = f"{option}[{key!r}]" if key else name
        layer[name] = Option(
            located.value,
            "explicit",
            f"{written}={located.code}{what}",
            located.span,
            path,
            module,
            located,
        )
    return layer


def _chain_options(
    state: Project, chain: list[tuple[ModuleFacts, TaskClass]], job_path: str, skip_first: bool
) -> dict[str, Option]:
    layer: dict[str, Option] = {}
    for position, (module, cls) in enumerate(chain):
        own = position == 0 and not skip_first
        suffix = "" if own else f" (on base class {cls.name})"
        entries = list(cls.attributes)
        for name, located in cls.attributes:
            if name == "retry_kwargs":
                # Entries of a dict written in the class body carry their own spans.
                entries.extend(cls.entries or _located_dict_entries(located, "retry_kwargs."))
        for name, option in _own_options(entries, module, job_path, suffix).items():
            layer.setdefault(name, option)
    return layer


def _located_dict_entries(located: Located, prefix: str) -> list[tuple[str, Located]]:
    value = located.value
    if not isinstance(value, DictValue):
        return []
    return [
        (prefix + key, Located(item, located.span, located.code))
        for key, item in value.items
        if isinstance(key, str)
    ]


def _base_class(
    state: Project, module: ModuleFacts, job_def: JobDef, app: App | None
) -> str | None:
    base = job_def.option("base")
    if base is not None and isinstance(base.value, Ref):
        return state.index.canonical(base.value.name, module)
    if app is not None and app.task_cls is not None:
        owner, config = app.task_cls
        value = config.value.value
        if isinstance(value, Ref):
            return state.index.canonical(value.name, owner)
        if isinstance(value, str):
            return state.index.canonical(value.replace(":", "."))
    return None


def _function_job(state: Project, module: ModuleFacts, job_def: JobDef, app: App | None) -> Job:
    qualname = f"{module.module}.{job_def.function}"
    name = job_def.name or f"{module.module}.{job_def.function.rsplit('.', 1)[-1]}"
    base = _base_class(state, module, job_def, app)
    chain = state.class_chain(base) if base else []
    layers = OptionLayers(
        annotations=state.annotations(app, name),
        decorator=_own_options(_decorator_options(job_def), module, module.path),
        chain=_chain_options(state, chain, module.path, skip_first=True),
    )
    retry_calls = _retry_paths(
        state,
        module,
        module.path,
        job_def.datum("retry_calls", ()),
        job_def.datum("helper_calls", ()),
    )
    hooks = failure_hooks(state, chain, qualname, name, (), layers.get("on_failure"), module.path)
    details: list[tuple[str, Any]] = [
        ("app", app.name if app else None),
        ("form", job_def.datum("form")),
        ("decorator", job_def.decorator),
        ("options", job_def.options),
        ("bind", job_def.datum("bind")),
        ("self_retry_calls", tuple(path.call for path in retry_calls)),
        ("name_known", job_def.datum("name_known", True)),
        ("base", base),
    ]
    made = job(
        state,
        name=name,
        qualname=qualname,
        module=module,
        span=job_def.span,
        function=job_def.function,
        layers=layers,
        app=app,
        retry_calls=retry_calls,
        hooks=hooks,
        details=details,
        call_sites=(),
    )
    return replace(made, dead_letter=dead_letter(state, layers, app))


def _retry_paths(
    state: Project,
    module: ModuleFacts,
    job_path: str,
    own: Iterable[RetryCall],
    helper_calls: Iterable[HelperCall],
) -> list[RetryPath]:
    """The task body's own ``retry`` calls, then those of the functions it passes itself to
    (followed one level: a helper's own helpers are not)."""

    def located(call: RetryCall, owner: ModuleFacts) -> RetryCall:
        return replace(call, path=None if owner.path == job_path else owner.path)

    paths = [RetryPath(located(call, module), module, module, job_path) for call in own]
    seen: set[tuple[str, Span]] = set()
    for site in helper_calls:
        found = state.helpers.get(state.index.canonical(site.callee, module))
        if found is None:
            continue
        owner, helper = found
        for call in helper.calls_for(site.position, site.keyword):
            handler_module = owner
            if not call.in_except and site.in_except:
                # raised from the helper, but inside the task's except clause
                call = replace(
                    call, in_except=True, handler=site.handler, handler_span=site.handler_span
                )
                handler_module = module
            if (owner.path, call.span) in seen:
                continue
            seen.add((owner.path, call.span))
            call = replace(located(call, owner), helper=helper.name)
            paths.append(RetryPath(call, owner, handler_module, job_path))
    return paths


def _decorator_options(job_def: JobDef) -> Iterator[tuple[str, Located]]:
    return iter(job_def.options)


def _class_job(state: Project, qualname: str, module: ModuleFacts, cls: TaskClass) -> Job:
    chain = state.class_chain(qualname)
    own_name = dict(cls.attributes).get("name")
    default_name = qualname
    name = own_name.value if own_name and isinstance(own_name.value, str) else default_name
    registered_app = state.registrations.get(qualname)
    app = state.apps.get(registered_app) if registered_app else None
    app = app or _app_from_bases(state, chain) or state.default_app(module)
    layers = OptionLayers(
        annotations=state.annotations(app, name),
        decorator={},
        chain=_chain_options(state, chain, module.path, skip_first=False),
        wrapper_annotations=False,  # register_task wraps run before the class is annotated
    )
    retry_calls: list[RetryPath] = []
    for owner, klass in chain:
        if klass.run is not None:
            retry_calls = _retry_paths(
                state, owner, module.path, klass.retry_calls, klass.helper_calls
            )
            break
    sites = _instance_call_sites(state, qualname)
    aliases = state.instances.get(qualname, ())
    hooks = failure_hooks(
        state, chain, qualname, name, aliases, layers.get("on_failure"), module.path, True
    )
    details: list[tuple[str, Any]] = [
        ("app", app.name if app else None),
        ("form", "class"),
        ("decorator", None),
        ("options", cls.attributes),
        ("bind", True),
        ("self_retry_calls", tuple(path.call for path in retry_calls)),
        ("name_known", own_name is None or isinstance(own_name.value, str)),
        ("base", None),
        ("registered", qualname in state.registrations),
        ("instances", tuple(state.instances.get(qualname, ()))),
    ]
    made = job(
        state,
        name=name,
        qualname=qualname,
        module=module,
        span=cls.span,
        function=cls.run or f"{cls.name}.run",
        layers=layers,
        app=app,
        retry_calls=retry_calls,
        hooks=hooks,
        details=details,
        call_sites=sites,
    )
    return replace(made, dead_letter=dead_letter(state, layers, app))


def _app_from_bases(state: Project, chain: list[tuple[ModuleFacts, TaskClass]]) -> App | None:
    for module, cls in chain:
        for base in cls.bases:
            canonical = state.index.canonical(base, module)
            if canonical.endswith(".Task") and canonical[: -len(".Task")] in state.apps:
                return state.apps[canonical[: -len(".Task")]]
    return None


def _instance_call_sites(state: Project, qualname: str) -> tuple[CallSite, ...]:
    """Calls on instances of a class-based task (``charge = app.register_task(Charge())``)."""
    aliases = set(state.instances.get(qualname, ()))
    if not aliases:
        return ()
    sites: list[CallSite] = []
    for module, call in state.index.calls():
        if call.target is None or call.method not in INVOCATIONS[FRAMEWORK]:
            continue
        if state.index.canonical(call.target, module) in aliases:
            sites.append(call_site(module, call))
    return tuple(sorted(sites, key=lambda s: (s.path, s.span)))
