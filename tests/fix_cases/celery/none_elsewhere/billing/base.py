from celery import Task


class SlowTask(Task):
    default_retry_delay = 45  # RL201 here: the task using this base is in tasks.py
