"""Numbers come from the config: default-max-attempts = 3, max-backoff = "90s"."""

from tenacity import retry, wait_exponential


@retry
def ping(client):
    client.get("/health")


@retry(wait=wait_exponential(multiplier=0.5))
def pong(client):
    client.get("/pong")
