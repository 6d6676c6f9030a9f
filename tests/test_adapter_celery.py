"""The Celery adapter: detection, option precedence and the effective policy (frameworks.md 1)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.config import Config
from retrylint.facts import FileFacts
from retrylint.file_phase import AnalysisSettings, analyse_source
from retrylint.frameworks.celery.countdown import RetryCall
from retrylint.model import UNBOUNDED, UNKNOWN, Job
from tests.conftest import analysed_jobs

APP = """
from celery import Celery

app = Celery("proj")
"""


def project(tmp_path: Path, files: dict[str, str]) -> dict[str, Job]:
    """Write ``files`` under tmp_path, analyse it as one project, return Celery jobs by name."""
    return {job.name: job for job in analysed_jobs(tmp_path, files) if job.framework == "celery"}


def facts(text: str, path: str = "mod.py") -> FileFacts:
    settings = AnalysisSettings(Config(root=Path("."), path=None), frozenset())
    result = analyse_source(path, textwrap.dedent(text).encode(), settings)
    assert result.facts is not None
    return result.facts


def tasks_module(body: str) -> dict[str, str]:
    return {
        "proj/__init__.py": "",
        "proj/celery.py": APP,
        "proj/tasks.py": "from proj.celery import app\n" + textwrap.dedent(body),
    }


# -- detection ---------------------------------------------------------------------------------
def test_app_built_elsewhere_bare_and_called_decorators(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/worker.py": "from celery import Celery as C\n\nqueue_app = C('proj')\n",
            "proj/tasks.py": """
                from proj.worker import queue_app as q

                @q.task
                def plain():
                    pass

                @q.task()
                def called():
                    pass
            """,
        },
    )
    assert set(jobs) == {"proj.tasks.plain", "proj.tasks.called"}
    plain = jobs["proj.tasks.plain"]
    assert plain.qualname == "proj.tasks.plain"
    assert plain.function == "plain"
    assert plain.kind == "task"
    assert plain.span.line == 5
    assert plain.detail("app") == "proj.worker.queue_app"
    assert plain.detail("decorator").called is False
    assert jobs["proj.tasks.called"].detail("decorator").called is True
    policy = plain.policy
    assert policy.retries.value is False
    assert policy.max_attempts.value == 1
    assert policy.redelivery.value is False and policy.redelivery.source == "default"
    assert plain.time_limit is not None and plain.time_limit.value is None


def test_shared_task_aliases_and_current_app(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app.py": APP,
            "jobs.py": """
                import celery
                from celery import shared_task as st

                @st
                def a():
                    pass

                @celery.shared_task(name="custom.b")
                def b():
                    pass

                @celery.current_app.task(bind=True)
                def c(self):
                    pass
            """,
        },
    )
    assert set(jobs) == {"jobs.a", "custom.b", "jobs.c"}
    assert jobs["custom.b"].qualname == "jobs.b"
    assert jobs["jobs.a"].detail("app") == "app.app"


def test_lookalikes_are_not_celery(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app.py": APP,
            "other.py": """
                from huey import RedisHuey
                from taskiq import InMemoryBroker

                huey = RedisHuey()
                broker = InMemoryBroker()

                @huey.task(retries=2)
                def thumbnail():
                    pass

                @broker.task
                async def ping():
                    pass

                def task(f):
                    return f

                @task
                def local():
                    pass

                class Registry:
                    def task(self, f):
                        return f

                registry = Registry()

                @registry.task
                def callback():
                    pass
            """,
        },
    )
    assert jobs == {}


def test_unresolved_receiver_claimed_by_celery_only_keywords(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "jobs.py": """
                from platform_lib.queue import worker
                from huey import MemoryHuey

                @worker.task(bind=True, autoretry_for=(IOError,))
                def celery_style(self):
                    pass

                @worker.task
                def ambiguous():
                    pass
            """,
        },
    )
    # huey is imported too, so the bare decorator is not claimed; the Celery-only kwargs are.
    assert set(jobs) == {"jobs.celery_style"}


def test_unresolved_receiver_claimed_when_only_celery_is_imported(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "factory.py": """
                from celery import Celery

                def make_celery(name):
                    return Celery(name)
            """,
            "jobs.py": """
                from factory import make_celery

                celery = make_celery("web")

                @celery.task
                def job():
                    pass
            """,
        },
    )
    assert set(jobs) == {"jobs.job"}


# -- max attempts -----------------------------------------------------------------------------
def test_default_and_unbounded_max_retries(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(autoretry_for=(IOError,))
            def bounded():
                pass

            @app.task(autoretry_for=(IOError,),
                      max_retries=None)
            def forever():
                pass
            """
        ),
    )
    bounded = jobs["proj.tasks.bounded"].policy.max_attempts
    assert bounded.value == 4 and bounded.source == "default"
    assert "Celery default" in bounded.describe()
    forever = jobs["proj.tasks.forever"].policy.max_attempts
    assert forever.value is UNBOUNDED
    assert forever.source == "explicit" and forever.line == 8
    assert forever.origin == "max_retries=None"


