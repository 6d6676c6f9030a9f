"""The project phase's index (``Project``): on top of the apps and their settings
(``config.Apps``), the task classes, retry helpers, instances and registrations of class-based
tasks, signal senders and errbacks, each read from every file's facts once.

A room of its own: ``jobs``, ``policy`` and ``hooks`` all read this index, and ``policy`` and
``hooks`` must not import ``jobs``.
"""

from __future__ import annotations

from retrylint.frameworks.celery.config import Apps
from retrylint.frameworks.celery.countdown import RetryHelper
from retrylint.frameworks.celery.facts import TaskClass
from retrylint.frameworks.celery.from_declarations import BINDING_KEY
from retrylint.frameworks.celery.names import FRAMEWORK
from retrylint.model import Span
from retrylint.project import ModuleFacts, ProjectIndex

TASK_BASES = frozenset({"celery.Task", "celery.app.task.Task", "celery.app.Task"})


class Project(Apps):
    """Everything build_jobs needs, indexed once."""

    def __init__(self, index: ProjectIndex) -> None:
        super().__init__(index)
        self.classes: dict[str, tuple[ModuleFacts, TaskClass]] = {}
        self.helpers: dict[str, tuple[ModuleFacts, RetryHelper]] = {}
        self.bindings: dict[str, str] = {}  # canonical name -> qualified callee
        self.instances: dict[str, list[str]] = {}  # canonical class -> canonical instance names
        self.registrations: dict[str, str | None] = {}  # canonical class -> app receiver
        self.senders: dict[str, list[tuple[str, bool]]] = {}
        self.errbacks: dict[tuple[str, Span], str] = {}
        for module in index:
            for key, value in module.facts.data:
                if key == "celery.class":
                    self.classes[f"{module.module}.{value[0]}"] = (module, value[1])
                elif key == "celery.helper":
                    self.helpers[f"{module.module}.{value[0]}"] = (module, value[1])
                elif key == BINDING_KEY:
                    name, callee = value
                    self.bindings[f"{module.module}.{name}"] = index.canonical(callee, module)
        for name, callee in self.bindings.items():
            if callee in self.classes:  # charge = ChargeTask()
                self.instances.setdefault(callee, []).append(name)
        for module in index:
            for key, value in module.facts.data:
                if key == "celery.instance":
                    alias, cls = value
                    owner = index.canonical(cls, module)
                    self.instances.setdefault(owner, []).append(f"{module.module}.{alias}")
                elif key == "celery.registration":
                    (cls, receiver), _ = value
                    app = self.app_of(receiver, module) if receiver else None
                    owner = index.canonical(cls, module)
                    owner = self._class_of_instance(owner)
                    self.registrations[owner] = app.name if app else None
                elif key == "celery.errback":
                    span, code = value
                    self.errbacks[(module.path, span)] = code
                elif key == "celery.signal_sender":
                    handler, (sender, literal) = value
                    target = sender if literal else index.canonical(sender, module)
                    handler_name = index.canonical(handler, module)
                    self.senders.setdefault(handler_name, []).append((target, literal))
        self.hooks = list(index.hooks(FRAMEWORK))

    def _class_of_instance(self, name: str) -> str:
        for cls, aliases in self.instances.items():
            if name in aliases:
                return cls
        return name

    # -- classes ---------------------------------------------------------------------------
    def class_chain(self, name: str) -> list[tuple[ModuleFacts, TaskClass]]:
        """The class and its project-defined bases, in (depth-first) method resolution order."""
        chain: list[tuple[ModuleFacts, TaskClass]] = []
        seen: set[str] = set()

        def visit(current: str) -> None:
            if current in seen or len(seen) > 32:
                return
            seen.add(current)
            found = self.classes.get(current)
            if found is None:
                return
            chain.append(found)
            module, cls = found
            for base in cls.bases:
                visit(self.index.canonical(base, module))

        visit(name)
        return chain

    def is_task_class(self, name: str) -> bool:
        seen: set[str] = set()

        def visit(current: str) -> bool:
            if current in seen or len(seen) > 32:
                return False
            seen.add(current)
            if current in TASK_BASES:
                return True
            if current.endswith(".Task"):
                owner = current[: -len(".Task")]
                if owner in self.apps:
                    return True
            found = self.classes.get(current)
            if found is None:
                return False
            module, cls = found
            return any(visit(self.index.canonical(base, module)) for base in cls.bases)

        return visit(name)
