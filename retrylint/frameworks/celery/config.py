"""Celery app configuration: what each file sets, and what each setting is for an app.

Per file we record app config: ``app.conf.X = ...``, ``app.conf["X"] = ...``,
``app.conf.update(...)``, ``config_from_object(...)``, module-level / config-class settings
(``CELERY_TASK_ACKS_LATE``, ``task_acks_late``), ``task_annotations`` expanded per entry,
``beat_schedule`` entries (``ConfigFact`` key ``beat_schedule_entry``, value = the ``"task"``
string), ``result_backend`` (``Celery(backend=...)`` too). In the project phase ``Apps`` holds
the apps and the settings that apply to each.

A room of its own: settings have their own names (old upper-case ones, namespaces), sources and
precedence, whatever task asks for them; ``jobs`` and ``policy`` only ask for a value.

Decisions:

- ``task_annotations``: the first map naming the task is applied, then the first ``'*'`` map on
  top of it, so ``'*'`` wins over a task-specific entry (celery/app/annotations.py resolve_all).
- App config: ``app.conf`` assignments / ``update`` and ``Celery(**settings)`` beat a
  ``config_from_object`` source whatever the order. Conflicting values for one key in different
  places are UNKNOWN. A source that cannot be read (a variable, a module outside the project)
  makes ``task_acks_late`` / time limits UNKNOWN instead of the framework default.

Not modelled: ``config_from_envvar``, annotation *objects* (``annotate(task)`` methods: recorded
as ``annotations_opaque``), namespaces other than ``CELERY`` for module-level settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from retrylint.context import FileContext
from retrylint.facts import ConfigFact, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.celery.names import (
    APP_CONSTRUCTORS,
    FRAMEWORK,
    OLD_SETTINGS,
    SETTINGS,
    words,
)
from retrylint.frameworks.celery.options import Option
from retrylint.model import UNKNOWN
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import DictValue, Ref

DJANGO_SETTINGS = "django.conf:settings"
SETTINGS_SCOPE = "settings:"  # ConfigFact.scope prefix for module / config-class settings
ANNOTATION_SEPARATOR = "|"  # ConfigFact key "<setting>|<list index>|<attr>|<task name>"
BEAT_ENTRY = "beat_schedule_entry"
CONFIG_SOURCE = "config_from_object"
CONFIG_NAMESPACE = "config_namespace"
TASK_CLS = "task_cls"
APP_FACTORY = "app_built_by_function"  # a Celery(...) call inside a function (located)
_NOT_APP_CONFIG = frozenset({BEAT_ENTRY, APP_FACTORY})  # unowned facts that configure no app

# Celery.__init__ parameters that are not settings.
_CONSTRUCTOR_PARAMETERS = words(
    "main loader backend amqp events log control set_as_current tasks broker include changes "
    "config_source fixups task_cls autofinalize namespace strict_typing config_source_silent"
)


def constructor_config(ctx: FileContext, sink: FactSink, call: cst.Call, scope: str) -> None:
    for arg in call.args:
        if arg.keyword is None or arg.star:
            continue
        key = arg.keyword.value
        if key == "changes":
            _dict_config(ctx, sink, arg.value, scope)
        elif key == "config_source":
            sink.configs.append(ConfigFact(FRAMEWORK, CONFIG_SOURCE, ctx.locate(arg.value), scope))
        elif key == "namespace":
            sink.configs.append(
                ConfigFact(FRAMEWORK, CONFIG_NAMESPACE, ctx.locate(arg.value), scope)
            )
        elif key == "task_cls":
            sink.configs.append(ConfigFact(FRAMEWORK, TASK_CLS, ctx.locate(arg.value), scope))
        elif key == "backend":
            _setting(ctx, sink, "result_backend", arg.value, scope)
        elif key not in _CONSTRUCTOR_PARAMETERS:
            _setting(ctx, sink, key, arg.value, scope)


def literal_node(ctx: FileContext, node: cst.BaseExpression) -> cst.BaseExpression:
    """A module-level constant's own expression, so dict entries keep their spans."""
    if isinstance(node, cst.Name) and node.value in ctx.constants and node.value not in ctx.imports:
        return ctx.constants[node.value]
    return node


