"""Findings with no mechanical fix."""

import backoff


# RL201: interval= is for constant only; backoff.expo would get it too.
@backoff.on_exception(backoff.constant, ConnectionError, max_tries=5, interval=5)
def poll_export(client):
    return client.get("/export")


# RL203: a lambda as wait_gen takes no max_value.
@backoff.on_exception(lambda: backoff.expo(factor=2), ConnectionError, max_tries=20)
def fetch_prices(client):
    return client.get("/prices")
