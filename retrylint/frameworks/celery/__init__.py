"""Celery: tasks (decorated functions and ``Task`` classes), app configuration, retry policies.

``extract`` records what one file says and nothing more; ``build_jobs`` (``jobs``) resolves
it across the project. Each decision is written down in the module that makes it, checked against
celery 5.7.0 where it is behaviour. The rooms:

- ``names``: the names both halves read (the framework, Celery's own objects, task options);
- ``per_file``: ``extract``, the per-file phase, calling the rooms below;
  ``from_declarations``: what a file's declarations alone decide (the outline writes it
  without the parser);
- ``facts``: app objects, task decorators and task classes in one file;
- ``countdown``: ``retry`` calls in task bodies, helpers retrying a task, countdown shapes;
- ``config``: app configuration, per file and per app;
- ``hooks``: ``task_failure`` signals, ``on_failure``, ``link_error``, per file and per task;
- ``options``: an option's value with its provenance, and Celery's precedence between them;
- ``index``: everything ``build_jobs`` needs, indexed once;
- ``jobs``: which decorators are Celery's, each task's options and retry paths, its ``Job``;
- ``policy``: the effective policy of a task (frameworks.md 1.4).
"""

from __future__ import annotations

from retrylint.frameworks import exports

__getattr__ = exports(
    __name__, {"build_jobs": "jobs", "declared": "from_declarations", "extract": "per_file"}
)
