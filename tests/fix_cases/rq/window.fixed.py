"""RL102: the retries outlast max-retry-window (6 h); the fix lowers max (and cuts the list)."""

from rq import Queue, Retry

queue = Queue("default")


def sync_crm(contact_id):
    return contact_id


def sync(contact_id):
    queue.enqueue(sync_crm, contact_id, retry=Retry(max=6, interval=3600))
    queue.enqueue(
        sync_crm,
        contact_id,
        retry=Retry(max=10, interval=[60, 120, 300, 600, 1800, 3600, 3600, 3600, 3600, 3600]),
    )
    queue.enqueue(sync_crm, contact_id, retry=Retry(max=31, interval=[600, 3600]))
