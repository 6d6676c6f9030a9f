"""Several rules on one task: fixes that touch one node are applied in turn, round by round."""

import random

from celery import Celery

app = Celery("shop")


@app.task(autoretry_for=(ConnectionError,), max_retries=4, retry_backoff=True, retry_backoff_max=3600, retry_jitter=True)
def refresh_rates(currency):
    return currency


@app.task(bind=True, max_retries=14)
def sync_catalog(self, shop_id):
    try:
        return shop_id
    except ConnectionError as exc:
        raise self.retry(exc=exc, countdown=random.uniform(0, min(3600, 2**self.request.retries)))
