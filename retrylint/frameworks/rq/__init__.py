"""RQ (and django-rq): jobs are plain functions; their retry policy is set where they are enqueued.

What is an RQ job here: a function passed to ``enqueue`` / ``enqueue_call`` / ``enqueue_in`` /
``enqueue_at`` / ``Queue.prepare_data`` (the items of ``enqueue_many``) on an RQ queue, or to
``rq.job.Job.create`` / ``django_rq.enqueue``, by reference or as a dotted string; and a function
decorated with ``rq.decorators.job(...)`` / ``django_rq.job`` (bare or called), whose
``.delay()`` / ``.enqueue()`` calls enqueue it with the decorator's options.

The adapter's two phases live in separate modules, and the per-file ones never import the
project ones:

- per file: ``facts`` records what each file says, ``wrappers`` the enqueue wrappers it defines
  and the calls that may go through one, ``from_declarations`` what its declarations alone decide (the
  outline writes it without the parser); ``records`` holds the keys and records both phases
  share;
- project: ``resolve`` decides which receivers are RQ queues, ``sites`` which calls enqueue
  which job with which options, ``policy`` what those options mean, and ``jobs`` makes one
  ``Job`` of each job's sites.
"""

from __future__ import annotations

from retrylint.frameworks import exports

__getattr__ = exports(
    __name__, {"build_jobs": "jobs", "declared": "from_declarations", "extract": "facts"}
)
