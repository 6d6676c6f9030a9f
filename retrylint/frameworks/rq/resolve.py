"""Which ``.enqueue*`` receivers are RQ queues, decided across modules.

The invocation calls themselves are recorded framework-neutrally by ``frameworks.calls``; this
adapter decides which ``.enqueue*`` receivers are RQ queues. The receiver rule, in order:

1. an inline or local binding in the calling function: ``Queue(...).enqueue(f)``,
   ``q = django_rq.get_queue("high"); q.enqueue(f)`` -- a call of an RQ/django-rq API is a queue;
   a call of another class (CapWords name, e.g. ``Outbox()``, ``asyncio.Queue()``) is not; a
   local bound to anything else is undecided;
2. the receiver's qualified name: ``django_rq`` / ``rq.Queue`` (``Queue.prepare_data``) are RQ;
   a module-level name the project binds to ``Queue(...)`` (an ``rq-queue`` object, in any
   module) is RQ; one bound to another framework's object (a Huey instance) or to another class
   instance (``outbox = Outbox()``) is not;
   a receiver that is a project module (``jobs.enqueue(f)``: a function) or a project class
   (``Job.enqueue(f)``: its own classmethod, netbox; also a CapWords name from a project module
   that a star import hides) is not; nor is ``self.enqueue(f)`` / ``cls.enqueue(f)`` when the
   class, or a project base class, defines ``enqueue``;
3. a call of a project function that returns an RQ queue (a *queue getter*: it returns
   ``rq.Queue(...)`` directly or through a local name, a module-level queue, another getter's
   result, or is annotated ``-> rq.Queue``; ckan's ``get_queue``) is RQ in any file; one whose
   returns are all something else (``asyncio.Queue()``, ``Outbox()``) is not. Function bodies are
   read in files that import RQ and, elsewhere, for functions named like ``*queue*``;
4. undecided receivers (``self.queue``, parameters, other helpers' results) are taken as RQ only
   when the calling file imports ``rq`` or ``django_rq``.

The same resolution finds a queue's ``default_timeout`` where its constructor is visible.
"""

from __future__ import annotations

from retrylint.facts import CallFact
from retrylint.frameworks.rq.policy import timeout_seconds
from retrylint.frameworks.rq.records import (
    CLASSES_KEY,
    FRAMEWORK,
    GETTERS_KEY,
    MODULE_BINDINGS_KEY,
    QUEUE_SUBCLASSES_KEY,
    RETRY_SHAPES_KEY,
    RQ_ROOTS,
    Binding,
    RetryShape,
    data,
)
from retrylint.model import SecondsValue, Sourced, Span
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import CallValue, Located, Value

_MAX_DEPTH = 8


class Resolver:
    """Name resolution this adapter needs on top of the project index, with per-module caches."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self._classes: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        self._getters: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {}
        self._shapes: dict[str, dict[Span, RetryShape]] = {}

    def classes(self, module: ModuleFacts) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        found = self._classes.get(module.path)
        if found is None:
            found = {
                name: (bases, methods) for name, bases, methods in data(module, CLASSES_KEY) or ()
            }
            self._classes[module.path] = found
        return found

    def getters(self, module: ModuleFacts) -> dict[str, tuple[tuple[str, ...], ...]]:
        found = self._getters.get(module.path)
        if found is None:
            found = dict(data(module, GETTERS_KEY) or ())
            self._getters[module.path] = found
        return found

    def retry_shape(self, module: ModuleFacts, located: Located | None) -> RetryShape | None:
        if located is None:
            return None
        found = self._shapes.get(module.path)
        if found is None:
            found = dict(data(module, RETRY_SHAPES_KEY) or ())
            self._shapes[module.path] = found
        return found.get(located.span)

    def project_class(self, canonical: str) -> tuple[ModuleFacts, str] | None:
        """(module, class qualname) when ``canonical`` names a class the project defines."""
        found = self.project.split(canonical)
        if found is not None and found[1] in self.classes(found[0]):
            return found
        return None

    def method(self, module: ModuleFacts, owner: str, name: str, depth: int = 0) -> str | None:
        """The canonical name of method ``name`` of class ``owner``, through project bases."""
        entry = self.classes(module).get(owner)
        if entry is None or depth > _MAX_DEPTH:
            return None
        bases, methods = entry
        if name in methods:
            return f"{module.module}.{owner}.{name}"
        for base in bases:
            found = self.project_class(self.project.canonical(base, module))
            if found is not None:
                resolved = self.method(found[0], found[1], name, depth + 1)
                if resolved is not None:
                    return resolved
        return None

    def enclosing_class(self, module: ModuleFacts, function: str | None) -> str | None:
        """The class a method belongs to, from the method's qualname."""
        if not function or "." not in function:
            return None
        owner = function.rsplit(".", 1)[0]
        return owner if owner in self.classes(module) else None

    def self_method(self, module: ModuleFacts, function: str | None, name: str) -> str | None:
        """``self.name`` / ``cls.name`` inside a method of a project class: the method's name."""
        head, _, attribute = name.partition(".")
        if head not in ("self", "cls") or not attribute or "." in attribute:
            return None
        owner = self.enclosing_class(module, function)
        return self.method(module, owner, attribute) if owner is not None else None

    def returned_name(self, module: ModuleFacts, callee: str | None) -> str | None:
        """The canonical module-level name a getter returns, when it returns only that."""
        if callee is None:
            return None
        canonical = self.project.canonical(callee, module)
        found = self.project.split(canonical)
        if found is None:
            return None
        returns = self.getters(found[0]).get(found[1])
        if returns is None or len(returns) != 1 or returns[0][0] != "name":
            return None
        return self.project.canonical(returns[0][1], found[0])

    def getter_verdict(self, canonical: str, depth: int) -> bool | None:
        """Whether a project function returns an RQ queue: True, False (it returns something
        else, e.g. an ``asyncio.Queue``), or None (unknown)."""
        found = self.project.split(canonical)
        if found is None or depth > _MAX_DEPTH:
            return None
        owner, attribute = found
        returns = self.getters(owner).get(attribute)
        if not returns:
            return None
        verdicts: list[bool | None] = []
        for item in returns:
            if item[0] == "rq":
                return True
            if item[0] == "call":
                verdicts.append(_callee_verdict(self, owner, item[1], depth + 1))
            elif item[0] == "name":
                verdicts.append(_receiver_verdict(self, owner, item[1], None, depth + 1))
        if any(verdicts):
            return True
        return False if verdicts and all(v is False for v in verdicts) else None


