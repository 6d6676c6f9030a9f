"""Reported without a fix."""

from datetime import timedelta

from arq import Retry


async def refresh(ctx, feed_id):
    # RL201: a constant defer; a growing one needs ctx["job_try"], and the name of the first
    # parameter is not recorded.
    raise Retry(defer=timedelta(minutes=5))


async def ping(context, host):
    # RL201: same, with a literal.
    raise Retry(defer=30)


async def download(ctx, url):
    try:
        return await ctx["http"].get(url)
    except ConnectionError as exc:
        # RL202: a random term is not read by the adapter (the new defer would look "custom").
        raise Retry(defer=ctx["job_try"] * 10) from exc


async def notify(ctx, user_id):
    job_try = ctx["job_try"]
    # RL202: capped exponential growth without jitter.
    raise Retry(defer=min(2**job_try, 600))


class WorkerSettings:
    functions = [refresh, ping, download, notify]
