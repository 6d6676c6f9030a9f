"""The arq adapter: registration in WorkerSettings, the Retry signal, max_tries (frameworks.md 5)."""

from __future__ import annotations

from pathlib import Path

from retrylint.model import UNKNOWN, Job
from tests.conftest import analysed_jobs


def project(tmp_path: Path, files: dict[str, str]) -> dict[str, Job]:
    """Write ``files`` under tmp_path, analyse it as one project, return arq jobs by name."""
    return {job.name: job for job in analysed_jobs(tmp_path, files) if job.framework == "arq"}


def worker(tmp_path: Path, jobs: str, settings: str) -> dict[str, Job]:
    return project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/jobs.py": jobs,
            "app/worker.py": settings,
        },
    )


def test_plain_job_is_not_retried_but_redelivered(tmp_path: Path) -> None:
    jobs = worker(
        tmp_path,
        """
        async def fetch(ctx, url):
            raise ValueError(url)
        """,
        """
        from arq.connections import RedisSettings
        from app.jobs import fetch

        class WorkerSettings:
            functions = [fetch]
            redis_settings = RedisSettings()
        """,
    )
    job = jobs["fetch"]
    assert job.kind == "task"
    assert job.qualname == "app.jobs.fetch"
    assert job.function == "fetch"
    assert job.path.endswith("jobs.py")
    assert job.span.line == 2
    policy = job.policy
    assert policy.retries.value is False
    assert policy.max_attempts.value == 1
    assert policy.retry_on.value == ()
    assert policy.redelivery.value is True  # pessimistic execution
    assert job.detail("max_tries").value == 5
    assert job.time_limit is not None and job.time_limit.value == 300.0
    assert job.time_limit.source == "default"


def test_retry_signal_with_linear_defer(tmp_path: Path) -> None:
    jobs = worker(
        tmp_path,
        """
        import httpx
        from arq import Retry

        async def download(ctx, url):
            try:
                return await httpx.AsyncClient().get(url)
            except httpx.TimeoutException as exc:
                raise Retry(defer=ctx["job_try"] * 15) from exc
        """,
        """
        import arq
        from app.jobs import download

        class WorkerSettings:
            functions = [arq.func(download, name="dl", max_tries=4, timeout=20)]
            max_tries = 2
            job_timeout = 100
        """,
    )
    job = jobs["dl"]
    policy = job.policy
    assert policy.retries.value is True
    assert (policy.retries.source, policy.retries.line) == ("explicit", 9)
    attempts = policy.max_attempts
    assert (attempts.value, attempts.source, attempts.line) == (4, "explicit", 6)
    assert attempts.path is not None and attempts.path.endswith("worker.py")
    assert attempts.origin == "func(max_tries=4)"
    delay = policy.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.jitter) == ("linear", 15.0, None, False)
    assert policy.retry_on.value == ("httpx.TimeoutException",)
    assert policy.deadline.value == 86400.0
    assert job.time_limit is not None and job.time_limit.value == 20.0
    assert job.detail("decorator").keyword_span("max_tries") is not None


def test_settings_max_tries_and_defer_shapes(tmp_path: Path) -> None:
    jobs = worker(
        tmp_path,
        """
        from datetime import timedelta
        import arq

        async def constant(ctx):
            raise arq.Retry(defer=timedelta(seconds=30))

        async def immediate(ctx):
            raise arq.Retry

        async def capped(ctx):
            try:
                ...
            except:
                n = ctx.get("job_try")
                raise arq.worker.Retry(min(2 ** n, 300))

        async def computed(ctx, delay):
            raise arq.Retry(defer=delay)
        """,
        """
        from arq import cron
        from app import jobs

        class MyWorkerSettings:
            functions = [jobs.constant, jobs.immediate, jobs.capped, jobs.computed]
            max_tries = 7
        """,
    )
    constant = jobs["constant"].policy
    assert constant.max_attempts.value == 7
    assert constant.max_attempts.source == "app-config"
    assert constant.max_attempts.origin == "MyWorkerSettings.max_tries = 7"
    assert constant.delay.value.strategy == "constant"
    assert constant.delay.value.base == 30.0
    assert constant.retry_on.value == ("arq.worker.Retry",)
    assert jobs["immediate"].policy.delay.value.strategy == "none"
    capped = jobs["capped"].policy
    assert capped.retry_on.value == "all"  # bare except around the raise
    assert (capped.delay.value.strategy, capped.delay.value.base, capped.delay.value.cap) == (
        "exponential",
        2.0,
        300.0,
    )
    assert jobs["computed"].policy.delay.value.strategy == "unknown"


