"""Bare @retry: never stops, never waits (times in milliseconds)."""

import retrying
from retrying import retry


@retry
def import_csv(path):
    with open(path) as handle:
        return handle.read()


@retrying.retry()
def import_json(path):
    with open(path) as handle:
        return handle.read()


@retry(retry_on_exception=lambda exc: isinstance(exc, OSError), stop_max_attempt_number=None)
def import_xml(path):
    with open(path) as handle:
        return handle.read()