def test_self_retry_max_retries_none_means_task_default(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(bind=True, max_retries=2)
            def uses_default(self):
                try:
                    pass
                except IOError as exc:
                    raise self.retry(exc=exc, max_retries=None)

            @app.task(bind=True)
            def overrides(self):
                try:
                    pass
                except IOError as exc:
                    self.retry(exc=exc, max_retries=7)
            """
        ),
    )
    assert jobs["proj.tasks.uses_default"].policy.max_attempts.value == 3
    overrides = jobs["proj.tasks.overrides"]
    assert overrides.policy.max_attempts.value == 8
    assert overrides.policy.max_attempts.origin == "self.retry(max_retries=7)"
    calls = overrides.detail("self_retry_calls")
    assert len(calls) == 1 and isinstance(calls[0], RetryCall)
    assert calls[0].max_retries is not None and calls[0].max_retries.value == 7


def test_retry_kwargs_and_constants_from_another_module(tmp_path: Path) -> None:
    files = tasks_module(
        """
        from proj.limits import ATTEMPTS, ERRORS

        @app.task(autoretry_for=ERRORS, retry_kwargs={"max_retries": ATTEMPTS, "countdown": 15})
        def polled():
            pass

        @app.task(autoretry_for=(IOError,), retry_kwargs={"max_retries": None})
        def none_kwarg():
            pass
        """
    )
    files["proj/limits.py"] = "from requests import Timeout\n\nATTEMPTS = 6\nERRORS = (Timeout,)\n"
    jobs = project(tmp_path, files)
    polled = jobs["proj.tasks.polled"].policy
    assert polled.max_attempts.value == 7
    assert polled.max_attempts.origin == "retry_kwargs['max_retries']=ATTEMPTS"
    assert polled.delay.value.strategy == "constant" and polled.delay.value.base == 15.0
    assert polled.retry_on.value == ("requests.Timeout",)
    assert jobs["proj.tasks.none_kwarg"].policy.max_attempts.value == 4


# -- delays -----------------------------------------------------------------------------------
def test_autoretry_without_backoff_uses_default_retry_delay(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(autoretry_for=(IOError,))
            def a():
                pass

            @app.task(autoretry_for=(IOError,), default_retry_delay=20)
            def b():
                pass
            """
        ),
    )
    delay = jobs["proj.tasks.a"].policy.delay
    assert delay.value.strategy == "constant" and delay.value.base == 180.0
    assert delay.source == "default"
    delay = jobs["proj.tasks.b"].policy.delay
    assert delay.value.base == 20.0 and delay.source == "explicit"


@pytest.mark.parametrize(
    ("keywords", "base", "cap", "jitter"),
    [
        ("retry_backoff=True", 1.0, 600.0, True),
        ("retry_backoff=0.5", 1.0, 600.0, True),
        ("retry_backoff=2.7, retry_backoff_max=100.9", 2.0, 100.0, True),
        ("retry_backoff=4, retry_jitter=False", 4.0, 600.0, False),
    ],
)
def test_autoretry_backoff(
    tmp_path: Path, keywords: str, base: float, cap: float, jitter: bool
) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            f"""
            @app.task(autoretry_for=(IOError,), {keywords})
            def job():
                pass
            """
        ),
    )
    delay = jobs["proj.tasks.job"].policy.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.jitter) == (
        "exponential",
        base,
        cap,
        jitter,
    )


@pytest.mark.parametrize(
    ("countdown", "strategy", "base", "cap", "jitter"),
    [
        ("30", "constant", 30.0, None, False),
        ("0", "none", 0.0, None, False),
        ("2 ** self.request.retries", "exponential", 1.0, None, False),
        ("min(300, 5 * 2 ** self.request.retries)", "exponential", 5.0, 300.0, False),
        ("2 ** self.request.retries + random.randint(0, 10)", "exponential", None, None, True),
        ("10 + 5 * self.request.retries", "custom", 10.0, None, False),
        ("3 ** self.request.retries", "exponential", None, None, False),
        ("30 * (self.request.retries + 1)", "linear", 30.0, None, False),
        ("compute_delay(self)", "unknown", None, None, None),
    ],
)
def test_manual_retry_countdown(
    tmp_path: Path,
    countdown: str,
    strategy: str,
    base: float | None,
    cap: float | None,
    jitter: bool | None,
) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            f"""
            import random

            @app.task(bind=True)
            def job(self):
                try:
                    pass
                except IOError as exc:
                    raise self.retry(exc=exc, countdown={countdown})
            """
        ),
    )
    delay = jobs["proj.tasks.job"].policy.delay
    assert (delay.value.strategy, delay.value.base, delay.value.cap, delay.value.jitter) == (
        strategy,
        base,
        cap,
        jitter,
    )
    assert delay.source == "explicit" and delay.line == 10


