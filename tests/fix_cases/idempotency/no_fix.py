"""RL401 without a fix: no stable id in reach, or no key the provider takes."""

import dramatiq
import stripe
from celery import Celery
from django.core.mail import send_mail

app = Celery("shop")


def charge(customer, amount):
    stripe.Charge.create(customer=customer, amount=amount, currency="eur")


@app.task(autoretry_for=(stripe.error.APIConnectionError,), max_retries=2)
def charge_unbound(customer, amount):
    stripe.Charge.create(customer=customer, amount=amount, currency="eur")


@app.task(bind=True, autoretry_for=(stripe.error.APIConnectionError,), max_retries=2)
def charge_in_helper(self, customer, amount):
    charge(customer, amount)


@app.task(bind=True, autoretry_for=(ConnectionError,), max_retries=2)
def receipt(self, address):
    send_mail("Receipt", "Thanks", "shop@example.com", [address])


@dramatiq.actor(max_retries=2)
def pay_out(account, amount):
    stripe.Transfer.create(amount=amount, currency="eur", destination=account)
