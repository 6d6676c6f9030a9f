"""The retry-library adapters: tenacity, backoff, stamina, retrying.

Each case writes a small project to a temporary folder and runs the whole pipeline on it, then
checks the job model: attempts, delay, deadline, retried exceptions, provenance, hooks, details.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.facts import CallShape
from retrylint.model import UNBOUNDED, UNKNOWN, Delay, Job
from retrylint.values import Located
from tests.conftest import analyse_project, analysed_jobs


def analyse(tmp_path: Path, source: str, name: str = "jobs.py", **others: str) -> dict[str, Job]:
    """Jobs of a project holding ``source`` as ``name`` (and ``others``), by qualname."""
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(textwrap.dedent(source))
    for other, text in others.items():
        path = tmp_path / other.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    result = analyse_project(tmp_path)
    assert not result.errors, result.errors
    return {job.qualname: job for job in result.jobs}


def only(jobs: dict[str, Job], framework: str) -> Job:
    found = [job for job in jobs.values() if job.framework == framework]
    assert len(found) == 1, list(jobs)
    return found[0]


# =============================================================================================
# tenacity
# =============================================================================================


def test_tenacity_bare_retry_retries_forever_immediately_on_every_exception(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        from tenacity import retry

        @retry
        def fetch(url):
            return url
        """,
    )
    job = jobs["jobs.fetch"]
    assert (job.framework, job.kind, job.name, job.function) == (
        "tenacity",
        "decorated-function",
        "fetch",
        "fetch",
    )
    assert (job.span.line, job.span.column) == (5, 5)
    policy = job.policy
    assert policy.max_attempts.value is UNBOUNDED
    assert policy.max_attempts.source == "default"
    assert policy.max_attempts.origin == "tenacity default: stop=stop_never"
    assert policy.deadline.value is None
    assert policy.delay.value == Delay("none", 0.0, None, False)
    assert policy.delay.origin == "tenacity default: wait=wait_none()"
    assert policy.retry_on.value == "all"
    assert policy.retry_on.source == "default"
    assert policy.retries.value is True
    assert policy.redelivery.value is False
    shape = job.detail("decorator")
    assert isinstance(shape, CallShape) and shape.called is False
    assert job.detail("gives_up_with") == "tenacity.RetryError"


@pytest.mark.parametrize(
    ("imports", "decorator"),
    [
        ("import tenacity", "@tenacity.retry"),
        ("import tenacity as t", "@t.retry"),
        ("from tenacity import retry as with_retries", "@with_retries"),
        ("import tenacity as t", "@t.retry()"),
    ],
)
def test_tenacity_decorator_spellings(tmp_path: Path, imports: str, decorator: str) -> None:
    jobs = analyse(tmp_path, f"{imports}\n\n{decorator}\ndef sync():\n    pass\n")
    job = jobs["jobs.sync"]
    assert job.framework == "tenacity"
    assert job.policy.max_attempts.value is UNBOUNDED


