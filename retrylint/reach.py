"""Job reach: which code runs inside a background job, and through which calls.

Job code is a job's body plus what it calls, transitively, where the project's call graph
resolves the call (same module, imports, re-exports, ``self`` / ``cls`` methods), up to
``job-reach-depth`` calls deep (default 3), never into third-party packages. Retry constructs
(handwritten loops, tenacity / backoff / stamina / retrying decorators) are judged by whether a
job reaches them: one in a helper called by three tasks is job code of all three; one in a view
or a management command is not, and its findings say so.

Each function is reached by the shortest call path from each job (breadth first), so the path a
finding names is the most direct one a reviewer can follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from retrylint.callgraph import CallGraph, FunctionRef
from retrylint.model import Job
from retrylint.project import ProjectIndex

# Frameworks whose jobs run in a worker: the roots of reach. The other "frameworks" of the
# model (retry libraries, handwritten loops) are retry constructs that run wherever called.
QUEUE_FRAMEWORKS = frozenset({"celery", "rq", "dramatiq", "huey", "arq", "taskiq"})


@dataclass(frozen=True)
class Reached:
    """A function a job reaches, how deep, and the call path from the job's body to it."""

    function: FunctionRef
    depth: int
    call_path: tuple[str, ...]  # qualified names, the job's body first, this function last


@dataclass(frozen=True)
class ReachingJob:
    """A job that reaches some place, and the call path from its body to that place."""

    job: Job
    call_path: tuple[str, ...]


class JobReach:
    """Reach of every queue job over the project's call graph, and the reverse lookup."""

    def __init__(self, index: ProjectIndex, jobs: Iterable[Job], depth: int) -> None:
        self.graph = CallGraph(index)
        self.depth = depth
        self.roots = tuple(job for job in jobs if job.framework in QUEUE_FRAMEWORKS)

    def reached(self, job: Job) -> tuple[Reached, ...]:
        """The functions ``job`` runs, its own body first (depth 0), then by depth."""
        return self._by_job.get(job.qualname, ())

    def jobs_reaching(self, path: str, function: str | None) -> tuple[ReachingJob, ...]:
        """The queue jobs whose code includes the function ``function`` of file ``path``.

        ``function`` is a qualname in the file; a nested function counts as its outermost
        enclosing function (or method). Ordered by call depth, then by job name.
        """
        if function is None:
            return ()
        unit = self._unit(path, function)
        return self._by_function.get((path, unit), ()) if unit else ()

    def reached_paths(self) -> frozenset[str]:
        """The files holding a function some job reaches."""
        return frozenset(path for path, _ in self._by_function)

    def _unit(self, path: str, function: str) -> str | None:
        parts = function.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if self.graph.function(path, candidate) is not None:
                return candidate
        return None

    @cached_property
    def _by_job(self) -> dict[str, tuple[Reached, ...]]:
        reach: dict[str, tuple[Reached, ...]] = {}
        for job in self.roots:
            if job.function is None or job.qualname in reach:
                continue
            reach[job.qualname] = self._walk(self.graph.entry_points(job.path, job.function))
        return reach

    def _walk(self, entries: tuple[FunctionRef, ...]) -> tuple[Reached, ...]:
        found: dict[tuple[str, str], Reached] = {}
        frontier = []
        for ref in entries:
            key = (ref.path, ref.fact.qualname)
            if key not in found:
                found[key] = Reached(ref, 0, (ref.qualname,))
                frontier.append(found[key])
        for depth in range(1, self.depth + 1):
            following = []
            for reached in frontier:
                for callee in self.graph.callees(reached.function):
                    key = (callee.path, callee.fact.qualname)
                    if key not in found:
                        found[key] = Reached(callee, depth, (*reached.call_path, callee.qualname))
                        following.append(found[key])
            frontier = following
        return tuple(found.values())

    @cached_property
    def _by_function(self) -> dict[tuple[str, str], tuple[ReachingJob, ...]]:
        index: dict[tuple[str, str], list[tuple[int, str, ReachingJob]]] = {}
        for job in self.roots:
            for reached in self.reached(job):
                key = (reached.function.path, reached.function.fact.qualname)
                entry = (reached.depth, job.qualname, ReachingJob(job, reached.call_path))
                index.setdefault(key, []).append(entry)
        return {
            key: tuple(item for _, _, item in sorted(entries, key=lambda e: e[:2]))
            for key, entries in index.items()
        }
