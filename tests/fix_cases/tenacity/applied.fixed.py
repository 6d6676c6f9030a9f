"""tenacity decorators applied by hand, and one factory: the edit goes in the retry(...) call."""

import tenacity
from tenacity import retry, stop_after_attempt, wait_random_exponential


def _refresh(client):
    return client.refresh()


def _ping(client):
    return client.ping()


refresh = retry(stop=stop_after_attempt(4), wait=wait_random_exponential(multiplier=1, max=3600))(_refresh)
ping = tenacity.retry(stop=tenacity.stop_after_attempt(5), wait=tenacity.wait_random_exponential(multiplier=1, max=3600))(_ping)


def sync_retry():
    return tenacity.retry(stop=stop_after_attempt(3), wait=wait_random_exponential(multiplier=1, max=3600))


@sync_retry()
def sync_orders(client):
    return client.sync("orders")


@sync_retry()
def sync_stock(client):
    return client.sync("stock")
