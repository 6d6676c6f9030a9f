"""Celery fixes: a task option where Celery has one, the ``self.retry`` countdown where it has not.

The fixer applies a fix to the file of its finding only, so every edit here lands in that file:
a value is replaced where the finding points (which may be a base class or ``task_annotations``
in another module), and keywords are added to the task's decorator only when the finding is in
the task's own file. Where the node to change is elsewhere, or not recorded, there is no fix.

Decisions:

- ``bound_attempts`` (RL101, unsafe): the ``None`` that makes the task retry forever (decorator
  keyword, task class or base class attribute, ``task_annotations`` entry) becomes
  ``default-max-attempts - 1``; Celery counts retries after the first run. Only the value is
  replaced: every recorded span of an option covers its value, not ``max_retries=``.
- ``add_backoff`` (RL201):
  autoretry without ``retry_backoff`` gets ``retry_backoff=True, retry_backoff_max=<max-backoff>,
  retry_jitter=True`` in its decorator (safe: native, only the timing changes). A decorator
  keyword beats ``task_annotations`` and base classes for the autoretry options, so adding it
  always takes effect; an explicit falsy ``retry_backoff`` in the decorator is set to ``True``, and
  ``retry_backoff_max`` / ``retry_jitter`` set anywhere are left as the user chose them.
  ``self.retry(countdown=<constant>)`` in a bound task becomes
  ``countdown=random.uniform(0, min(<max-backoff>, <constant> * 2**self.request.retries))``
  (unsafe: Celery's ``retry_backoff`` does not apply to manual retries, so this rewrites the
  user's expression, and it adds ``import random``). It needs the bound task parameter for
  ``.request.retries``: ``<task>.retry(...)`` by module-level name gets no fix. A constant at or
  above ``max-backoff`` gets none either: capped at once, the delay would stay constant.
  ``self.retry(exc=exc)`` without ``countdown`` (the task waits ``default_retry_delay``, 180 s
  unless set) gets the same expression added, ``countdown=random.uniform(0, min(<max-backoff>,
  <default_retry_delay> * 2**self.request.retries))``, in every such call of the task (unsafe,
  as above). The base is the delay the task waits today, so the first retry waits no longer than
  now and later ones spread out; starting from 1 s instead would hit a struggling dependency
  sooner than the user's (or Celery's) delay did. No fix when the call spreads ``**options``
  (they may hold a countdown), is in another file (a helper imported from another module), or
  when ``default_retry_delay`` is set in another file (the finding points there).
  Retry calls in a helper the task passes itself to (``retryable_smtp(self)``) are edited in the
  helper: every task using it gets the new countdown. Class-based tasks on autoretry have no
  decorator to add keywords to: no fix.
- ``add_jitter`` (RL202): ``retry_jitter=False`` becomes ``True`` where it is written, or
  ``retry_jitter=True`` is added to the decorator when the ``False`` is in another file (unsafe:
  the ``False`` was written on purpose and jitter shortens the expected total wait;
  native). A growing countdown expression is wrapped as ``random.uniform(0, <expression>)`` (full
  jitter, as Celery's own ``retry_jitter`` draws it; unsafe: not a native option).
- ``cap_backoff`` (RL203): Celery caps autoretry backoff itself (``retry_backoff_max``); one that
  is a run-time value is left alone. A countdown expression is wrapped as
  ``min(<max-backoff>, <expression>)``, or, when it already draws a random delay
  (``random.uniform``/``randint``/``randrange(a, b)``), its upper bound is capped so the jitter
  still spreads retries out once the cap is reached; other random shapes get no fix.
  Unsafe: not a native option, and shorter waits shorten the whole retry window, so a bounded task
  can give up sooner than before.
- ``cap_window`` (RL102, unsafe): the retry count becomes the largest that keeps the worst-case
  window within ``max-retry-window``: an integer literal written in the task's own decorator (also
  as a ``retry_kwargs`` entry), its own class, or its own ``self.retry(max_retries=...)``; where
  the count is Celery's default, ``max_retries=`` is added to the decorator. Shared values (a
  named constant, a base class, ``task_annotations``) are not changed for one task, and a window
  that even one retry overflows is a delay problem: no fix.
- ``random`` is written the way the file imports it (``import random as rnd`` -> ``rnd.uniform``);
  ``import random`` is added only where the name is free and the file's import insertion point
  is known.
- Countdown expressions kept in a local variable (``countdown=delay``) are not wrapped: the
  assignment's own span is not recorded, and wrapping the name would hide the expression from the
  analysis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import libcst as cst

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.facts import CallShape, FileFacts
from retrylint.findings import Edit, Fix
from retrylint.frameworks.celery.countdown import RetryCall
from retrylint.model import UNBOUNDED, Job, Marker, RetryPolicy, Sourced, Span
from retrylint.policy_math import format_duration, retry_window
from retrylint.values import DictValue, Located, Ref

_INTEGER = re.compile(r"[0-9][0-9_]*")
# Random draws whose second argument is the upper bound: a cap goes there, inside the draw.
_RANDOM_RANGES = frozenset({"uniform", "randint", "randrange"})


# -- the builders -------------------------------------------------------------------------------
def bound_attempts(judged: JudgedPolicy, project: Project) -> Fix | None:
    attempts = judged.policy.max_attempts
    if attempts.value is not UNBOUNDED or attempts.span is None or attempts.source == "default":
        return None
    _, span = judged.location(attempts)
    retries = max(project.config.default_max_attempts - 1, 0)
    return Fix(
        "unsafe",
        f"set max_retries={retries}: give up after {retries + 1} attempts",
        (Edit(span, str(retries)),),
    )


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    job, delay = judged.job, judged.policy.delay
    path, _ = judged.location(delay)
    if path != job.path:
        return None  # set in another module (task_annotations, a base class): not this file's
    call = _countdown_call(judged, project)
    if call is not None:
        return _countdown_backoff(judged, project, call)
    if _steady_autoretry(judged, project):
        return _native_backoff(job, project)
    return _added_countdown(judged, project)


def add_jitter(judged: JudgedPolicy, project: Project) -> Fix | None:
    job, delay = judged.job, judged.policy.delay
    path, _ = judged.location(delay)
    call = _countdown_call(judged, project)
    if call is not None:
        assert call.countdown is not None
        if path != job.path or _local_name(call.countdown):
            return None
        found = _random_module(project, path)
        if found is None:
            return None
        name, imports = found
        edits = _wrap(call.countdown.span, f"{name}.uniform(0, ", ")")
        return Fix(
            "unsafe", f"draw the countdown at random: {name}.uniform(0, ...)", (*imports, *edits)
        )
    jitter = _sources(job).get("retry_jitter")
    if jitter is None or jitter.span is None or delay.value.strategy != "exponential":
        return None
    # retry_jitter=False was written on purpose (Celery's default is True): jitter roughly
    # halves the expected total wait, which a "keep trying for N hours" task may rely on.
    title = "set retry_jitter=True (shortens the expected total wait)"
    if (jitter.path or job.path) == path:
        return Fix("unsafe", title, (Edit(jitter.span, "True"),))
    shape = _decorator(job)
    if shape is None or path != job.path:
        return None
    # The decorator's retry_jitter beats a base class's or task_annotations' (autoretry wrapper).
    return Fix("unsafe", title, (_add_keywords(shape, [("retry_jitter", "True")]),))


def cap_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    job, delay = judged.job, judged.policy.delay
    path, _ = judged.location(delay)
    call = _countdown_call(judged, project)
    if call is None or path != job.path:
        return None  # autoretry: Celery always caps (retry_backoff_max); a run-time cap stays
    countdown = call.countdown
    assert countdown is not None
    cap = _number(project.config.max_backoff)
    facts = _facts(project, path)
    if facts is None or _local_name(countdown) or _shadowed(facts, "min"):
        return None
    title = f"cap the countdown at {format_duration(project.config.max_backoff)}"
    if call.delay is not None and call.delay.jitter is False:
        return Fix("unsafe", title, _wrap(countdown.span, f"min({cap}, ", ")"))
    capped = _cap_random_draw(countdown.code, cap, facts)
    if capped is None:
        return None
    return Fix("unsafe", title, (Edit(countdown.span, capped),))


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    job, policy = judged.job, judged.policy
    attempts = policy.max_attempts
    if not isinstance(attempts.value, int) or isinstance(attempts.value, bool):
        return None
    path, _ = judged.location(attempts if attempts.source != "default" else policy.delay)
    if path != job.path:
        return None
    retries = _retries_within(policy, project.config.max_retry_window)
    if retries is None:
        return None
    window = retry_window(_with_attempts(policy, retries + 1))
    assert isinstance(window, float | int)
    title = f"lower max_retries to {retries}: at most {format_duration(window)} of retrying"
    if attempts.source == "default":
        shape = _decorator(job)
        if shape is None:
            return None
        return Fix("unsafe", title, (_add_keywords(shape, [("max_retries", str(retries))]),))
    node = _own_attempts(job, attempts, project)
    if node is None or not _INTEGER.fullmatch(node.code):
        return None
    return Fix("unsafe", title, (Edit(node.span, str(retries)),))


# -- add_backoff ----------------------------------------------------------------------------------
def _countdown_backoff(judged: JudgedPolicy, project: Project, call: RetryCall) -> Fix | None:
    job, delay = judged.job, judged.policy.delay.value
    if delay.strategy not in ("none", "constant") or not _bound_receiver(job, call):
        return None
    base = _growth_base(delay.base)
    limit = project.config.max_backoff
    if base >= limit:
        return None  # min(limit, base * 2**k) would be the constant limit from the first retry
    found = _random_module(project, job.path)
    facts = _facts(project, job.path)
    if found is None or facts is None or _shadowed(facts, "min"):
        return None
    name, imports = found
    assert call.countdown is not None
    countdown = _backoff_expression(name, base, limit, call)
    return Fix(
        "unsafe",
        f"back off exponentially from {format_duration(base)} up to "
        f"{format_duration(limit)}, with full jitter",
        (*imports, Edit(call.countdown.span, countdown)),
    )


def _added_countdown(judged: JudgedPolicy, project: Project) -> Fix | None:
    """``self.retry(exc=exc)`` waits ``default_retry_delay`` every time: each such call of the
    task gets a growing ``countdown=`` starting from that delay (one edit per call)."""
    job, delay = judged.job, judged.policy.delay
    if delay.value.strategy not in ("none", "constant") or not _retry_delay_in_effect(job, delay):
        return None
    calls = [
        call
        for call in job.detail("self_retry_calls", ())
        if call.countdown is None and call.eta is None
    ]
    if not calls or any(
        call.shape is None
        or call.shape.args_end is None
        or call.path is not None
        or not _bound_receiver(job, call)
        or not _own_call(job, call, project)
        for call in calls
    ):
        return None  # **options may hold a countdown; a call in another file; no request
    base, limit = _growth_base(delay.value.base), project.config.max_backoff
    found = _random_module(project, job.path)
    facts = _facts(project, job.path)
    if base >= limit or found is None or facts is None or _shadowed(facts, "min"):
        return None
    name, imports = found
    edits = [
        _add_keywords(call.shape, [("countdown", _backoff_expression(name, base, limit, call))])
        for call in calls
    ]
    return Fix(
        "unsafe",
        f"add a countdown backing off exponentially from {format_duration(base)} up to "
        f"{format_duration(limit)}, with full jitter",
        (*imports, *edits),
    )


def _retry_delay_in_effect(job: Job, delay: Sourced[Any]) -> bool:
    """Whether the steady delay is the task's ``default_retry_delay`` (Celery's 180 s or the
    task's own, set in this file): the delay a ``retry()`` without ``countdown`` waits."""
    retry_delay = _sources(job).get("default_retry_delay")
    if retry_delay is not None:
        return (
            delay.source != "default"
            and delay.span == retry_delay.span
            and delay.path == retry_delay.path
        )
    return delay.source == "default"