def test_tenacity_options_with_provenance(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import logging
        import httpx
        import tenacity as t
        from tenacity import stop_after_attempt, wait_exponential

        log = logging.getLogger(__name__)
        ATTEMPTS = 4

        @t.retry(
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_exponential(multiplier=2, max=60),
            retry=t.retry_if_exception_type((httpx.TimeoutException, ConnectionError)),
            before_sleep=t.before_sleep_log(log, logging.WARNING),
            retry_error_callback=lambda state: None,
            reraise=True,
        )
        def charge(card):
            pass
        """,
    )
    job = jobs["jobs.charge"]
    policy = job.policy
    assert policy.max_attempts.value == 4
    assert policy.max_attempts.source == "explicit"
    assert policy.max_attempts.origin == "stop=stop_after_attempt(ATTEMPTS)"
    assert policy.max_attempts.line == 11
    assert policy.deadline.value is None
    assert policy.delay.value == Delay("exponential", 2.0, 60.0, False)
    assert policy.delay.line == 12
    assert policy.retry_on.value == ("httpx.TimeoutException", "ConnectionError")
    assert policy.retry_on.line == 13
    hooks = {(h.kind, h.every_attempt, h.span.line if h.span else None) for h in job.failure_hooks}
    assert hooks == {("before_sleep", True, 14), ("retry_error_callback", False, 15)}
    assert job.detail("reraise") is True
    assert job.detail("gives_up_with") == "original"
    options = dict(job.detail("options"))
    assert set(options) == {
        "stop",
        "wait",
        "retry",
        "before_sleep",
        "retry_error_callback",
        "reraise",
    }
    assert isinstance(options["stop"], Located) and options["stop"].span.line == 11
    shape = job.detail("decorator")
    assert shape.called and shape.keyword_span("wait").line == 12


@pytest.mark.parametrize(
    ("stop", "attempts", "deadline"),
    [
        ("stop_after_attempt(3)", 3, None),
        ("stop_after_attempt(0)", 1, None),
        ("stop_after_delay(30)", UNBOUNDED, 30.0),
        ("stop_before_delay(timedelta(minutes=2))", UNBOUNDED, 120.0),
        ("stop_never", UNBOUNDED, None),
        ("stop_after_attempt(5) | stop_after_delay(60)", 5, 60.0),
        ("stop_after_delay(60) | stop_after_attempt(5) | stop_after_attempt(3)", 3, 60.0),
        ("stop_any(stop_after_attempt(5), stop_after_delay(10))", 5, 10.0),
        ("stop_after_attempt(3) & stop_after_delay(60)", UNBOUNDED, 60.0),
        ("stop_after_attempt(3) & stop_after_attempt(7)", 7, None),
        ("stop_all(stop_after_delay(5), stop_after_delay(9))", UNBOUNDED, 9.0),
        ("stop_never & stop_after_attempt(3)", UNBOUNDED, None),
        ("stop_after_attempt(4) | custom_stop", 4, UNKNOWN),
        ("stop_after_attempt(4) & custom_stop", UNKNOWN, UNKNOWN),
        ("stop_when_event_set(event)", UNKNOWN, UNKNOWN),
        ("stop_after_attempt(n)", UNKNOWN, None),
        ("make_stop()", UNKNOWN, UNKNOWN),
    ],
)
def test_tenacity_stop_strategies(
    tmp_path: Path, stop: str, attempts: object, deadline: object
) -> None:
    jobs = analyse(
        tmp_path,
        f"""
        from datetime import timedelta
        from tenacity import *
        from tenacity import retry, stop_after_attempt, stop_after_delay, stop_before_delay
        from tenacity import stop_never, stop_any, stop_all, stop_when_event_set

        @retry(stop={stop})
        def work(n, event, custom_stop):
            pass
        """,
    )
    policy = jobs["jobs.work"].policy
    assert policy.max_attempts.value == attempts
    assert policy.deadline.value == deadline
    assert policy.max_attempts.origin == f"stop={stop}"


@pytest.mark.parametrize(
    ("wait", "delay"),
    [
        ("wait_fixed(5)", Delay("constant", 5.0, 5.0, False)),
        ("wait_fixed(timedelta(seconds=3))", Delay("constant", 3.0, 3.0, False)),
        ("wait_none()", Delay("none", 0.0, None, False)),
        ("None", Delay("none", 0.0, None, False)),
        ("wait_random(1, 4)", Delay("constant", 1.0, 4.0, True)),
        ("wait_random()", Delay("constant", 0.0, 1.0, True)),
        ("wait_incrementing(start=1, increment=5, max=30)", Delay("linear", 1.0, 30.0, False)),
        ("wait_incrementing()", Delay("linear", 0.0, None, False)),
        ("wait_exponential()", Delay("exponential", 1.0, None, False)),
        ("wait_exponential(multiplier=0.5, min=2, max=30)", Delay("exponential", 2.0, 30.0, False)),
        ("wait_exponential(1, 10)", Delay("exponential", 1.0, 10.0, False)),
        ("wait_random_exponential(multiplier=1, max=60)", Delay("exponential", 1.0, 60.0, True)),
        ("wait_full_jitter(max=20)", Delay("exponential", 1.0, 20.0, True)),
        ("wait_exponential_jitter(initial=2, max=30)", Delay("exponential", 2.0, 30.0, True)),
        ("wait_exponential_jitter(jitter=0)", Delay("exponential", 1.0, None, False)),
        (
            "wait_exponential(multiplier=1, max=10) + wait_random(0, 2)",
            Delay("exponential", 1.0, 12.0, True),
        ),
        ("wait_fixed(3) + wait_random(0, 2)", Delay("constant", 3.0, 5.0, True)),
        ("wait_exponential() + wait_random(0, 1)", Delay("exponential", 1.0, None, True)),
        (
            "wait_chain(wait_fixed(1), wait_fixed(5), wait_fixed(30))",
            Delay("custom", 1.0, 30.0, False, (1.0, 5.0, 30.0)),
        ),
        ("wait_exception(lambda e: 5)", Delay("custom", None, None, None)),
        ("wait_exponential(max=LIMIT)", Delay("unknown", 1.0, None, False)),
        ("my_wait", Delay("unknown")),
        ("wait_fixed(2) * 3", Delay("unknown")),
    ],
)
def test_tenacity_wait_strategies(tmp_path: Path, wait: str, delay: Delay) -> None:
    jobs = analyse(
        tmp_path,
        f"""
        from datetime import timedelta
        from tenacity import retry, stop_after_attempt, wait_chain, wait_exception
        from tenacity import wait_exponential, wait_exponential_jitter, wait_fixed
        from tenacity import wait_full_jitter, wait_incrementing, wait_none, wait_random
        from tenacity import wait_random_exponential
        from config import LIMIT, my_wait

        @retry(stop=stop_after_attempt(3), wait={wait})
        def work():
            pass
        """,
    )
    policy = jobs["jobs.work"].policy
    assert policy.delay.value == delay
    assert policy.delay.source == "explicit"


@pytest.mark.parametrize(
    ("retry", "retry_on", "permanent"),
    [
        ("retry_if_exception_type(IOError)", ("IOError",), ()),
        (
            "retry_if_exception_type((IOError, requests.Timeout))",
            ("IOError", "requests.Timeout"),
            (),
        ),
        ("retry_if_exception_type()", "all", ()),
        ("retry_if_not_exception_type(ValueError)", "all", ("ValueError",)),
        ("retry_unless_exception_type((KeyError, TypeError))", "all", ("KeyError", "TypeError")),
        ("retry_if_result(lambda r: r is None)", (), ()),
        ("retry_if_exception(is_transient)", UNKNOWN, ()),
        ("retry_if_exception_message(match='timeout')", UNKNOWN, ()),
        (
            "retry_if_exception_type(IOError) | retry_if_result(lambda r: not r)",
            ("IOError",),
            (),
        ),
        (
            "retry_any(retry_if_exception_type(IOError), retry_if_exception_type(OSError))",
            ("IOError", "OSError"),
            (),
        ),
        (
            "retry_if_not_exception_type(ValueError) & retry_if_exception_type(OSError)",
            ("OSError",),
            ("ValueError",),
        ),
        ("retry_all(retry_if_exception_type(OSError), retry_if_exception(pred))", UNKNOWN, ()),
        ("custom_predicate", UNKNOWN, ()),
    ],
)
def test_tenacity_retry_predicates(
    tmp_path: Path, retry: str, retry_on: object, permanent: tuple[str, ...]
) -> None:
    jobs = analyse(
        tmp_path,
        f"""
        import requests
        from tenacity import *
        from tenacity import retry_all, retry_any, retry_if_exception, retry_if_exception_message
        from tenacity import retry_if_exception_type, retry_if_not_exception_type
        from tenacity import retry_if_result, retry_unless_exception_type, stop_after_attempt
        import tenacity

        @tenacity.retry(stop=stop_after_attempt(2), retry={retry})
        def work(is_transient, pred, custom_predicate):
            pass
        """,
    )
    policy = jobs["jobs.work"].policy
    assert policy.retry_on.value == retry_on
    assert policy.permanent.value == permanent
    assert policy.retry_on.origin == f"retry={retry}"


def test_tenacity_result_predicate_is_recorded(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        from tenacity import retry, retry_if_result, stop_after_attempt
        @retry(stop=stop_after_attempt(10), retry=retry_if_result(lambda ready: not ready))
        def poll():
            return False
        """,
    )
    job = jobs["jobs.poll"]
    assert job.detail("retry_on_result") is True
    assert job.policy.retries.value is True


