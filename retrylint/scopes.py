"""Where a walk is: the functions and classes around the node it visits, innermost last.

Both readers of a file, the libcst collector and the prefilter's ``ast`` outline, name functions
and classes and attribute calls and assignments to them by the same rules; those rules live
here once, so the two readers cannot drift apart.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar


class _Named(Protocol):
    qualname: str


F = TypeVar("F", bound=_Named)
C = TypeVar("C", bound=_Named)


class Scopes(Generic[F, C]):
    """The function and class records a walk is inside. ``functions`` may be a list the caller
    shares (the collector's is the context's ``enclosing``, which per-file checks read)."""

    def __init__(self, functions: list[F] | None = None) -> None:
        self.functions: list[F] = functions if functions is not None else []
        self.classes: list[C] = []
        self._kinds: list[str] = []  # "function" / "class", innermost last

    @property
    def at_module_level(self) -> bool:
        """Outside every function and class (a module-level ``if`` or ``try`` included)."""
        return not self._kinds

    @property
    def class_body(self) -> C | None:
        """The class whose own body holds the node (not one of its methods)."""
        return self.classes[-1] if self._kinds and self._kinds[-1] == "class" else None

    @property
    def function_body(self) -> F | None:
        """The function whose own body holds the node (None in a class body, even one nested
        in a function)."""
        return self.functions[-1] if self._kinds and self._kinds[-1] == "function" else None

    @property
    def function(self) -> F | None:
        """The innermost enclosing function, whatever lies between (a call in a class body
        inside a function runs when the function does)."""
        return self.functions[-1] if self.functions else None

    def qualname(self, name: str) -> str:
        """``name`` as defined here: ``outer.inner``, ``Class.method``, ``f.Local``."""
        outer = self.function_body or self.class_body
        return f"{outer.qualname}.{name}" if outer is not None else name

    def enter_function(self, info: F) -> None:
        self.functions.append(info)
        self._kinds.append("function")

    def leave_function(self) -> None:
        self.functions.pop()
        self._kinds.pop()

    def enter_class(self, info: C) -> None:
        self.classes.append(info)
        self._kinds.append("class")

    def leave_class(self) -> None:
        self.classes.pop()
        self._kinds.pop()
