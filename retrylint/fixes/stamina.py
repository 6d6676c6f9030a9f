"""Fixes for ``@stamina.retry`` / ``stamina.retry_context`` (``frameworks.md`` 7.3).

stamina bounds, backs off, caps and jitters by default; these fixes undo the options that turned
that off:

- ``bound_attempts`` (RL101, unsafe): ``attempts=None`` (with ``timeout=None``) -> ``attempts=N``.
- ``cap_window`` (RL102, unsafe): ``timeout=<max-retry-window>`` (replacing ``None`` or a longer
  one).
- ``add_backoff`` (RL201, safe): ``wait_exp_base=1`` (or less) -> ``2``, stamina's default, when
  ``wait_initial`` is above zero (growing from zero stays zero: no fix).
- ``add_jitter`` (RL202, safe): ``wait_jitter=0`` -> ``1``, stamina's default.

The new values replace the options in place, so a positional ``retry_context(E, None, None)``
is fixed too.
"""

from __future__ import annotations

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Fix
from retrylint.fixes.tenacity import make_fix, number, set_options, target
from retrylint.frameworks.defaults import STAMINA_WAIT_EXP_BASE, STAMINA_WAIT_JITTER
from retrylint.frameworks.retry_library.options import seconds
from retrylint.values import is_number


def bound_attempts(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None:
        return None
    attempts = project.config.default_max_attempts
    edits = set_options(found, [("attempts", str(attempts))])
    return make_fix("unsafe", f"give up after {attempts} attempts: attempts={attempts}", edits)


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None:
        return None
    window = number(project.config.max_retry_window)
    edits = set_options(found, [("timeout", window)])
    return make_fix("unsafe", f"give up after {window} s: timeout={window}", edits)


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None:
        return None
    exp_base = found.own("wait_exp_base")
    initial = found.options.get("wait_initial")
    if exp_base is None or not (is_number(exp_base.value) and exp_base.value <= 1):  # type: ignore[operator]
        return None
    if initial is not None and not (seconds(initial.value) or 0) > 0:
        return None
    base = number(STAMINA_WAIT_EXP_BASE)
    edits = set_options(found, [("wait_exp_base", base)])
    return make_fix("safe", f"back off exponentially: wait_exp_base={base} (the default)", edits)


def add_jitter(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None:
        return None
    jitter = found.own("wait_jitter")
    if jitter is None or seconds(jitter.value) != 0:
        return None
    size = number(STAMINA_WAIT_JITTER)
    edits = set_options(found, [("wait_jitter", size)])
    return make_fix(
        "unsafe", f"add up to {size} s of jitter: wait_jitter={size} (the default)", edits
    )