def extract_config(ctx: FileContext, sink: FactSink) -> None:
    for assignment in ctx.assignments:
        if assignment.function is not None:
            continue
        for target in assignment.targets:
            _config_assignment(ctx, sink, target, assignment.value, assignment.class_name)
    for info in ctx.calls:
        node = info.node
        func = node.func
        if not isinstance(func, cst.Attribute):
            if info.function is not None and ctx.qualify(func) in APP_CONSTRUCTORS:
                # def create_app(): app = Celery(...): the app exists, under no module name
                sink.configs.append(ConfigFact(FRAMEWORK, APP_FACTORY, ctx.locate(node)))
            continue
        method = func.attr.value
        if method == "update" and _conf_receiver(func.value) is not None:
            scope = ctx.qualify(_conf_receiver(func.value))  # type: ignore[arg-type]
            if scope is None:
                continue
            for arg in node.args:
                if arg.keyword is not None:
                    _setting(ctx, sink, arg.keyword.value, arg.value, scope)
                elif arg.star in ("", "**"):
                    _dict_config(ctx, sink, arg.value, scope)
        elif method == "config_from_object" and node.args:
            scope = ctx.qualify(func.value)
            if scope is None:
                continue
            source = node.args[0].value
            sink.configs.append(ConfigFact(FRAMEWORK, CONFIG_SOURCE, ctx.locate(source), scope))
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "namespace":
                    sink.configs.append(
                        ConfigFact(FRAMEWORK, CONFIG_NAMESPACE, ctx.locate(arg.value), scope)
                    )


