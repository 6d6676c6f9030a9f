"""RL201 on a call site that overrides the task's policy: the fix is made at the site."""

from huey import RedisHuey

huey = RedisHuey("notify")


@huey.task(retry_delay=10, retry_backoff=2)
def send_sms(number, text):
    return number


@huey.task()
def send_email(address):
    return address


def urgent(phone, address):
    send_sms.schedule(args=(phone, "Urgent"), delay=60, retries=3, retry_delay=5, retry_backoff=2)
    send_email.schedule(args=(address,), delay=5, retries=2, retry_delay=10, retry_backoff=2)
    send_email(address, retries=4, retry_delay=30, retry_backoff=2)
