"""RL102: the retries outlast max-retry-window (6 h); the fix lowers retries."""

from huey import RedisHuey

huey = RedisHuey("crm")


@huey.task(retries=48, retry_delay=3600)
def sync_contact(contact_id):
    return contact_id


@huey.task(retries=8, retry_delay=300, retry_backoff=2)
def sync_company(company_id):
    return company_id


def resync(contact_id):
    sync_contact.schedule(args=(contact_id,), delay=1, retries=30, retry_delay=1800)
