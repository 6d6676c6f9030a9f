"""Failure visibility and limits (RL601-RL605): the logic fixture projects do not show.

Error-tracker integrations switched on and off, the network-call pack's validation and the
config key that loads it, Celery result backends and annotations, taskiq ``post_execute``,
and where RL601 reports a framework rather than its jobs.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.config import ConfigError, load_config
from retrylint.network_calls import PackError, load_network_calls, read_pack
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
    assert any(f.code == "RL601" for f in result.findings) is not reported


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


def test_dramatiq_needs_its_integration_listed_even_through_an_unread_list(
    tmp_path: Path,
) -> None:
    """A list built at run time: the integration classes the file constructs stand in for it."""
    actors = """
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker

        dramatiq.set_broker(RedisBroker())


        @dramatiq.actor
        def reindex():
            pass
    """
    setup = """
        import sentry_sdk
        from sentry_sdk.integrations.dramatiq import DramatiqIntegration

        def init(extra):
            integrations = [*extra, DramatiqIntegration()]
            sentry_sdk.init(dsn="https://key@sentry.example/1", integrations=[*integrations])
    """
    root = project(tmp_path, {"app/actors.py": actors, "app/monitoring.py": setup})
    [(kind, origin)] = hooks_of(analyse_project(root), "app.actors.reindex")
    assert kind == "sentry" and origin is not None and "constructed at line" in origin

    unlisted = setup.replace(", integrations=[*integrations]", "")
    root = project(tmp_path, {"app/monitoring.py": unlisted})
    result = analyse_project(root)
    assert hooks_of(result, "app.actors.reindex") == []
    [finding] = [f for f in result.findings if f.code == "RL601"]
    assert "does not list DramatiqIntegration" in finding.message


def test_sentry_settings_without_an_init_lower_the_confidence(tmp_path: Path) -> None:
    settings = "SENTRY_CELERY_IGNORE_EXPECTED = True\n"
    root = project(tmp_path, {"proj/tasks.py": CELERY_TASK, "proj/settings.py": settings})
    [finding] = [f for f in analyse_project(root).findings if f.code == "RL601"]
    assert finding.confidence == "low"
    assert "SENTRY_CELERY_IGNORE_EXPECTED" in finding.message


def test_rl601_names_the_framework_when_most_jobs_have_no_hook(tmp_path: Path) -> None:
    """A build task's on_failure is not the project's alerting: one finding at the app."""
    tasks = """
        from celery import Celery, Task

        app = Celery("proj", broker="redis://")


        class BuildTask(Task):
            def on_failure(self, exc, task_id, args, kwargs, einfo):
                print(task_id)


        @app.task(base=BuildTask)
        def build():
            pass


        @app.task
        def clean():
            pass


        @app.task
        def index():
            pass
    """
    root = project(tmp_path, {"proj/tasks.py": tasks})
    [finding] = [f for f in analyse_project(root).findings if f.code == "RL601"]
    assert (finding.line, finding.severity) == (4, "medium")
    assert "2 have no failure hook (only 1 do" in finding.message
    assert finding.jobs == ("proj.tasks.clean", "proj.tasks.index")


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


def test_celery_app_wide_ignore_result_is_one_finding_for_its_tasks(tmp_path: Path) -> None:
    tasks = """
        from celery import Celery

        app = Celery("proj", backend="redis://localhost/1")
        app.conf.task_ignore_result = True


        @app.task
        def one():
            pass


        @app.task
        def two():
            pass


        @app.task(ignore_result=False)
        def three():
            pass
    """
    root = project(tmp_path, {"proj/tasks.py": tasks})
    [finding] = [f for f in analyse_project(root).findings if f.code == "RL602"]
    assert finding.line == 5
    assert finding.jobs == ("proj.tasks.one", "proj.tasks.two")


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


def test_the_builtin_network_pack_loads() -> None:
    catalogue = load_network_calls()
    assert catalogue.calls["requests.get"].default == "none"
    assert catalogue.calls["urllib.request.urlopen"].position == 2
    assert catalogue.calls["aiohttp.ClientSession"].none_keeps_default
    assert "get" in catalogue.sessions["requests.Session"][0]
    assert "urlopen" in catalogue.last_names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("calls: {}", "`calls` must be a list"),
        ("calls:\n  - {name: x.y, timeout: timeout}", "calls[0].default must be"),
        ("calls:\n  - {name: x.y, timeout: t, default: none, wait: 3}", "unknown key 'wait'"),
        (
            "sessions:\n  - {constructors: [], methods: [get], timeout: t, default: none}",
            "non-empty",
        ),
        ("no_timeout_values:\n  - {name: x.Timeout}", "bounded_by must list"),
        ("clients: []", "unknown section 'clients'"),
    ],
)
def test_pack_errors_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(text, encoding="utf-8")
    with pytest.raises(PackError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_pack(pack)


def test_extra_network_calls_are_validated_when_the_config_is_read(tmp_path: Path) -> None:
    (tmp_path / "retrylint.toml").write_text('extra-network-calls = ["pack.yaml"]\n')
    (tmp_path / "pack.yaml").write_text("calls:\n  - {name: sdk.Client, timeout: 5}\n")
    with pytest.raises(ConfigError, match=r"'extra-network-calls' pack .*calls\[0\].timeout"):
        load_config(tmp_path)
    (tmp_path / "pack.yaml").write_text(
        "calls:\n  - {name: sdk.Client, timeout: timeout, default: none, note: waits}\n"
    )
    config = load_config(tmp_path)
    assert config.network_call_packs == ((tmp_path / "pack.yaml").resolve(),)
    assert load_network_calls(config.network_call_packs).calls["sdk.Client"].note == "waits"


def rl605(root: Path) -> list[tuple[str, int, str]]:
    result = analyse_project(root, select=("RL605",))
    return [(f.path, f.span.line, f.confidence) for f in result.findings]


SCHEDULE = """
    from celery.schedules import crontab

    CELERY_BEAT_SCHEDULE = {
        "finish": {"task": "jobs.finish_builds", "schedule": crontab(minute=0)},
        "typo": {"task": "proj.celery.pnig", "schedule": crontab(minute=5)},
        "moved": {"task": "proj.reports.nightly", "schedule": crontab(minute=9)},
    }
