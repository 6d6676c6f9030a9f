"""RL201: min_backoff=0 retries at once; it becomes Dramatiq's default, then RL102 caps the window."""

import dramatiq


@dramatiq.actor(min_backoff=0, max_retries=3)
def refresh_token(account_id):
    return account_id


@dramatiq.actor(min_backoff=0)
def refresh_cache(key):
    return key


def refresh_now(key):
    refresh_cache.send_with_options(args=(key,), min_backoff=0, max_retries=2)
