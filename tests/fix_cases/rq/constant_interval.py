"""RL201: a single int interval is the same delay before every retry."""

from datetime import timedelta

from rq import Queue, Retry

low = Queue("low")


def purge_cache(prefix):
    return prefix


def schedule_purge(prefix):
    low.enqueue_in(timedelta(minutes=5), purge_cache, prefix, retry=Retry(2, 15))
    low.enqueue_call(func=purge_cache, args=(prefix,), retry=Retry(max=4, interval=30))
    low.enqueue(purge_cache, prefix, retry=Retry(interval=[45, 45], max=3))
    low.enqueue(purge_cache, prefix, retry=Retry(max=12, interval=600))
