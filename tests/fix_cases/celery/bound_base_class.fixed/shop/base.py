"""A base class whose tasks retry forever: the finding, and its fix, are here."""

from celery import Task


class PatientTask(Task):
    autoretry_for = (ConnectionError,)
    retry_backoff = True
    max_retries = 4
