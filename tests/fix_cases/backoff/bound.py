"""No max_tries and no max_time: retried forever."""

import backoff
from backoff import expo, on_exception


@backoff.on_exception(backoff.expo, ConnectionError, max_value=60)
def archive(db):
    db.execute("CALL archive_old_rows()")


@on_exception(expo, ConnectionError, max_tries=None, max_value=60)
def compact(db):
    db.execute("VACUUM")


@backoff.on_predicate(backoff.fibo, max_tries=0, max_value=30)
def wait_for_export(client, export_id):
    return client.get(f"/exports/{export_id}").get("ready")


@backoff.on_exception(backoff.expo, (ConnectionError, TimeoutError), max_value=60)
def purge(db):
    db.execute("CALL purge()")


@backoff.on_exception(backoff.expo, (ConnectionError, TimeoutError))
def vacuum(db):
    db.execute("VACUUM FULL")
