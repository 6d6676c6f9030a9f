"""Framework adapters: one module per framework, each translating its syntax into the job model.

An adapter module provides two functions:

- ``extract(ctx: FileContext, sink: FactSink) -> None`` -- the per-file part. It reads the
  file's one-pass index (never walks the tree again) and records job definitions, call sites,
  app configuration and hooks as plain facts.
- ``build_jobs(project: ProjectIndex) -> Iterable[Job]`` -- the project part. With every file's
  facts in hand it resolves imports, applies app config and framework defaults, and returns
  finished ``Job`` objects with an effective ``RetryPolicy``.

An adapter that adds to other adapters' jobs rather than finding its own (an error tracker's
failure hooks) provides ``finish_jobs(project, jobs) -> list[Job]`` instead of ``build_jobs``;
it runs once every job is built.

An adapter whose per-file records can be read from a file's declarations alone (module
functions, classes, decorated functions: no tree) provides ``declared(declarations)`` too, in a
module that does not import libcst, listed in ``DECLARED``: the outline writes those records
for files the prefilter keeps from the parser.

Adding a framework is adding one module to ``ADAPTERS``; every rule then applies to it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from retrylint.facts import CallFact, ConfigFact, FileFacts, HookFact, JobDef, ObjectFact
from retrylint.model import Job

if TYPE_CHECKING:
    from retrylint.declarations import Declarations

ADAPTERS: tuple[str, ...] = (
    "calls",
    "factories",
    "celery",
    "rq",
    "dramatiq",
    "huey",
    "arq",
    "taskiq",
    "tenacity",
    "backoff",
    "stamina",
    "retrying",
    "retry_library.shared",
    "loops",
    "schedulers",
    "trackers",
)


@cache
def adapter_modules() -> tuple[ModuleType, ...]:
    """The adapter modules that exist, in a fixed order (so output order is deterministic)."""
    modules = []
    for name in ADAPTERS:
        try:
            modules.append(importlib.import_module(f"retrylint.frameworks.{name}"))
        except ModuleNotFoundError as error:
            if error.name != f"retrylint.frameworks.{name}":
                raise
    return tuple(modules)


# The adapters' ``declared`` hooks: the records a file's declarations alone decide, which the
# outline (``retrylint.outline``) writes for a file the prefilter keeps from the parser. Each
# lives in a module that does not import libcst, in ``ADAPTERS`` order (a test holds both lists
# to the adapters).
DECLARED: tuple[str, ...] = (
    "celery.from_declarations",
    "rq.from_declarations",
    "dramatiq.from_declarations",
    "arq.from_declarations",
    "retry_library.from_declarations",
)


@cache
def declaration_hooks() -> tuple[Callable[[Declarations], list[tuple[str, Any]] | None], ...]:
    """Each adapter's ``declared`` hook, without importing the adapters' other modules."""
    return tuple(
        importlib.import_module(f"retrylint.frameworks.{name}").declared for name in DECLARED
    )


def exports(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` (PEP 562) that imports the module holding a name when the
    name is first read, so importing one light module of an adapter (its names, its
    ``declared`` hook) does not import the rest of it, and with it the parser."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__


@dataclass
class FactSink:
    """Where adapters put what they find in one file; frozen into ``FileFacts`` at the end."""

    objects: list[ObjectFact] = field(default_factory=list)
    job_defs: list[JobDef] = field(default_factory=list)
    calls: list[CallFact] = field(default_factory=list)
    configs: list[ConfigFact] = field(default_factory=list)
    hooks: list[HookFact] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    data: list[tuple[str, Any]] = field(default_factory=list)

    def into_facts(self, **common: Any) -> FileFacts:
        return FileFacts(
            objects=tuple(self.objects),
            job_defs=tuple(self.job_defs),
            calls=tuple(self.calls),
            configs=tuple(self.configs),
            hooks=tuple(self.hooks),
            jobs=tuple(self.jobs),
            data=tuple(self.data),
            **common,
        )
