"""Handwritten retry and poll loops: ``while True: try: ...; break except X: sleep(...)``.

No framework describes these loops, so the adapter reads their policy off the code, in rooms:

- ``shapes``: which loops are jobs -- attempt loops whose body retries an operation or polls;
- ``inputs``: whether each pass re-attempts the same work or moves on to new input;
- ``observation``: whether a poll watches something outside the process, and the failure
  statuses a checked result retries;
- ``exceptions``: what a loop retries on, and what it gives up on;
- ``recursion``: a function that sleeps and calls itself again on a failure, as a loop;
- ``replay``: the failing path of one iteration as events, replayed to count the attempts, with
  ``evaluator`` computing the numbers the loop's names hold on the way;
- ``deadlines``: clock comparisons solved into seconds;
- ``delays``: the sleep between attempts, classified;
- ``jobs``: the ``Job`` of one loop, from the paths through it;
- ``syntax``: the tree reading all of them share.

The jobs are finished per file (``build_jobs`` has nothing to add): a constant imported from
another module is not seen, so a bound or delay that depends on one is UNKNOWN.
"""

from __future__ import annotations

import libcst as cst

from retrylint.context import FileContext, LoopInfo
from retrylint.frameworks import FactSink
from retrylint.frameworks.loops.inputs import (
    is_same_work,
    one_retry_after_a_lost_race,
    var_used_as_data,
)
from retrylint.frameworks.loops.jobs import build_job
from retrylint.frameworks.loops.observation import observes_the_outside
from retrylint.frameworks.loops.recursion import recursive_retries
from retrylint.frameworks.loops.shapes import (
    SLEEP_FUNCTIONS,
    asks_the_user,
    calls_len,
    find_retry,
    is_poll,
    loop_header,
    sleep_calls,
)
from retrylint.frameworks.loops.syntax import CHILDREN, block, top_level
from retrylint.model import Job


def extract(ctx: FileContext, sink: FactSink) -> None:
    has_sleep = any(ctx.qualify(call.node.func) in SLEEP_FUNCTIONS for call in ctx.calls)
    if not ctx.loops and not has_sleep:
        return
    CHILDREN.clear()
    try:
        for info in ctx.loops:
            if not has_sleep and not _has_top_level_try(info.node):
                continue  # neither a retry (needs a try) nor a poll (needs a sleep)
            job = _analyse_loop(ctx, info)
            if job is not None:
                sink.jobs.append(job)
        if has_sleep:  # a recursive retry sleeps before it calls itself again
            sink.jobs.extend(recursive_retries(ctx))
    finally:
        CHILDREN.clear()


def _has_top_level_try(loop: cst.While | cst.For) -> bool:
    return any(isinstance(s, cst.Try) for s in top_level(block(loop.body)))


def build_jobs(project: object) -> tuple[Job, ...]:
    return ()


def _analyse_loop(ctx: FileContext, info: LoopInfo) -> Job | None:
    """The retry-loop job for one loop, or None when the loop neither retries nor polls."""
    loop = info.node
    header = loop_header(ctx, loop)
    if header is None:
        return None
    body = block(loop.body)
    if header.var is not None and var_used_as_data(ctx, body, header.var):
        return None
    if isinstance(loop, cst.While) and calls_len(loop.test):
        return None  # while len(items) > 0: consuming a collection
    if asks_the_user(ctx, loop):
        return None  # "press any key", re-prompting until the answer is valid: a person waits
    retry = find_retry(ctx, loop, body)
    if retry is not None and not is_same_work(ctx, loop, body, retry):
        return None
    sleeps = sleep_calls(ctx, body)
    if retry is None and not (
        is_poll(ctx, loop, body, sleeps) and observes_the_outside(ctx, loop, body)
    ):
        return None  # no failing operation: a wait for a local condition, or other work
    job = build_job(ctx, info, header, body, retry, sleeps)
    if job.policy.max_attempts.value == 1:
        return None  # the loop runs once (`retried = True` after the first pass): no retry
    if retry is not None and one_retry_after_a_lost_race(ctx, retry, job.policy):
        return None
    return job