def test_manual_retry_without_countdown_and_with_local_variable(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(bind=True, default_retry_delay=45)
            def plain(self):
                try:
                    pass
                except IOError as exc:
                    raise self.retry(exc=exc)

            @app.task(bind=True)
            def local(self):
                try:
                    pass
                except IOError as exc:
                    wait = 3 * 2 ** self.request.retries
                    raise self.retry(exc=exc, countdown=wait)
            """
        ),
    )
    plain = jobs["proj.tasks.plain"].policy.delay
    assert plain.value.strategy == "constant" and plain.value.base == 45.0
    local = jobs["proj.tasks.local"].policy.delay.value
    assert (local.strategy, local.base) == ("exponential", 3.0)


# -- retried exceptions -----------------------------------------------------------------------
def test_retry_on_from_except_clauses_and_autoretry(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            import requests

            @app.task(bind=True, autoretry_for=(KeyError,), dont_autoretry_for=(LookupError,))
            def mixed(self):
                try:
                    pass
                except (requests.Timeout, OSError) as exc:
                    raise self.retry(exc=exc)

            @app.task(bind=True)
            def bare(self):
                try:
                    pass
                except:
                    self.retry()

            @app.task(autoretry_for=(Exception,))
            def broad():
                pass

            @app.task(bind=True)
            def polling(self):
                if not ready():
                    raise self.retry(countdown=5)

            @app.task
            def unbound():
                try:
                    pass
                except IOError as exc:
                    raise unbound.retry(exc=exc)
            """
        ),
    )
    mixed = jobs["proj.tasks.mixed"].policy
    assert mixed.retry_on.value == ("KeyError", "requests.Timeout", "OSError")
    assert mixed.permanent.value == ("LookupError",)
    assert jobs["proj.tasks.bare"].policy.retry_on.value == "all"
    assert jobs["proj.tasks.broad"].policy.retry_on.value == "all"
    polling = jobs["proj.tasks.polling"].policy
    assert polling.retries.value is True and polling.retry_on.value == ()
    assert jobs["proj.tasks.unbound"].policy.retry_on.value == ("IOError",)


def test_self_retry_ignored_without_bind_and_in_nested_functions(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task
            def not_bound(self):
                self.retry()

            @app.task(bind=True)
            def nested(self):
                def helper():
                    self.retry()
                return helper
            """
        ),
    )
    assert jobs["proj.tasks.not_bound"].policy.retries.value is False
    assert jobs["proj.tasks.nested"].policy.retries.value is False


def test_unknown_autoretry_for_is_unknown(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            from elsewhere import retryable

            @app.task(autoretry_for=retryable())
            def job():
                pass
            """
        ),
    )
    policy = jobs["proj.tasks.job"].policy
    assert policy.retries.value is UNKNOWN
    assert policy.retry_on.value is UNKNOWN


