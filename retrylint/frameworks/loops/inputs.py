"""Whether each pass of a loop re-attempts the same work, or moves on to something new.

A retry loop repeats one operation. Loops with the same syntax that change what they work on
from one pass to the next are searches, walks, scans and collision renames: no retry policy
applies to them. Decided here, once the shape (``shapes``) is known:

- **the loop variable is data** when it indexes something (``hosts[i]``) or it, or a name
  computed from it, is passed to the work (``bind(("", base + i))``). Two exceptions: a
  variable named as an attempt counter (``attempt``, ``retries``, ``tries``) passed to the work
  is the attempt number (a growing connect timeout: ``_get(attempt)``,
  ``get(url, timeout=2 + attempt)``), unless it is made into text (``f"{user}{attempt}@{host}"``:
  a new name each time); and a subscript that only paces the loop is a delay
  schedule (``time.sleep(DELAYS[attempt])``, or ``delay = DELAYS[attempt]`` read only by the
  sleep, log lines and other pacing names).
- **the failing path changes the operation's input**:
  - an item is taken from a collection (``q.pop(0)``, ``next(it)``, ``del``);
  - a name the operation reads is advanced (``slot += 1``, ``path = path.parent``,
    ``source = not source``) or computed from an advanced name (``n += 1`` then
    ``slug = f"{base}-{n}"``);
  - something new is drawn before the ``try`` or in its handler (``code =
    get_random_string(6)``, ``self.assign_code()``, ``uuid.uuid4()``): the next pass tries a
    new value. Drawn inside the operation (``create(code=token_hex(4))``) it counts only when
    every retried exception is a collision (``IntegrityError``, ``Conflict``): a request id
    drawn per call of a network retry is not new input.
- **one immediate retry after losing a race** -- two attempts, no wait, collisions only
  (``for _ in range(2): try: create() except IntegrityError: continue``) -- re-runs the
  operation against the winner's row: nothing is retried against a struggling dependency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.loops.evaluator import RANDOM_PREFIXES
from retrylint.frameworks.loops.shapes import SLEEP_FUNCTIONS, Retry, caught_by, is_log_call
from retrylint.frameworks.loops.syntax import (
    advanced_names,
    block,
    cached_children,
    name_of,
    refs,
    target_names,
    top_level,
    walk_all,
)
from retrylint.model import RetryPolicy

# Calls that take the next item of a collection: a loop around them works on new data.
CONSUMERS = frozenset({"pop", "popleft", "popitem", "remove", "discard", "next", "__next__"})
# Calls a loop variable may be passed to without making it data.
HARMLESS_CALLS = frozenset(
    {"min", "max", "pow", "abs", "round", "int", "float", "str", "repr", "format", "print"}
)
# Arithmetic a delay schedule is read through (``min(DELAYS[n], cap)``).
PACING_CALLS = frozenset({"min", "max", "pow", "abs", "round", "int", "float"})
# A name that counts attempts: passed to the work, it is the attempt number, not data.
ATTEMPT_NAME = re.compile(r"(^|_)(attempts?|retry|retries|tries|try|trials?)(_|$|\d)", re.I)
# Calls that draw something new: a random value, a fresh code, name or slug.
FRESH_PREFIXES = (*RANDOM_PREFIXES, "uuid.", "os.urandom", "shortuuid.")
FRESH_NAME = re.compile(
    r"random|uuid|nonce|unique|(^|_)(generate|regenerate|new|make|assign|create)_"
    r"(code|slug|name|key|id|identifier|suffix|number)s?($|_)",
    re.I,
)
# Words in exception names that say the operation collided with a row or name already there.
COLLISION_WORDS = (
    "integrity",
    "unique",
    "duplicate",
    "conflict",
    "collision",
    "alreadyexists",
    "exists",
)


# -- the loop variable ------------------------------------------------------------------------
def var_used_as_data(
    ctx: FileContext,
    body: Sequence[cst.CSTNode],
    var: str,
    scope: Sequence[cst.CSTNode] | None = None,
) -> bool:
    """True when ``var`` indexes data or is passed to the work in ``body``, directly or through
    a name computed from it in ``scope`` (the body itself by default): ``port = base + i;
    bind(port)``. See the module docstring for attempt counters and delay schedules."""
    region = body if scope is None else scope
    pacing = pacing_names(ctx, region)
    derived = {var}
    textual: set[str] = set()  # derived names that are text: a new name, email, key each time
    changed = True
    while changed:
        changed = False
        for node in walk_all(region):
            if isinstance(node, cst.Assign) and refs(node.value) & derived:
                for target in node.targets:
                    name = name_of(target.target)
                    if name and name not in derived and name not in pacing:
                        derived.add(name)
                        changed = True
                    if name and name not in textual and _makes_text(node.value, derived, textual):
                        textual.add(name)
                        changed = True
    counts_attempts = bool(ATTEMPT_NAME.search(var))
    return _used_as_data(ctx, body, derived, pacing, counts_attempts, textual)


def _makes_text(value: cst.BaseExpression, derived: set[str], textual: set[str]) -> bool:
    """``f"{base}{attempt}@{domain}"``, ``"page-" + str(n)``: text built from the counter, or
    from text built from it."""
    read = refs(value)
    if read & textual:
        return True
    return bool(read & derived) and any(
        isinstance(node, cst.FormattedString | cst.SimpleString)
        for node in walk_all([value], into_loops=True)
    )


def _used_as_data(
    ctx: FileContext,
    body: Sequence[cst.CSTNode],
    names: set[str],
    pacing: set[str],
    counts_attempts: bool,
    textual: set[str],
) -> bool:

    def visit(node: cst.CSTNode, shielded: bool, paced: bool) -> bool:
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return False
        if isinstance(node, cst.Raise | cst.ExceptHandler):
            shielded = True
        if isinstance(node, cst.Assign | cst.AnnAssign) and _assigns_only(node, pacing):
            shielded = paced = True
        if (
            isinstance(node, cst.Subscript)
            and not paced
            and any(refs(s) & names for s in node.slice)
        ):
            return True
        if isinstance(node, cst.Call):
            if _harmless_call(ctx, node):
                shielded = True
                paced = paced or _paces(ctx, node)
            elif not shielded and any(
                _passes(arg.value, names, textual, counts_attempts) for arg in node.args
            ):
                return True
        return any(visit(child, shielded, paced) for child in cached_children(node))

    return any(visit(statement, False, False) for statement in body)


def _passes(
    value: cst.BaseExpression, names: set[str], textual: set[str], counts_attempts: bool
) -> bool:
    """Whether an argument hands the loop variable to the work as data: any use of it, or for
    an attempt counter only text made from it (a name, an email with the attempt in it)."""
    if not refs(value) & names:
        return False
    return not counts_attempts or _makes_text(value, names, textual)


def _assigns_only(node: cst.Assign | cst.AnnAssign, names: set[str]) -> bool:
    targets = target_names(node)
    return bool(targets) and all(t in names for t in targets)


def _harmless_call(ctx: FileContext, call: cst.Call) -> bool:
    """A call the loop variable may be passed to: pacing, a log line, a conversion."""
    qualified = ctx.qualify(call.func) or ""
    return _paces(ctx, call) or qualified in HARMLESS_CALLS or is_log_call(ctx, call)


def _paces(ctx: FileContext, call: cst.Call) -> bool:
    """A call a delay is computed through: the sleep, arithmetic, a random term."""
    qualified = ctx.qualify(call.func) or ""
    last = qualified.rsplit(".", 1)[-1]
    return (
        qualified in SLEEP_FUNCTIONS
        or qualified in PACING_CALLS
        or qualified.startswith(RANDOM_PREFIXES)
        or "jitter" in last.lower()
    )


def pacing_names(ctx: FileContext, body: Sequence[cst.CSTNode]) -> set[str]:
    """Names assigned in the loop and read only to pace it: by sleeps, log lines, the
    arithmetic of a delay, or other pacing names (``retry_delay = DELAYS[attempt]``, logged,
    then slept)."""
    pacing = {
        name
        for node in walk_all(body)
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign)
        for name in target_names(node)
    }
    while True:
        read = _reads_outside_pacing(ctx, body, pacing)
        if not pacing & read:
            return pacing
        pacing -= read


def _reads_outside_pacing(
    ctx: FileContext, body: Sequence[cst.CSTNode], pacing: set[str]
) -> set[str]:
    found: set[str] = set()

    def visit(node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return
        if isinstance(node, cst.Call) and _harmless_call(ctx, node):
            return
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign):
            if isinstance(node, cst.Assign | cst.AnnAssign) and _assigns_only(node, pacing):
                return
            if isinstance(node, cst.AugAssign) and name_of(node.target) in pacing:
                return
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else []
            if not isinstance(node, cst.Assign):
                targets = [node.target]
            for target in targets:
                if not isinstance(target, cst.Name | cst.Attribute):
                    visit(target)  # x[i] = ...: reads x and i
            if node.value is not None:
                visit(node.value)
            return
        if isinstance(node, cst.Name):
            found.add(node.value)
            return
        for child in cached_children(node):
            visit(child)

    for statement in body:
        visit(statement)
    return found


# -- the operation's input --------------------------------------------------------------------
def is_same_work(
    ctx: FileContext, loop: cst.While | cst.For, body: list[cst.CSTNode], retry: Retry
) -> bool:
    """Whether each iteration re-attempts the same operation (see the module docstring).

    The try body must call something (``self.items[self.pos]`` does not fail transiently).
    """
    operation = block(retry.node.body)
    if not any(isinstance(n, cst.Call | cst.Await) for n in walk_all(operation)):
        return False
    top = list(top_level(body))
    before = top[: next(i for i, s in enumerate(top) if s is retry.node)]
    for node in walk_all([*before, *operation]):
        if isinstance(node, cst.Del) or (isinstance(node, cst.Call) and _consumes(node)):
            return False
    for node in walk_all(retry.handlers):  # next(delays) in a handler only paces the retry
        if isinstance(node, cst.Del) or (
            isinstance(node, cst.Call) and _consumes(node) and not _is_next(node)
        ):
            return False
    # The failing path outside the operation: before the try, the retrying handlers, after it.
    after = top[len(before) + 1 :]
    failing = list(walk_all([*before, *retry.handlers, *after]))
    tests: list[cst.CSTNode] = [n.test for n in walk_all(body) if isinstance(n, cst.If)]
    if isinstance(loop, cst.While):
        tests.append(loop.test)
    read = _reads(operation)
    for name, arithmetic in advanced_names(failing):
        if var_used_as_data(ctx, operation, name, scope=body):
            return False
        if not arithmetic and (name in read or any(name in refs(t) for t in tests)):
            return False
    if _draws_fresh_input(ctx, [*before, *retry.handlers], body):
        return False
    return not (collisions_only(ctx, retry) and _draws_fresh_input(ctx, operation, body))


def _draws_fresh_input(
    ctx: FileContext, region: Sequence[cst.CSTNode], body: Sequence[cst.CSTNode]
) -> bool:
    """Whether ``region`` draws something new for the next pass: a random value, a fresh code
    or slug (not a jitter term of the delay)."""
    pacing = pacing_names(ctx, body)

    def visit(node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return False
        if isinstance(node, cst.Assign | cst.AnnAssign) and _assigns_only(node, pacing):
            return False  # a delay computed with a random term: jitter
        if isinstance(node, cst.AugAssign) and name_of(node.target) in pacing:
            return False
        if isinstance(node, cst.Call):
            if ctx.qualify(node.func) in SLEEP_FUNCTIONS or is_log_call(ctx, node):
                return False
            if _is_fresh(ctx, node):
                return True
        return any(visit(child) for child in cached_children(node))

    return any(visit(node) for node in region)


def _is_fresh(ctx: FileContext, call: cst.Call) -> bool:
    qualified = ctx.qualify(call.func) or ""
    if qualified.startswith(FRESH_PREFIXES):
        return True
    last = qualified.rsplit(".", 1)[-1]
    return bool(last) and bool(FRESH_NAME.search(last))


def collisions_only(ctx: FileContext, retry: Retry) -> bool:
    """Whether every retrying handler catches collisions only (``IntegrityError``,
    ``UniqueViolation``, ``Conflict``, ``AlreadyExists``)."""
    for handler in retry.handlers:
        caught = caught_by(ctx, handler)
        if not isinstance(caught, tuple) or not caught:
            return False
        for name in caught:
            last = name.rsplit(".", 1)[-1].lower()
            if not any(word in last for word in COLLISION_WORDS):
                return False
    return True


def one_retry_after_a_lost_race(ctx: FileContext, retry: Retry, policy: RetryPolicy) -> bool:
    """Two attempts, no wait, collisions only: see the module docstring."""
    return (
        policy.max_attempts.value == 2
        and policy.delay.value.strategy == "none"
        and collisions_only(ctx, retry)
    )


def _reads(nodes: Sequence[cst.CSTNode]) -> set[str]:
    """Names and attribute chains read by statements (assignment targets are not reads)."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, cst.SimpleStatementLine):
            found |= _reads(node.body)
        elif isinstance(node, cst.Assign | cst.AnnAssign):
            found |= refs(node.value)
            for target in node.targets if isinstance(node, cst.Assign) else [node]:
                if not isinstance(target.target, cst.Name | cst.Attribute | cst.Tuple):
                    found |= refs(target.target)  # x[i] = ...: reads x and i
        else:
            found |= refs(node)
    return found


def _is_next(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Name) and call.func.value == "next"


def _consumes(call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Name):
        name = func.value
    elif isinstance(func, cst.Attribute):
        name = func.attr.value
    else:
        return False
    name = name.strip("_")
    if name == "pop" and len(call.args) >= 2:
        return False  # mapping.pop(key, default): dropping a key, not taking the next item
    return name in CONSUMERS or name.startswith("pop_")