def test_tenacity_disabled_or_never_retrying(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity

        @tenacity.retry(enabled=False)
        def off():
            pass

        @tenacity.retry(retry=tenacity.retry_never)
        def never():
            pass
        """,
    )
    for name in ("jobs.off", "jobs.never"):
        policy = jobs[name].policy
        assert policy.max_attempts.value == 1
        assert policy.retries.value is False
    assert jobs["jobs.off"].policy.max_attempts.origin == "enabled=False"


def test_tenacity_shared_policy_object(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity

        network_retry = tenacity.retry(stop=tenacity.stop_after_attempt(6))

        class Client:
            @network_retry
            def get(self, path):
                pass

        @network_retry
        def post(path):
            pass
        """,
    )
    method = jobs["jobs.Client.get"]
    assert (method.name, method.function) == ("get", "Client.get")
    assert method.policy.max_attempts.value == 6
    assert method.policy.max_attempts.line == 4  # the shared definition
    assert method.detail("shared_policy") == "network_retry"
    assert method.detail("decorator").span.line == 4
    assert jobs["jobs.post"].policy.max_attempts.value == 6


def test_tenacity_retry_block(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity
        from tenacity import AsyncRetrying, Retrying, stop_after_attempt

        def sync_orders(client):
            for attempt in Retrying(stop=stop_after_attempt(3), reraise=True):
                with attempt:
                    client.pull()

        async def sync_async(client):
            async for attempt in AsyncRetrying(wait=tenacity.wait_fixed(1)):
                with attempt:
                    await client.pull()

        def with_name(client):
            policy = tenacity.Retrying(stop=tenacity.stop_after_delay(20))
            for attempt in policy:
                with attempt:
                    client.pull()

        for attempt in Retrying():
            with attempt:
                print("module level")

        def not_retrying(items):
            for item in items:
                print(item)
        """,
    )
    block = jobs["jobs.sync_orders#retry-block@6"]
    assert (block.kind, block.name, block.function) == ("retry-block", "sync_orders", "sync_orders")
    assert (block.span.line, block.span.column, block.span.end_line) == (6, 5, 6)
    assert block.policy.max_attempts.value == 3
    assert block.detail("gives_up_with") == "original"
    assert block.detail("policy_call").called is True
    assert block.detail("block").end_line == 8

    async_block = jobs["jobs.sync_async#retry-block@11"]
    assert async_block.policy.max_attempts.value is UNBOUNDED
    assert async_block.policy.delay.value == Delay("constant", 1.0, 1.0, False)

    named = jobs["jobs.with_name#retry-block@17"]
    assert named.policy.deadline.value == 20.0
    assert named.policy.max_attempts.value is UNBOUNDED
    assert named.policy.max_attempts.line == 16

    module_level = jobs["jobs.<module>#retry-block@21"]
    assert module_level.function is None and module_level.name == "<module>"
    assert len([j for j in jobs.values() if j.framework == "tenacity"]) == 4


def test_tenacity_wrapped_calls(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        from tenacity import Retrying, stop_after_attempt

        def upload(path):
            pass

        def run(client):
            Retrying(stop=stop_after_attempt(2))(upload, "a.txt")
            retrier = Retrying(stop=stop_after_attempt(3))
            retrier(client.send, 1)
            wrapped = retrier.wraps(upload)
            return wrapped
        """,
    )
    first = jobs["jobs.run#retry-call@8"]
    assert (first.kind, first.name, first.function) == ("decorated-function", "upload", "upload")
    assert first.policy.max_attempts.value == 2
    second = jobs["jobs.run#retry-call@10"]
    assert (second.name, second.function) == ("client.send", None)
    assert second.policy.max_attempts.value == 3
    assert second.policy.max_attempts.line == 9
    third = jobs["jobs.run#retry-call@11"]
    assert third.function == "upload"


