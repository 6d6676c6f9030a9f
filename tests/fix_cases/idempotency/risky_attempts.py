"""RL103: jobs that move money get max-attempts-risky attempts at most, in their own decorator."""

import dramatiq
import stripe
from celery import Celery

app = Celery("shop")


@app.task(autoretry_for=(stripe.error.APIConnectionError,), max_retries=10, retry_backoff=True)
def charge(customer, amount, order_id):
    stripe.Charge.create(customer=customer, amount=amount, currency="eur", idempotency_key=f"charge-{order_id}")


@app.task(autoretry_for=(stripe.error.APIConnectionError,), retry_backoff=True)
def refund(charge_id):
    stripe.Refund.create(charge=charge_id, idempotency_key=f"refund-{charge_id}")


@dramatiq.actor
def pay_out(account, amount, payout_id):
    stripe.Transfer.create(amount=amount, currency="eur", destination=account, idempotency_key=f"payout-{payout_id}")


@dramatiq.actor(max_retries=8, queue_name="payouts")
def top_up(amount, top_up_id):
    stripe.Topup.create(amount=amount, currency="eur", idempotency_key=f"top-up-{top_up_id}")