# -- app configuration and precedence ---------------------------------------------------------
def test_app_conf_forms_set_acks_late_and_time_limit(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": """
                from celery import Celery

                app = Celery("proj", task_soft_time_limit=50)
                app.conf.task_acks_late = True
                app.conf.update({"task_time_limit": 90})
            """,
            "proj/tasks.py": """
                from proj.celery import app

                @app.task
                def a():
                    pass

                @app.task(acks_late=False, time_limit=20)
                def b():
                    pass
            """,
        },
    )
    a = jobs["proj.tasks.a"]
    assert a.policy.redelivery.value is True
    assert a.policy.redelivery.source == "app-config"
    assert a.policy.redelivery.path is not None and a.policy.redelivery.path.endswith("celery.py")
    assert a.policy.redelivery.line == 5
    assert a.time_limit is not None and a.time_limit.value == 50.0
    b = jobs["proj.tasks.b"]
    assert b.policy.redelivery.value is False and b.policy.redelivery.source == "explicit"
    assert b.time_limit is not None and b.time_limit.value == 20.0
    assert b.can_run_more_than_once is False
    assert a.can_run_more_than_once is True


def test_config_from_object_module_old_names_and_precedence(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": """
                from celery import Celery

                app = Celery("proj")
                app.config_from_object("proj.celeryconfig")
                app.conf.task_time_limit = 10
            """,
            "proj/celeryconfig.py": "CELERY_ACKS_LATE = True\ntask_time_limit = 999\n",
            "proj/tasks.py": "from proj.celery import app\n\n@app.task\ndef a():\n    pass\n",
        },
    )
    job = jobs["proj.tasks.a"]
    assert job.policy.redelivery.value is True
    assert job.policy.redelivery.origin == "CELERY_ACKS_LATE=True"
    # app.conf changes beat the config module whatever the order (verified on 5.7.0)
    assert job.time_limit is not None and job.time_limit.value == 10.0


def test_config_class_and_opaque_source(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "one.py": """
                from celery import Celery

                class Config:
                    task_acks_late = True

                app = Celery("one")
                app.config_from_object(Config)

                @app.task
                def a():
                    pass
            """,
            "two.py": """
                import os
                from celery import Celery

                app = Celery("two")
                app.config_from_object(os.environ["CELERY_CONFIG"])

                @app.task
                def b():
                    pass
            """,
        },
    )
    assert jobs["one.a"].policy.redelivery.value is True
    b = jobs["two.b"]
    assert b.policy.redelivery.value is UNKNOWN
    assert b.policy.redelivery.source == "app-config"


def test_django_settings_with_namespace(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": """
                from celery import Celery

                app = Celery("proj")
                app.config_from_object("django.conf:settings", namespace="CELERY")
            """,
            "proj/settings.py": "CELERY_TASK_ACKS_LATE = True\nTASK_TIME_LIMIT = 3\n",
            "shop/__init__.py": "",
            "shop/tasks.py": "from celery import shared_task\n\n@shared_task\ndef a():\n    pass\n",
        },
    )
    job = jobs["shop.tasks.a"]
    assert job.policy.redelivery.value is True
    assert job.policy.redelivery.origin == "CELERY_TASK_ACKS_LATE=True"
    assert job.time_limit is not None and job.time_limit.value is None  # not CELERY_-prefixed


def test_task_annotations_precedence(tmp_path: Path) -> None:
    files = tasks_module(
        """
        @app.task(autoretry_for=(KeyError,), max_retries=4, retry_backoff=True)
        def named():
            pass

        @app.task(autoretry_for=(KeyError,))
        def starred():
            pass
        """
    )
    files["proj/celery.py"] = APP + textwrap.dedent(
        """
        app.conf.task_annotations = [
            {"proj.tasks.named": {"max_retries": 9, "retry_backoff": False}},
            {"proj.tasks.named": {"max_retries": 1}},
            {"*": {"default_retry_delay": 5, "autoretry_for": (ValueError,)}},
        ]
        """
    )
    jobs = project(tmp_path, files)
    named = jobs["proj.tasks.named"]
    # annotations beat decorator keywords for task attributes (first matching map only) ...
    assert named.policy.max_attempts.value == 10
    assert named.policy.max_attempts.source == "app-config"
    # ... but the autoretry wrapper's own options come from the decorator first
    assert named.policy.delay.value.strategy == "exponential"
    assert named.policy.retry_on.value == ("KeyError",)
    starred = jobs["proj.tasks.starred"]
    assert starred.policy.delay.value.base == 5.0
    assert starred.policy.delay.origin == "task_annotations['*'] default_retry_delay=5"
    assert starred.detail("annotations_applied") == ("autoretry_for", "default_retry_delay")


def test_annotation_star_is_applied_after_the_task_name(tmp_path: Path) -> None:
    files = tasks_module("@app.task(autoretry_for=(KeyError,))\ndef job():\n    pass\n")
    files["proj/celery.py"] = APP + (
        "app.conf.update(task_annotations={'*': {'max_retries': 2},"
        " 'proj.tasks.job': {'max_retries': 8}})\n"
    )
    jobs = project(tmp_path, files)
    assert jobs["proj.tasks.job"].policy.max_attempts.value == 3


# -- bases and class-based tasks ---------------------------------------------------------------
def test_base_class_in_another_module(tmp_path: Path) -> None:
    files = tasks_module(
        """
        from proj.base import Resilient

        @app.task(base=Resilient, max_retries=1)
        def job():
            pass
        """
    )
    files["proj/base.py"] = textwrap.dedent(
        """
        import celery

        class Resilient(celery.Task):
            autoretry_for = (IOError,)
            retry_backoff = 2
            max_retries = 5
            acks_late = True

            def on_failure(self, exc, task_id, args, kwargs, einfo):
                pass
        """
    )
    job = project(tmp_path, files)["proj.tasks.job"]
    assert job.policy.max_attempts.value == 2  # the decorator beats the base class
    assert job.policy.retry_on.value == ("IOError",)
    delay = job.policy.delay
    assert (delay.value.strategy, delay.value.base) == ("exponential", 2.0)
    assert delay.path is not None and delay.path.endswith("base.py")
    assert job.policy.redelivery.value is True
    assert [hook.kind for hook in job.failure_hooks] == ["on_failure"]
    assert job.detail("base") == "proj.base.Resilient"


def test_class_based_task_registered_and_called(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": APP,
            "proj/tasks.py": """
                from proj.celery import app

                class Base(app.Task):
                    max_retries = 1

                class Export(Base):
                    def run(self, day):
                        try:
                            pass
                        except IOError as exc:
                            raise self.retry(exc=exc, countdown=10)

                export = app.register_task(Export())

                class Named(Base):
                    name = "proj.named"
                    autoretry_for = (KeyError,)

                    def run(self):
                        pass

                class NotATask:
                    def run(self):
                        pass
            """,
            "proj/views.py": """
                from proj.tasks import export
                from proj.celery import app

                def go():
                    export.delay("monday")
                    app.send_task("proj.named")
            """,
        },
    )
    assert set(jobs) == {"proj.tasks.Export", "proj.named"}
    export = jobs["proj.tasks.Export"]
    assert export.qualname == "proj.tasks.Export"
    assert export.function == "Export.run"
    assert export.policy.max_attempts.value == 2
    assert export.policy.delay.value.base == 10.0
    assert export.detail("registered") is True
    assert [(s.method, s.span.line) for s in export.call_sites] == [("delay", 6)]
    named = jobs["proj.named"]
    assert named.policy.retry_on.value == ("KeyError",)
    assert [s.method for s in named.call_sites] == ["send_task"]


# -- hooks and call sites ----------------------------------------------------------------------
def test_failure_hooks_signal_sender_and_link_error(tmp_path: Path) -> None:
    files = tasks_module(
        """
        from celery.signals import task_failure

        @app.task
        def a():
            pass

        @app.task
        def b():
            pass

        @task_failure.connect(sender=a)
        def only_a(**kwargs):
            pass

        def everything(**kwargs):
            pass

        task_failure.connect(everything)

        def errback(request, exc, tb):
            pass

        def enqueue():
            b.apply_async(link_error=errback.s())
            a.s().on_error(errback.s()).delay()
        """
    )
    jobs = project(tmp_path, files)
    a_hooks = {(h.kind, h.target) for h in jobs["proj.tasks.a"].failure_hooks}
    assert a_hooks == {
        ("task_failure-signal", "proj.tasks.only_a"),
        ("task_failure-signal", "proj.tasks.everything"),
        ("link_error", "errback.s()"),
    }
    b_hooks = {(h.kind, h.target) for h in jobs["proj.tasks.b"].failure_hooks}
    assert b_hooks == {
        ("task_failure-signal", "proj.tasks.everything"),
        ("link_error", "errback.s()"),
    }
    assert all(h.every_attempt is False for h in jobs["proj.tasks.a"].failure_hooks)


def test_call_sites_by_reference_and_by_name(tmp_path: Path) -> None:
    files = tasks_module(
        """
        @app.task(name="billing.charge")
        def charge():
            pass

        @app.task
        def notify():
            pass
        """
    )
    files["proj/views.py"] = textwrap.dedent(
        """
        from proj import tasks
        from proj.celery import app
        from proj.tasks import charge

        def view():
            charge.delay()
            tasks.notify.apply_async(countdown=3)
            app.send_task("billing.charge")
            app.send_task("proj.tasks.notify")
            charge()  # a local call, not an enqueue
        """
    )
    jobs = project(tmp_path, files)
    assert [s.method for s in jobs["billing.charge"].call_sites] == ["delay", "send_task"]
    assert [s.method for s in jobs["proj.tasks.notify"].call_sites] == ["apply_async", "send_task"]


# -- per-file facts ----------------------------------------------------------------------------
def test_beat_schedule_entries_and_objects_are_facts() -> None:
    found = facts(
        """
        from celery import Celery
        from celery.schedules import crontab

        app = Celery("proj")
        app.conf.beat_schedule = {
            "nightly": {"task": "proj.tasks.report", "schedule": crontab(hour=3)},
            "other": dict(task="proj.tasks.cleanup", schedule=60),
        }
        app.conf.beat_schedule["late"] = {"task": "proj.tasks.late", "schedule": 5}
        CELERY_BEAT_SCHEDULE = {"x": {"task": "proj.tasks.x", "schedule": 1}}
        if DEBUG:
            CELERY_BEAT_SCHEDULE["y"] = {"task": "proj.tasks.y", "schedule": 2}
        """
    )
    entries = [c for c in found.configs if c.key == "beat_schedule_entry"]
    assert [(e.value.value, e.scope, e.value.span.line) for e in entries] == [
        ("proj.tasks.report", "$.app", 7),
        ("proj.tasks.cleanup", "$.app", 8),
        ("proj.tasks.late", "$.app", 10),
        ("proj.tasks.x", "settings:$", 11),
        ("proj.tasks.y", "settings:$", 13),
    ]
    assert [(o.name, o.kind, o.framework) for o in found.objects] == [
        ("app", "celery-app", "celery")
    ]


def test_task_failure_and_on_failure_are_hook_facts() -> None:
    found = facts(
        """
        from celery import Task, signals

        @signals.task_failure.connect
        def alert(**kwargs):
            pass

        class Base(Task):
            def on_failure(self, exc, task_id, args, kwargs, einfo):
                pass
        """
    )
    assert [(h.kind, h.target) for h in found.hooks] == [
        ("on_failure", "$.Base.on_failure"),
        ("task_failure-signal", "$.alert"),
    ]


ODD_SHAPES = """
from celery import Celery, shared_task
import celery

app = Celery("odd", **settings)
app.conf.update(*sources)
app.conf.update(**{"task_acks_late": True})
app.conf[key] = 1
app.conf.task_annotations = [MyAnnotation(), {"*": helper()}, {"x": {1: 2}}]
app.conf.beat_schedule = build_schedule()
app.config_from_object()
options = {}

@app.task(*args, **options)
def starred(self):
    self.retry(*a, **kw)

@app.task(bind=True, name=compute_name())
def dynamic(self):
    try:
        pass
    except (*ERRORS,) as exc:
        raise self.retry(exc=exc, countdown=lambda: 3)
    except exc_types() as exc:
        raise self.retry(countdown=2 ** 2 ** 2 ** self.request.retries)

@app.task
class NotAFunction:
    pass

@app.task()
async def coroutine():
    pass

@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=backoff_value())
def unknown_backoff(self):
    pass

