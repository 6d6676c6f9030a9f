"""The project half: which side effects each job's code performs, and what guards them.

A charge usually sits in a helper the job calls: the effects of a job are those of every
function its code reaches (``JobReach``), each with the call path from the job's body. A guard
may sit anywhere on that path: at the call (an idempotency key), around it in its function
(``if not order.paid:``), before it (``if order.paid: return``, ``cache.add(key, ...)``, a lock
keyed on the input), or in a caller before the call that leads to it. Retry decorators
(tenacity, backoff, stamina, retrying) re-run the function they decorate: their effects are
found the same way, from the decorated function.

Decisions:

- A job's enqueue of another job of the project (``send_receipt.delay(...)``) is an effect of
  kind ``job``: the job model links the call to the job it enqueues.
- ``Order(...).save()`` counts only when the project class derives from Django's ``Model``.
- A job decorated with a lock or uniqueness decorator (``@single_instance``, ``@locked``) is
  guarded as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from retrylint.callgraph import FunctionRef
from retrylint.effects.facts import Effect, FunctionSteps, Region, Step
from retrylint.effects.scan import DATA_KEY
from retrylint.facts import Packed
from retrylint.model import UNBOUNDED, Job, Span
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.reach import QUEUE_FRAMEWORKS, JobReach, Reached

RETRY_DECORATORS = frozenset({"tenacity", "backoff", "stamina", "retrying"})
_LOCK_DECORATOR = re.compile(r"lock|unique|single|once|idempot|dedup", re.IGNORECASE)
_ENQUEUES = frozenset(
    {"delay", "apply_async", "send", "send_with_options", "enqueue", "enqueue_call"}
    | {"enqueue_at", "enqueue_in", "kiq", "send_task", "enqueue_job", "schedule"}
)
# What a second run of an effect does, by class, for messages.
REPEATS = {
    "payment": "moves the money again",
    "message": "sends it again",
    "http": "sends the write again",
    "db": "inserts it again",
    "queue": "publishes it again",
}
KIND_WORDS = {
    "payment": "moves money",
    "email": "sends an email",
    "sms": "sends a text message",
    "chat": "posts a chat message",
    "push": "sends a push notification",
    "http": "sends an HTTP write",
    "queue": "publishes a message",
    "db": "inserts a row",
    "job": "enqueues another job",
}


@dataclass(frozen=True)
class Place:
    """A function of the project with its side-effect steps (the unit and its nested ones)."""

    ref: FunctionRef
    regions: tuple[Region, ...]
    functions: tuple[FunctionSteps, ...]

    def steps(self) -> Iterator[tuple[FunctionSteps, Step]]:
        for function in self.functions:
            for step in function.steps:
                yield function, step


@dataclass(frozen=True)
class JobEffect:
    """One side effect in one job's code: where it is, how the job reaches it, its guard."""

    job: Job
    place: Place
    function: FunctionSteps
    step: Step
    path: tuple[FunctionRef, ...]  # the job's body first, the effect's function last
    guard: str | None
    enqueued: Job | None = None

    @property
    def effect(self) -> Effect | None:
        return self.step.effect

    @property
    def kind(self) -> str:
        return self.effect.kind if self.effect else "job"

    @property
    def klass(self) -> str:
        return self.effect.klass if self.effect else "queue"

    @property
    def file(self) -> str:
        return self.place.ref.path

    @property
    def span(self) -> Span:
        assert self.step.span is not None
        return self.step.span

    @property
    def call_path(self) -> tuple[str, ...]:
        return tuple(ref.qualname for ref in self.path)

    @property
    def reported(self) -> bool:
        """Unguarded (as far as can be seen): what RL401 / RL402 report."""
        return self.guard is None

    def repeats(self) -> str:
        """``sends it again``: what running the effect twice does."""
        return "enqueues it again" if self.enqueued else REPEATS[self.klass]

    def what(self) -> str:
        """``stripe.Refund.create(...) moves money`` / ``enqueues shop.tasks.x``."""
        if self.enqueued is not None:
            return f"`{self.step.text}` enqueues job `{self.enqueued.qualname}`"
        return f"`{self.step.text}` {KIND_WORDS.get(self.kind, 'has a side effect')}"


