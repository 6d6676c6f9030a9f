"""Error trackers as failure hooks: ``sentry_sdk.init(...)`` and the job frameworks it reports.

Sentry's SDK reports a job's exception through its framework integration, so a project whose
code calls ``sentry_sdk.init`` sees its jobs fail without any hook of the framework's own. Which
integrations run (sentry-sdk 3.0, ``sentry_sdk/integrations/__init__.py`` ``setup_integrations``
and ``_AUTO_ENABLING_INTEGRATIONS``; the same in 2.x):

- those listed in ``integrations=[...]``;
- with ``default_integrations`` and ``auto_enabling_integrations`` left on (both default True),
  also the auto-enabling ones whose framework is installed: Celery, RQ, Huey and arq among job
  frameworks (``defaults.SENTRY_AUTO_ENABLED``). Dramatiq's integration must be listed; taskiq
  has none. ``default_integrations=False`` turns auto-enabling off as well;
- never one named in ``disabled_integrations``, listed or not (it takes precedence).

A ``dsn`` written as ``None`` or ``""`` disables the SDK. A ``**options`` spread may carry any
of these keys: it is read as leaving them at their defaults, and the hook's origin says so.

When reports fire (read in the integrations' source): Celery's on the final failure (a retry
raises ``Retry``, which it ignores), RQ's only once no retries are left, arq's on failures (arq
retries only ``Retry``, which it ignores); Dramatiq's middleware and Huey's task wrapper on every
failed attempt.

``extract`` records each ``init`` call and the integration classes a file constructs; the
project phase (``finish_jobs``) adds a ``sentry`` failure hook to every job of each framework an
``init`` reports, with the init's location as provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks import FactSink
from retrylint.frameworks.defaults import (
    SENTRY_AUTO_ENABLED,
    SENTRY_EVERY_ATTEMPT,
    SENTRY_INTEGRATIONS,
)
from retrylint.model import FailureHook, Job, Span
from retrylint.project import ModuleFacts, ProjectIndex

INIT = frozenset({"sentry_sdk.init", "sentry_sdk.api.init", "sentry_sdk.client.init"})
SENTRY_INIT_DATA = "trackers.sentry-init"
SENTRY_CONSTRUCTED_DATA = "trackers.sentry-integrations"
SENTRY_SETTINGS_DATA = "trackers.sentry-settings"
SETTING_PREFIX = "SENTRY_"  # settings read by a Sentry setup this code does not hold
KIND = "sentry"
# The integration class name of each framework, for names seen through a project subclass or an
# import this analysis cannot follow (``sentry_sdk.integrations.celery`` re-exports).
_BY_CLASS_NAME = {
    path.rsplit(".", 1)[-1]: framework for framework, path in SENTRY_INTEGRATIONS.items()
}


@dataclass(frozen=True)
class Listed:
    """The integrations an ``init`` argument names: class names as qualified in the file, and
    whether the list holds more than can be read (a starred element, a name, a call)."""

    names: tuple[tuple[str, Span], ...] = ()
    opaque: bool = False


@dataclass(frozen=True)
class SentryInit:
    """One ``sentry_sdk.init(...)`` call and what decides the integrations it turns on."""

    span: Span
    disabled_dsn: bool  # dsn written as None or ""
    default_integrations: bool | None  # None: not written (True) or not a literal
    auto_enabling: bool | None
    integrations: Listed | None  # None: not passed
    disabled: Listed | None
    spread: str | None  # the code of a ``**options`` argument


def extract(ctx: FileContext, sink: FactSink) -> None:
    names = [*ctx.constants, *(n for info in ctx.classes.values() for n in info.attributes)]
    settings = tuple(name for name in names if name.startswith(SETTING_PREFIX))
    if settings:
        sink.data.append((SENTRY_SETTINGS_DATA, settings))
    if not any(target.split(".", 1)[0] == "sentry_sdk" for target in ctx.imports.values()):
        return
    constructed: list[tuple[str, Span]] = []
    for info in ctx.calls:
        node = info.node
        callee = ctx.qualify(node.func)
        if callee is None:
            continue
        if callee in INIT:
            sink.data.append((SENTRY_INIT_DATA, _init(ctx, node)))
        elif callee.endswith("Integration"):
            constructed.append((callee, ctx.span(node)))
    if constructed:
        sink.data.append((SENTRY_CONSTRUCTED_DATA, tuple(constructed)))


def _init(ctx: FileContext, call: cst.Call) -> SentryInit:
    keywords = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    dsn = keywords.get("dsn", positional[0] if positional else None)
    spread = next((ctx.code(arg.value) for arg in call.args if arg.star == "**"), None)

    def flag(key: str) -> bool | None:
        node = keywords.get(key)
        value = ctx.evaluate(node) if node is not None else None
        return value if isinstance(value, bool) else None

    return SentryInit(
        span=ctx.span(call),
        disabled_dsn=_written_empty(dsn),
        default_integrations=flag("default_integrations"),
        auto_enabling=flag("auto_enabling_integrations"),
        integrations=_listed(ctx, keywords.get("integrations")),
        disabled=_listed(ctx, keywords.get("disabled_integrations")),
        spread=spread,
    )


def _written_empty(node: cst.BaseExpression | None) -> bool:
    """``dsn=None`` / ``dsn=""`` as written: an environment lookup's default is not enough, the
    variable may be set where the worker runs."""
    if isinstance(node, cst.Name):
        return node.value == "None"
    return isinstance(node, cst.SimpleString) and node.evaluated_value == ""


def _listed(ctx: FileContext, node: cst.BaseExpression | None) -> Listed | None:
    """``[CeleryIntegration(), FlaskIntegration]``: each class, written as a call or a class."""
    if node is None:
        return None
    if not isinstance(node, cst.List | cst.Tuple):
        return Listed(opaque=True)
    names: list[tuple[str, Span]] = []
    opaque = False
    for element in node.elements:
        value = element.value
        if isinstance(element, cst.StarredElement):
            opaque = True
            continue
        target = value.func if isinstance(value, cst.Call) else value
        qualified = ctx.qualify(target)
        if qualified is None:
            opaque = True
        else:
            names.append((qualified, ctx.span(value)))
    return Listed(tuple(names), opaque)


# -- project phase ----------------------------------------------------------------------------
def finish_jobs(project: ProjectIndex, jobs: Iterable[Job]) -> list[Job]:
    """Every job with the Sentry hooks of the inits that report its framework."""
    hooks: dict[str, list[FailureHook]] = {}
    for module, init, constructed in _inits(project):
        on, _ = _integrations(project, module, init, constructed)
        for framework, origin in sorted(on.items()):
            hook = FailureHook(
                KIND,
                SENTRY_INTEGRATIONS[framework],
                init.span,
                every_attempt=framework in SENTRY_EVERY_ATTEMPT,
                path=module.path,
                origin=origin,
            )
            hooks.setdefault(framework, []).append(hook)
    if not hooks:
        return list(jobs)
    return [
        replace(job, failure_hooks=(*job.failure_hooks, *hooks[job.framework]))
        if job.framework in hooks
        else job
        for job in jobs
    ]


def configured_elsewhere(project: ProjectIndex) -> tuple[str, str] | None:
    """(path, setting) of a ``SENTRY_*`` setting in a project that calls no ``sentry_sdk.init``:
    a hint that Sentry is set up outside the analysed code (a deployment's own settings)."""
    if any(key == SENTRY_INIT_DATA for module in project for key, _ in module.facts.data):
        return None
    for module in project:
        for key, names in module.facts.data:
            if key == SENTRY_SETTINGS_DATA:
                return module.path, names[0]
    return None


def silenced(project: ProjectIndex) -> dict[str, str]:
    """Job frameworks a ``sentry_sdk.init`` in the project leaves unreported, and why (for
    RL601's message): the init names their integration in ``disabled_integrations``, or turns
    default integrations off without listing it."""
    found: dict[str, str] = {}
    for module, init, constructed in _inits(project):
        on, off = _integrations(project, module, init, constructed)
        for framework, why in off.items():
            found.setdefault(framework, f"sentry_sdk.init at {module.path}:{init.span.line} {why}")
        for framework in on:
            found.pop(framework, None)
    return found


def _inits(
    project: ProjectIndex,
) -> Iterator[tuple[ModuleFacts, SentryInit, tuple[tuple[str, Span], ...]]]:
    for module in project:
        inits = [value for key, value in module.facts.data if key == SENTRY_INIT_DATA]
        if not inits:
            continue
        constructed = next(
            (value for key, value in module.facts.data if key == SENTRY_CONSTRUCTED_DATA), ()
        )
        for init in inits:
            yield module, init, constructed


def _integrations(
    project: ProjectIndex,
    module: ModuleFacts,
    init: SentryInit,
    constructed: tuple[tuple[str, Span], ...],
) -> tuple[dict[str, str], dict[str, str]]:
    """The job frameworks this ``init`` reports (with why) and those it leaves out (with why)."""
    if init.disabled_dsn:
        return {}, dict.fromkeys(SENTRY_INTEGRATIONS, "has no DSN")
    disabled = {f for f, _ in _frameworks(project, module, init.disabled)}
    on: dict[str, str] = {}
    for framework, span in _frameworks(project, module, init.integrations):
        on.setdefault(framework, f"{_class(framework)} listed in integrations (line {span.line})")
    if init.integrations is not None and init.integrations.opaque:
        for framework, span in _frameworks(project, module, Listed(constructed)):
            on.setdefault(
                framework,
                f"{_class(framework)} constructed at line {span.line} (integrations not fully "
                "read)",
            )
    off: dict[str, str] = {}
    auto = init.default_integrations is not False and init.auto_enabling is not False
    for framework in sorted(SENTRY_AUTO_ENABLED):
        if auto:
            on.setdefault(framework, f"{_class(framework)} enabled by default (auto-enabling)")
        elif framework not in on:
            switch = (
                "default_integrations=False"
                if init.default_integrations is False
                else "auto_enabling_integrations=False"
            )
            off[framework] = f"sets {switch} and does not list {_class(framework)}"
    for framework in disabled:
        on.pop(framework, None)
        off[framework] = f"names {_class(framework)} in disabled_integrations"
    if "dramatiq" not in on and "dramatiq" not in off:
        off["dramatiq"] = "does not list DramatiqIntegration (it is not on by default)"
    if init.spread is not None:
        on = {f: f"{why}; **{init.spread} may change the integrations" for f, why in on.items()}
    return on, off


def _class(framework: str) -> str:
    return SENTRY_INTEGRATIONS[framework].rsplit(".", 1)[-1]


def _frameworks(
    project: ProjectIndex, module: ModuleFacts, listed: Listed | None
) -> Iterator[tuple[str, Span]]:
    """The job frameworks of the integration classes ``listed`` names, through project
    subclasses (``class DramatiqIntegration(sentry_sdk...DramatiqIntegration)``)."""
    for name, span in listed.names if listed is not None else ():
        framework = _framework_of(project, module, name)
        if framework is not None:
            yield framework, span


def _framework_of(project: ProjectIndex, module: ModuleFacts, name: str) -> str | None:
    canonical = project.canonical(name, module)
    if canonical.startswith("sentry_sdk."):
        return _BY_CLASS_NAME.get(canonical.rsplit(".", 1)[-1])
    found = project.split(canonical)
    if found is None or (found[0].path, found[1]) not in project.classes:
        return None
    for owner, cls in project.lineage(*found):
        for base in project.classes[(owner.path, cls)].bases:
            resolved = project.canonical(base, owner)
            if resolved.startswith("sentry_sdk."):
                framework = _BY_CLASS_NAME.get(resolved.rsplit(".", 1)[-1])
                if framework is not None:
                    return framework
    return None
