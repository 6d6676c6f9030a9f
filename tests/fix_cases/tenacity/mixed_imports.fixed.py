"""Both import styles: each decorator's own style is followed."""

import tenacity as t
from tenacity import (
    retry,
    stop_after_attempt,
    wait_random_exponential,
)


@retry(wait=wait_random_exponential(multiplier=1, max=20), stop=stop_after_attempt(5))
def reserve(client, sku):
    return client.post("/reservations", json={"sku": sku})


@t.retry(reraise=True, stop=t.stop_after_attempt(5), wait=t.wait_random_exponential(multiplier=1, max=3600))
def release(client, sku):
    return client.delete(f"/reservations/{sku}")


@t.retry(stop=stop_after_attempt(3), wait=t.wait_random_exponential(multiplier=2, max=30))
def confirm(client, sku):
    return client.post(f"/reservations/{sku}/confirm")
