"""tenacity decorators applied by hand, and one factory: the edit goes in the retry(...) call."""

import tenacity
from tenacity import retry, stop_after_attempt, wait_fixed


def _refresh(client):
    return client.refresh()


def _ping(client):
    return client.ping()


refresh = retry(stop=stop_after_attempt(4), wait=wait_fixed(2))(_refresh)
ping = tenacity.retry()(_ping)


def sync_retry():
    return tenacity.retry(stop=stop_after_attempt(3), wait=wait_fixed(1))


@sync_retry()
def sync_orders(client):
    return client.sync("orders")


@sync_retry()
def sync_stock(client):
    return client.sync("stock")
