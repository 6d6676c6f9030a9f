"""arq: coroutine jobs registered in a ``WorkerSettings`` class (or ``Worker(functions=...)``).

arq never retries a job because it raised an ordinary exception: the job fails. It runs a job
again only when the job raises ``arq.Retry(defer=...)`` (the "retry signal"), or when the worker
is shut down or dies while the job runs ("pessimistic execution"). Both count against
``max_tries`` (total attempts: ``WorkerSettings.max_tries`` = 5, ``func(max_tries=...)`` per
function, cron jobs 1), and a job is neither started nor retried after it expires (1 day after
it was due by default). Sources: arq 0.28 ``worker.py`` (``run_job``), ``cron.py``,
``connections.py``.

``extract`` (``facts``) records every module-level coroutine of a file; the rooms:

- per file: ``facts``, the per-file phase; ``from_declarations``, the coroutines of a file naming arq
  nowhere (the outline writes them without the parser); ``registry``, ``WorkerSettings`` classes and ``Worker(...)`` calls with the
  functions and cron jobs they register; ``signals``, the ``raise Retry(defer=...)`` in a
  coroutine's body and the delay it asks for; ``records``, what both phases share;
- project: ``jobs``, ``build_jobs``, each registration joined with its coroutine and settings,
  its options in precedence order; ``policy``, what the retry signals and ``max_tries`` allow.
"""

from __future__ import annotations

from retrylint.frameworks import exports

__getattr__ = exports(
    __name__,
    {
        "build_jobs": "jobs",
        "declared": "from_declarations",
        "extract": "facts",
        "COROUTINE_DATA": "records",
    },
)
