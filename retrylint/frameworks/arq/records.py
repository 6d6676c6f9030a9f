"""What the two phases of the arq adapter share: the keys under which the per-file phase stores
its records in ``FileFacts.data``, and the records.

A job's body and its registration are usually in different modules (``jobs.py`` holds the
coroutines, ``worker.py`` the settings), so the per-file phase records both halves in
``FileFacts.data``: every module-level coroutine with the retry signals it raises
(:class:`Coroutine`), and every registration with its settings (:class:`Registration`,
:class:`Settings`). ``build_jobs`` joins them through the project's imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrylint.facts import CallShape
from retrylint.model import Delay, Marker, Span
from retrylint.values import Located

FRAMEWORK = "arq"
COROUTINE_DATA = "arq.coroutine"
REGISTRATION_DATA = "arq.registration"
SETTINGS_DATA = "arq.settings"


@dataclass(frozen=True)
class RetrySignal:
    """One ``raise Retry(...)`` in a job body.

    ``handled`` is what the enclosing ``except`` clause catches (``"all"`` for a bare one), or
    None when the raise is not inside a handler (a condition, not an exception, triggers it).
    """

    span: Span
    code: str
    delay: Delay
    handled: tuple[str, ...] | Literal["all"] | Marker | None


@dataclass(frozen=True)
class Coroutine:
    """A module-level ``async def`` that a WorkerSettings somewhere may register."""

    function: str
    span: Span
    signals: tuple[RetrySignal, ...]
    reads_job_result: bool = False  # calls result_info() / result(): a worker hook seeing failures


@dataclass(frozen=True)
class Settings:
    """A ``WorkerSettings``-style class or a ``Worker(...)`` call: the worker-wide options."""

    scope: str  # "$.WorkerSettings", "$.<Worker@12>"
    label: str  # "WorkerSettings", "Worker(...)"
    span: Span
    options: tuple[tuple[str, Located], ...]


@dataclass(frozen=True)
class Registration:
    """One entry of ``functions = [...]`` or ``cron_jobs = [...]``."""

    settings: str  # the Settings.scope it belongs to
    target: str  # qualified reference ("$.download", ".jobs.download") or an import string
    by_string: bool
    name: str | None  # func(name=...) / cron(name=...) when a literal
    span: Span
    options: tuple[tuple[str, Located], ...]
    cron: bool
    shape: CallShape | None  # the func(...) / cron(...) call, for fixes adding max_tries=
