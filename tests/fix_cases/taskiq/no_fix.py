"""Reported without a fix."""

from taskiq import InMemoryBroker, SimpleRetryMiddleware, SmartRetryMiddleware

simple = InMemoryBroker().with_middlewares(SimpleRetryMiddleware())
zero = InMemoryBroker().with_middlewares(SmartRetryMiddleware(default_delay=0))
patient = InMemoryBroker().with_middlewares(SmartRetryMiddleware(default_retry_count=500))
slow = InMemoryBroker().with_middlewares(SmartRetryMiddleware(default_delay=2400))


@simple.task(retry_on_error=True)
async def thumbnail(image_id):
    # RL201: SimpleRetryMiddleware has no delay option at all.
    return image_id


@zero.task(retry_on_error=True)
async def warm(key):
    # RL201: delay * retries stays 0.
    return key


@patient.task(retry_on_error=True)
async def reconcile(account_id):
    # RL201: growing delays over 499 retries would pass max-retry-window (RL102).
    return account_id


@slow.task(retry_on_error=True)
async def archive(batch_id):
    # RL201: one delay is already more than half of max-backoff.
    return batch_id
