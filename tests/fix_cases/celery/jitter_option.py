"""RL202: retry_jitter switched off makes every failed task retry at the same instants."""

from celery import Celery, Task, shared_task

app = Celery("shop")


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=3, retry_jitter=False)
def reserve_stock(order_id):
    return order_id


@app.task(
    autoretry_for=(ConnectionError,),
    retry_jitter=0,
    retry_backoff=True,
)
def release_stock(order_id):
    return order_id


class Reindex(Task):
    name = "shop.reindex"
    autoretry_for = (TimeoutError,)
    retry_backoff = True
    retry_jitter = False

    def run(self, index):
        return index


reindex = app.register_task(Reindex())
