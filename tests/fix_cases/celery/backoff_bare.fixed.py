"""RL201 where task_annotations turn autoretry on: the decorator gets the backoff keywords."""

from celery import Celery, shared_task

app = Celery("shop")
app.conf.task_annotations = {"*": {"autoretry_for": (ConnectionError,)}}


@app.task(retry_backoff=True, retry_backoff_max=3600, retry_jitter=True)
def refresh_rates(currency):
    return currency


@app.task(retry_backoff=True, retry_backoff_max=3600, retry_jitter=True)
def refresh_fees(currency):
    return currency


@shared_task(retry_backoff=True, retry_backoff_max=3600, retry_jitter=True)
def refresh_limits(currency):
    return currency
