"""A project factory returning backoff.on_exception(...): one edit in the factory serves all."""

import backoff


def api_retry(max_tries=4):
    return backoff.on_exception(backoff.expo, (ConnectionError, TimeoutError), max_tries=max_tries)


@api_retry()
def fetch_rates(session):
    return session.get("https://rates.example/today", timeout=5).json()


@api_retry()
def fetch_holidays(session):
    return session.get("https://rates.example/holidays", timeout=5).json()


def _fetch_currencies(session):
    return session.get("https://rates.example/currencies", timeout=5).json()


currencies = backoff.on_exception(backoff.expo, ConnectionError, max_tries=3)(
    _fetch_currencies
)
