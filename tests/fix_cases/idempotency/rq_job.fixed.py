"""RL401 in an RQ job: the key comes from get_current_job().id; the import is added."""

import stripe
from redis import Redis
from rq import Queue, Retry, get_current_job

queue = Queue(connection=Redis())


def refund(charge_id):
    stripe.Refund.create(charge=charge_id, idempotency_key=f"{get_current_job().id}:stripe.Refund.create")


def schedule(charge_id):
    queue.enqueue(refund, charge_id, retry=Retry(max=2, interval=[30, 300]))
