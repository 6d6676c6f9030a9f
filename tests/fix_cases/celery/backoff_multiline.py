"""RL201 on multi-line decorators: keywords go right after the last argument."""

from celery import shared_task as st

RETRYABLE = (ConnectionError, TimeoutError)


@st(
    bind=True,
    autoretry_for=RETRYABLE,
    retry_kwargs={"max_retries": 8, "countdown": 30},  # the carrier API rate-limits us
)
def poll_shipment(self, tracking_id):
    return tracking_id


@st(
    autoretry_for=RETRYABLE,
    max_retries=4
)
def poll_customs(declaration_id):
    return declaration_id
