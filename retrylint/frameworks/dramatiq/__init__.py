"""Dramatiq: ``@dramatiq.actor`` functions and ``GenericActor`` classes, and their brokers.

Dramatiq retries by default (``Retries`` middleware: 20 retries, exponential backoff from 15 s to
7 days, every ``BaseException``), so the interesting facts are the ones that change that: actor
options (milliseconds), a ``Retries(...)`` / ``TimeLimit(...)`` / ``AgeLimit(...)`` middleware
given to the broker, a broker whose ``middleware=[...]`` leaves ``Retries`` out, ``retry_when``
(which replaces ``max_retries``), ``throws`` (never retried) and per-message
``send_with_options(max_retries=...)`` overrides.

The rooms:

- ``names``: Dramatiq's own names and the keys of shared records;
- ``facts``: ``extract``, what one file says (actors, actor classes, brokers, middleware, hooks);
- ``from_declarations``: actor classes a file's declarations alone decide (the outline writes them
  without the parser);
- ``retry_when``: what a ``retry_when`` predicate allows;
- ``brokers``: the project's brokers, their configuration, and the broker of each actor;
- ``jobs``: ``build_jobs``, each actor's options in precedence order and its ``Job``.
"""

from __future__ import annotations

from retrylint.frameworks import exports

__getattr__ = exports(
    __name__,
    {
        "build_jobs": "jobs",
        "declared": "from_declarations",
        "extract": "facts",
        "SUBCLASS_DATA": "names",
    },
)
