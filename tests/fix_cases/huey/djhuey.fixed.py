"""RL201 on Django helpers, imported by name, under an alias, and through the module."""

from huey.contrib import djhuey
from huey.contrib.djhuey import db_task
from huey.contrib.djhuey import task as huey_task


@db_task(retries=2, retry_delay=30, retry_backoff=2)
def index_message(message_id):
    return message_id


@huey_task(retries=2, retry_delay=10, retry_backoff=2)
def notify_owner(message_id):
    return message_id


@djhuey.db_periodic_task(djhuey.crontab(minute="0"), retries=2, retry_delay=120, retry_backoff=2)
def purge_messages():
    return 0
