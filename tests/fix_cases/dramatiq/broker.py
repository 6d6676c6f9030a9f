"""RL101 and RL102 decided by the broker's Retries middleware: fixed there, for every actor."""

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, Retries, TimeLimit

broker = RedisBroker(
    url="redis://localhost:6379/0",
    middleware=[
        AgeLimit(),
        TimeLimit(),
        Retries(
            max_retries=40,
            min_backoff=1_000,
        ),
    ],
)
dramatiq.set_broker(broker)


@dramatiq.actor
def reconcile(account_id):
    return account_id


@dramatiq.actor(queue_name="reports")
def build_report(report_id):
    return report_id
