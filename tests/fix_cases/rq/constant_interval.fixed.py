"""RL201: a single int interval is the same delay before every retry."""

from datetime import timedelta

from rq import Queue, Retry

low = Queue("low")


def purge_cache(prefix):
    return prefix


def schedule_purge(prefix):
    low.enqueue_in(timedelta(minutes=5), purge_cache, prefix, retry=Retry(2, [15, 30]))
    low.enqueue_call(func=purge_cache, args=(prefix,), retry=Retry(max=4, interval=[30, 60, 120, 240]))
    low.enqueue(purge_cache, prefix, retry=Retry(interval=[45, 90, 180], max=3))
    low.enqueue(purge_cache, prefix, retry=Retry(max=12, interval=[600, 1200, 2400, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600]))
