"""backoff.expo / backoff.fibo without max_value grow without limit."""

import backoff


@backoff.on_exception(backoff.expo, ConnectionError, max_tries=15)
def fetch_catalog(client, shop_id):
    return client.get(f"/catalog/{shop_id}")


@backoff.on_exception(backoff.fibo, ConnectionError, max_tries=20)
def fetch_prices(client, shop_id):
    return client.get(f"/prices/{shop_id}")


@backoff.on_predicate(backoff.expo, max_tries=30, factor=2)
def wait_for_sync(client):
    return client.get("/sync").get("done")
