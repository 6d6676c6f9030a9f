"""RL201: autoretry without retry_backoff waits default_retry_delay (180 s) before every retry."""

import celery
from celery import Celery, shared_task

app = Celery("shop")


@shared_task(autoretry_for=(TimeoutError,), max_retries=5, retry_backoff=True, retry_backoff_max=3600, retry_jitter=True)
def fetch_statement(account_id):
    return account_id


@app.task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=3600, retry_jitter=True)
def refresh_token(user_id):
    return user_id


@app.task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, retry_backoff_max=3600)
def push_invoice(invoice_id):
    return invoice_id


@celery.shared_task(autoretry_for=(OSError,), retry_kwargs={"countdown": 30}, retry_backoff_max=120, retry_backoff=True, retry_jitter=True)
def upload_report(day):
    return day


@app.task(autoretry_for=(OSError,), default_retry_delay=(30), retry_backoff=True, retry_backoff_max=3600, retry_jitter=True)
def rotate_logs():
    return None
