"""Bounded loops whose delays grow without jitter or cap."""

import requests
from retrylint.guard import RetryBudget


def fetch_orders(client, since):
    retry_budget = RetryBudget(attempts=4, base=1, cap=3600)
    for attempt in range(4):
        try:
            return client.get_orders(since)
        except (requests.ConnectionError, requests.Timeout):
            retry_budget.sleep()
    raise RuntimeError("orders unavailable")


def push(client, payload):
    delay = 30
    retry_budget = RetryBudget(attempts=12, base=30, cap=3600)
    for _ in range(12):
        try:
            return client.post(payload)
        except requests.Timeout:
            retry_budget.sleep()
            delay *= 2
