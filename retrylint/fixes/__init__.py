"""Fix builders for the retry-policy rules, one module per framework.

A rule decides *that* something is wrong from the job model; how to repair it is framework
syntax, so it lives here: ``retrylint/fixes/celery.py`` knows to add ``retry_backoff=True``,
``retrylint/fixes/tenacity.py`` knows ``wait=wait_random_exponential(...)``. Each module may
define any of these builders, each returning a ``Fix`` or None (no mechanical fix):

- ``bound_attempts(judged, project)``   RL101: insert a bound (``default-max-attempts``)
- ``cap_window(judged, project)``       RL102: cap the total retry time (``max-retry-window``)
- ``add_backoff(judged, project)``      RL201: growing delays instead of constant ones
- ``add_jitter(judged, project)``       RL202: randomness in growing delays
- ``cap_backoff(judged, project)``      RL203: a maximum for growing delays (``max-backoff``)
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from retrylint.checks import Project
from retrylint.checks.policy import JudgedPolicy
from retrylint.findings import Fix


@cache
def _module(framework: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"retrylint.fixes.{framework}")
    except ModuleNotFoundError as error:
        if error.name != f"retrylint.fixes.{framework}":
            raise
        return None


def build_fix(action: str, judged: JudgedPolicy, project: Project) -> Fix | None:
    module = _module(judged.job.framework)
    builder = getattr(module, action, None) if module else None
    return builder(judged, project) if builder else None
