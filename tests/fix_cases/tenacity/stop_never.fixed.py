"""Stops that never stop: stop_never is replaced, a never-stopping combination is bounded."""

import tenacity
from tenacity import retry, stop_after_attempt, stop_never, wait_random_exponential


@retry(stop=stop_after_attempt(5), wait=wait_random_exponential(max=60))
def poll_export(client, export_id):
    return client.get(f"/exports/{export_id}")


@retry(stop=stop_after_attempt(3) & stop_never | stop_after_attempt(5), wait=wait_random_exponential(max=60))
def poll_import(client, import_id):
    return client.get(f"/imports/{import_id}")


@tenacity.retry(stop=tenacity.stop_after_attempt(5), wait=tenacity.wait_random_exponential(max=60))
def poll_report(client, report_id):
    return client.get(f"/reports/{report_id}")