def test_tenacity_retry_with_is_a_job_at_the_call(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity

        @tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_fixed(1))
        def fetch():
            pass

        def urgent():
            return fetch.retry_with(stop=tenacity.stop_after_attempt(10))()
        """,
    )
    job = jobs["jobs.fetch"]
    assert job.policy.max_attempts.value == 3
    assert job.policies == ()
    urgent = jobs["jobs.urgent#retry-call@9"]
    assert (urgent.name, urgent.function, urgent.kind) == ("fetch", "fetch", "decorated-function")
    assert urgent.detail("retry_with_of") == "fetch"  # qualname within the module
    policy = urgent.policy
    assert policy.max_attempts.value == 10
    assert policy.max_attempts.line == 9
    assert policy.delay.value == Delay("constant", 1.0, 1.0, False)  # kept from the decorator
    assert policy.delay.line == 4
    assert urgent.detail("policy_call").span.line == 9


def test_tenacity_kwargs_spread_is_unknown(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity
        POLICY = {"stop": tenacity.stop_after_attempt(3)}

        @tenacity.retry(wait=tenacity.wait_fixed(1), **POLICY)
        def work():
            pass
        """,
    )
    policy = jobs["jobs.work"].policy
    assert policy.max_attempts.value is UNKNOWN
    assert policy.max_attempts.origin == "**kwargs (not analysed)"
    assert policy.retry_on.value is UNKNOWN
    assert policy.delay.value == Delay("constant", 1.0, 1.0, False)


def test_tenacity_look_alikes_are_not_jobs(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity
        from helpers import retry as helper_retry
        from .utils import retry

        def local_retry(times):
            def decorate(func):
                return func
            return decorate

        class Task:
            def retry(self):
                return self

            def run(self):
                self.retry()

        @retry(times=3)
        def a():
            pass

        @helper_retry
        def b():
            pass

        @local_retry(3)
        def c():
            pass

        class Retrying:
            pass

        def d():
            for x in Retrying():
                pass
            for y in tenacity.Retrying:  # the class, not an instance: not a retry block
                pass
        """,
        utils__py="def retry(times):\n    return lambda f: f\n",
    )
    assert not [j for j in jobs.values() if j.framework == "tenacity"]


def test_project_local_retry_decorator_named_retry(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity  # imported, but the decorator below is our own

        def retry(func):
            return func

        @retry
        def work():
            pass
        """,
    )
    assert not [j for j in jobs.values() if j.framework == "tenacity"]


def test_tenacity_odd_shapes_do_not_raise(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import tenacity
        from tenacity import retry

        @retry
        class NotAFunction:
            pass

        @retry(*ARGS)
        def starred():
            pass

        @retry(stop=None, wait=lambda state: 3, retry=None)
        def odd():
            pass

        @retry()()
        def double_call():
            pass

        @retry(tenacity.stop_after_attempt(2))
        def positional_first():  # the first positional parameter is `sleep`
            pass

        def outer():
            @retry(stop=tenacity.stop_after_attempt(2))
            def inner():
                pass
            return inner

        for _ in tenacity.Retrying(*A, **K):
            pass
        """,
    )
    assert jobs["jobs.starred"].policy.max_attempts.value is UNKNOWN
    assert jobs["jobs.odd"].policy.max_attempts.value is UNKNOWN
    assert jobs["jobs.odd"].policy.delay.value.strategy == "unknown"
    assert jobs["jobs.positional_first"].policy.max_attempts.value is UNBOUNDED
    assert jobs["jobs.outer.inner"].policy.max_attempts.value == 2
    assert jobs["jobs.outer.inner"].function == "outer.inner"
    assert "jobs.NotAFunction" not in jobs


def test_tenacity_and_backoff_on_one_function(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff
        import tenacity

        @tenacity.retry
        @backoff.on_exception(backoff.expo, IOError, max_tries=3)
        def layered():
            pass
        """,
    )
    assert jobs["jobs.layered"].framework == "tenacity"
    assert jobs["jobs.layered#backoff"].framework == "backoff"


# =============================================================================================
# backoff
# =============================================================================================


