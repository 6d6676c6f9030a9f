"""RL401 in a Dramatiq actor whose broker runs CurrentMessage: the key is the message id."""

import dramatiq
import stripe
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

broker = RedisBroker()
broker.add_middleware(CurrentMessage())
dramatiq.set_broker(broker)


@dramatiq.actor(max_retries=2)
def pay_out(account, amount):
    stripe.Transfer.create(amount=amount, currency="eur", destination=account)
