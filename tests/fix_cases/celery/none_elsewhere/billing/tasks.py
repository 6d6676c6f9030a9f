from billing.base import SlowTask
from billing.celery import app
from billing.mail import retryable_smtp


@app.task(name="billing.settle", autoretry_for=(ConnectionError,))
def settle(invoice_id):
    return invoice_id


@app.task(name="billing.refund", autoretry_for=(ConnectionError,), retry_backoff=True)
def refund(invoice_id):
    return invoice_id


@app.task(base=SlowTask, autoretry_for=(ConnectionError,))
def remind(invoice_id):
    return invoice_id


@app.task(bind=True)
def send_statement(self, message):
    # RL201 here (Celery's 180 s default), but the retry() to change is in mail.py.
    retryable_smtp(self, message)