@app.task(bind=True)
def div(self):
    raise self.retry(countdown=1 / (self.request.retries - self.request.retries))

class Weird(celery.Task, metaclass=Meta):
    run = staticmethod(lambda: None)

class Loop(Loop):
    def run(self):
        pass

def outer():
    @app.task
    def inner():
        pass
    return inner

task_failure = None
"""


def test_odd_shapes_do_not_raise(tmp_path: Path) -> None:
    jobs = project(tmp_path, {"odd.py": ODD_SHAPES})
    assert "odd.dynamic" in jobs
    assert jobs["odd.dynamic"].detail("name_known") is False
    assert jobs["odd.unknown_backoff"].policy.delay.value.strategy == "unknown"
    assert jobs["odd.inner"].qualname == "odd.outer.inner"
    assert jobs["odd.div"].policy.delay.value.strategy == "unknown"


def test_app_task_cls_and_opaque_retry_kwargs(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/base.py": "from celery import Task\n\nclass Base(Task):\n    max_retries = 9\n",
            "proj/celery.py": (
                "from celery import Celery\n\napp = Celery('proj', task_cls='proj.base:Base')\n"
            ),
            "proj/tasks.py": """
                from proj.celery import app
                from proj.config import RETRY_KWARGS

                @app.task(autoretry_for=(IOError,))
                def inherits():
                    pass

                @app.task(autoretry_for=(IOError,), retry_kwargs=RETRY_KWARGS)
                def opaque():
                    pass
            """,
        },
    )
    inherits = jobs["proj.tasks.inherits"]
    assert inherits.policy.max_attempts.value == 10
    assert inherits.detail("base") == "proj.base.Base"
    opaque = jobs["proj.tasks.opaque"].policy
    assert opaque.max_attempts.value is UNKNOWN
    assert opaque.delay.value.strategy == "unknown"


def test_app_conf_annotations_replace_config_module_annotations(tmp_path: Path) -> None:
    files = tasks_module("@app.task(autoretry_for=(KeyError,))\ndef job():\n    pass\n")
    files["proj/celery.py"] = APP + textwrap.dedent(
        """
        from proj.dynamic import build_annotations

        app.config_from_object("proj.celeryconfig")
        app.conf.task_annotations = build_annotations()
        """
    )
    files["proj/celeryconfig.py"] = "task_annotations = {'*': {'max_retries': 0}}\n"
    job = project(tmp_path, files)["proj.tasks.job"]
    assert job.policy.max_attempts.value == 4
    assert job.detail("annotations_applied") == ()
    assert job.detail("annotations_opaque") is True


# -- retries through a helper the task passes itself to ----------------------------------------
def test_retry_through_a_helper_in_the_same_module(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            from smtplib import SMTPException

            def retryable_smtp(task, message=None):
                try:
                    deliver(message)
                except SMTPException as e:
                    raise task.retry(exc=e, countdown=2 ** (task.request.retries * 2))

            @app.task(bind=True)
            def send_mail(self, message):
                retryable_smtp(self, message)

            def later(task):
                raise task.retry(max_retries=None)

            @app.task(bind=True, max_retries=None)
            def by_keyword(worker, message):
                try:
                    deliver(message)
                except ConnectionError:
                    later(task=worker)
            """
        ),
    )
    mail = jobs["proj.tasks.send_mail"]
    policy = mail.policy
    assert policy.retries.value is True
    assert policy.retries.line == 9
    assert policy.retries.origin == "task.retry() in retryable_smtp()"
    assert policy.max_attempts.value == 4  # the task's max_retries: Celery's 3
    delay = policy.delay
    assert (delay.value.strategy, delay.value.jitter) == ("exponential", False)
    assert delay.line == 9 and delay.path is None
    assert delay.origin == (
        "task.retry(countdown=2 ** (task.request.retries * 2)) in retryable_smtp()"
    )
    assert policy.retry_on.value == ("smtplib.SMTPException",)
    assert policy.retry_on.line == 8  # the helper's except clause
    calls = mail.detail("self_retry_calls")
    assert [(c.receiver, c.helper, c.path) for c in calls] == [("task", "retryable_smtp", None)]
    # The helper retries outside an except, inside the task's: the task's clause decides.
    keyword = jobs["proj.tasks.by_keyword"].policy
    assert keyword.retry_on.value == ("ConnectionError",)
    assert keyword.retry_on.line == 22
    assert keyword.retry_on.origin == "except ConnectionError: task.retry() in later()"
    assert keyword.max_attempts.value is UNBOUNDED  # retry(max_retries=None): the task's None
    assert keyword.max_attempts.line == 18


