"""RL102: bounded retries whose worst case keeps a task retrying for more than six hours."""

from celery import Celery, Task

app = Celery("shop")


@app.task(autoretry_for=(ConnectionError,), max_retries=120, default_retry_delay=180)
def sync_crm_contact(contact_id):
    return contact_id


@app.task(autoretry_for=(ConnectionError,), retry_kwargs={"max_retries": 36, "countdown": 600})
def push_ledger(entry_id):
    return entry_id


@app.task(bind=True)
def poll_bank(self, transfer_id):
    try:
        return transfer_id
    except TimeoutError as exc:
        raise self.retry(exc=exc, countdown=1800, max_retries=12)


@app.task(autoretry_for=(ConnectionError,), default_retry_delay=10_000, max_retries=2)
def archive_month(month):
    return month


@app.task(autoretry_for=(OSError,), retry_backoff=True, max_retries=44)
def mirror_files(bucket):
    return bucket


class Reconcile(Task):
    name = "shop.reconcile"
    autoretry_for = (ConnectionError,)
    max_retries = 120

    def run(self, day):
        return day


reconcile = app.register_task(Reconcile())
