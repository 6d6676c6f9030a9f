"""Findings with no mechanical fix."""

from tenacity import (
    Retrying,
    retry,
    stop_after_attempt,
    wait_chain,
    wait_exponential,
    wait_fixed,
    wait_incrementing,
    wait_random,
)


# RL202: linear growth, tenacity has no jittered wait_incrementing.
@retry(stop=stop_after_attempt(4), wait=wait_incrementing(start=1, increment=2))
def linear(client):
    client.get("/a")


# RL202: a sum without a random term; which part should be random is a choice.
@retry(stop=stop_after_attempt(4), wait=wait_exponential(max=60) + wait_fixed(1))
def summed(client):
    client.get("/b")


# RL201: a random pause and a chain are chosen schedules, not left-out backoff.
@retry(stop=stop_after_attempt(4), wait=wait_random(1, 2))
def random_pause(client):
    client.get("/c")


@retry(stop=stop_after_attempt(4), wait=wait_chain(wait_fixed(3), wait_fixed(3)))
def chained(client):
    client.get("/d")


# RL101: the constructor has no arguments; the adapter does not record where it is.
def unbounded(client):
    return Retrying()(client.get, "/e")


def wait_random_exponential(*args):
    """A local function with the name a fix would import."""


# RL201: wait_random_exponential is taken here and tenacity has no module alias.
@retry(stop=stop_after_attempt(4))
def immediate(client):
    client.get("/f")
