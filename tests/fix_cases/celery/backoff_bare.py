"""RL201 where task_annotations turn autoretry on: the decorator gets the backoff keywords."""

from celery import Celery, shared_task

app = Celery("shop")
app.conf.task_annotations = {"*": {"autoretry_for": (ConnectionError,)}}


@app.task
def refresh_rates(currency):
    return currency


@app.task()
def refresh_fees(currency):
    return currency


@shared_task
def refresh_limits(currency):
    return currency
