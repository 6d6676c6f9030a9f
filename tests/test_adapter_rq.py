"""The RQ adapter: jobs from enqueue sites and @job decorators, per-site policies, look-alikes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.model import UNKNOWN, Job, Span
from tests.conftest import analyse_project, analysed_jobs

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

        def later(mailer, to):
            default.enqueue(mailer.send, to, retry=Retry(max=1))
        """,
    )
    job = by_name(jobs, "send")
    assert job.qualname == "shop.services:mailer.send"
    assert job.path.endswith("services.py") and job.span.line == 5
    assert job.function is None
    assert job.policy.max_attempts.value == 2


def test_method_targets_are_located_at_their_definition(tmp_path: Path) -> None:
    """self.send / cls.handle / Mailer.send resolve to the method the class (or a project base
    class) defines: one job, at its def line."""
    jobs = shop(
        tmp_path,
        """
        from rq import Retry
        from shop.base import Runner
        from shop.queues import default

        class Mailer(Runner):
            # Sends mail.

            def send(self, to):
                return to

            def later(self, to):
                default.enqueue(self.send, to, retry=Retry(max=1))

            @classmethod
            def schedule(cls):
                default.enqueue(cls.handle)

        def elsewhere(to):
            default.enqueue(Mailer.send, to)
        """,
        base="class Runner:\n    x = 1\n\n    @classmethod\n    def handle(cls):\n        pass\n",
    )
    send = by_name(jobs, "send")
    assert send.qualname == "shop.services.Mailer.send"
    assert send.function == "Mailer.send"
    assert send.path.endswith("services.py")
    assert (send.span.line, send.span.column, send.span.end_column) == (8, 9, 13)
    assert [site.span.line for site in send.call_sites] == [12, 19]
    assert send.detail("defined_in_project") is True
    handle = by_name(jobs, "handle")
    assert handle.qualname == "shop.base.Runner.handle"
    assert handle.path.endswith("base.py") and handle.span.line == 5
    assert [site.span.line for site in handle.call_sites] == [16]


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


# -- enqueue wrappers ----------------------------------------------------------------------------

CKAN_LIKE_JOBS = """
import rq

from app.lib.redis import connect

_queues = {}


def get_queue(name="default"):
    try:
        return _queues[name]
    except KeyError:
        queue = _queues[name] = rq.Queue(name, connection=connect())
        return queue


def enqueue(fn, args=None, kwargs=None, title=None, queue="default", rq_kwargs=None):
    if rq_kwargs is None:
        rq_kwargs = {}
    job = get_queue(queue).enqueue_call(func=fn, args=args, kwargs=kwargs, **rq_kwargs)
    return job
"""

WORK = """
def build(report_id):
    return report_id


def purge(prefix):
    return prefix


def later(x):
    return x
"""


def ckan_like(tmp_path: Path, views: str, **extra: str) -> list[Job]:
    files = {
        "app/__init__.py": "",
        "app/lib/__init__.py": "",
        "app/lib/redis.py": "def connect():\n    return None\n",
        "app/lib/jobs.py": CKAN_LIKE_JOBS,
        "app/plugins/__init__.py": "",
        "app/plugins/toolkit.py": (
            "from app.lib.jobs import enqueue as enqueue_job, get_queue as get_job_queue\n\n"
            '__all__ = ["enqueue_job", "get_job_queue"]\n'
        ),
        "app/work.py": WORK,
        "app/views.py": views,
    }
    files.update({f"app/{name}.py": text for name, text in extra.items()})
    return project(tmp_path, files)


