"""Multi-line decorators, with and without a trailing comma."""

import logging

from tenacity import (
    before_sleep_log,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

log = logging.getLogger(__name__)


@retry(
    wait=wait_random_exponential(multiplier=1, max=3600),
    retry=retry_if_exception_type(ConnectionError),
    before_sleep=before_sleep_log(log, logging.WARNING),
    stop=stop_after_attempt(5),
)
def sync_orders(api):
    api.sync("orders")


@retry(
    retry=retry_if_exception_type(ConnectionError),
    reraise=True,
    wait=wait_random_exponential(multiplier=1, max=3600),
    stop=stop_after_attempt(5)
)
def sync_refunds(api):
    api.sync("refunds")


@retry(retry=retry_if_exception_type(ConnectionError),
       reraise=True,
       wait=wait_random_exponential(multiplier=1, max=3600),
       stop=stop_after_attempt(5))
def sync_customers(api):
    api.sync("customers")
