"""Many attempts with long waits: more than max-retry-window in total."""

from retrying import retry


@retry(stop_max_attempt_number=100, wait_exponential_multiplier=1000, wait_exponential_max=600000, wait_jitter_max=1000, stop_max_delay=21600000)
def sync_catalog(client):
    client.post("/catalog/sync")
