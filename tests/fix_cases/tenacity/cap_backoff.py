"""Exponential waits without max= get one, also inside a sum."""

import tenacity as t
from tenacity import retry, wait_exponential, wait_random, wait_random_exponential


@retry(stop=t.stop_after_attempt(20), wait=wait_random_exponential(multiplier=2))
def fetch_prices(client):
    return client.get("/prices")


@retry(stop=t.stop_after_attempt(20), wait=wait_exponential() + wait_random(0, 1))
def fetch_stock(client):
    return client.get("/stock")


@t.retry(
    stop=t.stop_after_attempt(20),
    wait=t.wait_exponential_jitter(
        initial=1,
        jitter=2,
    ),
)
def fetch_orders(client):
    return client.get("/orders")
