"""Bare @retry: never stops, never waits (times in milliseconds)."""

import retrying
from retrying import retry


@retry(stop_max_attempt_number=5, wait_exponential_multiplier=1000, wait_exponential_max=3600000, wait_jitter_max=1000)
def import_csv(path):
    with open(path) as handle:
        return handle.read()


@retrying.retry(stop_max_attempt_number=5, wait_exponential_multiplier=1000, wait_exponential_max=3600000, wait_jitter_max=1000)
def import_json(path):
    with open(path) as handle:
        return handle.read()


@retry(retry_on_exception=lambda exc: isinstance(exc, OSError), stop_max_attempt_number=5, wait_exponential_multiplier=1000, wait_exponential_max=3600000, wait_jitter_max=1000)
def import_xml(path):
    with open(path) as handle:
        return handle.read()
