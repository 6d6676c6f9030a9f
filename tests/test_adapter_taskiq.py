"""The taskiq adapter: brokers, retry middleware, labels, and `.task` disambiguation
(frameworks.md 6)."""

from __future__ import annotations

from pathlib import Path

from retrylint.model import UNKNOWN, Job
from tests.conftest import analysed_jobs


def project(tmp_path: Path, files: dict[str, str]) -> dict[str, Job]:
    """Write ``files`` under tmp_path, analyse it as one project, return taskiq jobs by name."""
    return {job.name: job for job in analysed_jobs(tmp_path, files) if job.framework == "taskiq"}


def with_broker(tmp_path: Path, broker: str, tasks: str) -> dict[str, Job]:
    return project(
        tmp_path,
        {"app/__init__.py": "", "app/broker.py": broker, "app/tasks.py": tasks},
    )


SIMPLE = """
from taskiq import InMemoryBroker, SimpleRetryMiddleware

broker = InMemoryBroker().with_middlewares(SimpleRetryMiddleware(default_retry_count=4))
"""


def test_no_middleware_no_retries(tmp_path: Path) -> None:
    jobs = with_broker(
        tmp_path,
        "from taskiq_redis import ListQueueBroker\n\nbroker = ListQueueBroker('redis://')\n",
        """
        from app.broker import broker

        @broker.task(retry_on_error=True)
        async def work(x): ...
        """,
    )
    job = jobs["app.tasks:work"]
    assert job.kind == "task"
    assert job.qualname == "app.tasks.work"
    assert job.span.line == 5
    assert job.policy.retries.value is False
    assert job.policy.max_attempts.value == 1
    assert "no retry middleware" in job.policy.retries.origin
    assert job.policy.redelivery.value is False  # ListQueueBroker: BRPOP, no acks
    assert job.detail("retry_label_without_middleware") is not None
    assert job.detail("broker") == "app.broker.broker"


def test_simple_middleware_needs_the_label(tmp_path: Path) -> None:
    jobs = with_broker(
        tmp_path,
        SIMPLE,
        """
        from app.broker import broker

        @broker.task
        async def unlabelled(): ...

        @broker.task(retry_on_error=True)
        async def labelled(): ...

        @broker.task(retry_on_error=True, max_retries=2, timeout=5)
        async def two(): ...

        @broker.task("custom.name", retry_on_error="true", max_retries=1)
        async def one(): ...
        """,
    )
    unlabelled = jobs["app.tasks:unlabelled"].policy
    assert unlabelled.retries.value is False
    assert unlabelled.retries.origin == "default_retry_label=False (taskiq default)"
    labelled = jobs["app.tasks:labelled"].policy
    assert labelled.retries.value is True
    assert (labelled.retries.source, labelled.retries.line) == ("explicit", 7)
    attempts = labelled.max_attempts
    assert (attempts.value, attempts.source) == (4, "app-config")  # default_retry_count counts runs
    assert attempts.path is not None and attempts.path.endswith("broker.py")
    assert labelled.delay.value.strategy == "none"  # Simple re-sends at once
    assert labelled.retry_on.value == "all"
    assert labelled.redelivery.value is False  # InMemoryBroker
    two = jobs["app.tasks:two"]
    assert two.policy.max_attempts.value == 2
    assert two.time_limit is not None and two.time_limit.value == 5.0
    one = jobs["custom.name"].policy
    assert one.max_attempts.value == 1
    assert one.retries.value is False


def test_smart_middleware_delays(tmp_path: Path) -> None:
    jobs = with_broker(
        tmp_path,
        """
        from taskiq import SmartRetryMiddleware
        from taskiq_aio_pika import AioPikaBroker

        broker = AioPikaBroker("amqp://")
        broker.add_middlewares(SmartRetryMiddleware(default_retry_label=True, use_jitter=True))

        linear = SmartRetryMiddleware(use_delay_exponent=True, default_delay=20)
        """,
        """
        from app.broker import broker

        class Boom(Exception): ...

        @broker.task
        async def default_on(): ...

        @broker.task(delay=0, types_of_exceptions=(Boom, TimeoutError))
        async def immediate(): ...
        """,
    )
    default_on = jobs["app.tasks:default_on"].policy
    assert default_on.retries.value is True
    assert default_on.retries.source == "app-config"  # default_retry_label=True
    assert default_on.max_attempts.value == 3
    assert default_on.max_attempts.source == "default"
    delay = default_on.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.jitter) == ("constant", 5.0, 5.0, True)
    assert default_on.redelivery.value is True  # AioPikaBroker keeps unacked messages
    immediate = jobs["app.tasks:immediate"].policy
    assert immediate.delay.value.strategy == "none"
    assert immediate.retry_on.value == ("app.tasks.Boom", "TimeoutError")


