"""Handwritten retry and poll loops (retrylint/frameworks/loops/)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.model import UNBOUNDED, UNKNOWN, Delay, Job, Span
from retrylint.values import Located
from tests.conftest import analyse_project


def loop_jobs(tmp_path: Path, source: str, name: str = "mod.py") -> list[Job]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    result = analyse_project(tmp_path)
    assert not result.errors, result.errors
    return [job for job in result.jobs if job.framework == "loop"]


def only_job(tmp_path: Path, source: str) -> Job:
    jobs = loop_jobs(tmp_path, source)
    assert len(jobs) == 1, [job.qualname for job in jobs]
    return jobs[0]


def line_of(source: str, text: str) -> int:
    """1-based line of the first line containing ``text`` in the dedented source."""
    for number, line in enumerate(textwrap.dedent(source).splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(text)


# -- retry loops: bounds ---------------------------------------------------------------------------
RANGE_LOOP = """\
    import time
    import requests

    def fetch(url):
        for attempt in range(3):
            try:
                return requests.get(url, timeout=5)
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(2 ** attempt)
        raise RuntimeError(url)
"""


def test_range_loop_is_a_bounded_exponential_retry(tmp_path: Path) -> None:
    job = only_job(tmp_path, RANGE_LOOP)
    loop_line = line_of(RANGE_LOOP, "for attempt")
    assert job.framework == "loop"
    assert job.kind == "retry-loop"
    assert job.name == f"fetch#loop@{loop_line}"
    assert job.qualname == f"mod.fetch#loop@{loop_line}"
    assert job.function == "fetch"
    assert job.span.line == loop_line
    policy = job.policy
    assert policy.max_attempts.value == 3
    assert policy.max_attempts.source == "explicit"
    assert policy.max_attempts.origin == "range(3)"
    assert policy.max_attempts.line == loop_line
    assert policy.retries.value is True
    assert policy.delay.value == Delay("exponential", 1.0, None, False)
    assert policy.delay.origin == "time.sleep(2 ** attempt)"
    assert policy.delay.line == line_of(RANGE_LOOP, "time.sleep")
    assert policy.deadline.value is None
    assert policy.retry_on.value == ("requests.ConnectionError", "requests.Timeout")
    assert policy.redelivery.value is False
    assert job.detail("shape") == "retry"
    assert job.detail("async") is False


def test_counter_checked_in_the_handler(tmp_path: Path) -> None:
    source = """\
        from time import sleep as pause
        import random as rnd

        MAX_BACKOFF = 60

        def push(client, invoice):
            attempts = 0
            while True:
                attempts += 1
                try:
                    client.post(invoice)
                    break
                except Exception:
                    if attempts >= 5:
                        raise
                    pause(min(MAX_BACKOFF, 2 ** attempts) + rnd.uniform(0, 1))
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value == 5
    assert job.policy.max_attempts.origin == "attempts >= 5"
    assert job.policy.max_attempts.line == line_of(source, "if attempts >= 5")
    # First sleep after attempt 1: 2 ** 1 = 2 s; min(60, ...) caps it; uniform() is jitter.
    assert job.policy.delay.value == Delay("exponential", 2.0, 60.0, True)
    assert job.policy.retry_on.value == "all"


COUNTED_AFTER = """\
    def fetch(client):
        n = 0
        {header}
            try:
                return client.get()
            except OSError:
                pass
            n += 1
"""
COUNTED_BEFORE = """\
    def fetch(client):
        n = 0
        {header}
            n += 1
            try:
                return client.get()
            except OSError:
                pass
"""


@pytest.mark.parametrize(
    ("template", "header", "attempts"),
    [
        (COUNTED_AFTER, "while n < 3:", 3),  # n = 0, 1, 2 run
        (COUNTED_AFTER, "while n <= 3:", 4),  # the +1 case: n = 0, 1, 2, 3 run
        (COUNTED_BEFORE, "while n < 3:", 3),  # tested at n = 0, 1, 2; counted inside
        (COUNTED_BEFORE, "while n <= 3:", 4),
    ],
)
def test_counter_in_the_while_test(
    tmp_path: Path, template: str, header: str, attempts: int
) -> None:
    job = only_job(tmp_path, template.format(header=header))
    assert job.policy.max_attempts.value == attempts
    assert job.policy.max_attempts.origin == header.removeprefix("while ").rstrip(":")


def test_countdown_counter(tmp_path: Path) -> None:
    source = """\
        import time

        def upload(bucket, batch):
            retries_left = 4
            delay = 0.5
            while retries_left > 0:
                try:
                    bucket.put(batch)
                    return True
                except OSError:
                    retries_left -= 1
                    time.sleep(delay)
                    delay *= 2
            return False
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value == 4
    assert job.policy.max_attempts.origin == "retries_left > 0"
    assert job.policy.delay.value == Delay("exponential", 0.5, None, False)


def test_if_else_continue_in_handler(tmp_path: Path) -> None:
    source = """\
        import time

        def fetch(client):
            for attempt in range(5):
                try:
                    return client.get()
                except TimeoutError:
                    if attempt < 4:
                        time.sleep(attempt * 3)
                        continue
                    raise
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value == 5
    assert job.policy.max_attempts.origin == "range(5)"
    assert job.policy.delay.value == Delay("linear", 0.0, None, False)