def test_backoff_on_exception_defaults_and_limits(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff
        import requests

        @backoff.on_exception(backoff.expo, requests.exceptions.RequestException)
        def forever(url):
            return requests.get(url, timeout=5)

        @backoff.on_exception(backoff.expo, (IOError, TimeoutError), max_tries=5, max_value=60)
        def bounded():
            pass

        @backoff.on_exception(backoff.expo, IOError, max_time=300)
        def timed():
            pass
        """,
    )
    forever = jobs["jobs.forever"]
    assert (forever.kind, forever.name, forever.span.line) == ("decorated-function", "forever", 6)
    policy = forever.policy
    assert policy.max_attempts.value is UNBOUNDED
    assert policy.max_attempts.source == "default"
    assert (
        policy.max_attempts.origin
        == "backoff default: max_tries=None, max_time=None (retries forever)"
    )
    assert policy.delay.value == Delay("exponential", 1.0, None, True)
    assert policy.delay.origin == "backoff.expo, jitter=full_jitter (default)"
    assert policy.deadline.value is None
    assert policy.retry_on.value == ("requests.exceptions.RequestException",)
    assert policy.retry_on.line == 5
    assert forever.detail("gives_up_with") == "original"

    bounded = jobs["jobs.bounded"].policy
    assert bounded.max_attempts.value == 5
    assert bounded.max_attempts.origin == "max_tries=5"
    assert bounded.delay.value == Delay("exponential", 1.0, 60.0, True)
    assert bounded.retry_on.value == ("IOError", "TimeoutError")

    timed = jobs["jobs.timed"].policy
    assert timed.max_attempts.value is UNBOUNDED
    assert timed.max_attempts.origin == "max_time=300"
    assert timed.deadline.value == 300.0


@pytest.mark.parametrize(
    ("arguments", "delay"),
    [
        ("backoff.expo, E, jitter=None", Delay("exponential", 1.0, None, False)),
        (
            "backoff.expo, E, factor=0.5, base=3, max_value=20",
            Delay("exponential", 0.5, 20.0, True),
        ),
        ("lambda: backoff.expo(factor=2, max_value=30), E", Delay("exponential", 2.0, 30.0, True)),
        ("backoff.expo, E, max_value=LIMIT", Delay("unknown", 1.0, None, True)),
        ("backoff.expo, E, max_value=None", Delay("exponential", 1.0, None, True)),
        ("backoff.fibo, E, max_value=13", Delay("exponential", 1.0, 13.0, True)),
        ("backoff.constant, E", Delay("constant", 1.0, 1.0, True)),
        ("backoff.constant, E, interval=5, jitter=None", Delay("constant", 5.0, 5.0, False)),
        ("backoff.constant, E, jitter=backoff.random_jitter", Delay("constant", 1.0, 1.0, True)),
        ("backoff.constant, E, jitter=my_jitter", Delay("constant", 1.0, 1.0, None)),
        ("backoff.runtime, E, value=lambda r: 3", Delay("custom", None, None, True)),
        ("my_generator, E", Delay("unknown", None, None, True)),
        ("wait_gen=backoff.expo, exception=E", Delay("exponential", 1.0, None, True)),
    ],
)
def test_backoff_wait_generators(tmp_path: Path, arguments: str, delay: Delay) -> None:
    jobs = analyse(
        tmp_path,
        f"""
        import backoff
        from config import LIMIT, E, my_generator, my_jitter

        @backoff.on_exception({arguments}, max_tries=4)
        def work():
            pass
        """,
    )
    assert jobs["jobs.work"].policy.delay.value == delay


def test_backoff_constant_interval_list_is_a_finite_schedule(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff

        @backoff.on_exception(backoff.constant, IOError, interval=[1, 5, 30], jitter=None)
        def stepped():
            pass
        """,
    )
    policy = jobs["jobs.stepped"].policy
    assert policy.delay.value == Delay("custom", 1.0, 30.0, False, (1.0, 5.0, 30.0))
    assert policy.max_attempts.value == 4
    assert "gives up when the intervals run out" in policy.max_attempts.origin


def test_backoff_max_tries_zero_never_stops(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff

        @backoff.on_exception(backoff.expo, IOError, max_tries=0)
        def zero():
            pass

        @backoff.on_exception(backoff.expo, IOError, max_tries=lambda: 3)
        def computed():
            pass
        """,
    )
    zero = jobs["jobs.zero"].policy.max_attempts
    assert zero.value is UNBOUNDED
    assert "never" in zero.origin
    assert jobs["jobs.computed"].policy.max_attempts.value is UNKNOWN


def test_backoff_aliases_predicate_and_hooks(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff as bo
        from backoff import on_exception as retry_on, on_predicate

        def alert(details):
            pass

        @retry_on(bo.expo, ConnectionError, max_tries=3, on_backoff=alert, on_giveup=[alert],
                  giveup=lambda e: e.status == 400, raise_on_giveup=False)
        def send(message):
            pass

        @on_predicate(bo.constant, interval=2, max_tries=10)
        def poll():
            return None
        """,
    )
    send = jobs["jobs.send"]
    assert send.framework == "backoff"
    assert send.policy.max_attempts.value == 3
    hooks = {(h.kind, h.target, h.every_attempt) for h in send.failure_hooks}
    assert hooks == {("on_backoff", "alert", True), ("on_giveup", "[alert]", False)}
    assert send.detail("raise_on_giveup") is False
    assert send.detail("gives_up_with") == "None returned"
    assert send.detail("giveup") is not None
    assert send.detail("decorator_kind") == "on_exception"

    poll = jobs["jobs.poll"]
    assert poll.policy.retry_on.value == ()
    assert poll.policy.max_attempts.value == 10
    assert poll.policy.delay.value == Delay("constant", 2.0, 2.0, True)
    assert poll.detail("decorator_kind") == "on_predicate"


def test_backoff_look_alikes(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff

        def on_exception(*args, **kwargs):
            return lambda f: f

        @on_exception(backoff.expo, IOError)
        def mine():
            pass

        @backoff.on_exception
        def broken():  # a TypeError at import: not a job
            pass

        @backoff.expo
        def not_a_decorator():
            pass
        """,
    )
    assert not [j for j in jobs.values() if j.framework == "backoff"]


# =============================================================================================
# stamina
# =============================================================================================


def test_stamina_defaults(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError)
        def fetch(url):
            return httpx.get(url)
        """,
    )
    job = only(jobs, "stamina")
    assert (job.qualname, job.kind, job.span.line) == ("jobs.fetch", "decorated-function", 6)
    policy = job.policy
    assert policy.max_attempts.value == 10
    assert policy.max_attempts.origin == "stamina default: attempts=10"
    assert policy.deadline.value == 45.0
    assert policy.deadline.origin == "stamina default: timeout=45"
    assert policy.delay.value == Delay("exponential", 0.1, 5.0, True)
    assert policy.delay.source == "default"
    assert policy.retry_on.value == ("httpx.HTTPError",)
    assert policy.retry_on.line == 5
    assert job.detail("gives_up_with") == "original"