def test_smart_linear_backoff_in_constructor_chain(tmp_path: Path) -> None:
    jobs = with_broker(
        tmp_path,
        """
        import taskiq
        from taskiq_redis import RedisStreamBroker, RedisAsyncResultBackend

        retry = taskiq.SmartRetryMiddleware(
            use_delay_exponent=True, default_delay=20, max_delay_exponent=90
        )
        broker = (
            RedisStreamBroker("redis://")
            .with_result_backend(RedisAsyncResultBackend("redis://"))
            .with_middlewares(retry)
        )
        """,
        """
        from app.broker import broker

        @broker.task(retry_on_error=True, max_retries=6)
        async def grow(): ...
        """,
    )
    policy = jobs["app.tasks:grow"].policy
    delay = policy.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.jitter) == ("linear", 20.0, 90.0, False)
    assert policy.delay.source == "app-config"
    assert policy.max_attempts.value == 6
    assert policy.redelivery.value is UNKNOWN  # not a broker whose behaviour we know


def test_disambiguation(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/broker.py": SIMPLE,
            "app/celery_app.py": """
                from celery import Celery

                app = Celery("x")

                @app.task(bind=True)
                def celery_task(self): ...
            """,
            "app/other.py": """
                from external import queue, registry
                from taskiq import async_shared_broker

                @queue.task(name="x")
                def unknown_receiver(): ...

                @registry.task(task_name="claimed", retry_on_error=True)
                async def taskiq_labels(): ...

                @async_shared_broker.task(retry_on_error=True)
                async def shared(): ...

                class Thing:
                    def task(self, fn):
                        return fn

                thing = Thing()

                @thing.task
                def local_object(): ...
            """,
        },
    )
    assert sorted(jobs) == ["app.other:shared", "claimed"]
    claimed = jobs["claimed"].policy
    assert claimed.retries.value is UNKNOWN
    assert claimed.delay.value.strategy == "unknown"
    # The shared broker runs on the project's only broker.
    shared = jobs["app.other:shared"]
    assert shared.detail("broker") == "app.broker.broker"
    assert shared.policy.max_attempts.value == 4


def test_hooks_and_call_sites(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/mw.py": """
                from taskiq import TaskiqMiddleware

                class Alert(TaskiqMiddleware):
                    async def on_error(self, message, result, exception): ...
            """,
            "app/broker.py": """
                from taskiq import InMemoryBroker, SimpleRetryMiddleware
                from app.mw import Alert

                broker = InMemoryBroker().with_middlewares(SimpleRetryMiddleware(), Alert())
            """,
            "app/tasks.py": """
                from app.broker import broker

                @broker.task
                async def work(x): ...
            """,
            "app/api.py": """
                from app import tasks
                from app.tasks import work

                async def go():
                    await work.kiq(1)
                    await tasks.work.kicker().with_labels(a=1).kiq(2)
                    await work(3)
            """,
        },
    )
    job = jobs["app.tasks:work"]
    assert [(h.kind, h.target, h.every_attempt) for h in job.failure_hooks] == [
        ("middleware.on_error", "app.mw.Alert", True)
    ]
    assert [site.method for site in job.call_sites] == ["kiq", "kicker"]


def test_odd_shapes_do_not_raise(tmp_path: Path) -> None:
    jobs = with_broker(
        tmp_path,
        """
        from taskiq import InMemoryBroker, SmartRetryMiddleware

        broker = InMemoryBroker()
        broker.with_middlewares(SmartRetryMiddleware(use_delay_exponent=flag, default_delay=d))
        make_broker().with_middlewares()
        """,
        """
        from app.broker import broker

        labels = {}

        @broker.task(**labels)
        async def starred(): ...

        @broker.task(task_name=compute(), retry_on_error=maybe, max_retries=n)
        async def dynamic(): ...
        """,
    )
    assert jobs["app.tasks:starred"].policy.retries.value is False
    dynamic = jobs["app.tasks:dynamic"]
    assert dynamic.policy.retries.value is UNKNOWN
    assert dynamic.policy.max_attempts.value is UNKNOWN
    assert dynamic.policy.delay.value.strategy == "unknown"
    assert dynamic.detail("task_name_unknown") is True
