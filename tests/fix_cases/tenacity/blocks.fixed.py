"""Retrying blocks, wrapped calls and retry_with."""

from tenacity import (
    AsyncRetrying,
    Retrying,
    retry,
    stop_after_attempt,
    wait_fixed,
    wait_random_exponential,
)


def download(client, path):
    for attempt in Retrying(wait=wait_random_exponential(multiplier=1, max=3600), reraise=True, stop=stop_after_attempt(5)):
        with attempt:
            data = client.get("/prices").content
    with open(path, "wb") as handle:
        handle.write(data)


async def upload(client, data):
    async for attempt in AsyncRetrying(reraise=True, stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=1, max=3600)):
        with attempt:
            await client.put("/prices", data)


def refresh_token(client):
    auth = Retrying(stop=stop_after_attempt(2), reraise=True, wait=wait_random_exponential(multiplier=1, max=3600))
    return auth(client.post, "/oauth/token")


@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(multiplier=1, max=3600))
def ping(client):
    client.get("/health")


def check_health(client):
    return ping.retry_with(stop=stop_after_attempt(2))(client)


@retry(stop=stop_after_attempt(1), wait=wait_fixed(2))
def once(client):
    client.get("/once")


def once_more(client):
    # `once` itself never retries: the wait it passes on is overridden here, not edited there
    return once.retry_with(stop=stop_after_attempt(3), wait=wait_random_exponential(multiplier=1, max=3600))(client)


@retry(wait=wait_random_exponential(multiplier=1, max=3600), stop=stop_after_attempt(5))
def pong(client):
    client.get("/pong")


def check_pong(client):
    # `pong` has the same problems: its decorator is fixed, once, and this call inherits the fix
    return pong.retry_with(reraise=True)(client)