def test_while_true_without_a_bound_is_unbounded(tmp_path: Path) -> None:
    source = """\
        import logging
        import time
        import requests

        log = logging.getLogger(__name__)

        def refresh_rates(cache):
            while True:
                try:
                    cache.update(requests.get("https://rates.example", timeout=5).json())
                    return
                except requests.RequestException:
                    log.exception("retrying")
                    time.sleep(10)
    """
    job = only_job(tmp_path, source)
    policy = job.policy
    assert policy.max_attempts.value is UNBOUNDED
    assert policy.max_attempts.origin == "while True with no counter or deadline"
    assert policy.max_attempts.line == line_of(source, "while True")
    assert policy.retries.value is True
    assert policy.delay.value == Delay("constant", 10.0, None, False)
    assert policy.deadline.value is None
    assert policy.deadline.origin == "no deadline check in the loop"


def test_flag_loop_with_tight_retry(tmp_path: Path) -> None:
    source = """\
        def remind(mailer, to):
            sent = False
            while not sent:
                try:
                    mailer.send(to)
                    sent = True
                except ConnectionError:
                    pass
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.max_attempts.origin == "while not sent with no counter or deadline"
    assert job.policy.delay.value == Delay("none", 0.0, None, False)
    assert job.policy.delay.origin == "no sleep between attempts"
    assert job.detail("exit").line == line_of(source, "sent = True")


def test_result_flag_loop(tmp_path: Path) -> None:
    source = """\
        import time

        def connect(factory):
            conn = None
            while conn is None:
                try:
                    conn = factory()
                except OSError:
                    time.sleep(1)
            return conn
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.delay.value == Delay("constant", 1.0, None, False)


@pytest.mark.parametrize(
    "setup, test",
    [
        ("deadline = time.monotonic() + 30", "while time.monotonic() < deadline:"),
        ("start = time.time()", "while time.time() - start < 30:"),
    ],
)
def test_deadline_loops(tmp_path: Path, setup: str, test: str) -> None:
    source = f"""\
        import time

        def reconcile(ledger):
            {setup}
            {test}
                try:
                    return ledger.reconcile()
                except TimeoutError:
                    time.sleep(1)
    """
    job = only_job(tmp_path, source)
    assert job.policy.deadline.value == 30.0
    assert job.policy.deadline.line == line_of(source, "while")
    assert job.policy.max_attempts.value is UNBOUNDED
    assert "deadline" in job.policy.max_attempts.origin


def test_deadline_checked_in_the_handler(tmp_path: Path) -> None:
    source = """\
        import random
        import time

        def fetch(client):
            start = time.monotonic()
            while True:
                try:
                    return client.get()
                except ValueError:
                    raise
                except Exception:
                    if time.monotonic() - start > 60:
                        raise
                    time.sleep(random.random() * 2)
    """
    job = only_job(tmp_path, source)
    assert job.policy.deadline.value == 60.0
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.retry_on.value == "all"
    assert job.policy.permanent.value == ("ValueError",)
    assert job.policy.permanent.source == "explicit"
    assert job.policy.delay.value.jitter is True


def test_count_loop_with_capped_doubling(tmp_path: Path) -> None:
    source = """\
        import itertools
        import time

        def get(client):
            delay = 1
            for _ in itertools.count():
                try:
                    return client.get()
                except IOError:
                    time.sleep(delay)
                    delay = min(delay * 2, 30)
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.max_attempts.origin.startswith("for _ in itertools.count()")
    assert job.policy.delay.value == Delay("exponential", 1.0, 30.0, False)


def test_local_constant_bound(tmp_path: Path) -> None:
    source = """\
        def fetch(client):
            max_attempts = 4
            for _ in range(max_attempts):
                try:
                    return client.get()
                except OSError:
                    continue
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value == 4


@pytest.mark.parametrize(
    "source, origin",
    [
        (
            """\
            def fetch(client, retries):
                for _ in range(retries):
                    try:
                        return client.get()
                    except OSError:
                        pass
            """,
            "range(retries)",
        ),
        (
            """\
            class Client:
                def fetch(self):
                    attempts = 0
                    while True:
                        try:
                            return self.get()
                        except OSError:
                            attempts += 1
                            if attempts >= self.max_retries:
                                raise
            """,
            "attempts >= self.max_retries",
        ),
        (
            """\
            class Conn:
                def send(self):
                    while True:
                        try:
                            return self.sock.send()
                        except TimeoutError:
                            if not self.retry_on_timeout:
                                raise
            """,
            "not self.retry_on_timeout",
        ),
    ],
)
def test_run_time_bounds_are_unknown(tmp_path: Path, source: str, origin: str) -> None:
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value is UNKNOWN
    assert job.policy.max_attempts.origin == origin
    assert job.policy.retries.value is UNKNOWN


