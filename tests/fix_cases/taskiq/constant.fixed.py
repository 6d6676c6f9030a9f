"""RL201: a SmartRetryMiddleware with a constant delay gets use_delay_exponent and use_jitter."""

from taskiq import SmartRetryMiddleware
from taskiq_aio_pika import AioPikaBroker

broker = AioPikaBroker("amqp://localhost").with_middlewares(
    SmartRetryMiddleware(
        default_retry_count=4,
        default_delay=10,
        use_jitter=True,
        use_delay_exponent=True,
    ),
)


@broker.task(retry_on_error=True)
async def ingest(source_url):
    return source_url


@broker.task(retry_on_error=True, max_retries=2)
async def publish(batch_id):
    return batch_id