def test_retry_through_a_helper_imported_from_another_module(tmp_path: Path) -> None:
    files = tasks_module(
        """
        from proj import mail
        from proj.mail import retryable_smtp as retryable

        @app.task(bind=True)
        def send_mail(self, message):
            retryable(self, message)

        @app.task(bind=True)
        def send_digest(self, message):
            mail.retryable_smtp(self, message)
        """
    )
    files["proj/mail.py"] = textwrap.dedent(
        """
        import smtplib

        def retryable_smtp(task, message):
            try:
                smtplib.SMTP("mail.example").send_message(message)
            except smtplib.SMTPException as exc:
                raise task.retry(exc=exc, countdown=30)
        """
    )
    jobs = project(tmp_path, files)
    for name in ("proj.tasks.send_mail", "proj.tasks.send_digest"):
        policy = jobs[name].policy
        assert policy.delay.value.strategy == "constant" and policy.delay.value.base == 30.0
        assert policy.delay.path == "proj/mail.py" and policy.delay.line == 8
        assert policy.retry_on.value == ("smtplib.SMTPException",)
        assert policy.retry_on.path == "proj/mail.py"
        assert policy.retries.path == "proj/mail.py"
        (call,) = jobs[name].detail("self_retry_calls")
        assert call.path == "proj/mail.py"


