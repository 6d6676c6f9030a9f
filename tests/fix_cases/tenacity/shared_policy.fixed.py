"""One policy object shared by two functions: the shared call is fixed once."""

import tenacity

api_retry = tenacity.retry(wait=tenacity.wait_random_exponential(multiplier=1, max=3600), reraise=True, stop=tenacity.stop_after_attempt(5))


@api_retry
def list_orders(client):
    return client.get("/orders")


@api_retry
def list_refunds(client):
    return client.get("/refunds")