def test_cron_jobs_and_retry_jobs_false(tmp_path: Path) -> None:
    jobs = worker(
        tmp_path,
        """
        from arq import Retry

        async def nightly(ctx):
            raise Retry(defer=5)

        async def hourly(ctx):
            raise Retry(defer=5)

        async def bulk(ctx):
            raise Retry(defer=5)
        """,
        """
        from arq import cron, func
        from app.jobs import bulk, hourly, nightly

        class WorkerSettings:
            functions = []
            cron_jobs = [cron(nightly, hour=1), cron(hourly, name="hourly-job", max_tries=3)]

        class BulkWorkerSettings:
            functions = [func(bulk)]
            retry_jobs = False
        """,
    )
    nightly = jobs["cron:nightly"].policy
    assert nightly.max_attempts.value == 1
    assert nightly.retries.value is False
    assert nightly.redelivery.value is False  # job_try 2 > max_tries 1: failed, not re-run
    hourly = jobs["hourly-job"].policy
    assert hourly.max_attempts.value == 3
    assert hourly.retries.value is True
    bulk = jobs["bulk"].policy
    assert bulk.retries.value is False
    assert bulk.retries.source == "app-config"
    assert "retry_jobs = False" in bulk.retries.origin


def test_worker_call_string_refs_and_call_sites(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/jobs.py": """
                from arq import Retry

                async def resize(ctx, image_id):
                    raise Retry(defer=10)

                async def thumbnail(ctx, image_id):
                    await ctx["redis"].enqueue_job("resize", image_id)
            """,
            "app/run.py": """
                from arq.worker import Worker

                def main():
                    Worker(functions=[thumbnail_ref, "app.jobs.resize"], max_tries=3).run()

                from app.jobs import thumbnail as thumbnail_ref
            """,
            "app/views.py": """
                async def upload(pool, image_id):
                    await pool.enqueue_job("app.jobs.resize", image_id)
                    await pool.enqueue_job("thumbnail", image_id, _job_id="x")
                    await pool.enqueue_job("missing", image_id)
            """,
        },
    )
    assert sorted(jobs) == ["app.jobs.resize", "thumbnail"]
    resize = jobs["app.jobs.resize"]
    assert resize.qualname == "app.jobs.resize"
    assert resize.policy.max_attempts.value == 3
    assert resize.policy.max_attempts.origin == "Worker(max_tries=3)"
    assert [site.method for site in resize.call_sites] == ["enqueue_job"]
    thumbnail = jobs["thumbnail"]
    assert [(site.path.rsplit("/", 1)[-1], site.span.line) for site in thumbnail.call_sites] == [
        ("views.py", 4)
    ]


def test_look_alikes(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/jobs.py": """
                class Retry(Exception):
                    pass

                async def local(ctx):
                    raise Retry()
            """,
            "app/config.py": """
                from app.jobs import local

                class ParserSettings:
                    functions = [local]
            """,
            "app/worker.py": """
                import arq
                from app.jobs import local

                class Settings:
                    functions = ["not.a.coroutine"]

                class WorkerSettings:
                    functions = [local]
            """,
        },
    )
    # ParserSettings is in a file that never imports arq; Settings has no arq-looking entry.
    assert sorted(jobs) == ["local"]
    assert jobs["local"].policy.retries.value is False  # its Retry is not arq's


def test_unresolved_function_is_unknown(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "worker.py": """
                from arq import func
                from somewhere_else import job

                class WorkerSettings:
                    functions = [func(job, max_tries=2)]
            """,
        },
    )
    job = jobs["job"]
    assert job.policy.retries.value is UNKNOWN
    assert job.policy.max_attempts.value == 2
    assert job.function is None
    assert job.detail("unresolved_function") == "somewhere_else.job"


def test_odd_shapes_do_not_raise(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "worker.py": """
                import arq

                async def job(ctx, *args):
                    def nested():
                        raise arq.Retry(defer=1)
                    raise arq.Retry(defer=ctx["job_try"] ** 2)

                extra = []

                class WorkerSettings:
                    functions = [*extra, arq.func(), arq.func(coroutine=job), lambda: 1]
                    cron_jobs = None
                    max_tries = "5"
            """,
        },
    )
    job = jobs["job"]
    assert job.policy.max_attempts.value is UNKNOWN
    assert job.policy.delay.value.strategy == "custom"
    assert len(job.detail("retry_signals")) == 1  # the nested function's raise is not the job's


def test_plain_files_skip_the_position_pass() -> None:
    import libcst

    from retrylint.collector import build_context
    from retrylint.frameworks import FactSink
    from retrylint.frameworks import arq as adapter

    source = "import asyncio\r\n\r\nasync def handler(request):\r\n    return 1\r\n"
    ctx = build_context("m.py", source, libcst.parse_module(source), {})
    sink = FactSink()
    adapter.extract(ctx, sink)
    assert ctx._positions is None
    [(key, coroutine)] = sink.data
    assert key == adapter.COROUTINE_DATA
    assert (coroutine.function, coroutine.span.line, coroutine.span.column) == ("handler", 3, 11)
