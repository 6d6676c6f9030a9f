"""Numbers come from the config: default-max-attempts = 3, max-backoff = "90s"."""

from tenacity import (
    retry,
    stop_after_attempt,
    wait_random_exponential,
)


@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(multiplier=1, max=90))
def ping(client):
    client.get("/health")


@retry(wait=wait_random_exponential(multiplier=0.5, max=90), stop=stop_after_attempt(3))
def pong(client):
    client.get("/pong")
