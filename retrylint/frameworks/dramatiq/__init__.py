"""Dramatiq: ``@dramatiq.actor`` functions and ``GenericActor`` classes, and their brokers.

Dramatiq retries by default (``Retries`` middleware: 20 retries, exponential backoff from 15 s to
7 days, every ``BaseException``), so the interesting facts are the ones that change that: actor
options (milliseconds), a ``Retries(...)`` / ``TimeLimit(...)`` / ``AgeLimit(...)`` middleware
given to the broker, a broker whose ``middleware=[...]`` leaves ``Retries`` out, ``retry_when``
(which replaces ``max_retries``), ``throws`` (never retried) and per-message
``send_with_options(max_retries=...)`` overrides.

The rooms:

- ``facts``: ``extract``, what one file says (actors, actor classes, brokers, middleware, hooks);
- ``retry_when``: what a ``retry_when`` predicate allows;
- ``brokers``: the project's brokers, their configuration, and the broker of each actor;
- ``jobs``: ``build_jobs``, each actor's options in precedence order and its ``Job``.
"""

from __future__ import annotations

from retrylint.frameworks.dramatiq.facts import SUBCLASS_DATA, declared, extract
from retrylint.frameworks.dramatiq.jobs import build_jobs

__all__ = ["SUBCLASS_DATA", "build_jobs", "declared", "extract"]
