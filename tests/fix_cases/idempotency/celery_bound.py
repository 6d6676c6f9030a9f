"""RL401 in a bound Celery task: the key comes from self.request.id, kept across retries."""

import resend
import stripe
from celery import Celery

app = Celery("shop")


@app.task(bind=True, autoretry_for=(stripe.error.APIConnectionError,), max_retries=2)
def capture(self, intent_id):
    stripe.PaymentIntent.capture(intent_id)


@app.task(bind=True, autoretry_for=(stripe.error.APIConnectionError,), max_retries=2)
def refund(task, charge_id, amount):
    stripe.Refund.create(
        charge=charge_id,
        amount=amount,
    )


@app.task(bind=True, autoretry_for=(ConnectionError,), max_retries=2)
def welcome(self, address):
    resend.Emails.send({"from": "shop@example.com", "to": [address], "subject": "Welcome"})