def test_helpers_not_followed(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            def retryable(task, other=None):
                try:
                    pass
                except IOError as exc:
                    raise task.retry(exc=exc)

            def twice_removed(task):
                retryable(task)

            @app.task
            def not_bound(self):
                retryable(self)

            @app.task(bind=True)
            def other_argument(self, item):
                retryable(item, self)

            @app.task(bind=True)
            def two_levels(self):
                twice_removed(self)

            @app.task(bind=True)
            def after_star(self, extra):
                retryable(*extra, self)

            @app.task(bind=True)
            def method_call(self):
                self.update_state(self)
            """
        ),
    )
    for name in ("not_bound", "other_argument", "two_levels", "after_star", "method_call"):
        policy = jobs[f"proj.tasks.{name}"].policy
        assert policy.retries.value is False, name


def test_helper_retries_in_a_class_based_task(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            from celery import Task

            def retry_later(task, exc):
                raise task.retry(exc=exc, countdown=5)

            class Export(Task):
                def run(self, day):
                    try:
                        pass
                    except OSError as exc:
                        retry_later(self, exc)
            """
        ),
    )
    policy = jobs["proj.tasks.Export"].policy
    assert policy.retry_on.value == ("OSError",)
    assert policy.delay.value.base == 5.0 and policy.delay.line == 6