def test_calls_of_an_enqueue_wrapper_are_sites_of_the_function_they_pass(tmp_path: Path) -> None:
    jobs = ckan_like(
        tmp_path,
        """
        import app.lib.jobs as bg_jobs
        import app.plugins.toolkit as tk
        from app import work
        from app.lib import jobs
        from app.work import build

        def view(report_id):
            jobs.enqueue(build, [report_id], title="build")
            bg_jobs.enqueue(work.purge, ["cache:"])
            tk.enqueue_job(fn=work.later, args=[1])
            jobs.enqueue("app.work.build", [2])
        """,
    )
    # the wrapper's parameter is not a job
    assert sorted(job.name for job in jobs) == ["build", "later", "purge"]
    build = by_name(jobs, "build")
    assert build.qualname == "app.work.build"
    assert build.path.endswith("app/work.py") and build.span.line == 1
    assert [(site.span.line, site.method) for site in build.call_sites] == [
        (8, "enqueue_call (enqueued through app.lib.jobs.enqueue)"),
        (11, "enqueue_call (enqueued through app.lib.jobs.enqueue)"),
    ]
    assert build.detail("wrappers") == ("app.lib.jobs.enqueue",)
    [detail, _] = build.detail("sites")
    assert detail.wrapper == "app.lib.jobs.enqueue"
    assert any("enqueued through app.lib.jobs.enqueue" in note for note in detail.notes)
    # **rq_kwargs in the wrapper may carry retry=: unknown, pointing at the wrapper
    policy = build.policy
    assert policy.max_attempts.value is UNKNOWN and policy.retries.value is UNKNOWN
    assert policy.max_attempts.origin == (
        "**rq_kwargs in app.lib.jobs.enqueue may carry retry= (computed at run time)"
    )
    assert policy.max_attempts.path is not None
    assert policy.max_attempts.path.endswith("app/lib/jobs.py")
    assert policy.max_attempts.line == 19
    # enqueue_call's timeout= is the job timeout: not given, but **rq_kwargs may carry it
    assert build.time_limit is not None and build.time_limit.value is UNKNOWN
    assert build.time_limit.origin == "**rq_kwargs may carry timeout="
    later = by_name(jobs, "later")  # through the toolkit re-export, by keyword
    assert [site.span.line for site in later.call_sites] == [10]
    assert later.call_sites[0].path.endswith("views.py")


def test_wrapper_options_apply_and_forwarded_ones_come_from_the_call(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/work.py": WORK,
            "svc/tasks.py": """
                from redis import Redis
                from rq import Queue, Retry

                queue = Queue(connection=Redis())


                def submit(func, *args, retry=None, timeout=300):
                    return queue.enqueue(func, *args, retry=retry, job_timeout=timeout)


                def submit_hard(func):
                    return queue.enqueue(func, retry=Retry(max=4, interval=[5, 10, 20, 40]))


                class Scheduler:
                    def defer(self, job, **options):
                        return queue.enqueue(job, **options)

                    def nightly(self, opts):
                        from svc.work import later
                        self.defer(later, retry=Retry(max=1))
                        self.defer(later, **opts)
                """,
            "svc/views.py": """
                from rq import Retry
                from svc.tasks import submit, submit_hard
                from svc.work import build, purge

                def go(policy):
                    submit(build)
                    submit(purge, 1, retry=Retry(max=2), timeout=30)
                    submit(purge, 2, retry=policy)
                    submit_hard(build)
                """,
        },
    )
    assert sorted(job.name for job in jobs) == ["build", "later", "purge"]
    build = by_name(jobs, "build")
    [(_, plain), (_, hard)] = build.policies
    # submit(build): retry=None and timeout=300 are the wrapper's defaults
    assert plain.max_attempts.value == 1
    assert build.call_sites[0].job_timeout is not None
    assert build.call_sites[0].job_timeout.value == 300.0
    assert build.call_sites[0].job_timeout.path is not None
    assert build.call_sites[0].job_timeout.path.endswith("tasks.py")
    # submit_hard's own Retry applies, located in the wrapper
    assert hard.max_attempts.value == 5
    assert hard.max_attempts.path is not None and hard.max_attempts.path.endswith("tasks.py")
    assert hard.max_attempts.line == 12
    assert hard.delay.value.schedule == (5.0, 10.0, 20.0, 40.0)
    assert build.policy.max_attempts.value == 5
    purge = by_name(jobs, "purge")
    [(first_site, given), (_, computed)] = purge.policies
    # forwarded retry=/timeout= given at the call: the call's values, located there
    assert given.max_attempts.value == 3
    assert given.max_attempts.path is not None and given.max_attempts.path.endswith("views.py")
    assert given.max_attempts.line == 7
    assert first_site.job_timeout is not None and first_site.job_timeout.value == 30.0
    assert computed.max_attempts.value is UNKNOWN  # retry=policy: a run-time value
    later = by_name(jobs, "later")
    [(_, through_kwargs), (_, spread)] = later.policies
    # **options of the wrapper hold exactly the caller's extra keywords...
    assert through_kwargs.max_attempts.value == 2
    # ...unless the caller spreads a dict itself
    assert spread.max_attempts.value is UNKNOWN


