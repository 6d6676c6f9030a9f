"""Reported without a fix."""

from rq import Queue, Retry

queue = Queue("default")
MAX_RETRIES = 50
RETRY = Retry(max=3)
HOURLY = 3600


def ping(host):
    return host


def check(host):
    # One retry: a one-value schedule is constant whatever it is, nothing can grow.
    queue.enqueue(ping, host, retry=Retry(max=1))
    # Already waits max-backoff (1 h): a capped list could not grow.
    queue.enqueue(ping, host, retry=Retry(max=3, interval=3600))
    # The Retry is held in a name: the fix would have to edit another statement.
    queue.enqueue(ping, host, retry=RETRY)
    # max is a name: lowering it would change every user of the constant.
    queue.enqueue(ping, host, retry=Retry(max=MAX_RETRIES, interval=HOURLY))
    # Even one retry waits longer than max-retry-window (6 h).
    queue.enqueue(ping, host, retry=Retry(max=2, interval=86400))