# -- self.retry(max_retries=<parameter defaulting to None>) -------------------------------------
def test_max_retries_parameter_defaulting_to_none_is_the_task_default(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(bind=True, max_retries=None, default_retry_delay=1)
            def unlock_chord(self, group_id, interval=None, max_retries=None):
                if not ready(group_id):
                    raise self.retry(countdown=interval, max_retries=max_retries)

            @app.task(bind=True, max_retries=5)
            def bounded(self, *, max_retries=None):
                raise self.retry(max_retries=max_retries)

            @app.task(bind=True, max_retries=None)
            def reassigned(self, max_retries=None):
                max_retries = max_retries or 3
                raise self.retry(max_retries=max_retries)

            @app.task(bind=True, max_retries=None)
            def number_default(self, max_retries=10):
                raise self.retry(max_retries=max_retries)
            """
        ),
    )
    attempts = jobs["proj.tasks.unlock_chord"].policy.max_attempts
    assert attempts.value is UNBOUNDED
    assert attempts.source == "explicit" and attempts.line == 3  # the decorator's None
    assert attempts.origin == (
        "max_retries=None; self.retry(max_retries=max_retries) keeps it while the max_retries "
        "parameter is left at its default None (a caller may pass another)"
    )
    (call,) = jobs["proj.tasks.unlock_chord"].detail("self_retry_calls")
    assert call.max_retries_parameter == "max_retries"
    assert jobs["proj.tasks.bounded"].policy.max_attempts.value == 6
    # A parameter reassigned in the body, or defaulting to a number, stays a run-time value.
    assert jobs["proj.tasks.reassigned"].policy.max_attempts.value is UNKNOWN
    assert jobs["proj.tasks.number_default"].policy.max_attempts.value is UNKNOWN


# -- RL202 wording and the retry call's shape ---------------------------------------------------
def test_explicit_retry_jitter_false_is_named_in_the_delay_origin(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(autoretry_for=(IOError,),
                      retry_backoff=30,
                      retry_jitter=False)
            def steady():
                pass

            @app.task(autoretry_for=(IOError,), retry_backoff=30, retry_jitter=True)
            def jittered():
                pass
            """
        ),
    )
    delay = jobs["proj.tasks.steady"].policy.delay
    assert delay.value.jitter is False
    assert delay.origin == "retry_backoff=30, retry_jitter=False"
    assert delay.line == 4  # still retry_backoff: the base and cap come from it
    assert jobs["proj.tasks.jittered"].policy.delay.origin == "retry_backoff=30"


def test_retry_call_shape_is_recorded_unless_it_spreads_arguments(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(bind=True)
            def plain(self):
                raise self.retry()

            @app.task(bind=True)
            def spread(self, **options):
                raise self.retry(exc=None, **options)
            """
        ),
    )
    (plain,) = jobs["proj.tasks.plain"].detail("self_retry_calls")
    assert plain.shape is not None and plain.shape.has_args is False
    assert plain.shape.args_end is not None and plain.shape.args_end.line == 5
    (spread,) = jobs["proj.tasks.spread"].detail("self_retry_calls")
    assert spread.shape is None


# -- class-body names in class-based task options ------------------------------------------------
def test_retry_kwargs_name_a_class_attribute(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            from celery import Task

            max_retries = 3
            DELAY = 40

            class BodhiTaskWithRetry(Task):
                autoretry_for = (ConnectionError,)
                max_retries = 8
                delay = 20
                retry_kwargs = {"max_retries": max_retries, "countdown": delay}

            class LateName(Task):
                autoretry_for = (ConnectionError,)
                retry_kwargs = dict(max_retries=max_retries, countdown=DELAY)
                max_retries = 8

            @app.task(base=BodhiTaskWithRetry)
            def push_update(update_id):
                pass

            @app.task(base=LateName)
            def late():
                pass

            class Export(BodhiTaskWithRetry):
                def run(self):
                    pass
            """
        ),
    )
    task = jobs["proj.tasks.push_update"].policy
    assert task.max_attempts.value == 9
    assert task.max_attempts.line == 12  # the entry, not the whole dict
    assert task.max_attempts.origin == (
        "retry_kwargs['max_retries']=max_retries (on base class BodhiTaskWithRetry)"
    )
    assert task.delay.value.strategy == "constant" and task.delay.value.base == 20.0
    assert jobs["proj.tasks.Export"].policy.max_attempts.value == 9
    # Python reads the module's max_retries there: the class attribute comes later.
    assert jobs["proj.tasks.late"].policy.max_attempts.value == 4
    assert jobs["proj.tasks.late"].policy.delay.value.base == 40.0


def test_retry_kwargs_written_as_a_dict_call(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        tasks_module(
            """
            @app.task(autoretry_for=(IOError,), retry_kwargs=dict(max_retries=6, countdown=9))
            def job():
                pass
            """
        ),
    )
    policy = jobs["proj.tasks.job"].policy
    assert policy.max_attempts.value == 7 and policy.max_attempts.origin == (
        "retry_kwargs['max_retries']=6"
    )
    assert policy.delay.value.base == 9.0
