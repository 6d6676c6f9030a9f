"""Reported without a fix."""

from huey import RedisHuey
from huey.exceptions import CancelExecution, RetryTask

huey = RedisHuey("notify")
SMS_RETRIES = 40


@huey.task()
def poll_delivery(message_id):
    # RL101 + RL201: RetryTask never consumes a retry; only the task's code can count runs.
    raise RetryTask(delay=30)


@huey.task(retries=5)
def sync_contacts(account_id):
    # RL101 + RL201: CancelExecution(retry=True) re-arms a retry every time.
    if account_id is None:
        raise CancelExecution(retry=True)
    return account_id


@huey.task(retries=4, retry_delay=10, retry_backoff=2)
def send_sms(number):
    # RL202: Huey has no jitter option.
    return number


@huey.task(retries=6, retry_delay=120, retry_backoff=2)
def send_report(report_id):
    # RL202 + RL203: Huey has no cap for its backoff.
    return report_id


@huey.task(retries=9, retry_delay=60)
def send_invoice(invoice_id):
    # RL201: doubling from 60 s for 9 retries passes max-backoff, and Huey cannot cap it.
    return invoice_id


@huey.task(retries=SMS_RETRIES, retry_delay=3600)
def send_letter(letter_id):
    # RL102 + RL201: retries is a name; lowering it would change every user of the constant.
    return letter_id