def test_exception_filter_does_not_bound_but_hides_retry_on(tmp_path: Path) -> None:
    source = """\
        import asyncio

        class Api:
            async def fetch(self):
                while True:
                    try:
                        return await self.get()
                    except Exception as e:
                        if e.status == 404:
                            raise
                        await asyncio.sleep(self.delay)
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.retry_on.value is UNKNOWN
    assert job.policy.delay.value == Delay("unknown")
    assert job.detail("async") is True


def test_delays_that_differ_by_exception(tmp_path: Path) -> None:
    source = """\
        import time

        def call(node):
            for _ in range(16):
                try:
                    return node.execute()
                except KeyError:
                    node.refresh()
                except LookupError:
                    time.sleep(0.05)
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value == 16
    assert job.policy.delay.value.strategy == "custom"
    assert "except KeyError: no sleep" in job.policy.delay.origin
    assert job.policy.retry_on.value == ("KeyError", "LookupError")


def test_next_on_a_delay_schedule_is_not_consuming_data(tmp_path: Path) -> None:
    source = """\
        import itertools
        import time

        def call(fun, intervals):
            for retries in itertools.count():
                try:
                    return fun()
                except ConnectionError:
                    time.sleep(next(intervals))
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.delay.value == Delay("unknown")


def test_a_helper_that_may_wait_makes_the_delay_unknown(tmp_path: Path) -> None:
    source = """\
        class Backend:
            def store(self, value):
                while True:
                    try:
                        return self.put(value)
                    except OSError:
                        self._sleep(1.5)
    """
    job = only_job(tmp_path, source)
    assert job.policy.delay.value == Delay("unknown")
    assert job.policy.delay.origin == "self._sleep(1.5) may wait"


def test_details_for_fixes(tmp_path: Path) -> None:
    job = only_job(tmp_path, RANGE_LOOP)
    loop_line = line_of(RANGE_LOOP, "for attempt")
    sleep_line = line_of(RANGE_LOOP, "time.sleep")
    # The loop statement ends where its last statement ends (the sleep call's line).
    assert job.detail("loop") == Span(loop_line, 5, sleep_line, 37)
    assert job.detail("header") == Span(loop_line, 5, loop_line, 28)
    assert job.detail("header_code") == "for attempt in range(3)"
    assert job.detail("indent") == "    "
    assert job.detail("body_indent") == "        "
    assert job.detail("loop_var") == "attempt"
    assert job.detail("try").line == line_of(RANGE_LOOP, "try:")
    assert [s.line for s in job.detail("handlers")] == [line_of(RANGE_LOOP, "except")]
    assert job.detail("exit").line == line_of(RANGE_LOOP, "return requests")
    assert job.detail("sleep") == Span(sleep_line, 13, sleep_line, 37)
    argument = job.detail("sleep_arg")
    assert isinstance(argument, Located)
    assert argument.code == "2 ** attempt"
    assert argument.span == Span(sleep_line, 24, sleep_line, 36)


def test_module_level_and_nested_loops(tmp_path: Path) -> None:
    source = """\
        import time
        import requests

        for attempt in range(4):
            try:
                requests.get("https://example.com/backfill", timeout=30).raise_for_status()
                break
            except requests.HTTPError:
                time.sleep(15)

        class Sync:
            def run(self):
                def inner(client):
                    while True:
                        try:
                            return client.get()
                        except OSError:
                            time.sleep(1)
                return inner
    """
    jobs = loop_jobs(tmp_path, source)
    module_line = line_of(source, "for attempt")
    inner_line = line_of(source, "while True")
    assert [job.qualname for job in jobs] == [
        f"mod.<module>#loop@{module_line}",
        f"mod.Sync.run.inner#loop@{inner_line}",
    ]
    assert jobs[0].function is None
    assert jobs[0].policy.max_attempts.value == 4
    assert jobs[1].function == "Sync.run.inner"


# -- poll loops ------------------------------------------------------------------------------------
def test_poll_until_done(tmp_path: Path) -> None:
    source = """\
        import time

        def wait_for_export(api, export_id):
            while True:
                status = api.status(export_id)
                if status["state"] == "done":
                    return status["url"]
                if status["state"] == "failed":
                    raise RuntimeError(status["error"])
                time.sleep(5)
    """
    job = only_job(tmp_path, source)
    assert job.detail("shape") == "poll"
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.delay.value == Delay("constant", 5.0, None, False)
    assert job.policy.retry_on.value == ()
    assert job.detail("try") is None


def test_bounded_poll(tmp_path: Path) -> None:
    source = """\
        import time

        def wait_for_file(storage, key):
            for _ in range(30):
                if storage.exists(key):
                    return True
                time.sleep(0.5)
            return False
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value == 30
    assert job.policy.delay.value == Delay("constant", 0.5, None, False)


