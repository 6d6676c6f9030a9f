"""Multi-line decorators, with and without a trailing comma."""

import logging

from tenacity import before_sleep_log, retry, retry_if_exception_type, wait_fixed

log = logging.getLogger(__name__)


@retry(
    wait=wait_fixed(5),
    retry=retry_if_exception_type(ConnectionError),
    before_sleep=before_sleep_log(log, logging.WARNING),
)
def sync_orders(api):
    api.sync("orders")


@retry(
    retry=retry_if_exception_type(ConnectionError),
    reraise=True
)
def sync_refunds(api):
    api.sync("refunds")


@retry(retry=retry_if_exception_type(ConnectionError),
       reraise=True)
def sync_customers(api):
    api.sync("customers")
