"""Findings with no mechanical fix."""

import retrying
from retrying import retry


# RL201: a named wait function replaces retrying's own; wait_exponential_* would be ignored.
@retry(stop_max_attempt_number=5, wait="fixed_sleep", wait_fixed=1000)
def upload(bucket, path):
    bucket.upload(path)


# RL201: the fixed wait already reaches max-backoff: an exponential wait would never show.
@retry(stop_max_attempt_number=3, wait_fixed=7200000)
def reconcile(ledger):
    ledger.reconcile()


# RL101, RL201: the constructor has no arguments; the adapter does not record where it is.
def rebuild(index):
    return retrying.Retrying().call(index.rebuild)