def test_what_is_not_an_enqueue_wrapper(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/work.py": WORK,
            "svc/outbox.py": (
                "class Outbox:\n    def enqueue(self, f, *a):\n        pass\n\n\noutbox = Outbox()\n"
            ),
            "svc/tasks.py": """
                import rq
                from redis import Redis
                from svc.outbox import outbox

                queue = rq.Queue(connection=Redis())


                def stage(fn):
                    outbox.enqueue(fn)  # not an RQ queue: not a wrapper


                def submit(fn):
                    queue.enqueue(fn)


                def again(f):
                    return submit(f)  # a wrapper of a wrapper: not followed
                """,
            "svc/views.py": """
                from svc.tasks import again, stage
                from svc.work import build, purge

                def go():
                    stage(build)
                    again(purge)
                """,
        },
    )
    assert jobs == []


# -- queues from project helpers -----------------------------------------------------------------


def test_a_project_function_returning_a_queue_is_an_rq_receiver(tmp_path: Path) -> None:
    jobs = ckan_like(
        tmp_path,
        """
        from datetime import timedelta

        import app.plugins as p
        from app.queues import default_queue, low_queue
        from app.work import build, later, purge

        def schedule(report_id):
            p.toolkit.get_job_queue().enqueue_in(timedelta(seconds=5), build, report_id)
            default_queue().enqueue(purge, "x")
            low_queue().enqueue(later, 1)
        """,
        queues="""
            from app.lib.jobs import get_queue
            from app.named import low


            def default_queue():
                return get_queue("default")


            def low_queue():
                return low
            """,
        named="from rq import Queue\n\nlow = Queue('low', default_timeout=900)\n",
    )
    assert sorted(job.name for job in jobs) == ["build", "later", "purge"]
    build = by_name(jobs, "build")
    assert [site.method for site in build.call_sites] == ["enqueue_in"]
    assert build.path.endswith("app/work.py")
    # low_queue() returns the module-level queue: its default_timeout applies
    [site] = by_name(jobs, "later").call_sites
    assert site.job_timeout is not None and site.job_timeout.value == 900.0
    assert site.job_timeout.source == "app-config"


def test_helper_results_that_are_not_rq_queues(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/work.py": WORK,
            "svc/helpers.py": """
                import asyncio

                from svc.outbox import Outbox


                def get_buffer_queue():
                    return asyncio.Queue()


                def outbox_queue():
                    return Outbox()


                def make_thing():
                    return compute()
                """,
            "svc/outbox.py": "class Outbox:\n    def enqueue(self, f, *a):\n        pass\n",
            "svc/with_rq.py": """
                import rq
                from svc import helpers
                from svc.work import build, purge

                def go():
                    helpers.get_buffer_queue().enqueue(build)  # asyncio.Queue: no
                    helpers.outbox_queue().enqueue(purge)  # a project class: no
                """,
            "svc/plain.py": """
                from svc import helpers
                from svc.work import later

                def go():
                    helpers.make_thing().enqueue(later)  # unknown helper, no rq import: no
                """,
        },
    )
    assert jobs == []


# -- look-alike enqueue methods of project classes -----------------------------------------------


def test_a_project_classmethod_named_enqueue_is_not_rq(tmp_path: Path) -> None:
    """netbox: ``Job.enqueue(cls.handle, ...)`` is the model's own classmethod, and the model
    comes through ``from .jobs import *``."""
    jobs = project(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/models/__init__.py": "from .jobs import *\n",
            "core/models/jobs.py": """
                import django_rq

                class Job:
                    @classmethod
                    def enqueue(cls, func, instance=None, name="", **kwargs):
                        return django_rq.get_queue("default")
                """,
            "core/runner.py": """
                from rq.timeouts import JobTimeoutException
                from core.models import Job
                from core.models.jobs import Job as DirectJob

                class JobRunner:
                    def handle(self):
                        pass

                    @classmethod
                    def enqueue(cls, *args, **kwargs):
                        Job.enqueue(cls.handle, name="x", *args, **kwargs)
                        DirectJob.enqueue(cls.handle)
                """,
        },
    )
    assert jobs == []


def test_self_enqueue_of_a_class_that_defines_enqueue_is_not_rq(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "t/__init__.py": "",
            "t/helpers.py": """
                class QueueTestBase:
                    def enqueue(self, job=None, *args):
                        return job
                """,
            "t/queue_checks.py": """
                import rq
                from t.helpers import QueueTestBase

                def failing():
                    raise RuntimeError

                class TestJobs(QueueTestBase):
                    def test_it(self):
                        self.enqueue(failing)

                class TestOther:
                    def test_it(self):
                        self.queue.enqueue(failing)  # an attribute: undecided, rq imported
                """,
        },
    )
    [job] = jobs
    assert job.name == "failing" and [s.span.line for s in job.call_sites] == [13]


