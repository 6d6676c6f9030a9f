"""The RQ adapter: jobs from enqueue sites and @job decorators, per-site policies, look-alikes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.model import UNKNOWN, Job
from tests.conftest import analyse_project

QUEUES = """
from redis import Redis
from rq import Queue

conn = Redis()
default = Queue("default", connection=conn)
slow = Queue("slow", connection=conn, default_timeout=900)
"""

JOBS = """
def build(report_id):
    return report_id


def purge(prefix):
    return prefix
"""


def project(tmp_path: Path, files: dict[str, str]) -> list[Job]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    result = analyse_project(tmp_path, select=("RL001",))
    assert not result.errors, result.errors
    return [job for job in result.jobs if job.framework == "rq"]


def shop(tmp_path: Path, services: str, **extra: str) -> list[Job]:
    files = {
        "shop/__init__.py": "",
        "shop/queues.py": QUEUES,
        "shop/jobs.py": JOBS,
        "shop/services.py": services,
    }
    files.update({f"shop/{name}.py": text for name, text in extra.items()})
    return project(tmp_path, files)


def by_name(jobs: list[Job], name: str) -> Job:
    found = [job for job in jobs if job.name == name]
    assert len(found) == 1, [job.qualname for job in jobs]
    return found[0]


def test_retry_at_the_enqueue_site_is_that_sites_policy(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Retry
        from shop.jobs import build
        from shop.queues import default

        def order(report_id):
            default.enqueue(build, report_id, retry=Retry(max=3, interval=[10, 30, 60]))
        """,
    )
    job = by_name(jobs, "build")
    assert job.qualname == "shop.jobs.build"
    assert job.kind == "rq-job"
    assert job.path.endswith("shop/jobs.py") and job.span.line == 1
    assert job.function == "build"
    policy = job.policy
    assert policy.max_attempts.value == 4
    assert policy.max_attempts.source == "explicit"
    assert policy.max_attempts.line == 6
    assert policy.max_attempts.path is not None and policy.max_attempts.path.endswith("services.py")
    assert policy.retries.value is True
    delay = policy.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.jitter) == ("custom", 10.0, 60.0, False)
    assert delay.schedule == (10.0, 30.0, 60.0)
    assert policy.retry_on.value == "all"
    assert policy.redelivery.value is True
    assert policy.deadline.value is None
    [(site, site_policy)] = job.policies
    assert site.method == "enqueue" and site.span.line == 6
    assert site_policy is policy
    assert job.call_sites == (site,)


