"""RL201: self.retry(countdown=<constant>) retries at a fixed pace; the countdown grows instead."""

import random

from celery import Celery, Task

app = Celery("shop")


@app.task(bind=True, max_retries=6)
def send_receipt(self, order_id):
    try:
        return order_id
    except OSError as exc:
        raise self.retry(exc=exc, countdown=random.uniform(0, min(3600, 60 * 2**self.request.retries)))


@app.task(bind=True)
def ping_partner(task, partner_id):
    try:
        return partner_id
    except ConnectionError as exc:
        raise task.retry(exc=exc, countdown=random.uniform(0, min(3600, 2**task.request.retries)))


class ExportOrders(Task):
    name = "shop.export_orders"

    def run(self, day):
        try:
            return day
        except OSError as exc:
            raise self.retry(
                exc=exc,
                countdown=random.uniform(0, min(3600, 30 * 2**self.request.retries)),
            )


export_orders = app.register_task(ExportOrders())
