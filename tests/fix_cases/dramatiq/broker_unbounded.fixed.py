"""RL101 decided by a Retries middleware added to the broker."""

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.middleware import Retries

rabbit = RabbitmqBroker(host="rabbit")
rabbit.add_middleware(Retries(max_retries=4, min_backoff=5_000))
dramatiq.set_broker(rabbit)


@dramatiq.actor
def import_feed(feed_id):
    return feed_id
