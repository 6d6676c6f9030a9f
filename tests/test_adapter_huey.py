"""The Huey adapter: task decorators on Huey objects, policies, RetryTask, hooks, call sites."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from retrylint.model import UNBOUNDED, UNKNOWN, Job
from tests.conftest import analyse_project

CONFIG = """
from huey import RedisHuey

huey = RedisHuey("app")
"""


def project(tmp_path: Path, files: dict[str, str]) -> tuple[list[Job], Any]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    result = analyse_project(tmp_path, select=("RL001",))
    assert not result.errors, result.errors
    return [job for job in result.jobs if job.framework == "huey"], result


def app(tmp_path: Path, tasks: str, **extra: str) -> list[Job]:
    files = {"app/__init__.py": "", "app/config.py": CONFIG, "app/tasks.py": tasks}
    files.update({f"app/{name}.py": text for name, text in extra.items()})
    return project(tmp_path, files)[0]


def by_name(jobs: list[Job], name: str) -> Job:
    found = [job for job in jobs if job.name == name]
    assert len(found) == 1, [job.qualname for job in jobs]
    return found[0]


def test_retries_and_delay(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from app.config import huey as hq

        @hq.task(retries=3, retry_delay=10, timeout=20)
        def send(to):
            return to
        """,
    )
    job = by_name(jobs, "send")
    assert job.qualname == "app.tasks.send" and job.kind == "task" and job.function == "send"
    assert job.span.line == 4
    policy = job.policy
    assert policy.max_attempts.value == 4
    assert (policy.max_attempts.source, policy.max_attempts.line) == ("explicit", 3)
    assert policy.max_attempts.origin == "retries=3"
    assert policy.retries.value is True
    delay = policy.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.jitter) == ("constant", 10.0, 10.0, False)
    assert policy.retry_on.value == "all"
    assert policy.deadline.value is None
    assert policy.redelivery.value is False
    assert job.time_limit is not None and job.time_limit.value == 20.0
    assert job.detail("decorator").called is True
    assert job.detail("huey_instance") == "app.config.huey"


def test_defaults(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from app.config import huey

        @huey.task()
        def ping():
            return 1
        """,
    )
    policy = by_name(jobs, "ping").policy
    assert policy.max_attempts.value == 1 and policy.max_attempts.source == "default"
    assert policy.max_attempts.origin == "retries=0 (Huey default)"
    assert policy.retries.value is False
    assert policy.delay.value.strategy == "none" and policy.delay.source == "default"
    assert by_name(jobs, "ping").time_limit.value is None  # type: ignore[union-attr]


def test_backoff(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from app.config import huey

        @huey.task(retries=4, retry_delay=5, retry_backoff=2)
        def grows():
            pass

        @huey.task(retries=4, retry_delay=5, retry_backoff=1)
        def flat():
            pass

        @huey.task(retries=4, retry_backoff=3)
        def immediate():
            pass

        @huey.task(2, 7)
        def positional():
            pass
        """,
    )
    grows = by_name(jobs, "grows").policy.delay.value
    assert (grows.strategy, grows.base, grows.cap, grows.jitter) == (
        "exponential",
        5.0,
        None,
        False,
    )
    assert by_name(jobs, "flat").policy.delay.value.strategy == "constant"
    assert by_name(jobs, "immediate").policy.delay.value.strategy == "none"
    positional = by_name(jobs, "positional").policy
    assert positional.max_attempts.value == 3 and positional.delay.value.base == 7.0


def test_retry_task_is_unbounded(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from huey.exceptions import RetryTask
        from app.config import huey

        @huey.task()
        def poll(x):
            def helper():
                raise RetryTask()  # a nested function: not this task's raise
            if not x:
                raise RetryTask(delay=15)
            return x

        @huey.task(retries=2)
        def only_nested():
            def helper():
                raise RetryTask
            return helper
        """,
    )
    policy = by_name(jobs, "poll").policy
    assert policy.max_attempts.value is UNBOUNDED
    assert (policy.max_attempts.source, policy.max_attempts.line) == ("explicit", 9)
    assert "never consumes a retry" in policy.max_attempts.origin
    assert policy.retries.value is True
    assert policy.retry_on.value == ("huey.exceptions.RetryTask",)
    assert (policy.delay.value.strategy, policy.delay.value.base) == ("constant", 15.0)
    assert by_name(jobs, "poll").detail("retry_task_raises")[0].line == 9
    assert by_name(jobs, "only_nested").policy.max_attempts.value == 3


def test_cancel_execution_retry_true(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        import huey as huey_lib
        from app.config import huey

        @huey.task(retries=1)
        def rearm(x):
            raise huey_lib.CancelExecution(retry=True)

        @huey.task(retries=1)
        def stop(x):
            raise huey_lib.CancelExecution()
        """,
    )
    rearm = by_name(jobs, "rearm")
    assert rearm.policy.max_attempts.value is UNBOUNDED
    assert rearm.detail("cancel_retry_raises")[0].line == 6
    assert by_name(jobs, "stop").policy.max_attempts.value == 2


