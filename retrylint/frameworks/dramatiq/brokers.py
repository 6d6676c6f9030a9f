"""Which broker an actor runs on, and what the project configures on each broker.

``build_jobs`` picks each actor's broker (``broker=``, else ``set_broker``, else the project's
only broker). A room of its own: brokers, their middleware lists, ``add_middleware`` calls and
the default broker are resolved once for the whole project, before any actor is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retrylint.facts import ConfigFact, JobDef, ObjectFact
from retrylint.frameworks.dramatiq.names import BUILT_BY, FRAMEWORK
from retrylint.model import UNKNOWN, Marker, Source, Sourced, Span
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import CallValue, Located, Ref, Value


@dataclass(frozen=True)
class Setting:
    """An option's value and where it was set, before it is turned into a policy field."""

    value: Value
    source: Source
    origin: str  # "max_retries=None", "Retries(max_retries=3)"
    span: Span | None = None
    path: str | None = None

    def sourced(self, value: object, origin: str | None = None) -> Sourced:
        return Sourced(value, self.source, origin or self.origin, self.span, self.path)


@dataclass
class Broker:
    """One broker object (a module-level name) and the configuration the project gives it."""

    name: str  # canonical
    module: ModuleFacts
    fact: ObjectFact
    settings: dict[str, Setting] = field(default_factory=dict)
    middleware_list: Setting | None = None  # middleware=[...] replaces the default set
    middleware: list[tuple[str, Setting]] = field(default_factory=list)  # (class name, where)
    config_calls: list[str] = field(default_factory=list)  # "Retries()" added with add_middleware
    dead_message_ttl: Setting | None = None  # the constructor's, in milliseconds


def all_brokers(project: ProjectIndex) -> dict[str, Broker]:
    brokers: dict[str, Broker] = {}
    for module, fact in project.objects(FRAMEWORK):
        if fact.kind == "dramatiq-broker":
            name = f"{module.module}.{fact.name}"
            brokers.setdefault(name, Broker(name, module, fact))
    built = {name: broker for name, broker in brokers.items() if name.endswith(BUILT_BY)}
    for module, config in project.configs(FRAMEWORK):
        if config.scope is None:
            continue
        broker = brokers.get(project.canonical(config.scope, module))
        if broker is None:
            continue
        located = config.value
        setting = Setting(
            located.value, "app-config", _config_origin(config), located.span, module.path
        )
        if config.key == "middleware":
            broker.middleware_list = setting
        elif config.key == "add_middleware" or config.key.endswith("()"):
            broker.middleware.append((_middleware_class(project, module, located), setting))
            if config.key.endswith("()"):
                broker.config_calls.append(config.key)
        elif config.key == "dead_message_ttl":
            broker.dead_message_ttl = setting
        elif "." in config.key:
            broker.settings.setdefault(config.key, setting)
    if built:
        # `broker = get_broker()` at module level: that name is the broker the function builds.
        for module in project:
            for instance, callee in module.facts.instances:
                made = built.get(project.canonical(callee, module) + BUILT_BY)
                if made is not None:
                    brokers.setdefault(f"{module.module}.{instance}", made)
    for broker in {id(b): b for b in brokers.values()}.values():
        if broker.middleware_list is not None and isinstance(broker.middleware_list.value, tuple):
            module = broker.module
            for item in broker.middleware_list.value:
                if isinstance(item, CallValue) and item.func:
                    name = project.canonical(item.func, module)
                    broker.middleware.append((name, broker.middleware_list))
    return brokers


def _config_origin(config: ConfigFact) -> str:
    kind, _, option = config.key.partition(".")
    if option:
        return f"{kind}({option}={config.value.code})"
    if config.key == "middleware":
        return f"middleware={_short(config.value.code)}"
    return _short(config.value.code)


def _short(code: str, limit: int = 60) -> str:
    flat = " ".join(code.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _middleware_class(project: ProjectIndex, module: ModuleFacts, located: Located) -> str:
    value = located.value
    if isinstance(value, CallValue) and value.func:
        return project.canonical(value.func, module)
    if isinstance(value, Ref):
        return project.canonical(value.name, module)
    return ""


def default_broker(project: ProjectIndex, brokers: dict[str, Broker]) -> str | Marker | None:
    """The broker actors use when they name none: ``set_broker``'s, or the only one there is.

    Test modules (a ``StubBroker`` in ``conftest.py``) only count when nothing else does. None:
    no broker in the project (Dramatiq's own default broker, default middleware); UNKNOWN:
    several candidates.
    """
    chosen = [
        (module.path, project.canonical(config.value.value.name, module))
        for module, config in project.configs(FRAMEWORK)
        if config.key == "set_broker" and isinstance(config.value.value, Ref)
    ]
    if not chosen:
        chosen = [(broker.module.path, name) for name, broker in brokers.items()]
    candidates = {name for _, name in chosen}
    if len(candidates) > 1:
        candidates = {name for path, name in chosen if not _is_test_path(path)} or candidates
    if not candidates:
        return None
    if len(candidates) == 1:
        return next(iter(candidates))
    # Several brokers that configure retries the same way (often: not at all) are one answer.
    if len({_signature(brokers.get(name)) for name in candidates}) == 1:
        return min(candidates)
    return UNKNOWN


def _signature(broker: Broker | None) -> tuple[object, ...]:
    """What in a broker changes an actor's policy: Retries/TimeLimit/AgeLimit options and a
    middleware list that replaces the defaults. (Other middleware only adds hooks.)"""
    if broker is None:
        return ()
    settings = tuple(sorted((key, repr(s.value)) for key, s in broker.settings.items()))
    listed = repr(broker.middleware_list.value) if broker.middleware_list else None
    return settings, listed, tuple(sorted(broker.config_calls))


def local_brokers(project: ProjectIndex) -> dict[str, list[tuple[int, str]]]:
    """``set_broker`` calls per file, by line: an actor binds to the broker that is global when
    its decorator runs, so a ``set_broker`` above it in the same module decides."""
    found: dict[str, list[tuple[int, str]]] = {}
    for module, config in project.configs(FRAMEWORK):
        value = config.value.value
        if config.key == "set_broker" and isinstance(value, Ref):
            name = project.canonical(value.name, module)
            found.setdefault(module.path, []).append((config.value.span.line, name))
    return found


def _is_test_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(p in ("tests", "test", "conftest.py") or p.startswith("test_") for p in parts)


def actor_broker(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    brokers: dict[str, Broker],
    chosen: str | Marker | None,
    local: dict[str, list[tuple[int, str]]],
) -> Broker | Marker | None:
    option = job_def.option("broker")
    if option is not None:
        if isinstance(option.value, Ref):
            return brokers.get(project.canonical(option.value.name, module), UNKNOWN)
        return UNKNOWN
    above = [name for line, name in local.get(module.path, ()) if line < job_def.span.line]
    if above:
        return brokers.get(above[-1])
    if isinstance(chosen, str):
        return brokers.get(chosen)  # None when set_broker names something we did not see
    return chosen