# -- receivers -----------------------------------------------------------------------------------


def is_rq_receiver(
    resolver: Resolver, module: ModuleFacts, call: CallFact, binding: Binding | None
) -> bool:
    if (
        binding is None
        and call.receiver is not None
        and resolver.self_method(module, call.function, f"{call.receiver}.{call.method}")
    ):
        return False  # self.enqueue(f) on a class that defines enqueue(): its own method
    verdict = _receiver_verdict(resolver, module, call.receiver, binding)
    if verdict is None:
        return any(target.split(".", 1)[0] in RQ_ROOTS for _, target in module.facts.imports)
    return verdict


def _receiver_verdict(
    resolver: Resolver,
    module: ModuleFacts,
    receiver: str | None,
    binding: Binding | None,
    depth: int = 0,
) -> bool | None:
    project = resolver.project
    if binding is not None:
        kind, name, _ = binding
        if kind == "call":
            return _callee_verdict(resolver, module, name, depth)
        if kind != "name" or name is None:
            return None
        receiver = name
    if receiver is None:
        return None
    canonical = project.canonical(receiver, module)
    if canonical.split(".", 1)[0] in RQ_ROOTS:
        return True  # django_rq.enqueue(...), rq.Queue.prepare_data(...)
    found = project.object(receiver, module)
    if found is not None:
        return found[1].framework == FRAMEWORK
    if canonical in project.modules:
        return False  # jobs.enqueue(f): a function of a project module
    located = project.split(canonical)
    if located is not None:
        owner, attribute = located
        if attribute in (data(owner, QUEUE_SUBCLASSES_KEY) or ()):
            return True  # MyQueue.prepare_data(...)
        if attribute in resolver.classes(owner):
            return False  # Job.enqueue(f): a classmethod of a project class (netbox)
        callee = dict(data(owner, MODULE_BINDINGS_KEY) or ()).get(attribute)
        if callee is not None:
            return _callee_verdict(resolver, owner, callee, depth)
        if _is_class_name(attribute):
            # A CapWords name from a project module that does not say what it is (a star
            # import, `from .jobs import *`): a class, whose `enqueue` is its own method.
            return False
    return None


def _is_class_name(name: str) -> bool:
    return name[:1].isupper() and not name.isupper() and "." not in name


def _callee_verdict(
    resolver: Resolver, module: ModuleFacts, callee: str | None, depth: int = 0
) -> bool | None:
    if callee is None:
        return None
    project = resolver.project
    canonical = project.canonical(callee, module)
    if canonical.split(".", 1)[0] in RQ_ROOTS:
        return True
    located = project.split(canonical)
    if located is not None:
        owner, attribute = located
        if attribute in (data(owner, QUEUE_SUBCLASSES_KEY) or ()):
            return True
        getter = resolver.getter_verdict(canonical, depth)
        if getter is not None:
            return getter  # get_queue(): a project function returning a queue (or not)
        if attribute in resolver.classes(owner):
            return False  # an instance of a project class that is not a queue
    if canonical.rsplit(".", 1)[-1][:1].isupper():
        return False  # an instance of some other class: Outbox(), asyncio.Queue()
    return None  # a helper function's result: undecided


def queue_default(
    resolver: Resolver, module: ModuleFacts, call: CallFact, binding: Binding | None
) -> Sourced[SecondsValue] | None:
    """``Queue(..., default_timeout=N)`` where the queue's constructor is visible (also
    through a project getter that returns one module-level queue)."""
    project = resolver.project
    constructor: Value = None
    span: Span | None = None
    path: str | None = None
    receiver = call.receiver
    if binding is not None and binding[0] == "call":
        constructor = binding[2]
        span, path = call.span, module.path
        receiver = resolver.returned_name(module, binding[1])  # None unless a getter's call
    if receiver is not None:
        found = project.object(receiver, module)
        if found is not None and found[1].constructor is not None:
            owner, fact = found
            constructor, span, path = found[1].constructor.value, fact.span, owner.path
            module = owner
    if not isinstance(constructor, CallValue) or not constructor.has("default_timeout"):
        return None
    seconds = timeout_seconds(project, module, constructor.kwarg("default_timeout"))
    if seconds is None:
        return None  # default_timeout=None: RQ's own default
    return Sourced(seconds, "app-config", "Queue(default_timeout=...)", span, path)
