"""Reported without a fix."""

import dramatiq

RETRIES = 30
NO_BACKOFF = 0


@dramatiq.actor(retry_when=lambda retries, exc: True)
def follow_up(lead_id):
    # RL101: retry_when answers yes forever; only its author can say when to stop.
    return lead_id


@dramatiq.actor(retry_when=lambda retries, exc: retries < 40)
def poll_export(export_id):
    # RL102: retry_when replaces max_retries, so a max_retries would change nothing.
    return export_id


@dramatiq.actor(max_retries=RETRIES)
def sync_orders(shop_id):
    # RL102: max_retries is a name; rewriting it would desynchronise its other users.
    return shop_id


@dramatiq.actor(min_backoff=NO_BACKOFF, max_retries=3)
def warm_cache(key):
    # RL201: min_backoff is a name.
    return key


class SyncStock(dramatiq.GenericActor):
    # RL102: Dramatiq defaults, and no Meta attribute to rewrite.
    def perform(self, sku):
        return sku


@dramatiq.actor(max_retries=3)
def notify(user_id):
    return user_id


def notify_patiently(user_id):
    # RL102: a per-message override.
    notify.send_with_options(args=(user_id,), max_retries=40)


@dramatiq.actor(min_backoff=86_400_000, max_retries=2)
def yearly_report(year):
    # RL102: one retry waits up to two days, longer than max-retry-window.
    return year