def test_stamina_options(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import datetime as dt
        from stamina import retry

        def should_retry(exc):
            return True

        @retry(on=(IOError, TimeoutError), attempts=None, timeout=None)
        def forever():
            pass

        @retry(on=IOError, attempts=None, timeout=dt.timedelta(minutes=5), wait_jitter=0,
               wait_initial=1, wait_max=30)
        def timed():
            pass

        @retry(on=should_retry, attempts=3, wait_max=WAIT)
        def hooked():
            pass
        """,
    )
    forever = jobs["jobs.forever"].policy
    assert forever.max_attempts.value is UNBOUNDED
    assert forever.deadline.value is None
    assert forever.retry_on.value == ("IOError", "TimeoutError")

    timed = jobs["jobs.timed"].policy
    assert timed.max_attempts.value is UNBOUNDED
    assert timed.max_attempts.origin == "attempts=None (bounded by time only)"
    assert timed.deadline.value == 300.0
    assert timed.delay.value == Delay("exponential", 1.0, 30.0, False)
    assert timed.delay.origin == "wait_initial=1, wait_max=30, wait_jitter=0"

    hooked = jobs["jobs.hooked"].policy
    assert hooked.retry_on.value is UNKNOWN
    assert hooked.max_attempts.value == 3
    assert hooked.delay.value.strategy == "unknown"


def test_stamina_retry_context_block(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import stamina

        async def refresh(client):
            async for attempt in stamina.retry_context(on=ConnectionError, attempts=4):
                with attempt:
                    await client.refresh()

        def positional(client):
            for attempt in stamina.retry_context(OSError, 2):
                with attempt:
                    client.refresh()
        """,
    )
    block = jobs["jobs.refresh#retry-block@5"]
    assert (block.framework, block.kind, block.function) == ("stamina", "retry-block", "refresh")
    assert block.policy.max_attempts.value == 4
    assert block.policy.retry_on.value == ("ConnectionError",)
    positional = jobs["jobs.positional#retry-block@10"]
    assert positional.policy.max_attempts.value == 2
    assert positional.policy.retry_on.value == ("OSError",)


def test_stamina_look_alikes(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import stamina
        from myapp.resilience import retry

        @retry(on=IOError)
        def mine():
            pass

        @stamina.retry
        def missing_on():  # TypeError at import: `on` is required
            pass

        def loop(items):
            for item in stamina.instrumentation.get_on_retry_hooks():
                pass
        """,
    )
    assert not [j for j in jobs.values() if j.framework == "stamina"]


# =============================================================================================
# retrying
# =============================================================================================


def test_retrying_bare_decorator(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        from retrying import retry

        @retry
        def import_rows(path):
            pass
        """,
    )
    job = only(jobs, "retrying")
    assert (job.qualname, job.kind) == ("jobs.import_rows", "decorated-function")
    policy = job.policy
    assert policy.max_attempts.value is UNBOUNDED
    assert policy.max_attempts.source == "default"
    assert policy.delay.value == Delay("none", 0.0, None, False)
    assert policy.retry_on.value == "all"
    assert job.detail("gives_up_with") == "original"