# -- the Retry(...) call's shape -----------------------------------------------------------------


def test_the_retry_calls_shape_is_recorded(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "s/__init__.py": "",
            "s/jobs.py": """
                from django_rq import job
                from rq import Retry

                @job("high", retry=Retry(3, interval=[10, 20]))
                def warm(key):
                    return key
                """,
            "s/views.py": """
                from redis import Redis
                from rq import Queue, Retry
                from s.jobs import warm

                q = Queue(connection=Redis())

                def build(x):
                    return x

                def go():
                    q.enqueue(build, 1, retry=Retry(max=2))
                    q.enqueue(
                        build,
                        2,
                        retry=Retry(
                            interval=[1, 2],
                            max=2,
                        ),
                    )
                """,
        },
    )
    build = by_name(jobs, "build")
    first, second = build.detail("sites")
    shape = first.retry_shape
    assert shape is not None and shape.shape.span == first.retry.span
    assert shape.max is not None and (shape.max.span.line, shape.max.span.column) == (11, 41)
    assert shape.max.code == "2" and shape.interval is None
    assert shape.shape.args_end is not None and shape.shape.args_end.column == 42
    shape = second.retry_shape
    assert shape is not None and shape.interval is not None and shape.max is not None
    assert (shape.interval.span.line, shape.interval.code) == (16, "[1, 2]")
    assert shape.interval.elements == ("1", "2")
    assert (shape.max.span.line, shape.max.span.column) == (17, 17)
    # a new keyword goes after the last argument, before the trailing comma
    assert shape.shape.args_end == Span(17, 18, 17, 18)
    warm = by_name(jobs, "warm")
    decorator_retry = warm.detail("decorator_retry")
    assert decorator_retry is not None and decorator_retry.max is not None
    assert decorator_retry.max.code == "3" and decorator_retry.interval is not None


def test_a_classmethod_wrapper_called_through_its_class(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "w/__init__.py": "",
            "w/work.py": WORK,
            "w/runner.py": """
                import django_rq

                class Runner:
                    @classmethod
                    def run_in_background(cls, func, *args, job_timeout=60):
                        return django_rq.get_queue("low").enqueue(
                            func, *args, job_timeout=job_timeout
                        )
                """,
            "w/views.py": """
                from w.runner import Runner
                from w.work import build

                def go():
                    Runner.run_in_background(build, 1)
                    Runner.run_in_background(func=build, job_timeout=5)
                """,
        },
    )
    [job] = jobs
    assert job.qualname == "w.work.build"
    assert [site.job_timeout.value for site in job.call_sites if site.job_timeout] == [60.0, 5.0]
    assert job.detail("wrappers") == ("w.runner.Runner.run_in_background",)


def test_partial_enqueue_in_a_wrapper_reached_through_a_star_reexport(tmp_path: Path) -> None:
    """netbox's shape: Job.enqueue(func) enqueues with partial(queue.enqueue, func, ...) after
    the commit, and core.models re-exports Job with `from .jobs import *`."""
    files = {
        "core/__init__.py": "",
        "core/models/__init__.py": "from .jobs import *\n",
        "core/models/jobs.py": """
            from functools import partial

            import django_rq
            from django.db import transaction


            class Job:
                @classmethod
                def enqueue(cls, func, *args, **kwargs):
                    queue = django_rq.get_queue("default")
                    transaction.on_commit(partial(queue.enqueue, func, *args, **kwargs))
            """,
        "app/__init__.py": "",
        "app/runner.py": """
            from core.models import Job


            class Runner:
                def handle(self):
                    return 1

                @classmethod
                def enqueue(cls):
                    return Job.enqueue(cls.handle)
            """,
    }
    jobs = [j for j in analysed_jobs(tmp_path, files) if j.framework == "rq"]
    assert [j.qualname for j in jobs] == ["app.runner.Runner.handle"]  # not the parameter `func`
    (site,) = jobs[0].call_sites
    assert site.method == "enqueue (enqueued through core.models.jobs.Job.enqueue)"
    assert site.path.endswith("app/runner.py")
