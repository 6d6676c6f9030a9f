"""Bare @retry: retried forever, immediately."""

from tenacity import retry, stop_after_attempt, wait_random_exponential


@retry(stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=1, max=3600))
def ping(client):
    client.get("/health")


@retry(stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=1, max=3600))
def pong(client):
    client.get("/pong")
