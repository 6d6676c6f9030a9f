"""RL201 on the retry= of an @job decorator: enqueued with .delay(), or never enqueued here."""

import django_rq
from django_rq import job
from rq import Retry


@job("high", timeout=120, retry=Retry(max=3, interval=30))
def refresh_index(name):
    return name


@django_rq.job("low", retry=Retry(max=2))
def warm_cache(key):
    return key


def nightly():
    refresh_index.delay("reports")
