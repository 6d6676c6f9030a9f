"""jitter=None is removed: backoff's default is full jitter."""

import backoff


@backoff.on_exception(backoff.expo, ConnectionError, jitter=None, max_tries=8, max_value=60)
def lock_warehouse(db, warehouse_id):
    db.execute("SELECT pg_advisory_lock(%s)", [warehouse_id])


@backoff.on_exception(backoff.expo, ConnectionError, max_tries=8, max_value=60, jitter=None)
def unlock_warehouse(db, warehouse_id):
    db.execute("SELECT pg_advisory_unlock(%s)", [warehouse_id])


def notify_ops(details):
    print("giving up", details)


@backoff.on_exception(
    backoff.expo,
    ConnectionError,
    max_tries=8,  # a comment that stays
    jitter=None,
    on_giveup=notify_ops,
    max_value=60,
)
def reserve_stock(db, sku):
    db.execute("SELECT reserve(%s)", [sku])


@backoff.on_exception(
    backoff.expo,
    ConnectionError,
    max_tries=8,
    max_value=60,
    jitter=None,
)
def release_stock(db, sku):
    db.execute("SELECT release(%s)", [sku])


# max_time is set, so a **kwargs could hide anywhere: jitter=None is spelled out instead.
@backoff.on_exception(
    backoff.expo,
    ConnectionError,
    max_time=300,
    jitter=None,
    max_value=60,
)
def count_stock(db):
    return db.execute("SELECT count(*) FROM stock")
