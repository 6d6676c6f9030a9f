"""RL201: self.retry() without countdown waits default_retry_delay every time; a countdown is added.

A retry on a condition (no exception) waits for a state, not for a dependency: left alone.
"""

import random
import smtplib

from celery import Celery, Task

app = Celery("shop")


@app.task(bind=True, max_retries=5)
def send_receipt(self, order_id):
    try:
        return order_id
    except OSError as exc:
        raise self.retry(exc=exc, countdown=random.uniform(0, min(3600, 180 * 2**self.request.retries)))


@app.task(bind=True, default_retry_delay=30)
def refresh_token(self, user_id):
    if user_id is None:  # a retry on a condition, not on a failure: a steady pace is fine
        raise self.retry()
    return user_id


@app.task(bind=True)
def sync_stock(task, sku):
    try:
        return sku
    except ConnectionError as exc:
        raise task.retry(
            exc=exc,
            throw=True, countdown=random.uniform(0, min(3600, 180 * 2**task.request.retries)),
        )
    except TimeoutError as exc:
        raise task.retry(exc=exc, countdown=random.uniform(0, min(3600, 180 * 2**task.request.retries)))


def retryable_smtp(task, message):
    try:
        with smtplib.SMTP("mail.example") as smtp:
            smtp.send_message(message)
    except smtplib.SMTPException as exc:
        raise task.retry(exc=exc, countdown=random.uniform(0, min(3600, 180 * 2**task.request.retries)))


@app.task(bind=True)
def send_mail(self, message):
    retryable_smtp(self, message)


class ExportOrders(Task):
    name = "shop.export_orders"

    def run(self, day):
        try:
            return day
        except OSError as exc:
            raise self.retry(exc=exc, countdown=random.uniform(0, min(3600, 180 * 2**self.request.retries)))


export_orders = app.register_task(ExportOrders())