def test_async_poll_in_the_while_test(tmp_path: Path) -> None:
    source = """\
        import asyncio as aio

        async def await_export(api, export_id):
            delay = 1.0
            while not await api.is_ready(export_id):
                await aio.sleep(delay)
                delay = min(delay * 2, 30)
    """
    job = only_job(tmp_path, source)
    assert job.detail("async") is True
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.delay.value == Delay("exponential", 1.0, 30.0, False)


def test_poll_with_counter(tmp_path: Path) -> None:
    source = """\
        import queue

        def get_result(results, proc):
            max_iter = 600
            n = 0
            while True:
                if n == max_iter:
                    raise RuntimeError("timeout")
                try:
                    return results.get(timeout=0.05)
                except queue.Empty:
                    if not proc.is_alive():
                        return None
                n += 1
    """
    job = only_job(tmp_path, source)
    assert job.policy.max_attempts.value == 600
    assert job.policy.retry_on.value == ("queue.Empty",)


# -- look-alikes that are not retry loops -----------------------------------------------------------
NOT_RETRY_LOOPS = {
    "consumer": """\
        def consume(jobs, handle, log):
            while True:
                message = jobs.get()
                try:
                    handle(message)
                except Exception:
                    log.exception("failed")
    """,
    "throttled consumer": """\
        import time

        def consume(jobs, handle):
            while True:
                message = jobs.get()
                if message is None:
                    break
                handle(message)
                time.sleep(0.1)
    """,
    "data loop": """\
        def send_all(mailer, addresses):
            for address in addresses:
                try:
                    mailer.send(address)
                except ConnectionError:
                    continue
    """,
    "range over len": """\
        def first_sent(mailer, addresses):
            for i in range(len(addresses)):
                try:
                    mailer.send(addresses[i])
                    break
                except ConnectionError:
                    continue
    """,
    "port scan": """\
        def pick_port(sock):
            for port in range(8000, 8100):
                try:
                    sock.bind(("127.0.0.1", port))
                    break
                except OSError:
                    continue
    """,
    "derived port": """\
        def pick_port(sock, base):
            for i in range(100):
                port = base + i
                try:
                    sock.bind(("127.0.0.1", port))
                    break
                except OSError:
                    continue
    """,
    "accept loop": """\
        def serve(listener, handle):
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    continue
                handle(connection)
    """,
    "periodic worker": """\
        import time

        def periodic(worker):
            while worker.running:
                worker.run_once()
                time.sleep(60)
    """,
    "local sleep": """\
        def sleep(seconds):
            pass

        def beat(stopper, send):
            while True:
                send()
                if stopper.is_set():
                    break
                sleep(1)
    """,
    "search forward": """\
        def first_free(reserve, slot):
            while True:
                try:
                    return reserve(slot)
                except KeyError:
                    slot = slot + 1
    """,
    "walk up": """\
        def make_dirs(path):
            while True:
                try:
                    path.mkdir()
                except FileNotFoundError:
                    parent = path.parent
                    if parent == path:
                        raise
                    path = parent
                else:
                    break
    """,
    "eintr": """\
        import errno

        def read(sock):
            while True:
                try:
                    return sock.recv(4096)
                except OSError as exc:
                    if exc.errno != errno.EINTR:
                        raise
    """,
    "non-blocking": """\
        async def receive(sock, wait_readable):
            while True:
                try:
                    return sock.recv(1024)
                except BlockingIOError:
                    await wait_readable()
    """,
    "iterator": """\
        class Cursor:
            def __next__(self):
                while True:
                    try:
                        return self.cache.pop(0)
                    except IndexError:
                        self.cache = self.fetch()
    """,
    "draining a list": """\
        def drain(pending, flush):
            while pending:
                item = pending.pop(0)
                try:
                    flush(item)
                    return item
                except ValueError:
                    continue
    """,
    "linked list": """\
        import asyncio

        async def checkpoint(scope):
            while scope:
                if scope.cancelled:
                    await asyncio.sleep(0)
                elif scope.shield:
                    break
                else:
                    scope = scope.parent
    """,
    "converting handler": """\
        class Stream:
            async def receive(self):
                while True:
                    try:
                        data = await self.sock.recv(1024)
                    except BaseException as exc:
                        self._convert_socket_error(exc)
                    else:
                        return data
    """,
    "no success exit": """\
        def send_thrice(mailer):
            for _ in range(3):
                try:
                    mailer.send()
                except Exception:
                    pass
    """,
    "handler always raises": """\
        import time

        def fetch(client):
            while True:
                try:
                    return client.get()
                except OSError as exc:
                    time.sleep(1)
                    raise RuntimeError("down") from exc
    """,
    "no call retried": """\
        class Cycle:
            def next(self):
                while True:
                    try:
                        item = self.items[self.pos]
                        self.pos += 1
                        return item
                    except IndexError:
                        self.pos = 0
    """,
    "tenacity block": """\
        from tenacity import Retrying, stop_after_attempt

        def fetch(client):
            for attempt in Retrying(stop=stop_after_attempt(3)):
                with attempt:
                    return client.get()
    """,
    # -- no failing operation: a wait for a local condition ---------------------------------
    "backpressure on an in-process pool": """\
        import time

        def submit(executor, work):
            while executor._work_queue.qsize() > 64:
                time.sleep(0.05)
            return executor.submit(work)
    """,
    "keep-alive until a local flag": """\
        import asyncio

        class Stream:
            async def keep_alive(self):
                while True:
                    await asyncio.sleep(15)
                    if self.closed:
                        break
    """,
    "thread event": """\
        import time

        def idle(stop):
            while not stop.is_set():
                time.sleep(1)
    """,
    "local file": """\
        import os
        import time

        def wait_unlocked(path):
            while os.path.exists(path):
                time.sleep(0.5)
    """,
    "consumer with a checked message": """\
        def consume(jobs, handle):
            while True:
                try:
                    message = jobs.get()
                    if message is None:
                        break
                    handle(message)
                except Exception:
                    pass
    """,
    # -- each pass changes the operation's input --------------------------------------------
    "collision rename with a random code": """\
        from django.db import IntegrityError
        from django.utils.crypto import get_random_string

        def create_voucher(vouchers):
            for _ in range(10):
                code = get_random_string(6)
                try:
                    return vouchers.create(code=code)
                except IntegrityError:
                    continue
    """,
    "random code drawn in the operation": """\
        import secrets
        from django.db import IntegrityError

        def create_link(links):
            while True:
                try:
                    return links.create(token=secrets.token_urlsafe(8))
                except IntegrityError:
                    pass
    """,
    "numbered suffix": """\
        from django.db import IntegrityError

        def create_page(pages, title):
            number = 1
            slug = title
            while True:
                try:
                    return pages.create(slug=slug)
                except IntegrityError:
                    number += 1
                    slug = f"{title}-{number}"
    """,
    "attempt number in a new email": """\
        from django.db import IntegrityError

        def create_user(users, name, email, tries=10):
            for attempt in range(tries):
                try:
                    address = email if attempt == 0 else f"{name}{attempt}@example.com"
                    return users.create(email=address)
                except IntegrityError:
                    if attempt == tries - 1:
                        raise
    """,
    "code assigned before each try": """\
        from django.db import IntegrityError

        class Submission:
            def save(self):
                for attempt in range(3):
                    self.assign_code()
                    try:
                        return self.insert()
                    except IntegrityError:
                        if attempt == 2:
                            raise
    """,
    "one more try after losing a race": """\
        from django.db import IntegrityError

        def get_or_create(users, email):
            for _ in range(2):
                try:
                    return users.create(email=email)
                except IntegrityError:
                    continue
            return users.get(email=email)
    """,
    # -- a flag that ends the loop after its first pass ---------------------------------------
    "flag set after every pass": """\
        import time
        from sqlalchemy.exc import DatabaseError

        def wait_for_db(db):
            retried = False
            while not retried:
                try:
                    db.engine.execute("SELECT 1;")
                    return
                except DatabaseError:
                    time.sleep(30)

                retried = True
    """,
    "range(1)": """\
        def once(client):
            for _ in range(1):
                try:
                    return client.get()
                except ConnectionError:
                    pass
    """,
}


