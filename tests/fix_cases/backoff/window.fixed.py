"""Many tries with long waits: more than max-retry-window in total."""

import backoff


@backoff.on_exception(backoff.expo, ConnectionError, max_tries=50, max_value=3600, max_time=21600)
def sync_catalog(client):
    client.post("/catalog/sync")


@backoff.on_exception(backoff.expo, ConnectionError, max_tries=50, max_value=600, max_time=21600)
def sync_prices(client):
    client.post("/prices/sync")
