"""RL201 with Retry reached through a module alias or an import alias: no import is added."""

import rq
import rq as r
from rq import Queue
from rq import Retry as R

queue = Queue("default")


def sync_account(account_id):
    return account_id


def sync(account_id):
    queue.enqueue(sync_account, account_id, retry=rq.Retry(max=2))
    queue.enqueue(sync_account, account_id, retry=r.Retry(max=2, interval=5))
    queue.enqueue(sync_account, account_id, retry=R(max=2, interval=60))
