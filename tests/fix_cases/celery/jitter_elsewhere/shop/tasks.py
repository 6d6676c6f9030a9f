"""RL202 where retry_jitter=False comes from a base class in another module: the decorator's
retry_jitter beats the base class's, so the fix goes to the task's own decorator."""

from celery import Celery

from shop.base import LockstepTask

app = Celery("shop")


@app.task(base=LockstepTask, autoretry_for=(ConnectionError,), retry_backoff=2)
def refresh_rates(currency):
    return currency
