"""Failure visibility in the job inventory: the logic fixture projects do not show.

Error-tracker integrations switched on and off, Celery result backends and annotations, taskiq
``post_execute``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import analyse_project


def project(tmp_path: Path, files: dict[str, str], config: str = "") -> Path:
    """Files under packages (each folder gets an ``__init__.py``), and a config if given."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    if config:
        (tmp_path / "retrylint.toml").write_text(textwrap.dedent(config), encoding="utf-8")
    return tmp_path


def hooks_of(result, qualname: str) -> list[tuple[str, str | None]]:
    job = next(job for job in result.jobs if job.qualname == qualname)
    return [(hook.kind, hook.origin) for hook in job.failure_hooks]


CELERY_TASK = """
    from celery import Celery

    app = Celery("proj", broker="redis://")


    @app.task
    def ping():
        return "pong"
"""


@pytest.mark.parametrize(
    ("init", "reported"),
    [
        ("sentry_sdk.init(dsn=DSN)", True),
        ("sentry_sdk.init(DSN, integrations=[FlaskIntegration()])", True),
        ("sentry_sdk.init(dsn=DSN, auto_enabling_integrations=False)", False),
        ("sentry_sdk.init(dsn=DSN, default_integrations=False)", False),
        (
            "sentry_sdk.init(dsn=DSN, default_integrations=False, "
            "integrations=[CeleryIntegration()])",
            True,
        ),
        ("sentry_sdk.init(dsn=DSN, disabled_integrations=[CeleryIntegration])", False),
        (
            "sentry_sdk.init(dsn=DSN, integrations=[CeleryIntegration()], "
            "disabled_integrations=[CeleryIntegration()])",
            False,
        ),
        ("sentry_sdk.init(dsn=None)", False),
        ("sentry_sdk.init(dsn=os.environ.get('SENTRY_DSN', ''))", True),
    ],
)
def test_sentry_reports_celery_jobs_as_its_options_say(
    tmp_path: Path, init: str, reported: bool
) -> None:
    setup = f"""
        import os

        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.flask import FlaskIntegration

        DSN = os.environ.get("SENTRY_DSN")
        {init}
    """
    root = project(tmp_path, {"proj/tasks.py": CELERY_TASK, "proj/monitoring.py": setup})
    result = analyse_project(root)
    kinds = [kind for kind, _ in hooks_of(result, "proj.tasks.ping")]
    assert (kinds == ["sentry"]) is reported


def test_sentry_options_spread_from_a_dict_are_read_as_defaults_and_said(tmp_path: Path) -> None:
    setup = """
        import sentry_sdk

        def init(dsn, options):
            sentry_sdk.init(dsn, **options)
    """
    root = project(tmp_path, {"proj/tasks.py": CELERY_TASK, "proj/monitoring.py": setup})
    [(kind, origin)] = hooks_of(analyse_project(root), "proj.tasks.ping")
    assert kind == "sentry"
    assert origin is not None and "**options may change the integrations" in origin


def test_celery_on_failure_from_annotations_and_backend_from_namespaced_settings(
    tmp_path: Path,
) -> None:
    celery = """
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("django.conf:settings", namespace="CELERY")


        @app.task
        def ping():
            pass
    """
    settings = """
        def report(self, exc, task_id, args, kwargs, einfo):
            print(task_id)

        CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
        CELERY_RESULT_EXPIRES = 3600
        CELERY_TASK_ANNOTATIONS = {"*": {"on_failure": report}}
    """
    root = project(tmp_path, {"proj/celery.py": celery, "proj/settings.py": settings})
    [job] = analyse_project(root).jobs
    [hook] = job.failure_hooks
    assert (hook.kind, hook.target, hook.path) == (
        "on_failure",
        "proj.settings.report",
        str(Path("proj/settings.py")),
    )
    assert job.dead_letter is not None
    assert (job.dead_letter.store, job.dead_letter.kept.value) == ("result backend", 3600)


@pytest.mark.parametrize(("reads", "hooked"), [("result.is_err", True), ("message.labels", False)])
def test_taskiq_post_execute_is_a_hook_only_when_it_reads_the_outcome(
    tmp_path: Path, reads: str, hooked: bool
) -> None:
    tasks = f"""
        from taskiq import InMemoryBroker, TaskiqMiddleware


        class Watch(TaskiqMiddleware):
            def post_execute(self, message, result):
                print({reads})


        broker = InMemoryBroker().with_middlewares(Watch())


        @broker.task
        async def ping():
            pass
    """
    root = project(tmp_path, {"app/tasks.py": tasks})
    kinds = [kind for kind, _ in hooks_of(analyse_project(root), "app.tasks.ping")]
    assert (kinds == ["middleware.post_execute"]) is hooked