def test_odd_retries_values(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from app.config import huey
        from app.settings import RETRIES

        @huey.task(retries=-1)
        def forever():
            pass

        @huey.task(retries=None)
        def none():
            pass

        @huey.task(retries=RETRIES)
        def imported():
            pass

        def make(n):
            @huey.task(retries=n)
            def inner():
                pass
            return inner
        """,
        settings="RETRIES = 6\n",
    )
    assert by_name(jobs, "forever").policy.max_attempts.value is UNBOUNDED
    assert by_name(jobs, "none").policy.max_attempts.value == 1
    assert by_name(jobs, "imported").policy.max_attempts.value == 7
    inner = by_name(jobs, "inner")
    assert inner.qualname == "app.tasks.make.inner"
    assert inner.policy.max_attempts.value is UNKNOWN


def test_periodic_name_lock_and_instance_kinds(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from huey import crontab
        from app.config import huey

        @huey.periodic_task(crontab(minute="0"), retries=1, name="hourly.sweep")
        def sweep():
            pass

        @huey.task()
        @huey.lock_task("reports")
        def report():
            pass

        @huey.context_task(open("/tmp/x"), retries=2)
        def with_file():
            pass
        """,
    )
    sweep = by_name(jobs, "hourly.sweep")
    assert sweep.qualname == "app.tasks.sweep"
    assert sweep.detail("periodic") is True
    assert sweep.detail("schedule").code == 'crontab(minute="0")'
    assert sweep.policy.max_attempts.value == 2
    assert by_name(jobs, "report").detail("locks") == ('"reports"',)
    assert by_name(jobs, "with_file").policy.max_attempts.value == 3
    assert len(jobs) == 3  # lock_task itself is not a task


def test_djhuey(tmp_path: Path) -> None:
    jobs, _ = project(
        tmp_path,
        {
            "site/__init__.py": "",
            "site/tasks.py": """
                from huey import crontab
                from huey.contrib import djhuey
                from huey.contrib.djhuey import db_periodic_task as nightly
                from huey.contrib.djhuey import db_task

                @db_task(retries=2, retry_delay=30)
                def index(pk):
                    return pk

                @nightly(crontab(hour="3"))
                def purge():
                    pass

                @djhuey.task()
                def ping():
                    pass
                """,
        },
    )
    assert sorted(job.name for job in jobs) == ["index", "ping", "purge"]
    index = by_name(jobs, "index")
    assert index.policy.max_attempts.value == 3
    assert index.detail("huey_instance") == "huey.contrib.djhuey"
    assert by_name(jobs, "purge").detail("periodic") is True


def test_signal_hooks(tmp_path: Path) -> None:
    jobs, _ = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/config.py": CONFIG + "\nother = RedisHuey('other')\n",
            "app/tasks.py": """
                from app.config import huey, other

                @huey.task(retries=1)
                def main_task():
                    pass

                @other.task()
                def other_task():
                    pass
                """,
            "app/hooks.py": """
                from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR
                from app.config import huey

                @huey.signal(SIGNAL_ERROR)
                def on_error(signal, task, exc=None):
                    pass

                @huey.signal(SIGNAL_COMPLETE)
                def on_done(signal, task):
                    pass
                """,
        },
    )
    main = by_name(jobs, "main_task")
    assert [(h.kind, h.target, h.every_attempt) for h in main.failure_hooks] == [
        ("SIGNAL_ERROR-signal", "app.hooks.on_error", True)
    ]
    assert by_name(jobs, "other_task").failure_hooks == ()  # a handler on another instance


def test_signal_hook_facts(tmp_path: Path) -> None:
    from retrylint.config import load_config
    from retrylint.file_phase import AnalysisSettings, analyse_source

    source = textwrap.dedent(
        """
        from huey import RedisHuey
        from huey.signals import SIGNAL_ERROR

        huey = RedisHuey("x")

        @huey.signal(SIGNAL_ERROR)
        def alert(signal, task, exc=None):
            pass

        @huey.signal()
        def everything(signal, task, *args):
            pass

        def fallback(exc):
            pass

        def go(t):
            t.s(1).then(t, 2).error(fallback)
        """
    ).encode()
    settings = AnalysisSettings(load_config(tmp_path), frozenset())
    facts = analyse_source("m.py", source, settings).facts
    assert facts is not None
    kinds = sorted((h.framework, h.kind, h.target) for h in facts.hooks)
    assert kinds == [
        ("huey", "SIGNAL_ERROR-signal", "alert"),
        ("huey", "any-signal", "everything"),
        ("huey", "on_error", "$.fallback"),
    ]


