"""Bounded attempts whose waits add up to more than max-retry-window."""

import tenacity as t
from tenacity import (
    Retrying,
    retry,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)


@retry(stop=stop_after_attempt(30) | stop_after_delay(21600), wait=wait_random_exponential(multiplier=1, max=3600))
def sync_catalogue(client):
    client.post("/catalogue/sync")


@t.retry(
    stop=t.stop_after_attempt(40) | t.stop_after_delay(21600),
    wait=t.wait_random_exponential(multiplier=1, max=1800),
)
def sync_prices(client):
    client.post("/prices/sync")


def sync_stock(client):
    for attempt in Retrying(stop=stop_after_attempt(100) | stop_after_delay(21600), wait=wait_random_exponential(max=600)):
        with attempt:
            client.post("/stock/sync")
