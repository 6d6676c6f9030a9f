"""RL101: max_retries=None on the decorator retries forever; in retry_kwargs it does not."""

import celery
from celery import Celery
from celery import shared_task as st

app = Celery("shop")


@app.task(autoretry_for=(ConnectionError,), max_retries=4, retry_backoff=True)
def refresh_rates(currency):
    return currency


@celery.shared_task(bind=True, max_retries=4)
def send_receipt(self, order_id):
    try:
        return order_id
    except OSError as exc:
        raise self.retry(exc=exc, countdown=30)


@st(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=4,
)
def sync_stock(sku):
    return sku


# retry_kwargs={"max_retries": None} means "the task's default" (3), not forever: no finding.
@st(autoretry_for=(OSError,), retry_kwargs={"max_retries": None}, retry_backoff=True)
def warm_cache(key):
    return key
