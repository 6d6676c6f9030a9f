"""RL203: a countdown doubling with every retry and no maximum grows to days."""

import random as rnd
from random import uniform

from celery import Celery

app = Celery("shop")


@app.task(bind=True, max_retries=20)
def sync_catalog(self, shop_id):
    try:
        return shop_id
    except ConnectionError as exc:
        raise self.retry(exc=exc, countdown=2**self.request.retries)


@app.task(bind=True, max_retries=15)
def sync_prices(self, shop_id):
    try:
        return shop_id
    except ConnectionError as exc:
        raise self.retry(exc=exc, countdown=rnd.uniform(0, 10 * 2**self.request.retries))


@app.task(bind=True, max_retries=15)
def sync_stock(self, sku):
    try:
        return sku
    except ConnectionError as exc:
        raise self.retry(exc=exc, countdown=uniform(1, 2**self.request.retries * 30))
