"""The fixer on generated programs: no crash, every fixed file parses, fixing twice = once.

Each program is assembled from job snippets of every framework with randomly chosen option
values (seeded, so a failure names a reproducible seed), in random order, with random
formatting (one argument per line or not, CRLF or LF). ``--fix --unsafe-fixes`` must leave files
that compile, drop nothing silently (no warning for these well-formed inputs), and a second run
must find nothing left to fix.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.test_fixes_rq import apply_fixes, cli, findings, write_project

ALL = "RL101,RL102,RL201,RL202,RL203"
HEADER = """\
import time

import backoff
import dramatiq
import requests
import stamina
import tenacity
from celery import Celery
from huey import RedisHuey
from redis import Redis
from rq import Queue, Retry
from tenacity import retry, stop_after_attempt, wait_exponential, wait_fixed

app = Celery("gen")
huey = RedisHuey("gen")
queue = Queue(connection=Redis())
"""


def _args(rng: random.Random, pairs: list[str]) -> str:
    """Keyword arguments, on one line or one per line with or without a trailing comma."""
    if not pairs:
        return ""
    if rng.random() < 0.4:
        comma = "," if rng.random() < 0.5 else ""
        return "\n    " + ",\n    ".join(pairs) + comma + "\n"
    return ", ".join(pairs)


def _celery(rng: random.Random, n: int) -> str:
    options = ["autoretry_for=(requests.RequestException,)"]
    options += rng.sample(
        [
            f"max_retries={rng.choice(['None', '3', '40'])}",
            f"retry_backoff={rng.choice(['True', '30', 'False'])}",
            f"retry_jitter={rng.choice(['True', 'False'])}",
            f"default_retry_delay={rng.choice(['0', '60', '600'])}",
        ],
        k=rng.randint(0, 4),
    )
    return f"@app.task({_args(rng, options)})\ndef celery_{n}(url):\n    return requests.get(url, timeout=5)\n"


def _celery_manual(rng: random.Random, n: int) -> str:
    countdown = rng.choice(["", "countdown=30", "countdown=2 ** self.request.retries"])
    retry_call = f"self.retry(exc=exc{', ' + countdown if countdown else ''})"
    return (
        f"@app.task(bind=True, max_retries={rng.choice(['None', '5'])})\n"
        f"def manual_{n}(self, url):\n"
        "    try:\n"
        "        return requests.get(url, timeout=5)\n"
        "    except requests.RequestException as exc:\n"
        f"        raise {retry_call}\n"
    )


def _tenacity(rng: random.Random, n: int) -> str:
    stop = rng.choice(["", f"stop=stop_after_attempt({rng.randint(2, 30)})"])
    wait = rng.choice(
        [
            "",
            f"wait=wait_fixed({rng.randint(0, 9)})",
            f"wait=wait_exponential(multiplier={rng.randint(1, 4)})",
        ]
    )
    options = [option for option in (stop, wait) if option]
    decorator = "@retry" if not options and rng.random() < 0.5 else f"@retry({_args(rng, options)})"
    return f"{decorator}\ndef tenacity_{n}(url):\n    return requests.get(url, timeout=5)\n"


def _backoff(rng: random.Random, n: int) -> str:
    generator = rng.choice(["backoff.expo", "backoff.constant", "backoff.fibo"])
    options = [generator, "requests.RequestException"]
    options += rng.sample(
        [f"max_tries={rng.randint(2, 9)}", "jitter=None", f"max_value={rng.randint(5, 99)}"],
        k=rng.randint(0, 3),
    )
    return (
        f"@backoff.on_exception({_args(rng, options)})\n"
        f"def backoff_{n}(url):\n    return requests.get(url, timeout=5)\n"
    )


def _stamina(rng: random.Random, n: int) -> str:
    options = ["on=requests.RequestException"]
    options += rng.sample(
        ["attempts=None", "timeout=None", f"wait_jitter={rng.choice(['0', '1'])}"],
        k=rng.randint(0, 3),
    )
    return f"@stamina.retry({_args(rng, options)})\ndef stamina_{n}(url):\n    return requests.get(url, timeout=5)\n"


def _dramatiq(rng: random.Random, n: int) -> str:
    options = rng.sample(
        [
            f"max_retries={rng.choice(['None', '3', '20'])}",
            f"min_backoff={rng.choice(['0', '1000'])}",
        ],
        k=rng.randint(0, 2),
    )
    decorator = "@dramatiq.actor" if not options else f"@dramatiq.actor({_args(rng, options)})"
    return f"{decorator}\ndef actor_{n}(url):\n    requests.get(url, timeout=5)\n"


def _rq(rng: random.Random, n: int) -> str:
    retry = rng.choice(
        [
            f"Retry(max={rng.randint(1, 60)})",
            f"Retry(max={rng.randint(1, 9)}, interval={rng.randint(0, 900)})",
        ]
    )
    return (
        f"def rq_job_{n}(url):\n    return requests.get(url, timeout=5)\n\n\n"
        f"def enqueue_{n}(url):\n    queue.enqueue(rq_job_{n}, url, retry={retry})\n"
    )


def _huey(rng: random.Random, n: int) -> str:
    options = [f"retries={rng.randint(1, 50)}", f"retry_delay={rng.choice([0, 10, 600])}"]
    return (
        f"@huey.task({_args(rng, options)})\ndef huey_{n}(url):\n    requests.get(url, timeout=5)\n"
    )


def _loop(rng: random.Random, n: int) -> str:
    header = rng.choice(["while True:", f"for attempt in range({rng.randint(2, 20)}):"])
    sleep = rng.choice(["time.sleep(5)", "time.sleep(2 ** 3)", "pass"])
    return (
        f"def loop_{n}(url):\n"
        f"    {header}\n"
        "        try:\n"
        "            return requests.get(url, timeout=5)\n"
        "        except requests.ConnectionError:\n"
        f"            {sleep}\n"
    )


SNIPPETS = [_celery, _celery_manual, _tenacity, _backoff, _stamina, _dramatiq, _rq, _huey, _loop]


def program(seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    parts = [rng.choice(SNIPPETS)(rng, n) for n in range(rng.randint(3, 9))]
    newline = "\r\n" if rng.random() < 0.2 else "\n"
    return HEADER + "\n\n" + "\n\n".join(parts), newline


@pytest.mark.parametrize("seed", range(24))
def test_fixing_generated_programs_is_safe_and_idempotent(seed: int, tmp_path: Path) -> None:
    source, newline = program(seed)
    compile(source, f"seed-{seed}", "exec")  # the generator itself makes valid code
    write_project(tmp_path, {"jobs.py": source.replace("\n", newline).encode()})
    target = tmp_path / "jobs.py"
    fixable = [f for f in findings(tmp_path, ALL) if f["fix"] is not None]
    assert fixable, f"seed {seed}: the program must give the fixer something to do"
    result = cli(tmp_path, "--fix", "--unsafe-fixes", "--select", ALL, ".")
    assert "warning:" not in result.stdout + result.stderr, f"seed {seed}: a fix was dropped"
    fixed = target.read_bytes()
    assert fixed != source.replace("\n", newline).encode()
    compile(fixed, f"seed-{seed}-fixed", "exec")
    assert (newline == "\r\n") == (b"\r\n" in fixed), f"seed {seed}: line endings changed"
    apply_fixes(tmp_path, ALL)
    assert target.read_bytes() == fixed, f"seed {seed}: a second --fix changed the file"
    left = [f for f in findings(tmp_path, ALL) if f["fix"] is not None]
    assert left == [], f"seed {seed}: fixable findings left: {left}"
