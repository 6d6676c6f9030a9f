"""RL101: max_retries=None becomes max_retries=<default-max-attempts - 1>, wherever it is written."""

import dramatiq as dq
from dramatiq import actor as background


@dq.actor(max_retries=None)
def deliver_webhook(url):
    return url


@background(
    queue_name="mail",
    max_retries=None,
)
def send_mail(to):
    return to


class SyncLedger(dq.GenericActor):
    class Meta:
        queue_name = "ledger"
        max_retries = None

    def perform(self, account_id):
        return account_id


@dq.actor(max_retries=3)
def charge(invoice_id):
    return invoice_id


def charge_forever(invoice_id):
    charge.send_with_options(args=(invoice_id,), max_retries=None)
