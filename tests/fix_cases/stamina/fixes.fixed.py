"""stamina options that switched its bounds, backoff or jitter off."""

import stamina


@stamina.retry(on=ConnectionError, attempts=5, timeout=None)
def fetch_levels(client, warehouse_id):
    return client.get(f"/warehouses/{warehouse_id}/stock")


async def sync_all(client, warehouses):
    for warehouse_id in warehouses:
        async for attempt in stamina.retry_context(ConnectionError, 5, None):
            with attempt:
                await client.post(f"/warehouses/{warehouse_id}/sync")


@stamina.retry(on=ConnectionError, attempts=100, timeout=21600, wait_max=600)
def rebuild_index(index):
    index.rebuild()


@stamina.retry(on=ConnectionError, attempts=5, wait_jitter=1)
def reserve(client, sku):
    return client.post("/reservations", json={"sku": sku})


@stamina.retry(
    on=ConnectionError,
    attempts=5,
    wait_initial=1.0,
    wait_exp_base=2,
)
def release(client, sku):
    return client.delete(f"/reservations/{sku}")
