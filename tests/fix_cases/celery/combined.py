"""Several rules on one task: fixes that touch one node are applied in turn, round by round."""

from celery import Celery

app = Celery("shop")


@app.task(autoretry_for=(ConnectionError,), max_retries=None)
def refresh_rates(currency):
    return currency


@app.task(bind=True, max_retries=20)
def sync_catalog(self, shop_id):
    try:
        return shop_id
    except ConnectionError as exc:
        raise self.retry(exc=exc, countdown=2**self.request.retries)
