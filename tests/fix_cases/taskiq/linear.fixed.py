"""RL202: linear delays without jitter get use_jitter=True."""

from taskiq import SmartRetryMiddleware
from taskiq_redis import ListQueueBroker

broker = ListQueueBroker("redis://localhost").with_middlewares(
    SmartRetryMiddleware(use_delay_exponent=True, use_jitter=True, max_delay_exponent=120)
)
other = ListQueueBroker("redis://localhost").with_middlewares(
    SmartRetryMiddleware(
        use_delay_exponent=True,
        max_delay_exponent=300,
        use_jitter=True,
    )
)


@broker.task(retry_on_error=True)
async def score(user_id):
    return user_id


@other.task(retry_on_error=True)
async def rank(user_id):
    return user_id
