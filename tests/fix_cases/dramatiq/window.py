"""RL102: a lower max_backoff and fewer max_retries on the actor, so the worst case fits."""

import dramatiq
from dramatiq import actor


@dramatiq.actor
def sync_contact(contact_id):
    return contact_id


@actor
def sync_company(company_id):
    return company_id


@dramatiq.actor()
def sync_deal(deal_id):
    return deal_id


@dramatiq.actor(queue_name="crm", time_limit=60_000)
def sync_note(note_id):
    return note_id


@dramatiq.actor(max_retries=30, max_backoff=86_400_000)
def sync_invoice(invoice_id):
    return invoice_id


@dramatiq.actor(
    queue_name="crm",
    min_backoff=60_000,
)
def sync_owner(owner_id):
    return owner_id


@dramatiq.actor(max_retries=60, max_backoff=600_000)
def sync_task(task_id):
    return task_id


class SyncPipeline(dramatiq.GenericActor):
    class Meta:
        max_retries = 25

    def perform(self, pipeline_id):
        return pipeline_id