def test_two_sites_two_policies_and_the_worst_is_the_jobs(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Retry
        from shop.jobs import build
        from shop.queues import default, slow

        def once(report_id):
            default.enqueue(build, report_id)

        def hard(report_id):
            slow.enqueue(build, report_id, retry=Retry(max=5))

        def medium(report_id):
            default.enqueue(build, report_id, retry=Retry(2, 30))
        """,
    )
    job = by_name(jobs, "build")
    attempts = [policy.max_attempts.value for _, policy in job.policies]
    assert attempts == [1, 6, 3]
    assert job.policy.max_attempts.value == 6
    assert job.policy.delay.value.strategy == "none"  # Retry(max=5): interval 0, immediate
    assert job.policy.delay.source == "default"
    first = job.policies[0][1]
    assert first.retries.value is False and first.redelivery.value is False
    constant = job.policies[2][1].delay.value
    assert (constant.strategy, constant.base, constant.cap) == ("constant", 30.0, 30.0)
    # the slow queue's default_timeout (900) is the longest limit among the sites
    assert job.time_limit is not None and job.time_limit.value == 900.0
    assert job.time_limit.source == "app-config"


@pytest.mark.parametrize(
    ("retry", "strategy", "base", "cap", "schedule"),
    [
        ("Retry(max=3, interval=0)", "none", 0.0, None, None),
        ("Retry(max=3, interval=[5, 10, 20])", "exponential", 5.0, 20.0, (5.0, 10.0, 20.0)),
        ("Retry(max=3, interval=[10, 20, 30])", "linear", 10.0, 30.0, (10.0, 20.0, 30.0)),
        ("Retry(max=3, interval=[15, 15, 15])", "constant", 15.0, 15.0, (15.0, 15.0, 15.0)),
        # shorter than max: the first value repeats for the early retries (frameworks.md 2.1)
        ("Retry(max=5, interval=[10, 30])", "custom", 10.0, 30.0, (10.0, 10.0, 10.0, 10.0, 30.0)),
        # longer than max: the first values are never used
        ("Retry(max=2, interval=[5, 10, 20])", "custom", 10.0, 20.0, (10.0, 20.0)),
    ],
)
def test_interval_shapes(tmp_path: Path, retry, strategy, base, cap, schedule) -> None:
    jobs = shop(
        tmp_path,
        f"""
        from rq import Retry
        from shop.jobs import build
        from shop.queues import default

        default.enqueue(build, 1, retry={retry})
        """,
    )
    delay = by_name(jobs, "build").policy.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.schedule) == (
        strategy,
        base,
        cap,
        schedule,
    )


def test_short_interval_list_is_noted(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Retry
        from shop.jobs import build
        from shop.queues import default

        default.enqueue(build, 1, retry=Retry(max=5, interval=[10, 30]))
        """,
    )
    [site] = by_name(jobs, "build").detail("sites")
    assert site.retry is not None and site.retry.span.line == 5
    assert any("shorter than max=5" in note and "10, 10, 10, 10, 30" in note for note in site.notes)
    assert any("--with-scheduler" in note for note in site.notes)


def test_timeouts(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from shop.jobs import build, purge
        from shop.queues import default

        default.enqueue(build, 1, timeout=5)
        default.enqueue_call(purge, args=("x",), timeout="10m")
        """,
    )
    build = by_name(jobs, "build")
    # timeout= on enqueue() goes to the function: the job keeps RQ's 180 s
    assert build.time_limit is not None and build.time_limit.value == 180.0
    assert build.time_limit.source == "default"
    [site] = build.detail("sites")
    assert site.timeout_passed_to_function is not None
    assert any("passed to the job function" in note for note in site.notes)
    purge = by_name(jobs, "purge")
    assert purge.time_limit is not None and purge.time_limit.value == 600.0
    assert purge.call_sites[0].job_timeout == purge.time_limit


def test_no_time_limit_and_failure_ttl(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from shop.jobs import build
        from shop.queues import default

        default.enqueue(build, 1, job_timeout=-1, failure_ttl=0)
        """,
    )
    job = by_name(jobs, "build")
    assert job.time_limit is not None and job.time_limit.value is None
    site = job.call_sites[0]
    assert site.failure_ttl is not None and site.failure_ttl.value == 0.0
    assert site.failure_ttl.source == "explicit"


def test_dotted_string_targets(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from shop.queues import default

        default.enqueue("shop.jobs.purge", "cache:")
        default.enqueue("mailer.tasks.deliver", 7)
        """,
    )
    purge = by_name(jobs, "purge")
    assert purge.qualname == "shop.jobs.purge"
    assert purge.path.endswith("shop/jobs.py") and purge.span.line == 5
    assert purge.detail("defined_in_project") is True
    external = by_name(jobs, "deliver")
    assert external.qualname == "mailer.tasks.deliver"
    assert external.path.endswith("shop/services.py") and external.span.line == 4
    assert external.function is None
    assert external.detail("defined_in_project") is False


def test_enqueue_in_at_prepare_data_and_job_create(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from datetime import datetime, timedelta

        from rq import Queue, Retry
        from rq.job import Job
        from shop import jobs
        from shop.queues import conn, default

        default.enqueue_in(timedelta(minutes=1), jobs.build, 1)
        default.enqueue_at(datetime(2030, 1, 1), jobs.build, 2)
        default.enqueue_many([Queue.prepare_data(jobs.purge, ("a",), retry=Retry(max=2))])
        Job.create(jobs.purge, args=("b",), connection=conn, timeout=30)
        """,
    )
    build = by_name(jobs, "build")
    assert [site.method for site in build.call_sites] == ["enqueue_in", "enqueue_at"]
    purge = by_name(jobs, "purge")
    assert [site.method for site in purge.call_sites] == ["prepare_data", "create"]
    assert purge.policy.max_attempts.value == 3