@pytest.mark.parametrize("source", NOT_RETRY_LOOPS.values(), ids=NOT_RETRY_LOOPS.keys())
def test_look_alikes_are_not_detected(tmp_path: Path, source: str) -> None:
    assert loop_jobs(tmp_path, source) == []


def test_odd_shapes_do_not_crash(tmp_path: Path) -> None:
    source = """\
        import itertools
        import time

        def odd(args, pairs):
            while True: pass
            for a, b in range(3):
                pass
            for _ in range(*args):
                try:
                    return time.sleep(1)
                except OSError:
                    continue
            for _ in range(0):
                try:
                    return f()
                except Exception:
                    time.sleep()
            while (lambda: 1)():
                time.sleep(1)
                break
            for _ in range(1e309):
                try:
                    return f()
                except Exception:
                    continue
            for _ in itertools.count(1e309, 2):
                try:
                    return f()
                except Exception:
                    continue
            for _ in range(10 ** 9):
                try:
                    return f()
                except Exception:
                    time.sleep(-1 if pairs else 2 ** 999)
            async def inner():
                async for item in pairs:
                    try:
                        return await item
                    except Exception:
                        continue
            while True:
                try:
                    return f()
                except* ValueError:
                    pass
    """
    jobs = loop_jobs(tmp_path, source)
    assert all(job.framework == "loop" for job in jobs)
    big = next(job for job in jobs if "10 ** 9" in job.detail("header_code"))
    assert big.policy.max_attempts.value == 10**9


