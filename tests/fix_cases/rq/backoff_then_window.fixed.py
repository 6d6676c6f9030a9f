"""RL201 and RL102 together: the growing list makes the window too long, so max comes down."""

from rq import Queue, Retry

queue = Queue("default")


def charge(order_id):
    return order_id


def pay(order_id):
    queue.enqueue(charge, order_id, retry=Retry(7, [600, 1200, 2400, 3600, 3600, 3600, 3600]))