def _growth_base(base: float | None) -> float:
    """The first delay of the grown countdown: the current steady delay, 1 s when it is 0."""
    return base if base is not None and base > 0 else 1.0


def _backoff_expression(name: str, base: float, limit: float, call: RetryCall) -> str:
    growth = f"2**{call.receiver}.request.retries"
    growth = growth if base == 1 else f"{_number(base)} * {growth}"
    return f"{name}.uniform(0, min({_number(limit)}, {growth}))"


def _steady_autoretry(judged: JudgedPolicy, project: Project) -> bool:
    """Whether the steady delay is autoretry's: ``retry_kwargs['countdown']`` or the task's
    ``default_retry_delay`` while ``retry_backoff`` is off."""
    job, delay = judged.job, judged.policy.delay
    sources = _sources(job)
    autoretry = sources.get("autoretry_for")
    if autoretry is None or _resolved(project, job, autoretry) in ((), None):
        return False
    backoff = sources.get("retry_backoff")
    if backoff is not None and _resolved(project, job, backoff) not in (False, 0, None):
        return False
    kwargs = sources.get("retry_kwargs")
    kwargs_value = _resolved(project, job, kwargs) if kwargs is not None else None
    if kwargs_value is not None and not isinstance(kwargs_value, DictValue):
        return False  # retry_kwargs built at run time: its countdown cannot be told
    if (
        isinstance(kwargs_value, DictValue)
        and kwargs_value.get("countdown", _MISSING) is not _MISSING
    ):
        # The entry inside the decorator, or the whole dict where entries have no span of their own.
        entry = _options(job).get("retry_kwargs.countdown")
        assert kwargs is not None
        return delay.span is not None and delay.span in (kwargs.span, entry.span if entry else None)
    retry_delay = sources.get("default_retry_delay")
    if retry_delay is not None:
        return delay.span == retry_delay.span and delay.path == retry_delay.path
    return delay.source == "default"