def test_job_decorator_sites_use_the_decorators_options(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/work.py": """
                from redis import Redis
                from rq import Retry
                from rq.decorators import job

                @job("default", connection=Redis(), timeout=60, retry=Retry(max=2, interval=[1, 5]))
                def sync(account):
                    return account

                @job
                def broken(x):  # plain RQ needs the queue: not a job
                    return x
                """,
            "app/views.py": """
                from app.work import sync

                def view():
                    sync.delay(1)
                    sync.enqueue(2, retry=None)  # retry= here is passed to the function
                """,
        },
    )
    assert [job.name for job in jobs] == ["sync"]
    [job] = jobs
    assert [site.method for site in job.call_sites] == ["delay", "enqueue"]
    for _, policy in job.policies:
        assert policy.max_attempts.value == 3
        assert policy.max_attempts.line == 5 and policy.max_attempts.path is None
    assert job.time_limit is not None and job.time_limit.value == 60.0
    assert job.detail("decorator").called is True


def test_django_rq(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "site/__init__.py": "",
            "site/tasks.py": """
                import django_rq

                @django_rq.job
                def warm(key):
                    return key

                def rebuild(name):
                    return name

                def schedule():
                    django_rq.enqueue(rebuild, "a")
                    django_rq.get_queue("low", default_timeout=30).enqueue(rebuild, "b")
                    warm.delay("x")
                """,
        },
    )
    warm, rebuild = by_name(jobs, "warm"), by_name(jobs, "rebuild")
    assert [site.method for site in warm.call_sites] == ["delay"]
    assert [site.method for site in rebuild.call_sites] == ["enqueue", "enqueue"]
    limits = [site.job_timeout.value for site in rebuild.call_sites if site.job_timeout]
    assert limits == [180.0, 30.0]


def test_failure_hooks(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Callback, Worker
        from shop.hooks import alert, handler
        from shop.jobs import build, purge
        from shop.queues import default

        default.enqueue(build, 1, on_failure=Callback(alert, timeout=10))
        default.enqueue(purge, 1, on_failure="shop.hooks.alert")
        Worker([default], exception_handlers=[handler])
        """,
        hooks="def alert(job, connection, t, v, tb):\n    pass\n\n\ndef handler(job, t, v, tb):\n    pass\n",
    )
    build = by_name(jobs, "build")
    kinds = {(hook.kind, hook.target, hook.every_attempt) for hook in build.failure_hooks}
    assert kinds == {
        ("on_failure", "shop.hooks.alert", True),
        ("exception_handler", "shop.hooks.handler", True),
    }
    assert build.call_sites[0].failure_hooks == ("shop.hooks.alert",)
    purge = by_name(jobs, "purge")
    assert ("on_failure", "shop.hooks.alert") in {(h.kind, h.target) for h in purge.failure_hooks}


def test_run_time_values_are_unknown(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Retry
        from shop.jobs import build, purge
        from shop.queues import default

        def go(policy, n):
            default.enqueue(build, 1, retry=policy)
            default.enqueue(purge, 1, retry=Retry(max=n, interval=[1, 2]))
        """,
    )
    build = by_name(jobs, "build").policy
    assert build.max_attempts.value is UNKNOWN and build.delay.value.strategy == "unknown"
    purge = by_name(jobs, "purge").policy
    assert purge.max_attempts.value is UNKNOWN
    assert purge.delay.value.cap == 2.0 and purge.delay.value.base is None


def test_constant_from_another_module(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Retry
        from shop.jobs import build
        from shop.queues import default
        from shop.settings import BUILD_RETRIES

        default.enqueue(build, 1, retry=Retry(max=BUILD_RETRIES))
        """,
        settings="BUILD_RETRIES = 7\n",
    )
    assert by_name(jobs, "build").policy.max_attempts.value == 8