def test_retrying_milliseconds_and_waits(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import retrying

        @retrying.retry(stop_max_attempt_number=5, stop_max_delay=60000,
                        wait_exponential_multiplier=1000, wait_exponential_max=30000)
        def exponential():
            pass

        @retrying.retry(stop_max_delay=10000, wait_fixed=1500, wait_random_min=0,
                        wait_random_max=3000)
        def largest():
            pass

        @retrying.retry(stop_max_attempt_number=3, wait_incrementing_start=500,
                        wait_incrementing_increment=1000, wait_jitter_max=250)
        def incrementing():
            pass

        @retrying.retry(stop_max_attempt_number=3, wait_exponential_multiplier=10)
        def uncapped():
            pass

        @retrying.retry(stop_func=lambda a, d: a > 3, wait_func=lambda a, d: 100)
        def custom():
            pass

        @retrying.retry(stop="stop_after_attempt", wait="fixed_sleep", wrap_exception=True)
        def named():
            pass
        """,
    )
    exponential = jobs["jobs.exponential"].policy
    assert exponential.max_attempts.value == 5
    assert exponential.deadline.value == 60.0
    assert exponential.delay.value == Delay("exponential", 2.0, 30.0, False)
    assert (
        exponential.delay.origin == "wait_exponential_multiplier=1000, wait_exponential_max=30000"
    )

    largest = jobs["jobs.largest"].policy
    assert largest.max_attempts.value is UNBOUNDED
    assert largest.deadline.value == 10.0
    assert largest.delay.value == Delay("constant", 1.5, 3.0, True)

    incrementing = jobs["jobs.incrementing"].policy.delay.value
    assert incrementing == Delay("linear", 0.5, None, True)

    assert jobs["jobs.uncapped"].policy.delay.value == Delay("exponential", 0.02, None, False)

    custom = jobs["jobs.custom"].policy
    assert custom.max_attempts.value is UNKNOWN
    assert custom.delay.value.strategy == "custom"

    named = jobs["jobs.named"]
    assert named.policy.max_attempts.value == 5
    assert "internal 5 attempts" in named.policy.max_attempts.origin
    assert named.policy.delay.value == Delay("constant", 1.0, 1.0, False)
    assert named.detail("gives_up_with") == "retrying.RetryError"


def test_retrying_retry_on_exception(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        from retrying import retry

        def is_io_error(exc):
            return isinstance(exc, IOError)

        @retry(retry_on_exception=(IOError, OSError), stop_max_attempt_number=3)
        def as_tuple():
            pass

        @retry(retry_on_exception=IOError, stop_max_attempt_number=3)
        def as_class():
            pass

        @retry(retry_on_exception=is_io_error, stop_max_attempt_number=3)
        def as_function():
            pass

        @retry(retry_on_exception=lambda e: True, after_attempts=print)
        def as_lambda():
            pass
        """,
    )
    assert jobs["jobs.as_tuple"].policy.retry_on.value == ("IOError", "OSError")
    # retrying computes `reject |= IOError(exc)`: TypeError on the first failure, no retry.
    as_class = jobs["jobs.as_class"]
    assert as_class.policy.retry_on.value == ()
    assert as_class.policy.max_attempts.value == 1
    assert as_class.policy.retries.value is False
    assert "fails with TypeError" in as_class.policy.max_attempts.origin
    assert as_class.policy.max_attempts.line == 11
    assert as_class.detail("gives_up_with") == "TypeError"
    assert jobs["jobs.as_function"].policy.retry_on.value is UNKNOWN
    as_lambda = jobs["jobs.as_lambda"]
    assert as_lambda.policy.retry_on.value is UNKNOWN
    assert [(h.kind, h.every_attempt) for h in as_lambda.failure_hooks] == [
        ("after_attempts", True)
    ]


def test_retrying_call_wrapper_and_look_alikes(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import retrying
        from tools import retry

        def rebuild():
            pass

        def run(index):
            retrying.Retrying(stop_max_attempt_number=2).call(rebuild)
            engine = retrying.Retrying(wait_fixed=100)
            engine.call(index.flush, 1)

        @retry(times=3)
        def not_retrying_package():
            pass

        class Job:
            def retry(self):
                pass

        def requeue(job):
            job.retry()
            job.call(rebuild)
        """,
    )
    retrying_jobs = {q: j for q, j in jobs.items() if j.framework == "retrying"}
    assert set(retrying_jobs) == {"jobs.run#retry-call@9", "jobs.run#retry-call@11"}
    first = retrying_jobs["jobs.run#retry-call@9"]
    assert (first.name, first.function) == ("rebuild", "rebuild")
    assert first.policy.max_attempts.value == 2
    second = retrying_jobs["jobs.run#retry-call@11"]
    assert second.policy.delay.value == Delay("constant", 0.1, 0.1, False)
    assert second.policy.max_attempts.value is UNBOUNDED


def test_files_without_retry_libraries_produce_no_jobs(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        def retry(func):
            return func

        @retry
        def work():
            pass
        """,
    )
    assert not [
        j for j in jobs.values() if j.framework in ("tenacity", "backoff", "stamina", "retrying")
    ]


# =============================================================================================
# decorators applied as calls, and stacked
# =============================================================================================