def _native_backoff(job: Job, project: Project) -> Fix | None:
    shape = _decorator(job)
    if shape is None:
        return None
    sources, options = _sources(job), _options(job)
    edits: list[Edit] = []
    keywords: list[tuple[str, str]] = []
    written = options.get("retry_backoff")
    if written is not None:
        edits.append(Edit(written.span, "True"))  # an explicit retry_backoff=False
    else:
        keywords.append(("retry_backoff", "True"))
    cap = _number(project.config.max_backoff)
    if "retry_backoff_max" not in sources:
        keywords.append(("retry_backoff_max", cap))
    if "retry_jitter" not in sources:
        keywords.append(("retry_jitter", "True"))
    if keywords:
        edits.append(_add_keywords(shape, keywords))
    changes = [("retry_backoff", "True")] if written is not None else []
    changes.extend(keywords)
    return Fix("safe", ", ".join(f"{name}={value}" for name, value in changes), tuple(edits))


# -- cap_backoff ----------------------------------------------------------------------------------
def _cap_random_draw(code: str, cap: str, facts: FileFacts) -> str | None:
    """``random.uniform(0, 2**n)`` -> ``random.uniform(0, min(cap, 2**n))``; None for any other
    shape (a cap around the draw would end the jitter once the cap is reached)."""
    try:
        node = cst.parse_expression(f"({code})")
    except cst.ParserSyntaxError:
        return None
    node = node.with_changes(lpar=(), rpar=())
    if not isinstance(node, cst.Call) or not _is_random_range(node.func, facts):
        return None
    args = node.args
    if len(args) != 2 or any(arg.keyword is not None or arg.star for arg in args):
        return None
    module = cst.Module(body=())
    upper = cst.parse_expression(f"min({cap}, {module.code_for_node(args[1].value)})")
    capped = node.with_changes(args=(args[0], args[1].with_changes(value=upper)))
    return module.code_for_node(capped)


