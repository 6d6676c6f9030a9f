"""Bounded loops whose delays grow without jitter or cap."""
from time import sleep as pause

import requests


def fetch_orders(client, since):
    for attempt in range(4):
        try:
            return client.get_orders(since)
        except (requests.ConnectionError, requests.Timeout):
            pause(2 ** attempt)
    raise RuntimeError("orders unavailable")


def push(client, payload):
    delay = 30
    for _ in range(12):
        try:
            return client.post(payload)
        except requests.Timeout:
            pause(delay)
            delay *= 2
