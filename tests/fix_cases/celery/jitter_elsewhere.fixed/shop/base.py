from celery import Task


class LockstepTask(Task):
    retry_jitter = False