def _is_random_range(func: cst.BaseExpression, facts: FileFacts) -> bool:
    imports = dict(facts.imports)
    match func:
        case cst.Attribute(value=cst.Name(value=module), attr=cst.Name(value=name)):
            return imports.get(module) == "random" and name in _RANDOM_RANGES
        case cst.Name(value=name):
            target = imports.get(name, "")
            return target.startswith("random.") and target[len("random.") :] in _RANDOM_RANGES
    return False


# -- cap_window -----------------------------------------------------------------------------------
def _with_attempts(policy: RetryPolicy, attempts: int) -> RetryPolicy:
    return replace(policy, max_attempts=replace(policy.max_attempts, value=attempts))


def _fits(policy: RetryPolicy, retries: int, limit: float) -> bool:
    window = retry_window(_with_attempts(policy, retries + 1))
    return isinstance(window, float | int) and window <= limit


def _retries_within(policy: RetryPolicy, limit: float) -> int | None:
    """The most retries (at least one, fewer than now) whose window fits ``limit``."""
    current = policy.max_attempts.value
    assert isinstance(current, int)
    low, high = 1, current - 2  # retries now: current - 1; the fix must lower them
    if high < low or not _fits(policy, low, limit):
        return None
    while low < high:  # the window only grows with retries: bisect
        middle = (low + high + 1) // 2
        if _fits(policy, middle, limit):
            low = middle
        else:
            high = middle - 1
    return low