@pytest.mark.parametrize(
    "ask",
    [
        "return window.getkey().upper()",
        "return int(input('How many? '))",
        "return self.get_input(console, prompt)",
        "return Prompt.ask('Name')",
    ],
)
def test_loops_that_ask_a_person_are_not_retries(tmp_path: Path, ask: str) -> None:
    """'Press any key' and re-prompting until the answer parses wait for a person: no bound or
    backoff is right for them (seen as false RL101/RL201 on celery's curses monitor)."""
    source = f"""
        from rich.prompt import Prompt

        def read(window, console, prompt, self=None):
            while True:
                try:
                    {ask}
                except Exception:
                    pass
        """
    assert loop_jobs(tmp_path, source) == []


def test_budget_driven_loop_reads_as_bounded_paced_retry(tmp_path: Path) -> None:
    """What the guard fix inserts: the RetryBudget is the loop's policy."""
    job = only_job(
        tmp_path,
        """
        from retrylint.guard import RetryBudget

        def sync(client):
            retry_budget = RetryBudget(attempts=4, base=2, cap=30, deadline=120)
            while True:
                try:
                    return client.sync()
                except ConnectionError:
                    retry_budget.sleep()
        """,
    )
    assert job.policy.max_attempts.value == 4
    assert job.policy.delay.value == Delay("exponential", 2.0, 30.0, True)
    assert job.policy.deadline.value == 120.0
    assert job.policy.max_attempts.origin == "RetryBudget(attempts=4, base=2, cap=30, deadline=120)"


# -- flags, conditional counters, attempt numbers --------------------------------------------------
def test_a_success_flag_reset_on_failure_stays_unbounded(tmp_path: Path) -> None:
    job = only_job(
        tmp_path,
        """
        import time

        def connect(db):
            ok = False
            while not ok:
                try:
                    db.ping()
                    ok = True
                except ConnectionError:
                    ok = False
                    time.sleep(3)
        """,
    )
    assert job.policy.max_attempts.value is UNBOUNDED


def test_a_first_pass_flag_allows_one_retry(tmp_path: Path) -> None:
    job = only_job(
        tmp_path,
        """
        import time

        def fetch(client):
            first = True
            while True:
                try:
                    return client.get()
                except ConnectionError:
                    if not first:
                        raise
                    first = False
                    time.sleep(3)
        """,
    )
    assert job.policy.max_attempts.value == 2


@pytest.mark.parametrize(
    ("setup", "loop", "attempts", "origin"),
    [
        (
            "tries = 3 if retry else 1",
            "for _ in range(tries):",
            3,
            "range(tries) (tries = 3 if retry else 1: the branch that retries most)",
        ),
        (
            "left = 5 if retry else 2",
            "while left > 0:",
            5,
            "left > 0 (left = 5 if retry else 2: the branch that retries most)",
        ),
    ],
)
def test_a_counter_set_by_a_conditional_takes_its_worst_branch(
    tmp_path: Path, setup: str, loop: str, attempts: int, origin: str
) -> None:
    countdown = "left -= 1" if "left" in setup else "pass"
    job = only_job(
        tmp_path,
        f"""
        import time

        def send(client, retry):
            {setup}
            {loop}
                try:
                    return client.send()
                except ConnectionError:
                    {countdown}
                    time.sleep(2)
        """,
    )
    assert job.policy.max_attempts.value == attempts
    assert job.policy.max_attempts.origin == origin


def test_a_count_up_from_a_conditional_start_takes_the_lower_start(tmp_path: Path) -> None:
    job = only_job(
        tmp_path,
        """
        import time

        def send(client, resume):
            n = 3 if resume else 0
            while True:
                try:
                    return client.send()
                except ConnectionError:
                    n += 1
                    if n >= 5:
                        raise
                    time.sleep(2)
        """,
    )
    assert job.policy.max_attempts.value == 5


@pytest.mark.parametrize(
    "call",
    ["_get(attempt)", "requests.get(url, timeout=(2 + attempt, 5))", "fetch(url, retry=retries)"],
)
def test_an_attempt_counter_passed_to_the_work_is_not_data(tmp_path: Path, call: str) -> None:
    """saleor's fetch_manifest passes the attempt to a growing connect timeout."""
    var = "retries" if "retries" in call else "attempt"
    job = only_job(
        tmp_path,
        f"""
        import requests

        def get_manifest(url, _get, fetch):
            for {var} in range(3):
                try:
                    return {call}
                except (requests.ConnectionError, requests.Timeout):
                    pass
        """,
    )
    assert job.policy.max_attempts.value == 3
    assert job.policy.delay.value == Delay("none", 0.0, None, False)