def test_local_expression_targets_stay_in_their_module(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Retry
        from shop.queues import default

        class Mailer:
            def send(self, to):
                return to

            def later(self, to):
                default.enqueue(self.send, to, retry=Retry(max=1))
        """,
    )
    job = by_name(jobs, "send")
    assert job.qualname == "shop.services:self.send"
    assert job.path.endswith("services.py") and job.span.line == 9
    assert job.policy.max_attempts.value == 2


# -- look-alikes ---------------------------------------------------------------------------------


def test_enqueue_on_other_objects_is_not_rq(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        import rq
        from shop.jobs import build, purge
        from shop.outbox import outbox

        class Buffer:
            def enqueue(self, item, *args):
                return item

        def stage():
            outbox.enqueue(build, 1)       # a project class instance from another module
            local = Buffer()
            local.enqueue(purge, 2)        # a local instance of another class
            Buffer().enqueue(purge, 3)     # an inline one
        """,
        outbox="class Outbox:\n    def enqueue(self, f, *a):\n        pass\n\n\noutbox = Outbox()\n",
    )
    assert jobs == []


def test_unresolvable_receiver_needs_an_rq_import(tmp_path: Path) -> None:
    files = {
        "svc/__init__.py": "",
        "svc/jobs.py": JOBS,
        "svc/plain.py": """
            from svc.jobs import build

            class Service:
                def run(self):
                    self.queue.enqueue(build, 1)
            """,
        "svc/with_rq.py": """
            from rq import Retry
            from svc.jobs import purge

            class Service:
                def run(self):
                    self.queue.enqueue(purge, 1, retry=Retry(max=2))
            """,
    }
    jobs = project(tmp_path, files)
    assert [job.name for job in jobs] == ["purge"]


def test_huey_enqueue_is_not_rq(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "n/__init__.py": "",
            "n/app.py": "from huey import RedisHuey\n\nhuey = RedisHuey('n')\n",
            "n/tasks.py": """
                import rq
                from n.app import huey

                @huey.task()
                def ping(x):
                    return x

                def go():
                    huey.enqueue(ping.s(1))
                    huey.enqueue(ping)
                """,
        },
    )
    assert jobs == []


def test_delay_on_a_plain_function_is_not_rq(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "m.py": """
                import rq

                def timer(x):
                    return x

                timer.delay(5)
                """,
        },
    )
    assert jobs == []


def test_odd_shapes_do_not_raise(tmp_path: Path) -> None:
    jobs = shop(
        tmp_path,
        """
        from rq import Retry, Queue
        from shop.jobs import build
        from shop.queues import default

        args = (build, 1)
        default.enqueue()
        default.enqueue(*args)
        default.enqueue(lambda: 1)
        default.enqueue(build, retry=Retry())
        default.enqueue(build, retry=Retry(max=0))
        default.enqueue(build, retry=Retry(max=2, interval="soon"))
        default.enqueue(build, job_timeout="1x")
        Queue("q", connection=None).enqueue(build, **{"retry": None})

        @Queue
        class Weird:
            pass
        """,
    )
    build = by_name(jobs, "build")
    assert len(build.call_sites) >= 5


def test_enqueue_with_spread_keywords_has_an_unknown_policy(tmp_path: Path) -> None:
    """`enqueue(f, **params)` may pass retry= inside params: unknown, not "no retries"."""
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            from redis import Redis
            from rq import Queue, Retry

            queue = Queue(connection=Redis())


            def send_webhook(url):
                return url


            def enqueue(url, retries):
                params = {"retry": Retry(max=retries, interval=60)}
                queue.enqueue(send_webhook, url, **params)
            """
        )
    )
    (job,) = [j for j in analyse_project(tmp_path).jobs if j.framework == "rq"]
    assert job.policy.max_attempts.value is UNKNOWN
    assert job.policy.retries.value is UNKNOWN
    assert job.policy.max_attempts.origin == "**params may carry retry= (computed at run time)"