class SideEffects:
    """The side-effect facts of the project and the effects of each job, computed on demand."""

    def __init__(self, index: ProjectIndex, jobs: tuple[Job, ...], reach: JobReach) -> None:
        self.index = index
        self.jobs = jobs
        self.reach = reach
        self.graph = reach.graph
        self._memo: dict[str, tuple[JobEffect, ...]] = {}
        self._places: dict[str, dict[str, Place]] = {}  # path -> unit -> its place

    def place(self, ref: FunctionRef) -> Place | None:
        places = self._places.get(ref.path)
        if places is None:
            places = self._places[ref.path] = self._places_in(ref.path)
        return places.get(ref.fact.qualname)

    def _places_in(self, path: str) -> dict[str, Place]:
        """The places of one file's functions, unpacked only when a job reaches the file."""
        module = self.index.by_path.get(path)
        packed = dict(module.facts.data).get(DATA_KEY) if module is not None else None
        if module is None or not isinstance(packed, Packed):
            return {}
        facts = packed.value
        units: dict[str, list[FunctionSteps]] = {}
        for function in facts.functions:
            units.setdefault(function.unit, []).append(function)
        found: dict[str, Place] = {}
        for unit, functions in units.items():
            ref = self.graph.function(module.path, unit)
            if ref is not None:
                found[unit] = Place(ref, facts.regions, tuple(functions))
        return found

    @cached_property
    def _enqueued(self) -> dict[tuple[str, Span], Job]:
        return {
            (site.path, site.span): job
            for job in self.jobs
            for site in job.call_sites
            if site.method in _ENQUEUES
        }

    def roots(self) -> Iterator[Job]:
        return (job for job in self.jobs if is_root(job))

    def reached(self, job: Job) -> tuple[Reached, ...]:
        if job.framework in QUEUE_FRAMEWORKS:
            return self.reach.reached(job)
        assert job.function is not None
        # A retry decorator is no root of JobReach (it runs wherever it is called), but what it
        # re-runs is its function's reach all the same.
        return self.reach._walk(self.graph.entry_points(job.path, job.function))

    def of(self, job: Job) -> tuple[JobEffect, ...]:
        """Every side effect ``job``'s code performs, guarded or not, in reach order."""
        if not is_root(job):
            return ()
        if job.qualname not in self._memo:
            self._memo[job.qualname] = self._compute(job)
        return self._memo[job.qualname]

    def _compute(self, job: Job) -> tuple[JobEffect, ...]:
        found: list[JobEffect] = []
        for reached in self.reached(job):
            place = self.place(reached.function)
            if place is None:
                continue
            path = tuple(self.graph.named(name) for name in reached.call_path)
            if any(ref is None for ref in path):
                path = (reached.function,)
            refs = tuple(ref for ref in path if ref is not None)
            for function, step in place.steps():
                effect = self._effect(job, place, function, step, refs)
                if effect is not None:
                    found.append(effect)
        return tuple(found)

    def _effect(
        self,
        job: Job,
        place: Place,
        function: FunctionSteps,
        step: Step,
        path: tuple[FunctionRef, ...],
    ) -> JobEffect | None:
        enqueued = None
        if step.kind == "enqueue":
            enqueued = self._enqueued.get((place.ref.path, step.span))  # type: ignore[arg-type]
            if enqueued is None:
                return None
        elif not self._is_effect(place.ref.module, step):
            return None
        guard = self.guard(job, place, function, step, path)
        return JobEffect(job, place, function, step, path, guard, enqueued)

    def _is_effect(self, module: ModuleFacts, step: Step) -> bool:
        """A catalogued effect, its receiver's class or builder checked where the scan left it
        to the project."""
        effect = step.effect
        if step.kind != "effect" or effect is None:
            return False
        if effect.subclass_of and not self._derives(module, effect):
            return False
        return not (effect.instance and not self._built_by(module, effect))

    def _derives(self, module: ModuleFacts, effect: Effect) -> bool:
        if effect.constructor is None:
            return False
        found = self.index.instance_class(module, effect.constructor)
        if found is None:
            return False
        for owner, name in self.index.lineage(*found):
            cls = self.index.classes.get((owner.path, name))
            for base in cls.bases if cls else ():
                if self.index.canonical(base, owner) in effect.subclass_of:
                    return True
        return False

    def _built_by(self, module: ModuleFacts, effect: Effect) -> bool:
        """The module-level object an effect is called on was built by one of ``instance_of``."""
        found = self.index.split(self.index.canonical(effect.instance or "", module))
        if found is None:
            return False
        owner, name = found
        callee = dict(owner.facts.instances).get(name)
        return callee is not None and self.index.canonical(callee, owner) in effect.instance_of

    # -- guards -----------------------------------------------------------------------------
    def guard(
        self,
        job: Job,
        place: Place,
        function: FunctionSteps,
        step: Step,
        path: tuple[FunctionRef, ...],
    ) -> str | None:
        """Why the effect is safe to repeat, or None."""
        effect = step.effect
        if effect is not None and (effect.guard or effect.hidden):
            return effect.guard or effect.hidden  # a key there, or maybe where we cannot see
        local = local_guard(place.regions, function, step)
        if local is not None:
            return local
        for caller, callee in pairwise(path):
            caller_place = self.place(caller)
            if caller_place is None:
                continue
            for caller_function, call in self.calls_to(caller_place, callee):
                found = local_guard(caller_place.regions, caller_function, call)
                if found is not None:
                    return f"{found} in {caller.qualname}"
        body = self.place(path[0]) if path else None
        for decorator in body.functions[0].decorators if body else ():
            if _LOCK_DECORATOR.search(decorator.rsplit(".", 1)[-1]):
                return f"@{decorator}"
        return None

    def calls_to(self, caller: Place, callee: FunctionRef) -> Iterator[tuple[FunctionSteps, Step]]:
        """The steps of ``caller`` that call ``callee``."""
        key = (callee.path, callee.fact.qualname)
        for function, step in caller.steps():
            if step.kind not in ("call", "enqueue"):
                continue
            for name in step.names:
                if any(
                    (r.path, r.fact.qualname) == key for r in self.graph.resolve(caller.ref, name)
                ):
                    yield function, step
                    break


