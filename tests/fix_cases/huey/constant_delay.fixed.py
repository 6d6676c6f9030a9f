"""RL201: retries with a constant retry_delay; the fix adds retry_backoff=2 (Huey 3.x)."""

from huey import RedisHuey

huey = RedisHuey("notify")


@huey.task(retries=2, retry_delay=60, timeout=30, name="email.send", retry_backoff=2)
def send_email(address, subject):
    return address


@huey.task(3, 15, retry_backoff=2)
def send_push(device_id):
    return device_id


@huey.task(retries=4, retry_delay=30, retry_backoff=2)
def send_fax(number):
    return number
