from celery import Celery

app = Celery("billing")
app.conf.task_annotations = {
    "billing.settle": {"default_retry_delay": 30},  # RL201 here: the task is in tasks.py
    "billing.refund": {"max_retries": 200},  # RL102 here: an app-wide setting, not the task's
}