"""


def test_a_default_name_under_another_import_root_is_known(tmp_path: Path) -> None:
    # The worker runs from inside proj/ and registers "jobs.finish_builds"; the folder layout
    # names the task "proj.jobs.finish_builds". The typo and the missing module are reported.
    jobs = "from celery import shared_task\n\n\n@shared_task\ndef finish_builds():\n    pass\n"
    files = {"proj/settings.py": SCHEDULE, "proj/celery.py": CELERY_TASK, "proj/jobs.py": jobs}
    assert rl605(project(tmp_path, files)) == [
        ("proj/settings.py", 6, "high"),
        ("proj/settings.py", 7, "high"),
    ]


def test_a_name_in_a_module_the_run_did_not_see_is_judged_only_by_its_package() -> None:
    from retrylint.checks.rl605 import _judged
    from retrylint.facts import FileFacts
    from retrylint.project import ModuleFacts, ProjectIndex

    index = ProjectIndex(
        [
            ModuleFacts("shop", "shop/__init__.py", True, FileFacts()),
            ModuleFacts("shop.tasks", "shop/tasks.py", False, FileFacts()),
            ModuleFacts("billing.settings", "billing/settings.py", False, FileFacts()),
        ]
    )
    assert _judged(index, "shop.tasks")  # analysed
    assert _judged(index, "shop.reports")  # its package was analysed and has no such module
    assert not _judged(index, "billing.tasks")  # a run over some files: billing/ not seen
    assert not _judged(index, "shop.sub.tasks")  # nor its package shop.sub


def test_a_task_whose_name_is_not_written_out_makes_findings_uncertain(tmp_path: Path) -> None:
    tasks = (
        textwrap.dedent(CELERY_TASK)
        + "\n\n@app.task(name=NAMES['cleanup'])\ndef cleanup():\n    pass\n"
    )
    root = project(tmp_path, {"proj/settings.py": SCHEDULE, "proj/celery.py": tasks})
    assert [confidence for *_, confidence in rl605(root)] == ["low", "low"]


def test_schedules_are_not_judged_without_any_celery_task(tmp_path: Path) -> None:
    assert rl605(project(tmp_path, {"proj/settings.py": SCHEDULE})) == []


def test_a_time_limit_set_by_every_caller_is_not_missing(tmp_path: Path) -> None:
    # Builds get their limit from the project they build: the caller sets it per run.
    tasks = textwrap.dedent(CELERY_TASK) + textwrap.dedent(
        """

        @app.task
        def build(project_id):
            pass


        @app.task
        def sync(project_id):
            pass


        @app.task
        def index(project_id):
            pass


        @app.task
        def notify(project_id):
            pass


        def trigger(project_id, limit):
            build.apply_async(args=(project_id,), time_limit=limit)
            options = {"soft_time_limit": limit}
            sync.signature(args=(project_id,), **options).apply_async()
            index.signature(args=(project_id,), options=options).apply_async()
            notify.delay(project_id, time_limit=limit)  # the task's own argument
        """
    )
    root = project(tmp_path, {"proj/celery.py": tasks})
    result = analyse_project(root, select=("RL603",))
    assert [finding.job for finding in result.findings] == [
        "proj.celery.ping",
        "proj.celery.notify",
    ]
