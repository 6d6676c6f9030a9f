"""One policy object shared by two functions: the shared call is fixed once."""

import tenacity

api_retry = tenacity.retry(wait=tenacity.wait_fixed(1), reraise=True)


@api_retry
def list_orders(client):
    return client.get("/orders")


@api_retry
def list_refunds(client):
    return client.get("/refunds")
