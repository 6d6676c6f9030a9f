"""RL202: a countdown that grows with self.request.retries but has no random term."""

import random

from celery import Celery

app = Celery("shop")


@app.task(bind=True, max_retries=5)
def sync_account(self, account_id):
    try:
        return account_id
    except ConnectionError as exc:
        raise self.retry(exc=exc, countdown=random.uniform(0, 2**self.request.retries))


@app.task(bind=True, max_retries=4)
def ship_order(self, order_id):
    try:
        return order_id
    except OSError as exc:
        raise self.retry(exc=exc, countdown=random.uniform(0, 60 * (self.request.retries + 1)))


@app.task(max_retries=5)
def notify_partner(partner_id):
    try:
        return partner_id
    except TimeoutError as exc:
        raise notify_partner.retry(
            exc=exc,
            countdown=(
                random.uniform(0, 5 * 2**notify_partner.request.retries)  # doubling from 5 s
            ),
        )


def shuffle(items):
    random.shuffle(items)
