"""Reported without a fix: no mechanical change is right, or the node to change is not known."""

from celery import Celery, Task
from django.conf import settings

app = Celery("shop")
MAX_RETRIES = 200
RETRY = {"max_retries": 200}


class ExportOrders(Task):
    name = "shop.export_orders"

    def run(self, day, **options):
        try:
            return day
        except OSError as exc:
            # RL201: **options may already hold a countdown: adding one could repeat it.
            raise self.retry(exc=exc, **options)


export_orders = app.register_task(ExportOrders())


@app.task
def fetch_rates(currency):
    try:
        return currency
    except ConnectionError as exc:
        # RL201: not a bound task, so there is no self.request.retries to grow with.
        raise fetch_rates.retry(exc=exc, countdown=60)


@app.task(bind=True, default_retry_delay=7200)
def refresh_token(self, user_id):
    if user_id is None:
        # RL201: default_retry_delay is already at max-backoff: no countdown is added.
        raise self.retry()
    return user_id


@app.task(bind=True)
def export_archive(self, month):
    try:
        return month
    except OSError as exc:
        # RL201: already at max-backoff; capped there, the delay would stay constant.
        raise self.retry(exc=exc, countdown=7200)


@app.task(bind=True)
def sync_account(self, account_id):
    try:
        return account_id
    except ConnectionError as exc:
        # RL202: the expression lives in a local variable.
        delay = 2**self.request.retries
        raise self.retry(exc=exc, countdown=delay)


# RL203: the cap is a run-time value; RL102: the count is a named constant.
@app.task(
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_backoff_max=settings.RETRY_CAP,
    max_retries=MAX_RETRIES,
)
def mirror_files(bucket):
    return bucket


# RL102: one retry alone is longer than the window: the delay is the problem.
@app.task(
    autoretry_for=(ConnectionError,),
    retry_backoff=30_000,
    retry_backoff_max=40_000,
    max_retries=2,
)
def rebuild_index(name):
    return name


# RL102: the count is in a retry_kwargs constant other tasks may share.
@app.task(autoretry_for=(ConnectionError,), retry_kwargs=RETRY, retry_backoff=True)
def push_ledger(entry_id):
    return entry_id
