"""backoff.constant becomes backoff.expo, capped at max-backoff.

A predicate retry polls for a state: a steady pace is its point, so it is left alone.
"""

import backoff as bo
from backoff import constant, on_predicate


@bo.on_exception(bo.expo, TimeoutError, max_tries=4, max_value=3600)
def fetch_rates(client):
    return client.get("/rates")


@on_predicate(constant, max_tries=10)
def wait_for_report(client, report_id):
    return client.get(f"/reports/{report_id}").get("ready")


@bo.on_exception(
    wait_gen=bo.expo,
    exception=TimeoutError,
    max_tries=4,
    max_value=3600,
)
def fetch_fees(client):
    return client.get("/fees")
