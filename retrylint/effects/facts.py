"""What the per-file side-effect scan records: plain, picklable values.

Whether an effect repeats depends on things only the project knows (which job reaches the
function, through which calls, with which retry policy), so the scan records each function as
an ordered list of steps, each placed in a region of the function (an ``if`` branch, a ``try``
body, a loop ...). The project half (``effects.jobs``) reads order and regions to tell whether a
guard comes before an effect and whether something after it can fail into a retry.

``order`` numbers follow the source: a larger one runs later in the same region, or in a region
that follows. Regions nest; a function body is a region without a parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrylint.facts import CallShape
from retrylint.model import Span

StepKind = Literal["effect", "network", "call", "retry", "raise", "marker", "exit", "enqueue"]
RegionKind = Literal["def", "if", "try", "loop", "with", "match"]
HandlerAction = Literal["retry", "raise", "swallow"]


@dataclass(frozen=True)
class Handler:
    """An ``except`` clause: what it catches (None: everything) and what it does with it."""

    catches: tuple[str, ...] | None
    action: HandlerAction
    text: str  # "except smtplib.SMTPException" for messages
    region: int  # the clause's own region: a helper called there may retry the task


@dataclass(frozen=True)
class Region:
    """A block of statements: a function body, one branch of an ``if``, a ``try`` body ...

    Regions of one compound statement share ``statement``; two of them with different roles are
    alternatives (an ``if`` body and its ``else``) unless one is a ``try`` body or a ``finally``.
    ``state``: the ``if`` test is a state check (``if not order.paid:``), or the loop runs over
    rows filtered on a state (``.filter(sent_at__isnull=True)``). ``handlers``: for a ``try``
    body, its ``except`` clauses, innermost try first when regions are walked outward.
    """

    parent: int | None
    statement: int
    kind: RegionKind
    role: str  # body, else, try, except0, except1, finally, case0 ...
    state: bool = False
    handlers: tuple[Handler, ...] = ()
    text: str | None = None  # an if's test, a loop's iterable, for messages
    line: int | None = None  # of a loop, for messages


@dataclass(frozen=True)
class Effect:
    """A catalogued side-effect call and what guards it at the call itself.

    ``guard`` says why it is safe to repeat (``idempotency_key=...``); ``fresh`` holds a key
    expression that is new on every run (``uuid4()``); ``hidden`` says a guard may be in what
    retrylint cannot see (``**params``): not reported; ``doubt`` is reported with the doubt said
    (headers built elsewhere rarely carry a key). ``subclass_of`` is set when
    the receiver's class must be checked in the project (``Order(...).save()``), with the
    constructor as written in ``constructor``. ``instance`` is set when the receiver is an
    object built in another module (``from app.http import client``): the project checks that
    ``instance_of`` built it.
    """

    entry: str
    provider: str
    klass: str
    kind: str
    raises: tuple[str, ...]
    guard: str | None = None
    fresh: str | None = None
    hidden: str | None = None
    doubt: str | None = None  # reported, but a guard may be where retrylint cannot see
    offers: str | None = None  # the provider's key mechanism, in words, for messages
    fix: str | None = None  # "keyword" / "option": the key a fix may add
    guard_name: str | None = None  # the keyword or option key the fix adds
    shape: CallShape | None = None
    subclass_of: frozenset[str] = frozenset()
    constructor: str | None = None
    instance: str | None = None  # a module-level object of another module, as imported here
    instance_of: frozenset[str] = frozenset()  # what must have built it


@dataclass(frozen=True)
class Step:
    """One thing a function does that the idempotency rules care about.

    - ``effect``: a catalogued side effect; ``network``: a call that can fail on the network;
    - ``call``: a call that may be a project function (``names`` as the call graph writes them);
    - ``retry``: an explicit retry (``self.retry()``, ``raise Retry()``);
    - ``raise``: an exception raised outside any ``except`` clause (``raises`` names it);
    - ``marker``: a dedup marker or lock taken on the job's input (``cache.add(key, ...)``);
    - ``exit``: an early exit on a state check (``if order.paid: return``);
    - ``enqueue``: a call that may enqueue a job (linked to the job model in the project).
    """

    order: int
    kind: StepKind
    region: int
    text: str
    names: tuple[str, ...] = ()
    span: Span | None = None
    effect: Effect | None = None
    raises: tuple[str, ...] = ()
    binds: tuple[str, ...] = ()  # names the call's result is assigned to (``response, data =``)
    reads: tuple[str, ...] = ()  # names the ``if`` tests around it (and a raise itself) read

    def reads_result_of(self, other: Step) -> bool:
        """Whether this step depends on ``other``'s result (``if not response.ok: raise``)."""
        return bool(set(other.binds) & set(self.reads))


@dataclass(frozen=True)
class FunctionSteps:
    """The steps of one function, in source order.

    ``unit`` is the outermost function or method (what job reach knows); ``function`` is this
    function's own qualname (a nested function has its own steps and regions).
    """

    unit: str
    function: str
    steps: tuple[Step, ...]
    first_parameter: str | None = None
    decorators: tuple[str, ...] = ()


@dataclass(frozen=True)
class EffectFacts:
    """The scan of one file: its regions (indexed by ``Step.region``) and its functions."""

    regions: tuple[Region, ...]
    functions: tuple[FunctionSteps, ...]