def is_root(job: Job) -> bool:
    """Whether ``job`` re-runs code: a queue job, or a function a retry decorator re-runs (a
    handwritten loop or retry block re-runs its own body only, not a function's reach)."""
    if job.function is None:
        return False
    return job.framework in QUEUE_FRAMEWORKS or (
        job.framework in RETRY_DECORATORS and job.kind == "decorated-function"
    )


def chain(regions: tuple[Region, ...], region: int) -> list[int]:
    """The regions around ``region``, itself first, the function body last."""
    found = []
    current: int | None = region
    while current is not None:
        found.append(current)
        current = regions[current].parent
    return found


def exclusive(regions: tuple[Region, ...], first: int, second: int) -> bool:
    """Whether two regions never both run: two branches of one ``if`` or ``match``, or two
    clauses (``except`` / ``else``) of one ``try``."""
    by_statement = {regions[r].statement: r for r in chain(regions, first)}
    for region in chain(regions, second):
        other = by_statement.get(regions[region].statement)
        if other is None or other == region:
            continue
        kind = regions[region].kind
        if kind in ("if", "match"):
            return True
        roles = {regions[region].role, regions[other].role}
        if kind == "try" and not roles & {"try", "finally"}:
            return True
    return False


def local_guard(regions: tuple[Region, ...], function: FunctionSteps, step: Step) -> str | None:
    """A guard of ``step`` within its function: an ``if`` on a state around it, a loop over rows
    filtered on a state, or an early exit / marker / lock before it on every path to it."""
    around = chain(regions, step.region)
    for region in around:
        found = regions[region]
        if found.state and found.kind == "if":
            return f"inside `if {found.text}`"
        if found.state and found.kind == "loop":
            return f"in a loop over `{found.text}`"
    enclosing = set(around)
    for before in function.steps:
        if before.order >= step.order or before.kind not in ("exit", "marker"):
            continue
        if before.region in enclosing:
            what = "after" if before.kind == "exit" else "after the marker"
            return f"{what} `{before.text}`"
    return None


def attempts_words(job: Job) -> str:
    """``up to 6 attempts (max_retries=5)`` for the first policy that retries."""
    for policy in job.all_policies():
        if policy.retries.value is not True:
            continue
        attempts = policy.max_attempts
        if isinstance(attempts.value, int):
            return f"up to {attempts.value} attempts ({attempts.describe()})"
        if attempts.value is UNBOUNDED:
            return f"without limit ({attempts.describe()})"
    return "an unknown number of times"


def redelivery_reason(job: Job) -> str | None:
    """Why a lost worker's job runs again, in the words of its policy; None when it does not."""
    for policy in job.all_policies():
        if policy.redelivery.value is True:
            words = policy.redelivery.describe()
            return words if "redeliver" in words else f"{words}: a lost worker redelivers it"
    return None


_LAST: list[tuple[JobReach, SideEffects]] = []


def project_effects(index: ProjectIndex, jobs: tuple[Job, ...], reach: JobReach) -> SideEffects:
    """The side effects of one run, shared by the rules and the job inventory."""
    if _LAST and _LAST[0][0] is reach:
        return _LAST[0][1]
    found = SideEffects(index, jobs, reach)
    _LAST[:] = [(reach, found)]
    return found
