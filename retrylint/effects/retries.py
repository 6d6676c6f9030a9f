"""Which failures retry a job, and where they happen relative to a side effect.

A failure retries the job when an ``except`` clause around it retries (``self.retry()``,
``raise Retry()``, a helper the clause hands the task to), or, once it leaves the job's body
uncaught, when the job's own policy retries it (Celery ``autoretry_for``, Dramatiq's retry of
every exception, RQ ``Retry``, a retry decorator). Two questions are asked of it:

- RL401: can the effect's *own* failure be retried? A timeout after the provider acted is a
  failure of a call that took effect; retrying it repeats the effect. (Database writes roll
  back with their failure: theirs is not asked.)
- RL402: what is the first later step whose failure is retried? Looked for after the effect in
  its function, then after each call leading to it in each caller up to the job's body, and on
  the next pass of a loop around the effect (the effect itself failing for the next item).

What a step can raise:

- a catalogued call: its provider's exceptions (``raises`` in the catalogue) and, unless it is a
  database write, the standard network errors (``OSError``, ``ConnectionError``, ...);
- ``raise X(...)`` outside any ``except`` clause: ``X`` (and its project bases);
- a call into the project: what the steps it reaches let escape (two calls deep);
- an explicit retry (``if not ready: raise self.retry()``) is a retry by itself.

Decisions (conservative): a ``raise`` that reads the effect's result (``response = post(...)``,
then ``if not response.ok: raise ...``) reports the effect's own failure, not a later one; a
clause that catches a failure and neither retries nor raises ends
it; a step in an ``except`` clause runs only when its ``try`` body failed (that failure is the
one that counts), and a step in a nested function runs when something calls it: neither is a
retry point of its own; a policy whose retried exceptions are unknown retries nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from retrylint.callgraph import FunctionRef
from retrylint.effects.facts import FunctionSteps, Handler, Region, Step
from retrylint.effects.jobs import KIND_WORDS, JobEffect, Place, SideEffects, chain, exclusive
from retrylint.model import Job, RetryPolicy
from retrylint.project import ModuleFacts, ProjectIndex

_NETWORK_ERRORS = frozenset(
    {
        "OSError",
        "IOError",
        "EnvironmentError",
        "ConnectionError",
        "ConnectionResetError",
        "ConnectionRefusedError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        "TimeoutError",
        "socket.error",
        "socket.timeout",
        "socket.gaierror",
        "ssl.SSLError",
    }
)
# Words in a provider exception's name that make it one refusal, not a failure in transit.
_SPECIFIC = (
    "invalid",
    "card",
    "auth",
    "permission",
    "notfound",
    "validation",
    "badrequest",
    "forbidden",
    "signature",
    "idempotency",
    "conflict",
    "duplicate",
    "ratelimit",
    "throttl",
    "notallowed",
    "unprocessable",
)
_DEPTH = 2
Outcome = Literal["retry", "caught", "escape"]


@dataclass(frozen=True)
class Failure:
    """What a step may raise: exception names or provider prefixes, and network errors."""

    what: str
    roots: frozenset[str] = frozenset()
    network: bool = False
    explicit: bool = False  # an explicit retry: it is the retry

    def merged(self, other: Failure) -> Failure:
        return Failure(
            self.what,
            self.roots | other.roots,
            self.network or other.network,
            self.explicit or other.explicit,
        )


@dataclass(frozen=True)
class RetryPoint:
    step: Step
    function: FunctionRef
    failure: Failure
    why: str
    next_pass: bool = False  # the effect itself, failing on a later pass of its loop

    def describe(self) -> str:
        line = f" at line {self.step.span.line}" if self.step.span else ""
        what = f" ({self.failure.what})" if self.failure.what else ""
        return f"`{self.step.text}`{line} in `{self.function.qualname}`{what}"


@dataclass
class RetryPoints:
    """Answers both questions for the effects of one run; memoises what functions let escape."""

    effects: SideEffects
    _memo: dict[tuple[str, str, int], Failure | None] = field(default_factory=dict)

    @property
    def index(self) -> ProjectIndex:
        return self.effects.index

    def own(self, effect: JobEffect) -> str | None:
        """Why a failure of the effect's own call is retried (it may have taken effect), worded
        after what the retry sees: the call's exception, or a failed result it returned."""
        step = effect.step
        if step.effect is None or step.effect.klass == "db" or not _retries(effect.job):
            return None
        if effect.function.function != effect.function.unit:
            return None
        failure = self.failure(effect.place, effect.function, step, 0)
        if failure is None:
            return None
        path = effect.path
        why = self._reaches_retry(
            effect.job, path, len(path) - 1, effect.place, effect.function, step, failure
        )
        if why is not None:
            return (
                f"{why}: a failure of the call itself, such as a timeout after the provider "
                "acted, is retried"
            )
        return self._result_checked(effect)

    def _result_checked(self, effect: JobEffect) -> str | None:
        """A failure of the effect turned into a result, and a later step that reads the result
        retries the job (``if response.status == FAILED: self.retry()``). What is retried is a
        failed result (an error status, an exception caught into an empty result), not every
        failure of the call: a webhook sender that retries on a 5xx but gives up on a timeout
        repeats the request only after the receiver answered."""
        job, path = effect.job, effect.path
        starts = [(len(path) - 1, effect.place, effect.function, effect.step)]
        for position in range(len(path) - 1, 0, -1):
            caller = self.effects.place(path[position - 1])
            if caller is None:
                continue
            for function, call in self.effects.calls_to(caller, path[position]):
                if function.function == function.unit:
                    starts.append((position - 1, caller, function, call))
        for position, place, function, start in starts:
            if not start.binds:
                continue
            for step in function.steps:
                if step.order <= start.order or not step.reads_result_of(start):
                    continue
                failure = self.failure(place, function, step, _DEPTH)
                if failure is None or not (failure.explicit or step.kind == "raise"):
                    continue
                why = self._reaches_retry(job, path, position, place, function, step, failure)
                if why is not None:
                    return (
                        f"`{step.text}` on its result: a failed result of the call, which may "
                        "come after the provider acted, is retried"
                    )
        return None

    def after(self, effect: JobEffect) -> RetryPoint | None:
        """The first later step whose failure is retried."""
        job, path = effect.job, effect.path
        if not _retries(job) or effect.function.function != effect.function.unit:
            return None
        found = self._in_function(
            job, path, len(path) - 1, effect.place, effect.function, effect.step, True
        )
        if found is not None:
            return found
        for position in range(len(path) - 1, 0, -1):
            caller = self.effects.place(path[position - 1])
            if caller is None:
                continue
            for function, call in self.effects.calls_to(caller, path[position]):
                if function.function != function.unit:
                    continue
                found = self._in_function(job, path, position - 1, caller, function, call, False)
                if found is not None:
                    return found
        return None

    def _in_function(
        self,
        job: Job,
        path: tuple[FunctionRef, ...],
        position: int,
        place: Place,
        function: FunctionSteps,
        start: Step,
        own: bool,
    ) -> RetryPoint | None:
        regions = place.regions
        loops = {r for r in chain(regions, start.region) if regions[r].kind == "loop"}
        for step in function.steps:
            shares_loop = bool(loops & set(chain(regions, step.region)))
            if step.order <= start.order and not shares_loop:
                continue
            if step is start and not own:
                continue
            if step is not start and exclusive(regions, start.region, step.region):
                continue
            if _in_except(regions, step.region):
                continue
            if step.reads_result_of(start):
                continue  # `if not response.ok: raise ...`: the effect's own failure, RL401's
            failure = self.failure(place, function, step, _DEPTH)
            if failure is None:
                continue
            why = self._reaches_retry(job, path, position, place, function, step, failure)
            if why is not None:
                return RetryPoint(step, place.ref, failure, why, step is start)
        return None

    # -- what a step can raise ---------------------------------------------------------------
    def failure(
        self, place: Place, function: FunctionSteps, step: Step, depth: int
    ) -> Failure | None:
        match step.kind:
            case "effect" if step.effect is not None:
                effect = step.effect
                words = KIND_WORDS.get(effect.kind, "has a side effect")
                return Failure(words, frozenset(effect.raises), network=effect.klass != "db")
            case "network":
                return Failure("reaches the network", frozenset(step.raises), network=True)
            case "raise":
                names = frozenset(self._lineage(n, place.ref.module) for n in step.raises)
                return Failure("", frozenset().union(*names))
            case "retry":
                return Failure("", explicit=True)
            case "call" if depth > 0:
                found: Failure | None = None
                for name in step.names:
                    for ref in self.effects.graph.resolve(place.ref, name):
                        inner = self._escaping(ref, depth - 1)
                        if inner is not None:
                            inner = replace(inner, what=f"{inner.what} in {ref.qualname}")
                            found = inner if found is None else found.merged(inner)
                return found
        return None

    def _lineage(self, name: str, module: ModuleFacts) -> frozenset[str]:
        """An exception's canonical name and those of its project bases (a handler of a base
        catches it)."""
        canonical = self.index.canonical(name, module)
        names = {canonical}
        found = self.index.split(canonical)
        if found is not None and (found[0].path, found[1]) in self.index.classes:
            for owner, cls_name in self.index.lineage(*found):
                names.add(f"{owner.module}.{cls_name}")
                cls = self.index.classes.get((owner.path, cls_name))
                if cls is not None:
                    names.update(self.index.canonical(base, owner) for base in cls.bases)
        return frozenset(names)

    def _escaping(self, ref: FunctionRef, depth: int) -> Failure | None:
        """Everything a project function lets escape, worded after its first such step."""
        key = (ref.path, ref.fact.qualname, depth)
        if key not in self._memo:
            self._memo[key] = None  # recursion guard
            self._memo[key] = self._compute_escaping(ref, depth)
        return self._memo[key]

    def _compute_escaping(self, ref: FunctionRef, depth: int) -> Failure | None:
        place = self.effects.place(ref)
        if place is None:
            return None
        found: Failure | None = None
        for function, step in place.steps():
            if function.function != function.unit or _in_except(place.regions, step.region):
                continue
            failure = self.failure(place, function, step, depth)
            if failure is None or self._handled(place, function, step, failure)[0] == "caught":
                continue
            if step.kind != "call":
                what = f"{failure.what}: `{step.text}`" if failure.what else f"`{step.text}`"
                failure = replace(failure, what=what)
            found = failure if found is None else found.merged(failure)
        return found

    # -- where a failure goes ------------------------------------------------------------------
    def _handled(
        self, place: Place, function: FunctionSteps, step: Step, failure: Failure
    ) -> tuple[Outcome, Handler | None]:
        """What the ``except`` clauses around ``step`` in its function do with ``failure``."""
        regions = place.regions
        for region in chain(regions, step.region):
            found = regions[region]
            if found.kind != "try" or found.role != "try":
                continue
            for handler in found.handlers:
                if not self._catches(handler, failure, place.ref.module):
                    continue
                action = handler.action
                if action == "swallow" and self._delegates_retry(place, function, handler):
                    action = "retry"
                if action == "retry":
                    return "retry", handler
                if action == "swallow":
                    return "caught", handler
                break  # raised again: on to the next try outward
        return "escape", None

    def _delegates_retry(self, place: Place, function: FunctionSteps, handler: Handler) -> bool:
        """An ``except`` clause calling a helper that retries the task (``retry_smtp(self)``)."""
        for step in function.steps:
            if step.kind != "call" or handler.region not in chain(place.regions, step.region):
                continue
            for name in step.names:
                for ref in self.effects.graph.resolve(place.ref, name):
                    callee = self.effects.place(ref)
                    if callee and any(s.kind == "retry" for _, s in callee.steps()):
                        return True
        return False

    def _catches(self, handler: Handler, failure: Failure, module: ModuleFacts) -> bool:
        if handler.catches is None:
            return True
        if failure.explicit:
            return False  # the framework's retry signal passes specific handlers
        return any(self._matches(name, failure, module) for name in handler.catches)

    def _matches(self, name: str, failure: Failure, module: ModuleFacts) -> bool:
        """Whether catching or retrying ``name`` takes in ``failure``: the same exception, or
        one of the provider's that is not about a specific refusal (a handler of
        ``stripe.InvalidRequestError`` does not catch a timeout)."""
        canonical = self.index.canonical(name, module)
        bare = canonical.removeprefix("builtins.")
        if bare in ("Exception", "BaseException"):
            return True
        if bare in _NETWORK_ERRORS and failure.network:
            return True
        if canonical in failure.roots:
            return True
        last = canonical.rsplit(".", 1)[-1].lower()
        specific = any(word in last for word in _SPECIFIC)
        return not specific and any(canonical.startswith(root + ".") for root in failure.roots)

    def _reaches_retry(
        self,
        job: Job,
        path: tuple[FunctionRef, ...],
        position: int,
        place: Place,
        function: FunctionSteps,
        step: Step,
        failure: Failure,
    ) -> str | None:
        """Why ``failure`` at ``step`` (in ``path[position]``) retries the job, or None."""
        if failure.explicit:
            return "an explicit retry"
        outcome, handler = self._handled(place, function, step, failure)
        while outcome == "escape" and position > 0:
            caller = self.effects.place(path[position - 1])
            call = next(self.effects.calls_to(caller, path[position]), None) if caller else None
            if caller is None or call is None:
                break
            outcome, handler = self._handled(caller, call[0], call[1], failure)
            position -= 1
        if outcome == "retry":
            assert handler is not None
            return f"`{handler.text}` retries it"
        if outcome == "caught":
            return None
        for policy in _propagating(job):
            retried = policy.retry_on.value
            if retried == "all" or (
                isinstance(retried, tuple)
                and any(self._matches(name, failure, path[0].module) for name in retried)
            ):
                return policy.retry_on.describe()
        return None


def _retries(job: Job) -> bool:
    return any(policy.retries.value is True for policy in job.all_policies())


def _propagating(job: Job) -> Iterator[RetryPolicy]:
    """The policies that retry a failure leaving the job's body. A Celery task retries only
    what ``autoretry_for`` lists (its ``self.retry()`` calls sit in ``except`` clauses); arq
    only ``raise Retry``."""
    if job.framework == "arq":
        return
    policies = list(job.all_policies())
    if job.framework == "celery":
        if "autoretry_for" not in dict(job.detail("sources", ())):
            return
        autoretry = [policy for site, policy in job.policies if site.method == "autoretry"]
        policies = autoretry or [job.policy]
    for policy in policies:
        if policy.retries.value is True:
            yield policy


def _in_except(regions: tuple[Region, ...], region: int) -> bool:
    return any(regions[r].role.startswith("except") for r in chain(regions, region))
