"""RL201 where the module imports random under another name: no second import."""

import random as rnd

from celery import shared_task


@shared_task(bind=True)
def sync_prices(self, shop_id):
    try:
        return shop_id
    except TimeoutError as exc:
        raise self.retry(exc=exc, countdown=(rnd.uniform(0, min(3600, 15 * 2**self.request.retries))))


def pick(items):
    return rnd.choice(items)
