"""Dramatiq actor classes a file's declarations alone decide (see ``frameworks.DECLARED``), and
the class records ``facts`` writes for every file, with or without the parser."""

from __future__ import annotations

from typing import Any

from retrylint.declarations import ClassDeclaration, Declarations, class_name_span
from retrylint.facts import JobDef
from retrylint.frameworks.dramatiq.names import (
    ACTOR_OPTIONS,
    FRAMEWORK,
    GENERIC_ACTORS,
    SUBCLASS_DATA,
)
from retrylint.model import Span
from retrylint.values import SELF_MODULE, Located


def declared(declarations: Declarations) -> list[tuple[str, Any]] | None:
    """The subclass records of a file that names dramatiq nowhere, from its declarations alone;
    None when one of its classes needs the tree (a subclass of a class recorded here, an actor
    option in a ``Meta``, a name the text search misses)."""
    found: list[tuple[str, Any]] = []
    recorded: set[str] = set()
    for declared_class in declarations.classes:
        strength = subclass_strength(declared_class, recorded, imports_dramatiq=False)
        if strength is None:
            continue
        span = class_span(declarations, declared_class)
        if strength == "strong" or declared_class.meta is not None or span is None:
            return None
        found.append((SUBCLASS_DATA, class_job_def(declared_class, span, (), False)))
    return found


def subclass_strength(
    declared_class: ClassDeclaration, recorded: set[str], imports_dramatiq: bool
) -> str | None:
    """ "strong": recorded as a JobDef; "weak": a data entry; None: not recorded. Adds the
    class to ``recorded`` when it is."""
    bases = declared_class.bases
    if not bases:
        return None
    meta = declared_class.meta
    direct = any(base in GENERIC_ACTORS for base in bases)
    local_base = any(base in recorded for base in bases)
    strong = direct or local_base or imports_dramatiq
    if not strong:
        imported = any("." in b and not b.startswith(f"{SELF_MODULE}.") for b in bases)
        if not (imported or "perform" in declared_class.methods):
            return None
        if meta is not None and not ACTOR_OPTIONS.intersection(meta):
            return None
    recorded.add(f"{SELF_MODULE}.{declared_class.qualname}")
    return "strong" if strong else "weak"


def class_job_def(
    declared_class: ClassDeclaration,
    span: Span,
    options: tuple[tuple[str, Located], ...],
    abstract: bool,
) -> JobDef:
    has_perform = "perform" in declared_class.methods
    return JobDef(
        function=declared_class.qualname,
        name=literal_name(options, "actor_name"),
        kind="actor-class",
        span=span,
        framework=FRAMEWORK,
        options=options,
        data=(
            ("bases", declared_class.bases),
            ("abstract", abstract),
            ("has_meta", declared_class.meta is not None),
            ("perform", f"{declared_class.qualname}.perform" if has_perform else None),
        ),
    )


def class_span(declarations: Declarations, declared_class: ClassDeclaration) -> Span | None:
    """The class name's span found in the text (cheap); None when the text search fails."""
    name = declared_class.name
    place = class_name_span(declarations, name)
    return None if place is None else Span(place[0], place[1], place[0], place[1] + len(name))


def literal_name(options: tuple[tuple[str, Located], ...], key: str) -> str | None:
    value = next((located.value for name, located in options if name == key), None)
    return value if isinstance(value, str) else None