# -- delay schedules -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "sleep", "schedule"),
    [
        ("", "time.sleep(DELAYS[attempt])", (0.1, 0.25, 0.5)),
        ("delays = [1, 5, 30]", "time.sleep(delays[attempt])", (1.0, 5.0, 30.0)),
        ("", "time.sleep(DELAYS[min(attempt, len(DELAYS) - 1)])", (0.1, 0.25, 0.5)),
        (
            "",
            "retry_delay = DELAYS[attempt]; log.warning('again in %s', retry_delay); "
            "time.sleep(retry_delay)",
            (0.1, 0.25, 0.5),
        ),
    ],
)
def test_a_delay_read_from_a_list_is_a_schedule(
    tmp_path: Path, setup: str, sleep: str, schedule: tuple[float, ...]
) -> None:
    job = only_job(
        tmp_path,
        f"""
        import logging
        import time

        log = logging.getLogger(__name__)
        DELAYS = [0.1, 0.25, 0.5]

        def call(client):
            {setup}
            for attempt in range(4):
                try:
                    return client.get()
                except ConnectionError:
                    if attempt >= 3:
                        raise
                    {sleep}
        """,
    )
    delay = job.policy.delay.value
    assert job.policy.max_attempts.value == 4
    assert (delay.strategy, delay.schedule, delay.cap) == ("custom", schedule, max(schedule))


def test_range_over_a_schedule_counts_attempts(tmp_path: Path) -> None:
    job = only_job(
        tmp_path,
        """
        import time

        DELAYS = (1, 1, 1)

        def call(client):
            for attempt in range(len(DELAYS) + 1):
                try:
                    return client.get()
                except ConnectionError:
                    if attempt == len(DELAYS):
                        raise
                    time.sleep(DELAYS[attempt])
        """,
    )
    assert job.policy.max_attempts.value == 4
    assert job.policy.delay.value == Delay("constant", 1.0, None, False, (1.0,))


# -- checked results -------------------------------------------------------------------------------
CHECKED_RESULT = """\
    import asyncio
    import httpx

    RETRYABLE = {409, 429}
    DELAYS = [0.1, 0.25, 0.5]

    async def request(client, url):
        for attempt in range(4):
            delay = None
            try:
                response = await client.get(url)
            except httpx.RequestError:
                if attempt >= 3:
                    raise
                delay = DELAYS[attempt]
            else:
                if response.is_success:
                    return response
                if response.status_code not in RETRYABLE:
                    return response
                if attempt >= 3:
                    break
                delay = DELAYS[attempt]
                if response.status_code == 429:
                    retry_after = response.headers.get("Retry-After")
                    if retry_after:
                        delay = min(float(retry_after), 1.0)
            await asyncio.sleep(delay)
"""


def test_a_checked_result_that_goes_round_is_a_retry(tmp_path: Path) -> None:
    """polar's Tinybird client: 409/429 answers and request errors, on a schedule."""
    job = only_job(tmp_path, CHECKED_RESULT)
    policy = job.policy
    assert job.detail("shape") == "retry"
    assert policy.max_attempts.value == 4
    assert policy.retry_on.value == (
        "httpx.RequestError",
        "HTTP 409 Conflict",
        "HTTP 429 TooManyRequests",
    )
    assert "checks the response: response.status_code not in RETRYABLE" in policy.retry_on.origin
    assert policy.delay.value.strategy == "custom"


@pytest.mark.parametrize(
    ("test", "statuses"),
    [
        ("response.status_code == 429", ("HTTP 429 TooManyRequests",)),
        (
            "response.status_code in (502, 503)",
            ("HTTP 502 BadGateway", "HTTP 503 ServiceUnavailable"),
        ),
        ("response.status_code >= 500", ("HTTP 5xx ServerError",)),
        ("not response.ok", ("HTTPError (response not ok)",)),
    ],
)
def test_a_poll_for_a_failure_status_is_a_retry(
    tmp_path: Path, test: str, statuses: tuple[str, ...]
) -> None:
    job = only_job(
        tmp_path,
        f"""
        import time
        import requests

        def fetch(url):
            while True:
                response = requests.get(url, timeout=5)
                if {test}:
                    time.sleep(5)
                    continue
                return response
        """,
    )
    assert job.detail("shape") == "retry"
    assert job.policy.retry_on.value == statuses
    assert job.policy.retry_on.origin == f"checks the response: {test}"
    assert job.policy.max_attempts.value is UNBOUNDED


def test_a_poll_of_an_object_it_refreshes(tmp_path: Path) -> None:
    job = only_job(
        tmp_path,
        """
        import time

        def wait(job):
            while not (job.is_finished or job.is_failed):
                time.sleep(1)
                job.refresh()
        """,
    )
    assert job.detail("shape") == "poll"
    assert job.policy.max_attempts.value is UNBOUNDED
    assert job.policy.delay.value == Delay("constant", 1.0, None, False)


