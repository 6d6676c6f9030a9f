from celery import Celery

from shop.base import PatientTask

app = Celery("shop")


@app.task(base=PatientTask)
def poll_carrier(tracking_id):
    return tracking_id
