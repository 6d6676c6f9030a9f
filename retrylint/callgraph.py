"""Who calls whom inside the project: the project half of the call graph.

Job reach (``retrylint.reach``) needs to know which project functions a job's body calls. The
per-file half (``call_records``, read by ``call_reader`` or the outline) records, for every
function and method, the names it calls as written and qualified through the file's imports
(``$.notify``, ``shop.mail.send``, ``self.flush``): plain strings, so the facts stay picklable
and cacheable. This half resolves those names to function definitions in the project, through
re-exports, ``self`` / ``cls`` / ``super()`` on project classes and their project bases, and
classes called as constructors. Names outside the project (third-party packages, the standard
library) resolve to nothing: reach never enters them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from retrylint.call_records import INSTANCE_NAMES, INSTANCE_OF, SUPER
from retrylint.facts import FunctionFact
from retrylint.values import SELF_MODULE

if TYPE_CHECKING:
    from retrylint.project import ModuleFacts, ProjectIndex


@dataclass(frozen=True)
class FunctionRef:
    """A project function: its module and its qualname there."""

    module: ModuleFacts
    fact: FunctionFact

    @property
    def qualname(self) -> str:
        return f"{self.module.module}.{self.fact.qualname}"

    @property
    def path(self) -> str:
        return self.module.path


class CallGraph:
    """Project functions and the resolved call edges between them (computed on demand)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._edges: dict[tuple[str, str], tuple[FunctionRef, ...]] = {}

    @cached_property
    def _functions(self) -> dict[tuple[str, str], FunctionRef]:
        return {
            (module.path, fact.qualname): FunctionRef(module, fact)
            for module in self.index
            for fact in module.facts.functions
        }

    @cached_property
    def _by_qualname(self) -> dict[str, FunctionRef]:
        return {ref.qualname: ref for ref in self._functions.values()}

    def named(self, qualname: str) -> FunctionRef | None:
        """The function with this project-wide name (``shop.tasks.sync``)."""
        return self._by_qualname.get(qualname)

    def function(self, path: str, qualname: str) -> FunctionRef | None:
        return self._functions.get((path, qualname))

    def entry_points(self, path: str, qualname: str) -> tuple[FunctionRef, ...]:
        """The functions a job's body is: the function itself, or a job class's methods."""
        found = self.function(path, qualname)
        if found is not None:
            return (found,)
        if (path, qualname) in self.index.classes:
            prefix = f"{qualname}."
            return tuple(
                ref
                for (where, name), ref in self._functions.items()
                if where == path and name.startswith(prefix) and "." not in name[len(prefix) :]
            )
        return ()

    def callees(self, caller: FunctionRef) -> tuple[FunctionRef, ...]:
        key = (caller.path, caller.fact.qualname)
        found = self._edges.get(key)
        if found is None:
            seen: dict[tuple[str, str], FunctionRef] = {}
            for name in caller.fact.calls:
                for ref in self.resolve(caller, name):
                    seen.setdefault((ref.path, ref.fact.qualname), ref)
            seen.pop(key, None)
            found = self._edges[key] = tuple(seen.values())
        return found

    def resolve(self, caller: FunctionRef, name: str) -> tuple[FunctionRef, ...]:
        """The project functions one name called in ``caller`` stands for (as ``callees`` does
        for all of them): rules that follow one call site along a call path need it."""
        return self._resolve(caller, name)

    def _resolve(self, caller: FunctionRef, name: str) -> tuple[FunctionRef, ...]:
        module, owner = caller.module, caller.fact.class_name
        if INSTANCE_OF in name:
            callee, _, method = name.rpartition(INSTANCE_OF)
            return self._instance_method(module, callee, method)
        head, _, rest = name.partition(".")
        if head in INSTANCE_NAMES and owner is not None and rest:
            attribute, dot, method = rest.partition(".")
            if not dot:
                return self._method(module, owner, attribute)
            found = self._attribute(module, owner, attribute)
            return self._instance_method(*found, method) if found else ()
        if name.startswith(SUPER + ".") and owner is not None:
            return self._method(module, owner, name[len(SUPER) + 1 :], skip_own=True)
        if not (name.startswith(SELF_MODULE) or name.startswith(".") or "." in name):
            return ()  # a builtin, a local or a nested function (part of the caller)
        found = self.index.split(self.index.canonical(name, module))
        if found is None:
            return ()
        where, attribute = found
        ref = self.function(where.path, attribute)
        if ref is not None:
            return (ref,)
        if (where.path, attribute) in self.index.classes:  # a constructor call
            return self._method(where, attribute, "__init__")
        instance, dot, method = attribute.partition(".")  # a module-level `client = Client()`
        if not dot:
            return ()
        methods: dict[tuple[str, str], FunctionRef] = {}
        for name, bound in where.facts.instances:  # one per branch: `if ...: x = A() else: B()`
            if name == instance:
                for ref in self._instance_method(where, bound, method):
                    methods.setdefault((ref.path, ref.fact.qualname), ref)
        return tuple(methods.values())

    def _instance_method(
        self, module: ModuleFacts, callee: str, method: str
    ) -> tuple[FunctionRef, ...]:
        """``method`` called on what ``callee(...)`` returns, when that is a project class."""
        if "." in method or INSTANCE_OF in callee:
            return ()
        found = self.index.instance_class(module, callee)
        return self._method(*found, method) if found else ()

    def _method(
        self, module: ModuleFacts, class_name: str, method: str, *, skip_own: bool = False
    ) -> tuple[FunctionRef, ...]:
        """``method`` on a project class or, through its project bases, the first that has it."""
        for where, name in self.index.lineage(module, class_name):
            if skip_own and (where, name) == (module, class_name):
                continue
            ref = self.function(where.path, f"{name}.{method}")
            if ref is not None:
                return (ref,)
        return ()

    def _attribute(
        self, module: ModuleFacts, class_name: str, attribute: str
    ) -> tuple[ModuleFacts, str] | None:
        """The callee bound to ``self.<attribute>`` in a project class or its bases."""
        for where, name in self.index.lineage(module, class_name):
            cls = self.index.classes.get((where.path, name))
            callee = dict(cls.attributes).get(attribute) if cls else None
            if callee is not None:
                return where, callee
        return None
