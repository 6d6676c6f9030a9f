"""The project index: every file's facts under its module name, and name resolution across them.

Adapters ask it what a name means: ``$.app`` in ``shop/tasks.py`` is ``shop.tasks.app``;
``.celery.app`` imported by ``shop/tasks.py`` is ``shop.celery.app``; ``shop.send_email``
re-exported by ``shop/__init__.py`` is ``shop.emails.send_email``. Module names come from the
file system (nearest folder without ``__init__.py``), which also covers ``src/`` layouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from retrylint.facts import (
    CallFact,
    ClassFact,
    ConfigFact,
    FileFacts,
    HookFact,
    JobDef,
    ObjectFact,
)
from retrylint.model import UNKNOWN
from retrylint.values import (
    OPERATOR_SYMBOLS,
    SELF_MODULE,
    OpValue,
    Ref,
    Value,
    arithmetic,
    is_number,
)

_MAX_RESOLVE_DEPTH = 16
DJANGO_SETTINGS = "django.conf.settings."


@dataclass(frozen=True)
class ModuleFacts:
    """One analysed file, under its module name."""

    module: str
    path: str
    is_package: bool
    facts: FileFacts

    @cached_property
    def imports(self) -> dict[str, str]:
        return dict(self.facts.imports)

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.facts.module_names)

    @property
    def package(self) -> str:
        return self.module if self.is_package else self.module.rpartition(".")[0]


class ProjectIndex:
    """All files' facts, queried by adapters (build_jobs) and project-level checks."""

    def __init__(self, modules: Iterable[ModuleFacts]) -> None:
        self.modules: dict[str, ModuleFacts] = {}
        self.by_path: dict[str, ModuleFacts] = {}
        for module in modules:
            # Two files with the same module name (scripts in different folders): keep both by
            # path, and the first by name; name resolution between them is ambiguous anyway.
            self.modules.setdefault(module.module, module)
            self.by_path[module.path] = module

    def __iter__(self) -> Iterator[ModuleFacts]:
        return iter(self.by_path.values())

    # -- names ----------------------------------------------------------------------------------
    def absolute(self, name: str, module: ModuleFacts) -> str:
        """Replace ``$`` and relative prefixes with real module names (no re-export following)."""
        if name == SELF_MODULE or name.startswith(SELF_MODULE + "."):
            return module.module + name[len(SELF_MODULE) :]
        if name.startswith("."):
            stripped = name.lstrip(".")
            level = len(name) - len(stripped)
            base = module.package.split(".") if module.package else []
            if level > 1:
                base = base[: len(base) - (level - 1)]
            return ".".join([*base, stripped] if stripped else base)
        return name

    def canonical(self, name: str, module: ModuleFacts | None = None) -> str:
        """The defining location of ``name``, following imports and re-exports in the project."""
        current = self.absolute(name, module) if module else name
        for _ in range(_MAX_RESOLVE_DEPTH):
            step = self._resolve_once(current)
            if step is None or step == current:
                return current
            current = step
        return current

    def _resolve_once(self, name: str) -> str | None:
        parts = name.split(".")
        for split in range(len(parts) - 1, 0, -1):
            owner = self.modules.get(".".join(parts[:split]))
            if owner is None:
                continue
            head, rest = parts[split], parts[split + 1 :]
            if head in owner.imports:
                target = self.absolute(owner.imports[head], owner)
                return ".".join([target, *rest])
            if head not in owner.names:
                source = self._star_source(owner, head)
                if source is not None:
                    return ".".join([source, head, *rest])
            return None
        return None

    def _star_source(self, owner: ModuleFacts, name: str) -> str | None:
        """The module a ``from X import *`` in ``owner`` takes ``name`` from, if any.

        Django apps re-export their models this way (``from .jobs import *`` in
        ``models/__init__.py``); without it ``core.models.Job`` would not resolve.
        """
        for star in owner.facts.star_imports:
            module = self.modules.get(self.absolute(star, owner))
            if module is not None and (name in module.names or name in module.imports):
                return module.module
        return None

    def split(self, name: str) -> tuple[ModuleFacts, str] | None:
        """(module, attribute path) for a canonical name whose module is in the project."""
        parts = name.split(".")
        for split in range(len(parts) - 1, 0, -1):
            owner = self.modules.get(".".join(parts[:split]))
            if owner is not None:
                return owner, ".".join(parts[split:])
        return None

    def object(
        self, name: str, module: ModuleFacts | None = None
    ) -> tuple[ModuleFacts, ObjectFact] | None:
        """The framework object (app, broker, queue) a name refers to, if the project defines it."""
        found = self.split(self.canonical(name, module))
        if found is None:
            return None
        owner, attribute = found
        for fact in owner.facts.objects:
            if fact.name == attribute:
                return owner, fact
        return None

    def constant(self, name: str, module: ModuleFacts | None = None, depth: int = 0) -> Value:
        """The literal a name stands for: a module constant, a class attribute (``Config.X``,
        ``settings.X`` with ``settings = Settings()``), or a Django setting; else UNKNOWN.

        Settings read from ``django.conf.settings`` are looked up in the project's settings
        modules; when they disagree (development and production values), the value is UNKNOWN.
        A module constant written as arithmetic over other names is computed from theirs.
        """
        if depth > _MAX_RESOLVE_DEPTH:
            return UNKNOWN
        canonical = self.canonical(name, module)
        if canonical.startswith(DJANGO_SETTINGS):
            return self._django_setting(canonical[len(DJANGO_SETTINGS) :])
        found = self.split(canonical)
        if found is None:
            return UNKNOWN
        owner, attribute = found
        constants = dict(owner.facts.constants)
        if attribute in constants:
            return self.literal(constants[attribute], owner, depth + 1)
        holder, dot, key = attribute.partition(".")
        if not dot or "." in key:
            return UNKNOWN
        cls = self.class_of(owner, holder)
        return self.class_constant(*cls, key) if cls else UNKNOWN

    def literal(self, value: Value, module: ModuleFacts, depth: int = 0) -> Value:
        """``value`` with names resolved and arithmetic done, as far as the project tells."""
        if isinstance(value, Ref):
            return self.constant(value.name, module, depth + 1)
        if isinstance(value, OpValue):
            left = self.literal(value.left, module, depth + 1)
            right = self.literal(value.right, module, depth + 1)
            if is_number(left) and is_number(right):
                names = {symbol: name for name, symbol in OPERATOR_SYMBOLS.items()}
                return arithmetic(names.get(value.op, value.op), left, right)  # type: ignore[arg-type]
            return UNKNOWN
        return value

    # -- classes --------------------------------------------------------------------------------
    @cached_property
    def classes(self) -> dict[tuple[str, str], ClassFact]:
        """Every project class by (path, qualname)."""
        return {
            (module.path, fact.qualname): fact for module in self for fact in module.facts.classes
        }

    def class_of(self, module: ModuleFacts, name: str) -> tuple[ModuleFacts, str] | None:
        """The project class ``name`` is in ``module``: the class itself, or the class of a
        module-level instance (``settings = Settings()``)."""
        if (module.path, name) in self.classes:
            return module, name
        callee = dict(module.facts.instances).get(name)
        return self.instance_class(module, callee) if callee else None

    def instance_class(self, module: ModuleFacts, callee: str) -> tuple[ModuleFacts, str] | None:
        """The project class whose instance ``callee(...)`` (as written in ``module``) makes."""
        found = self.split(self.canonical(callee, module))
        if found is None or (found[0].path, found[1]) not in self.classes:
            return None
        return found

    def lineage(self, module: ModuleFacts, class_name: str) -> Iterator[tuple[ModuleFacts, str]]:
        """A project class and its project bases, nearest first (breadth first, no repeats)."""
        pending = [(module, class_name)]
        seen: set[tuple[str, str]] = set()
        while pending:
            where, name = pending.pop(0)
            if (where.path, name) in seen:
                continue
            seen.add((where.path, name))
            yield where, name
            cls = self.classes.get((where.path, name))
            for base in cls.bases if cls else ():
                found = self.split(self.canonical(base, where))
                if found is not None:
                    pending.append(found)

    def class_constant(self, module: ModuleFacts, class_name: str, key: str) -> Value:
        for where, name in self.lineage(module, class_name):
            cls = self.classes.get((where.path, name))
            constants = dict(cls.constants) if cls else {}
            if key in constants:
                return constants[key]
        return UNKNOWN

    def _django_setting(self, key: str) -> Value:
        values = set()
        for module in self.settings_modules:
            constants = dict(module.facts.constants)
            if key in constants:
                values.add(constants[key])
            for cls in module.facts.classes:
                class_constants = dict(cls.constants)
                if key in class_constants:
                    values.add(class_constants[key])
        return values.pop() if len(values) == 1 else UNKNOWN

    @cached_property
    def settings_modules(self) -> tuple[ModuleFacts, ...]:
        """Django settings modules: ``<x>.settings``, ``<x>.settings.<y>``, ``settings_<y>``."""
        return tuple(
            module
            for module in self
            if any(
                part == "settings" or part.startswith("settings_") or part.endswith("_settings")
                for part in module.module.split(".")
            )
        )

    # -- facts ----------------------------------------------------------------------------------
    def job_defs(self) -> Iterator[tuple[ModuleFacts, JobDef]]:
        for module in self:
            for job_def in module.facts.job_defs:
                yield module, job_def

    def calls(self) -> Iterator[tuple[ModuleFacts, CallFact]]:
        for module in self:
            for call in module.facts.calls:
                yield module, call

    def configs(self, framework: str) -> Iterator[tuple[ModuleFacts, ConfigFact]]:
        for module in self:
            for config in module.facts.configs:
                if config.framework == framework:
                    yield module, config

    def hooks(self, framework: str | None = None) -> Iterator[tuple[ModuleFacts, HookFact]]:
        for module in self:
            for hook in module.facts.hooks:
                if framework is None or hook.framework == framework:
                    yield module, hook

    def objects(self, framework: str | None = None) -> Iterator[tuple[ModuleFacts, ObjectFact]]:
        for module in self:
            for fact in module.facts.objects:
                if framework is None or fact.framework == framework:
                    yield module, fact

    @cached_property
    def frameworks_imported(self) -> frozenset[str]:
        """Top-level packages imported anywhere: a tie-breaker when a receiver is unresolvable."""
        roots = set()
        for module in self:
            for _, target in module.facts.imports:
                if not target.startswith("."):
                    roots.add(target.split(".", 1)[0])
        return frozenset(roots)
