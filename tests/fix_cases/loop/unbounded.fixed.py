"""A loop that retries forever, every 10 seconds."""

import logging

import requests
from retrylint.guard import RetryBudget

log = logging.getLogger(__name__)


def refresh_rates(cache):
    retry_budget = RetryBudget(attempts=5, base=10, cap=3600)
    while True:
        try:
            cache.update(requests.get("https://rates.example/today", timeout=5).json())
            return
        except requests.RequestException:
            log.exception("rates unavailable, retrying")
            retry_budget.sleep()
