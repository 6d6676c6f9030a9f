"""RL201: retries with no retry_delay (0: at once); the fix adds a delay and retry_backoff."""

from huey import RedisHuey, crontab

hq = RedisHuey("notify")


@hq.task(retries=3)
def sync_contacts(account_id):
    return account_id


@hq.periodic_task(crontab(minute="*/5"), retries=1)
def sweep_outbox():
    return None


@hq.task(retries=2, retry_delay=0)
def push_update(device_id):
    return device_id
