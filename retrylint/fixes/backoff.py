"""Fixes for ``@backoff.on_exception`` / ``@backoff.on_predicate`` (``frameworks.md`` 7.2).

- ``bound_attempts`` (RL101, unsafe): ``max_tries=N`` (replacing ``max_tries=None`` / ``0``).
- ``cap_window`` (RL102, unsafe): ``max_time=<max-retry-window>``.
- ``add_backoff`` (RL201, safe): ``backoff.constant`` -> ``backoff.expo`` plus
  ``max_value=<max-backoff>``. Not when the decorator passes ``constant`` its own options
  (``interval=``): ``expo`` would get them too and fail; not for ``lambda: backoff.constant()``.
- ``add_jitter`` (RL202, safe): ``jitter=None`` removed (``full_jitter`` is the default). The
  argument and its comma go when the neighbouring arguments prove nothing else (a ``**kwargs``)
  sits between; otherwise ``jitter=None`` becomes ``jitter=backoff.full_jitter``, the same thing
  written out.
- ``cap_backoff`` (RL203, safe): ``max_value=<max-backoff>``, which the decorator passes on to
  ``backoff.expo`` / ``backoff.fibo`` (not to a ``lambda`` or a call as ``wait_gen``).
"""

from __future__ import annotations

import libcst as cst

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Edit, Fix
from retrylint.fixes.tenacity import Names, Target, Written, make_fix, number, set_options, target
from retrylint.frameworks.backoff import DECORATOR_KEYWORDS
from retrylint.frameworks.retry_library.options import library_name
from retrylint.model import Span
from retrylint.values import Ref

LIBRARY = "backoff"


def _generator(found: Target) -> str | None:
    """``expo`` / ``fibo`` / ``constant`` when ``wait_gen`` names a backoff generator."""
    wait_gen = found.options.get("wait_gen")
    if wait_gen is None or not isinstance(wait_gen.value, Ref):
        return None
    return library_name(wait_gen.value.name, LIBRARY)


def _generator_options(found: Target) -> list[str]:
    """Decorator keywords passed on to the wait generator (``interval=``, ``max_value=``)."""
    return [name for name in found.options if name not in DECORATOR_KEYWORDS and "#" not in name]


def bound_attempts(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None:
        return None
    attempts = project.config.default_max_attempts
    edits = set_options(found, [("max_tries", str(attempts))])
    return make_fix("unsafe", f"give up after {attempts} tries: max_tries={attempts}", edits)


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None:
        return None
    window = number(project.config.max_retry_window)
    edits = set_options(found, [("max_time", window)])
    return make_fix("unsafe", f"give up after {window} s: max_time={window}", edits)


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None or _generator(found) != "constant" or _generator_options(found):
        return None
    wait_gen = found.options["wait_gen"]
    written = Written.parse(wait_gen)
    if written is None or not found.in_call(wait_gen):
        return None
    expression = written.expression
    import_edit: Edit | None = None
    if isinstance(expression, cst.Attribute):
        start, end = written.range(expression.attr)
        new = "expo"
    else:
        names = Names(LIBRARY, found.facts)
        ref = names.reference("expo", names.style_of(expression))
        if ref is None:
            return None
        new, import_edit = ref
        start, end = written.range(expression)
    cap = number(project.config.max_backoff)
    edits = [Edit(written.span(start, end), new), *set_options(found, [("max_value", cap)])]
    return make_fix(
        "safe", f"backoff.constant -> backoff.expo with max_value={cap}", [*edits, import_edit]
    )


def cap_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None or _generator(found) not in ("expo", "fibo"):
        return None
    max_value = found.options.get("max_value")
    if max_value is not None and max_value.value is not None:
        return None  # a cap is set (unknown until run time): not this fix's business
    cap = number(project.config.max_backoff)
    return make_fix(
        "safe", f"cap the wait at max_value={cap} s", set_options(found, [("max_value", cap)])
    )


def add_jitter(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None:
        return None
    jitter = found.own("jitter")
    span = found.keyword_spans.get("jitter")
    if jitter is None or jitter.value is not None or span is None:
        return None
    # jitter=None is written on purpose: full jitter shortens the expected total wait, which
    # the code may rely on, so this waits for --unsafe-fixes.
    title = "remove jitter=None (back to the default full_jitter)"
    removal = _removal(found, span, judged)
    if removal is not None:
        return Fix("unsafe", title, (Edit(removal, ""),))
    names = Names(LIBRARY, found.facts)
    wait_gen = found.options.get("wait_gen")
    hint = None
    if wait_gen is not None:
        written = Written.parse(wait_gen)
        hint = names.style_of(written.expression) if written is not None else None
    ref = names.reference("full_jitter", hint)
    if ref is None:
        return None
    text, import_edit = ref
    return make_fix(
        "unsafe",
        f"jitter=None -> jitter={text} (the default)",
        [Edit(jitter.span, text), import_edit],
    )


def _removal(found: Target, span: Span, judged: JudgedPolicy) -> Span | None:
    """What to delete to remove the ``jitter=`` argument at ``span``, comma included.

    With a next argument: from ``jitter`` to it (a comment after ``jitter=None,`` goes with it);
    for the last one: from the end of the previous argument. Only when no unseen ``*args`` /
    ``**kwargs`` can sit in between: there is none in the call (``max_time`` left to its default
    proves it: a ``**kwargs`` would have made it unknown), or the neighbour is on the same line
    with only ``, `` between.
    """
    arguments = list(found.arguments)
    if span not in arguments:
        return None
    index = arguments.index(span)
    following = arguments[index + 1] if index + 1 < len(arguments) else None
    previous = arguments[index - 1] if index > 0 else None
    no_starred = "max_time" not in found.options and judged.policy.deadline.source == "default"
    if following is not None:
        adjacent = following.line == span.end_line and following.column - span.end_column <= 2
        if no_starred or adjacent:
            return Span(span.line, span.column, following.line, following.column)
        return None
    if previous is not None:
        adjacent = previous.end_line == span.line and span.column - previous.end_column <= 2
        if no_starred or adjacent:
            return Span(previous.end_line, previous.end_column, span.end_line, span.end_column)
    return None
