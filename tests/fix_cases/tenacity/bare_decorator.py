"""Bare @retry: retried forever, immediately."""

from tenacity import retry


@retry
def ping(client):
    client.get("/health")


@retry()
def pong(client):
    client.get("/pong")