def _own_attempts(job: Job, attempts: Sourced[Any], project: Project) -> Located | None:
    """The literal the attempts came from, when the task itself wrote it: a decorator keyword or
    ``retry_kwargs`` entry inside the decorator, its own class attribute, or ``self.retry``."""
    if attempts.path is not None or attempts.span is None:
        return None
    shape = _decorator(job)
    for name, located in job.detail("options", ()):
        if located.span != attempts.span:
            continue
        # An entry of a retry_kwargs constant points into the constant, outside the decorator.
        in_decorator = shape is not None and _within(located.span, shape.span)
        if in_decorator and name in ("max_retries", "retry_kwargs.max_retries"):
            return located
        if job.detail("form") == "class" and name == "max_retries":
            return located
    for call in job.detail("self_retry_calls", ()):
        if call.max_retries is not None and call.max_retries.span == attempts.span:
            return call.max_retries if _own_call(job, call, project) else None
    return None


# -- shared helpers ---------------------------------------------------------------------------------
_MISSING = Ref("<missing>")


def _sources(job: Job) -> dict[str, Sourced[Any]]:
    """Each option's effective value and where it was set (the adapter's precedence applied)."""
    return dict(job.detail("sources", ()))


def _options(job: Job) -> dict[str, Located]:
    """The decorator's keywords (``retry_kwargs.<key>`` entries too), or a task class's own
    attributes."""
    return dict(job.detail("options", ()))


def _decorator(job: Job) -> CallShape | None:
    shape = job.detail("decorator")
    return shape if isinstance(shape, CallShape) else None


def _facts(project: Project, path: str) -> FileFacts | None:
    module = project.index.by_path.get(path)
    return module.facts if module is not None else None


def _resolved(project: Project, job: Job, sourced: Sourced[Any]) -> Any:
    """An option's value, following a name to a literal constant in another module."""
    value = sourced.value
    if isinstance(value, Ref):
        module = project.index.by_path.get(sourced.path or job.path)
        found = project.index.constant(value.name, module)
        return value if isinstance(found, Marker) else found
    return value


