"""Findings with no mechanical fix."""

import stamina


# RL201: growing from zero stays zero; the first wait is for the author to choose.
@stamina.retry(on=ConnectionError, attempts=5, wait_initial=0, wait_jitter=0, wait_exp_base=1)
def reserve(client, sku):
    return client.post("/reservations", json={"sku": sku})
