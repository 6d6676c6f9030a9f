"""RL101 set on a task class and in task_annotations: the value is fixed where it is written."""

from celery import Celery, Task

app = Celery("shop")
app.conf.task_annotations = {"shop.sync_catalog": {"max_retries": 4}}


class ExportOrders(Task):
    name = "shop.export_orders"
    max_retries = 4

    def run(self, day):
        try:
            return day
        except OSError as exc:
            raise self.retry(exc=exc, countdown=60)


export_orders = app.register_task(ExportOrders())


@app.task(name="shop.sync_catalog", autoretry_for=(ConnectionError,), retry_backoff=True)
def sync_catalog():
    return None