def test_call_sites_and_overrides(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from app.config import huey

        @huey.task(retries=2, retry_delay=10, retry_backoff=2)
        def notify(user):
            return user

        def same_file():
            notify(1)
        """,
        views="""
        from app import tasks
        from app.tasks import notify

        def view():
            notify(2)
            notify.schedule(args=(3,), delay=60, retries=8)
            notify.s(4).then(notify, 5)
            notify.map([6, 7])
            tasks.notify(8, retry_delay=1)
            notify.call_local(9)
        """,
    )
    job = by_name(jobs, "notify")
    methods = [(Path(site.path).name, site.span.line, site.method) for site in job.call_sites]
    assert methods == [
        ("tasks.py", 8, "call"),
        ("views.py", 5, "call"),
        ("views.py", 6, "schedule"),
        ("views.py", 7, "s"),
        ("views.py", 8, "map"),
        ("views.py", 9, "call"),
    ]
    # the decorator's policy is the job's; calls passing retry options carry their own
    assert job.policy.max_attempts.value == 3
    assert [(site.method, policy.max_attempts.value) for site, policy in job.policies] == [
        ("schedule", 9),
        ("call", 3),
    ]
    schedule_policy = job.policies[0][1]
    assert schedule_policy.max_attempts.path is not None
    assert schedule_policy.max_attempts.path.endswith("views.py")
    assert schedule_policy.delay.value.base == 10.0  # retry_delay from the decorator
    call_delay = job.policies[1][1].delay
    assert call_delay.value.base == 1.0 and "from the decorator" in call_delay.origin


# -- disambiguation ------------------------------------------------------------------------------


def test_celery_and_other_task_decorators_are_not_huey(tmp_path: Path) -> None:
    jobs, _ = project(
        tmp_path,
        {
            "mix/__init__.py": "",
            "mix/celery_app.py": "from celery import Celery\n\napp = Celery('mix')\n",
            "mix/registry.py": "class Registry:\n    def task(self, **kw):\n        return lambda f: f\n\n\nplugins = Registry()\n",
            "mix/config.py": CONFIG,
            "mix/tasks.py": """
                from mix.celery_app import app
                from mix.config import huey
                from mix.registry import plugins

                @app.task(max_retries=3)
                def celery_task():
                    pass

                @app.task(retries=3)  # Huey-only keyword, but app is a Celery object
                def celery_too():
                    pass

                @plugins.task(retries=3)
                def plugin():
                    pass

                @huey.task  # bare: Huey's decorators are always called
                def bare():
                    pass

                def task(f):
                    return f

                @task
                def plain():
                    pass

                @huey.task(retries=1)
                def real():
                    pass
                """,
        },
    )
    assert [job.name for job in jobs] == ["real"]


def test_unresolvable_receiver_needs_huey_only_options(tmp_path: Path) -> None:
    files = {
        "u/__init__.py": "",
        "u/setup.py": "from huey import SqliteHuey\n\n\ndef make():\n    return SqliteHuey('u')\n",
        "u/tasks.py": """
            from u.setup import make

            queue = make()

            @queue.task(retries=2, retry_delay=5)
            def claimed():
                pass

            @queue.task(priority=1)
            def not_claimed():
                pass
            """,
    }
    jobs, _ = project(tmp_path, files)
    assert [job.name for job in jobs] == ["claimed"]


def test_without_huey_import_nothing_is_claimed(tmp_path: Path) -> None:
    jobs, _ = project(
        tmp_path,
        {"t.py": "def get():\n    pass\n\nq = get()\n\n@q.task(retries=2)\ndef t():\n    pass\n"},
    )
    assert jobs == []


def test_shadowed_module_name(tmp_path: Path) -> None:
    jobs, _ = project(
        tmp_path,
        {
            "s.py": """
                import huey

                huey = huey.MemoryHuey("s")

                @huey.task(retries=1)
                def job():
                    pass
                """,
        },
    )
    [job] = jobs
    assert job.policy.max_attempts.value == 2 and job.detail("huey_instance") == "s.huey"


def test_odd_shapes_do_not_raise(tmp_path: Path) -> None:
    jobs = app(
        tmp_path,
        """
        from app.config import huey

        opts = {"retries": 2}

        @huey.task(**opts)
        def starred():
            pass

        @huey.task(retries=1)
        class NotAFunction:
            pass

        @huey.task(retries="3", retry_delay=lambda: 1, retry_backoff="x")
        async def odd():
            raise

        @huey.signal(*opts)
        def sig(*a):
            pass

        def pipeline(x):
            x.error()
            (lambda: 1).error(sig)
        """,
    )
    assert by_name(jobs, "starred").policy.max_attempts.value == 1
    odd = by_name(jobs, "odd")
    assert odd.policy.max_attempts.value is UNKNOWN
    assert odd.policy.delay.value.strategy == "unknown"
    assert odd.detail("async") is True
