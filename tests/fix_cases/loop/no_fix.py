"""Loops reported without a fix: nothing single to replace."""

import time


def tight(mailer, order):
    sent = False
    while not sent:
        try:
            mailer.send(order)
            sent = True
        except ConnectionError:
            pass


def two_sleeps(client):
    while True:
        try:
            return client.fetch()
        except TimeoutError:
            time.sleep(1)
        except ConnectionError:
            time.sleep(30)