def _conf_receiver(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``app`` for ``app.conf``; None otherwise."""
    if isinstance(node, cst.Attribute) and node.attr.value == "conf":
        return node.value
    return None


def _config_assignment(
    ctx: FileContext,
    sink: FactSink,
    target: cst.BaseExpression,
    value: cst.BaseExpression,
    class_name: str | None,
) -> None:
    if isinstance(target, cst.Name):
        name = target.value
        if _is_setting_name(name):
            scope = SETTINGS_SCOPE + ("$" if class_name is None else f"$.{class_name}")
            _setting(ctx, sink, name, value, scope)
        return
    if class_name is not None:
        return
    # app.conf.X = v / app.conf["X"] = v / app.conf.beat_schedule["entry"] = {...}
    if isinstance(target, cst.Attribute) and (app := _conf_receiver(target.value)) is not None:
        if (owner := ctx.qualify(app)) is not None:
            _setting(ctx, sink, target.attr.value, value, owner)
    elif isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        key = ctx.evaluate(index.value) if isinstance(index, cst.Index) else None
        if not isinstance(key, str):
            return
        if (app := _conf_receiver(target.value)) is not None:
            if (owner := ctx.qualify(app)) is not None:
                _setting(ctx, sink, key, value, owner)
        elif (
            isinstance(target.value, cst.Attribute)
            and target.value.attr.value == "beat_schedule"
            and (app := _conf_receiver(target.value.value)) is not None
            and (owner := ctx.qualify(app)) is not None
        ):
            _beat_entry(ctx, sink, value, owner)
        elif isinstance(target.value, cst.Name) and _is_beat_schedule(target.value.value):
            # CELERY_BEAT_SCHEDULE["x"] = {...} in a settings module (often under an `if`)
            _beat_entry(ctx, sink, value, SETTINGS_SCOPE + "$")


def _is_setting_name(name: str) -> bool:
    return name in SETTINGS or (name.isupper() and name.startswith("CELERY"))


def _is_beat_schedule(name: str) -> bool:
    return _is_setting_name(name) and "beat_schedule" in {
        normalise_setting(name, None),
        normalise_setting(name, "CELERY"),
    }


def normalise_setting(raw: str, namespace: str | None) -> str | None:
    """The new lower-case setting a name stands for under ``namespace`` (None: no namespace)."""
    if namespace:
        prefix = namespace + "_"
        return raw[len(prefix) :].lower() if raw.startswith(prefix) else None
    if raw in OLD_SETTINGS:
        return OLD_SETTINGS[raw]
    return raw if raw.islower() else None


def _setting(
    ctx: FileContext, sink: FactSink, raw: str, value: cst.BaseExpression, scope: str
) -> None:
    keys = {normalise_setting(raw, None), normalise_setting(raw, "CELERY")}
    sink.configs.append(ConfigFact(FRAMEWORK, raw, ctx.locate(value), scope))
    if "task_annotations" in keys:
        _annotations(ctx, sink, raw, value, scope)
    if "beat_schedule" in keys:
        node = literal_node(ctx, value)
        if isinstance(node, cst.Dict):
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    _beat_entry(ctx, sink, element.value, scope)


def _dict_config(ctx: FileContext, sink: FactSink, node: cst.BaseExpression, scope: str) -> None:
    node = literal_node(ctx, node)
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = ctx.evaluate(element.key)
                if isinstance(key, str):
                    _setting(ctx, sink, key, element.value, scope)
    elif isinstance(node, cst.Call) and ctx.qualify(node.func) == "dict":
        for arg in node.args:
            if arg.keyword is not None:
                _setting(ctx, sink, arg.keyword.value, arg.value, scope)


def _annotations(
    ctx: FileContext, sink: FactSink, raw: str, value: cst.BaseExpression, scope: str
) -> None:
    node = literal_node(ctx, value)
    maps = [e.value for e in node.elements] if isinstance(node, cst.List | cst.Tuple) else [node]
    for index, mapping in enumerate(maps):
        mapping = literal_node(ctx, mapping)
        if not isinstance(mapping, cst.Dict):
            continue
        for element in mapping.elements:
            if not isinstance(element, cst.DictElement):
                continue
            task = ctx.evaluate(element.key)
            attributes = literal_node(ctx, element.value)
            if not isinstance(task, str) or not isinstance(attributes, cst.Dict):
                continue
            for entry in attributes.elements:
                if not isinstance(entry, cst.DictElement):
                    continue
                attribute = ctx.evaluate(entry.key)
                if isinstance(attribute, str):
                    key = ANNOTATION_SEPARATOR.join((raw, str(index), attribute, task))
                    sink.configs.append(ConfigFact(FRAMEWORK, key, ctx.locate(entry.value), scope))


def _beat_entry(ctx: FileContext, sink: FactSink, entry: cst.BaseExpression, scope: str) -> None:
    entry = literal_node(ctx, entry)
    if isinstance(entry, cst.Dict):
        for element in entry.elements:
            if isinstance(element, cst.DictElement) and ctx.evaluate(element.key) == "task":
                sink.configs.append(
                    ConfigFact(FRAMEWORK, BEAT_ENTRY, ctx.locate(element.value), scope)
                )
    elif isinstance(entry, cst.Call) and ctx.qualify(entry.func) == "dict":
        for arg in entry.args:
            if arg.keyword is not None and arg.keyword.value == "task":
                sink.configs.append(ConfigFact(FRAMEWORK, BEAT_ENTRY, ctx.locate(arg.value), scope))


# -- project phase ----------------------------------------------------------------------------
@dataclass
class App:
    """A Celery app: its object and every config fact that applies to it."""

    name: str  # canonical, e.g. "shop.celery.app"
    module: ModuleFacts
    fact: ObjectFact
    changes: dict[str, list[tuple[ModuleFacts, ConfigFact]]] = field(default_factory=dict)
    sources: list[tuple[ModuleFacts, ConfigFact]] = field(default_factory=list)
    namespace: str | None = None
    task_cls: tuple[ModuleFacts, ConfigFact] | None = None


class Apps:
    """The project's Celery apps and the settings that apply to each, indexed once."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.apps: dict[str, App] = {}
        for module, fact in index.objects(FRAMEWORK):
            if fact.kind == "celery-app":
                name = f"{module.module}.{fact.name}"
                self.apps[name] = App(name, module, fact)
        self.settings: dict[str, list[tuple[ModuleFacts, ConfigFact]]] = {}
        unowned: list[tuple[ModuleFacts, ConfigFact]] = []  # config of no module-level app
        for module, config in index.configs(FRAMEWORK):
            scope = config.scope or ""
            if scope.startswith(SETTINGS_SCOPE):
                owner = index.absolute(scope[len(SETTINGS_SCOPE) :], module)
                self.settings.setdefault(owner, []).append((module, config))
                continue
            app = self.app_of(scope, module)
            if app is None:
                unowned.append((module, config))
                continue
            self._configure(app, module, config)
        self.built_in_function = None if self.apps else self._built_in_function(unowned)

    def _configure(self, app: App, module: ModuleFacts, config: ConfigFact) -> None:
        if config.key == CONFIG_SOURCE:
            app.sources.append((module, config))
        elif config.key == CONFIG_NAMESPACE:
            if isinstance(config.value.value, str):
                app.namespace = config.value.value
        elif config.key == TASK_CLS:
            app.task_cls = (module, config)
        else:
            app.changes.setdefault(config.key, []).append((module, config))

    def _built_in_function(self, unowned: list[tuple[ModuleFacts, ConfigFact]]) -> App | None:
        """The one app of a project that builds it inside a function (a factory, a lazy
        property: ``self._app = Celery(...); self._app.config_from_object("proj.config")``).

        Its tasks bind to it through a name the analysis cannot follow (a proxy, a getter), so
        without it they would get Celery's defaults and not the settings it loads. Only with one
        such app and with configuration written in the same file as it.
        """
        factories = [(m, c) for m, c in unowned if c.key == APP_FACTORY]
        if len(factories) != 1:
            return None
        module, built = factories[0]
        configs = [
            (m, c) for m, c in unowned if m.path == module.path and c.key not in _NOT_APP_CONFIG
        ]
        if not configs:
            return None
        fact = ObjectFact("<built in a function>", "celery-app", FRAMEWORK, built.value.span)
        app = App(f"{module.module}.<built in a function>", module, fact)
        for owner, config in configs:
            self._configure(app, owner, config)
        return app

    def app_of(self, name: str, module: ModuleFacts) -> App | None:
        found = self.index.object(name, module)
        if found is None or found[1].framework != FRAMEWORK:
            return None
        owner, fact = found
        return self.apps.get(f"{owner.module}.{fact.name}")

    def default_app(self, module: ModuleFacts) -> App | None:
        """The app a shared task (or an unresolved receiver) most likely binds to."""
        if not self.apps:
            return self.built_in_function
        if len(self.apps) == 1:
            return next(iter(self.apps.values()))

        def shared_prefix(app: App) -> int:
            mine, theirs = module.module.split("."), app.module.module.split(".")
            count = 0
            for a, b in zip(mine, theirs, strict=False):
                if a != b:
                    break
                count += 1
            return count

        return max(sorted(self.apps.values(), key=lambda a: a.name), key=shared_prefix)

    # -- app configuration -----------------------------------------------------------------
    def setting_facts(self, app: App, key: str) -> list[tuple[ModuleFacts, ConfigFact]]:
        """Facts that set ``key`` for ``app``: run-time changes first, else config sources."""
        changes = [
            item
            for raw, items in app.changes.items()
            if normalise_setting(raw, None) == key
            for item in items
        ]
        if changes:
            return changes
        found: list[tuple[ModuleFacts, ConfigFact]] = []
        for module, raw, config in self.source_settings(app):
            if normalise_setting(raw, app.namespace) == key:
                found.append((module, config))
        return found

    def source_settings(self, app: App) -> Iterator[tuple[ModuleFacts, str, ConfigFact]]:
        for owner in self.source_owners(app):
            for module, config in self.settings.get(owner, ()):
                yield module, config.key, config

    def source_owners(self, app: App) -> list[str]:
        """The settings modules / classes ``config_from_object`` loads (canonical names)."""
        owners: list[str] = []
        for module, config in app.sources:
            value = config.value.value
            if value == DJANGO_SETTINGS:
                # Django settings may be split across modules: every module-level CELERY_* name.
                owners.extend(
                    owner
                    for owner, items in self.settings.items()
                    if owner in self.index.modules and any(c.key.isupper() for _, c in items)
                )
            elif isinstance(value, str):
                owners.append(value.replace(":", "."))
            elif isinstance(value, Ref):
                owners.append(self.index.canonical(value.name, module))
        return owners

    def opaque_config(self, app: App) -> tuple[ModuleFacts, ConfigFact] | None:
        """A config_from_object source this analysis cannot read (a variable, a missing module)."""
        for module, config in app.sources:
            value = config.value.value
            if value == DJANGO_SETTINGS:
                continue
            if isinstance(value, str):
                owner = value.replace(":", ".")
            elif isinstance(value, Ref):
                owner = self.index.canonical(value.name, module)
            else:
                return module, config
            if owner not in self.index.modules and self.index.split(owner) is None:
                return module, config
        return None

    def app_setting(self, app: App | None, key: str) -> Option | None:
        if app is None:
            return None
        facts = self.setting_facts(app, key)
        if not facts:
            return None
        module, config = facts[-1]
        values = {repr(c.value.value) for _, c in facts}
        value = config.value.value if len(values) == 1 else UNKNOWN
        return Option(
            value,
            "app-config",
            f"{config.key}={config.value.code}",
            config.value.span,
            module.path,
            module,
            config.value,
        )

    def annotations_opaque(self, app: App | None) -> bool:
        """task_annotations set to something not written out (a call, an annotation object)."""
        if app is None:
            return False
        facts = self.setting_facts(app, "task_annotations")
        for _, config in facts[-1:]:
            value = config.value.value
            maps = value if isinstance(value, tuple) else (value,)
            if not all(isinstance(item, DictValue) for item in maps):
                return True
        return False

    def annotations(self, app: App | None, task_name: str) -> dict[str, Option]:
        """Attributes task_annotations sets on ``task_name``: the first map naming the task,
        then the first ``'*'`` map on top of it (Celery applies them in that order)."""
        if app is None:
            return {}
        entries: list[tuple[ModuleFacts, ConfigFact, str, int, str, str]] = []
        # app.conf / Celery(...) changes replace a config module's task_annotations entirely.
        from_changes = any(
            normalise_setting(raw.split(ANNOTATION_SEPARATOR)[0], None) == "task_annotations"
            for raw in app.changes
        )
        if from_changes:
            candidates = [
                (module, config.key, config)
                for items in app.changes.values()
                for module, config in items
            ]
            namespace = None
        else:
            candidates = list(self.source_settings(app))
            namespace = app.namespace
        for module, raw, config in candidates:
            parts = raw.split(ANNOTATION_SEPARATOR, 3)
            if len(parts) != 4 or normalise_setting(parts[0], namespace) != "task_annotations":
                continue
            setting, position, attribute, task = parts
            entries.append((module, config, setting, int(position), attribute, task))
        result: dict[str, Option] = {}
        for wanted in (task_name, "*"):
            matching = [e for e in entries if e[5] == wanted]
            if not matching:
                continue
            first = min(e[3] for e in matching)
            for module, config, setting, index, attribute, task in matching:
                if index != first:
                    continue
                result[attribute] = Option(
                    config.value.value,
                    "app-config",
                    f"{setting}[{task!r}] {attribute}={config.value.code}",
                    config.value.span,
                    module.path,
                    module,
                    config.value,
                )
        return result
