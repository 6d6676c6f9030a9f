"""RL203: an exponential defer with no cap gets min(..., max-backoff) in every raise Retry."""

import arq
from arq import Retry as Again


async def crawl(ctx, url):
    try:
        return await ctx["http"].get(url)
    except ConnectionError as exc:
        raise arq.Retry(defer=min(2 ** ctx["job_try"], 3600)) from exc
    except TimeoutError:
        raise arq.Retry(
            min(2 ** ctx["job_try"], 3600),
        )


async def index(ctx, page_id):
    job_try = ctx.get("job_try")
    if not await ctx["search"].ready():
        raise Again(defer=(min(2**job_try, 3600)))
    return page_id


async def capped(ctx, page_id):
    # Already capped: RL202 only, no RL203.
    raise arq.Retry(defer=min(2 ** ctx["job_try"], 600))


class WorkerSettings:
    functions = [arq.func(crawl, max_tries=14), arq.func(index, max_tries=16), capped]
    max_tries = 20
