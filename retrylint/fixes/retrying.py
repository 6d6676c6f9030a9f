"""Fixes for the legacy ``retrying`` package (``frameworks.md`` 7.4); its times are milliseconds.

- ``bound_attempts`` (RL101, unsafe): ``stop_max_attempt_number=N``.
- ``cap_window`` (RL102, unsafe): ``stop_max_delay=<max-retry-window in ms>``; both stops apply,
  whichever comes first.
- ``add_backoff`` (RL201, safe): ``wait_exponential_multiplier=1000,
  wait_exponential_max=<max-backoff in ms>`` and, unless set, ``wait_jitter_max=1000``. retrying
  waits the *largest* of the configured kinds, so a ``wait_fixed`` / ``wait_random_*`` already
  there stays as the floor the exponential wait grows past; when that floor already reaches
  ``max-backoff`` the exponential wait would never show, and there is no fix.
- ``add_jitter`` (RL202, safe): ``wait_jitter_max=1000`` (up to 1 s added to every wait,
  whatever computes it).
- ``cap_backoff`` (RL203, safe): ``wait_exponential_max=<max-backoff in ms>``.

``stop=`` / ``stop_func=`` (``wait=`` / ``wait_func=``) replace retrying's own stop (wait)
computation, which then ignores the ``stop_max_*`` (``wait_*``) numbers: no stop (wait) fix then.
Options set to ``None`` count as not given, and are replaced rather than written twice.
"""

from __future__ import annotations

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Fix
from retrylint.fixes.tenacity import Target, make_fix, number, set_options, target
from retrylint.frameworks.defaults import RETRYING_MAX_WAIT
from retrylint.frameworks.retry_library.options import seconds

_JITTER_MS = 1000
_MULTIPLIER_MS = 1000  # retrying's first exponential wait is 2 * multiplier: 2 s


def _given(found: Target, name: str) -> bool:
    located = found.options.get(name)
    return located is not None and located.value is not None


def _ms(value: float) -> str:
    """Seconds (config) written as retrying's milliseconds."""
    return number(round(value * 1000, 3))


def bound_attempts(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None or _given(found, "stop") or _given(found, "stop_func"):
        return None
    attempts = project.config.default_max_attempts
    edits = set_options(found, [("stop_max_attempt_number", str(attempts))])
    return make_fix(
        "unsafe", f"give up after {attempts} attempts: stop_max_attempt_number={attempts}", edits
    )


def cap_window(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None or _given(found, "stop") or _given(found, "stop_func"):
        return None
    window = _ms(project.config.max_retry_window)
    edits = set_options(found, [("stop_max_delay", window)])
    return make_fix("unsafe", f"give up after {window} ms: stop_max_delay={window}", edits)


def add_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None or _given(found, "wait") or _given(found, "wait_func"):
        return None
    floor = judged.policy.delay.value.cap
    if floor is not None and floor >= project.config.max_backoff:
        return None
    cap = _ms(project.config.max_backoff)
    settings = [
        ("wait_exponential_multiplier", str(_MULTIPLIER_MS)),
        ("wait_exponential_max", cap),
    ]
    if not _jittered(found):
        settings.append(("wait_jitter_max", str(_JITTER_MS)))
    return make_fix(
        "safe",
        f"back off exponentially from 2 s up to {cap} ms, with up to {_JITTER_MS} ms of jitter",
        set_options(found, settings),
    )


def _jittered(found: Target) -> bool:
    jitter = found.options.get("wait_jitter_max")
    if jitter is None or jitter.value is None:
        return False
    size = seconds(jitter.value)
    return size is None or size > 0


def add_jitter(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None or _jittered(found):
        return None
    edits = set_options(found, [("wait_jitter_max", str(_JITTER_MS))])
    return make_fix("safe", f"add up to {_JITTER_MS} ms of jitter: wait_jitter_max=1000", edits)


def cap_backoff(judged: JudgedPolicy, project: Project) -> Fix | None:
    found = target(judged, project)
    if found is None or _given(found, "wait_func"):
        return None
    if project.config.max_backoff >= RETRYING_MAX_WAIT:
        return None  # retrying reads a max this long as "no max" (its MAX_WAIT sentinel)
    cap = _ms(project.config.max_backoff)
    edits = set_options(found, [("wait_exponential_max", cap)])
    return make_fix("safe", f"cap the exponential wait at wait_exponential_max={cap}", edits)