def test_decorators_applied_as_calls(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff
        import stamina
        from tenacity import retry, stop_after_attempt, wait_fixed

        def fetch(url):
            return url

        by_tenacity = retry(stop=stop_after_attempt(3), wait=wait_fixed(5))(fetch)
        by_backoff = backoff.on_exception(backoff.expo, ConnectionError, max_tries=4)(fetch)
        by_stamina = stamina.retry(on=ConnectionError, attempts=2)(fetch)
        """,
    )
    tenacity_job = jobs["jobs.<module>#retry-call@9"]
    assert (tenacity_job.framework, tenacity_job.name, tenacity_job.function) == (
        "tenacity",
        "fetch",
        "fetch",
    )
    assert tenacity_job.policy.max_attempts.value == 3
    assert tenacity_job.policy.delay.value == Delay("constant", 5.0, 5.0, False)
    assert tenacity_job.detail("decorator").span.line == 9  # where a fix edits
    assert jobs["jobs.<module>#retry-call@10"].policy.max_attempts.value == 4
    assert jobs["jobs.<module>#retry-call@11"].policy.max_attempts.value == 2


def test_stacked_retries_multiply_their_attempts(tmp_path: Path) -> None:
    jobs = analyse(
        tmp_path,
        """
        import backoff
        import tenacity
        from tenacity import retry, stop_after_attempt, wait_fixed

        def fetch(url):
            return url

        twice = retry(stop=stop_after_attempt(3))(retry(stop=stop_after_attempt(4))(fetch))
        mixed = retry(stop=stop_after_attempt(2), wait=wait_fixed(1))(
            backoff.on_exception(backoff.expo, OSError, max_tries=5)(fetch)
        )

        @tenacity.retry(stop=stop_after_attempt(2))
        @backoff.on_exception(backoff.expo, IOError, max_tries=3)
        def layered():
            pass
        """,
    )
    outer = jobs["jobs.<module>#retry-call@9"]
    inner = jobs["jobs.<module>#retry-call@9:43"]
    assert (outer.name, inner.name) == ("fetch", "fetch")
    assert inner.policy.max_attempts.value == 4
    assert outer.policy.max_attempts.value == 12
    assert outer.policy.max_attempts.origin == (
        "stop=stop_after_attempt(3), around a tenacity retry of stop=stop_after_attempt(4) "
        "(line 9): every attempt runs all of its attempts, so they multiply"
    )
    assert outer.policy.delay.value.strategy == "none"  # both wait nothing: 12 calls at once
    mixed = jobs["jobs.<module>#retry-call@10"]
    assert mixed.policy.max_attempts.value == 10
    assert mixed.policy.delay.value.strategy == "custom"  # 1 s between rounds of backoff's waits
    assert mixed.detail("stacked_on") == jobs["jobs.<module>#retry-call@11"].span
    assert jobs["jobs.layered"].policy.max_attempts.value == 6
    assert jobs["jobs.layered#backoff"].policy.max_attempts.value == 3


# =============================================================================================
# policies shared across modules
# =============================================================================================

RETRIES_MODULE = """
import backoff
import tenacity
from tenacity import stop_after_attempt, wait_exponential

api_retry = tenacity.retry(stop=stop_after_attempt(5), wait=wait_exponential())


class ApiError(Exception):
    pass


def http_retry(max_tries=6, cap=None):
    return backoff.on_exception(
        backoff.expo, ApiError, max_tries=max_tries, max_value=cap, jitter=None
    )


def db_retry(fn):
    return tenacity.retry(stop=stop_after_attempt(3))(fn)


@http_retry()
def local_use():
    pass
"""


def project_jobs(tmp_path: Path, files: dict[str, str]) -> dict[str, Job]:
    """Jobs of a project made of ``files`` (relative path: source), by qualname."""
    return {job.qualname: job for job in analysed_jobs(tmp_path, files)}


BILLING_MODULE = """
        from app import retries
        from app.retries import api_retry, db_retry, http_retry

        @http_retry()
        def charge(card):
            return card

        @retries.http_retry(cap=30)
        def refund(card):
            return card

        @http_retry(3)
        def ping(card):
            return card

        @api_retry
        def sync(card):
            return card

        @db_retry
        def save(card):
            return card
"""


def test_policies_shared_across_modules(tmp_path: Path) -> None:
    jobs = project_jobs(
        tmp_path,
        {"app/__init__.py": "", "app/retries.py": RETRIES_MODULE, "app/billing.py": BILLING_MODULE},
    )
    charge = jobs["app.billing.charge"]
    assert (charge.framework, charge.kind, charge.function, charge.path) == (
        "backoff",
        "decorated-function",
        "charge",
        "app/billing.py",
    )
    attempts = charge.policy.max_attempts
    assert attempts.value == 6
    assert attempts.origin == "max_tries=max_tries (max_tries=6 by default)"
    assert (attempts.path, attempts.line) == ("app/retries.py", 15)
    assert charge.policy.delay.value == Delay("exponential", 1.0, None, False)
    assert charge.policy.retry_on.value == ("app.retries.ApiError",)
    assert charge.detail("factory") == "app.retries.http_retry"
    assert charge.detail("policy_path") == "app/retries.py"
    # A use that passes a parameter: what it decides is not known here; the rest is.
    refund = jobs["app.billing.refund"]
    assert refund.policy.delay.value.strategy == "unknown"
    assert refund.policy.max_attempts.value == 6
    ping = jobs["app.billing.ping"]
    assert ping.policy.max_attempts.value is UNKNOWN
    assert ping.policy.max_attempts.origin == "max_tries=max_tries (as the use passes it)"
    assert jobs["app.billing.sync"].policy.max_attempts.value == 5
    assert jobs["app.billing.save"].policy.max_attempts.value == 3
    # Within the factory's own module too; the wrapper's inner call is not a job of its own.
    assert jobs["app.retries.local_use"].policy.max_attempts.value == 6
    assert not [name for name in jobs if name.startswith("app.retries.db_retry")]


def test_a_shared_policy_is_reported_once_at_its_definition(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/retries.py").write_text(textwrap.dedent(RETRIES_MODULE))
    (tmp_path / "app/shop.py").write_text(
        textwrap.dedent(
            """
            from app.retries import http_retry

            @http_retry()
            def a():
                pass

            @http_retry()
            def b():
                pass
            """
        )
    )
    result = analyse_project(tmp_path)
    found = [f for f in result.findings if f.code == "RL202"]
    assert [(f.path, f.line) for f in found] == [("app/retries.py", 15)]


def test_shared_policy_look_alikes(tmp_path: Path) -> None:
    views = """
        from app.helpers import cached, timed, api_retry

        @cached()
        def rates():
            pass

        @timed
        def report():
            pass

        @api_retry
        def misused():
            pass
    """
    helpers = """
        import functools
        import tenacity

        def cached():
            return functools.lru_cache(maxsize=None)

        def timed(fn):
            return fn

        def api_retry():
            return tenacity.retry(stop=tenacity.stop_after_attempt(3))
    """
    files = {"app/__init__.py": "", "app/views.py": views, "app/helpers.py": helpers}
    jobs = project_jobs(tmp_path, files)
    assert [job for job in jobs.values() if job.path.endswith("views.py")] == []