# -- recursion -------------------------------------------------------------------------------------
def test_a_function_that_sleeps_and_calls_itself_on_429_retries_forever(tmp_path: Path) -> None:
    source = """\
        import time
        import requests

        def fetch(url):
            response = requests.get(url, timeout=10)
            if response.status_code == 429:
                time.sleep(5)
                return fetch(url)
            return response
    """
    job = only_job(tmp_path, source)
    call_line = line_of(source, "return fetch(url)")
    assert (job.kind, job.name, job.function) == (
        "retry-loop",
        f"fetch#recursion@{call_line}",
        "fetch",
    )
    assert job.detail("shape") == "retry"
    policy = job.policy
    assert policy.max_attempts.value is UNBOUNDED
    assert policy.max_attempts.origin == (
        "`fetch` calls itself again when response.status_code == 429, with no depth limit"
    )
    assert policy.max_attempts.line == call_line
    assert policy.delay.value == Delay("constant", 5.0, None, False)
    assert policy.delay.line == line_of(source, "time.sleep")
    assert policy.retry_on.value == ("HTTP 429 TooManyRequests",)
    assert job.detail("header") is None  # no guard fix: a budget cannot follow the calls


def test_a_recursive_poll_for_a_state(tmp_path: Path) -> None:
    """redash's BigQuery runner polls ``jobComplete`` by calling itself every second."""
    job = only_job(
        tmp_path,
        """
        import time

        class Runner:
            def _results(self, jobs, job_id):
                reply = jobs.getQueryResults(jobId=job_id).execute()
                if not reply["jobComplete"]:
                    time.sleep(1)
                    return self._results(jobs, job_id)
                return reply
        """,
    )
    assert job.function == "Runner._results"
    assert job.detail("shape") == "poll"
    assert job.policy.retry_on.value == ()
    assert job.policy.max_attempts.value is UNBOUNDED


@pytest.mark.parametrize(
    ("signature", "check", "call", "attempts", "origin"),
    [
        (
            "url, depth=0",
            "if depth > 5: raise RuntimeError(url)",
            "fetch(url, depth + 1)",
            6,
            "depth > 5",
        ),
        (
            "url, retries=3",
            "if retries <= 0: raise RuntimeError(url)",
            "fetch(url, retries=retries - 1)",
            4,
            "retries <= 0",
        ),
    ],
)
def test_a_checked_depth_bounds_a_recursion(
    tmp_path: Path, signature: str, check: str, call: str, attempts: int, origin: str
) -> None:
    first, second = (check, "") if "depth" in signature else ("", check)
    job = only_job(
        tmp_path,
        f"""
        import time
        import requests

        def fetch({signature}):
            {first}
            response = requests.get(url, timeout=10)
            if response.status_code >= 500:
                {second}
                time.sleep(2)
                return {call}
            return response
        """,
    )
    assert job.policy.max_attempts.value == attempts
    assert job.policy.max_attempts.origin == origin


def test_a_depth_from_the_caller_makes_the_bound_unknown(tmp_path: Path) -> None:
    job = only_job(
        tmp_path,
        """
        import time

        def fetch(client, depth):
            if depth > 5:
                raise RuntimeError("too deep")
            try:
                return client.get()
            except ConnectionError:
                time.sleep(2 ** depth)
                return fetch(client, depth + 1)
        """,
    )
    assert job.policy.max_attempts.value is UNKNOWN
    assert job.policy.retry_on.value == ("ConnectionError",)


def test_a_method_that_reconnects_by_calling_itself(tmp_path: Path) -> None:
    job = only_job(
        tmp_path,
        """
        import time

        class Client:
            def connect(self):
                try:
                    self.sock = self.factory()
                except OSError:
                    time.sleep(3)
                    return self.connect()
        """,
    )
    assert job.policy.max_attempts.origin == (
        "`connect` calls itself again on except OSError, with no depth limit"
    )
    assert job.policy.retry_on.value == ("OSError",)


NOT_RECURSIVE_RETRIES = {
    "tree walk": """\
        def flatten(node):
            if node.children:
                return [flatten(child) for child in node.children]
            return [node]
    """,
    "rescheduling itself": """\
        import time

        def tick(interval):
            time.sleep(interval)
            tick(interval)
    """,
    "a flag, no result": """\
        import time

        def wait(state):
            if state.paused:
                time.sleep(1)
                return wait(state)
    """,
    "no sleep": """\
        def fetch(client):
            try:
                return client.get()
            except ConnectionError:
                return fetch(client)
    """,
    "in a loop": """\
        import time

        def crawl(client, pages):
            for page in pages:
                if client.get(page).status_code == 429:
                    time.sleep(1)
                    crawl(client, pages)
    """,
}


@pytest.mark.parametrize("source", NOT_RECURSIVE_RETRIES.values(), ids=NOT_RECURSIVE_RETRIES.keys())
def test_recursion_look_alikes(tmp_path: Path, source: str) -> None:
    assert loop_jobs(tmp_path, source) == []
