"""wait_exponential without jitter becomes wait_random_exponential, arguments kept."""

import tenacity as t
from tenacity import (
    retry,
    stop_after_attempt,
    wait_random_exponential,
)


@retry(stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=1, max=60))
def fetch_token(client):
    return client.post("/token")


@retry(stop=stop_after_attempt(5), wait=wait_random_exponential(0.5, 30))
def fetch_profile(client):
    return client.get("/me")


@t.retry(stop=t.stop_after_attempt(4), wait=t.wait_random_exponential(
    multiplier=2,
    max=120,
))
def fetch_settings(client):
    return client.get("/settings")