def _countdown_call(judged: JudgedPolicy, project: Project) -> RetryCall | None:
    """The task's own ``self.retry(countdown=...)`` call the policy's delay came from."""
    delay = judged.policy.delay
    if delay.span is None or delay.source == "default":
        return None
    for call in judged.job.detail("self_retry_calls", ()):
        if call.countdown is not None and call.countdown.span == delay.span:
            return call if _own_call(judged.job, call, project) else None
    return None


def _own_call(job: Job, call: RetryCall, project: Project) -> bool:
    """Whether ``call`` is written in the job's own file: a class-based task may inherit ``run``
    (and its ``self.retry`` calls) from a base class in another module."""
    if call.path is not None:
        return False  # a helper function (or inherited run) in another module
    if job.detail("form") != "class" or call.helper is not None:
        return True
    facts = _facts(project, job.path)
    if facts is None:
        return False
    return any(key == "celery.class" and call in value[1].retry_calls for key, value in facts.data)


def _bound_receiver(job: Job, call: RetryCall) -> bool:
    """Whether the call's receiver is the bound task parameter, so ``.request.retries`` exists."""
    if job.detail("form") == "class":
        return True  # the receiver is run's first parameter, the task instance
    function = (job.function or "").rsplit(".", 1)[-1]
    return job.detail("bind") is True and call.receiver != function


def _local_name(countdown: Located) -> bool:
    """``countdown=delay``: a name the adapter followed to a local assignment."""
    value = countdown.value
    return isinstance(value, Ref) and "." not in value.name and countdown.code.isidentifier()


def _random_module(project: Project, path: str) -> tuple[str, tuple[Edit, ...]] | None:
    """How the file names the random module, and the import to add when it does not."""
    facts = _facts(project, path)
    if facts is None:
        return None
    imports = dict(facts.imports)
    if imports.get("random") == "random":
        return "random", ()
    alias = next((local for local, target in facts.imports if target == "random"), None)
    if alias is not None:
        return alias, ()
    line = facts.import_insert_line
    if _shadowed(facts, "random") or (line == 1 and facts.imports):
        # Line 1 in a file with imports: the engine did not place the insertion point (it does
        # so only for files with framework facts other than ``data``, and a module holding
        # only a task class has none); line 1 could precede a docstring or __future__ import.
        return None
    return "random", (Edit(Span(line, 1, line, 1), "import random\n", import_line=True),)


def _shadowed(facts: FileFacts, name: str) -> bool:
    return name in dict(facts.imports) or name in facts.module_names


def _add_keywords(shape: CallShape, keywords: Sequence[tuple[str, str]]) -> Edit:
    """Keyword arguments appended to a decorator; a bare ``@app.task`` becomes a call."""
    text = ", ".join(f"{name}={value}" for name, value in keywords)
    if not shape.called:
        end = shape.span
        return Edit(Span(end.end_line, end.end_column, end.end_line, end.end_column), f"({text})")
    line, column = _args_end(shape)
    return Edit(Span(line, column, line, column), f", {text}" if shape.has_args else text)


def _args_end(shape: CallShape) -> tuple[int, int]:
    """Just after the last argument. ``args_end`` is the end of the last argument's *value*,
    which stops inside the parentheses of ``autoretry_for=(IOError,)``; a keyword's span covers
    them, so the later of the two ends is the right place."""
    assert shape.args_end is not None
    ends = [(shape.args_end.line, shape.args_end.column)]
    ends.extend((span.end_line, span.end_column) for _, span in shape.keyword_spans)
    return max(ends)


def _wrap(span: Span, before: str, after: str) -> tuple[Edit, Edit]:
    """Wrap the expression at ``span`` without rewriting it (its comments and layout stay)."""
    return (
        Edit(Span(span.line, span.column, span.line, span.column), before),
        Edit(Span(span.end_line, span.end_column, span.end_line, span.end_column), after),
    )


def _within(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


def _number(value: float) -> str:
    """``3600`` rather than ``3600.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
