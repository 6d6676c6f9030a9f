"""Job reach: the call graph behind it, one finding per place, and code no job reaches."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest

from tests.test_fixes_rq import cli, findings, write_project

APP = {
    "shop/__init__.py": "",
    "shop/celery.py": "from celery import Celery\n\napp = Celery('shop')\n",
    "shop/tasks.py": """\
        from shop.celery import app
        from shop.notify import notify
        from shop import billing


        @app.task
        def check_alerts(order_id):
            notify(order_id)


        @app.task
        def ship(order_id):
            notify(order_id)
            billing.Invoices().close(order_id)


        @app.task
        def nightly():
            def each(order_id):
                billing.refund(order_id)

            for order_id in range(3):
                each(order_id)
        """,
    "shop/notify.py": """\
        from shop.clients import Webhook


        def notify(order_id):
            send_webhook(order_id)


        def send_webhook(order_id):
            hook = Webhook()
            hook.post(order_id)
        """,
    "shop/clients.py": """\
        import time

        import requests


        class Base:
            def call(self, url):
                while True:
                    try:
                        return requests.post(url, timeout=5)
                    except requests.ConnectionError:
                        time.sleep(5)


        class Webhook(Base):
            def post(self, order_id):
                return self.call(f"https://hooks.example/{order_id}")
        """,
    "shop/billing.py": """\
        import time

        import requests


        class Ledger:
            def record(self, order_id):
                for _ in range(5):
                    try:
                        return requests.put(f"https://ledger.example/{order_id}", timeout=5)
                    except requests.Timeout:
                        time.sleep(2)


        class Invoices:
            def __init__(self):
                self.ledger = Ledger()

            def close(self, order_id):
                self.ledger.record(order_id)


        ledger = Ledger()


        def refund(order_id):
            ledger.record(order_id)
        """,
    "shop/views.py": """\
        import time

        import requests


        def status(request):
            while True:
                try:
                    return requests.get("https://status.example", timeout=5)
                except requests.ConnectionError:
                    time.sleep(2)
        """,
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    write_project(tmp_path, {name: dedent(text) for name, text in APP.items()})
    return tmp_path


def jobs_json(root: Path, *args: str) -> dict[str, dict]:
    result = cli_jobs(root, *args)
    return {job["qualname"]: job for job in json.loads(result)["jobs"]}


def cli_jobs(root: Path, *args: str) -> str:
    from click.testing import CliRunner

    from retrylint.cli import main
    from tests.conftest import chdir

    with chdir(root):
        result = CliRunner().invoke(main, ["jobs", "--format", "json", *args, "."])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_reach_follows_imports_constructors_locals_and_self(shop: Path) -> None:
    jobs = jobs_json(shop)
    reach = {item["function"]: item["depth"] for item in jobs["shop.tasks.check_alerts"]["reach"]}
    assert reach == {
        "shop.tasks.check_alerts": 0,
        "shop.notify.notify": 1,
        "shop.notify.send_webhook": 2,
        "shop.clients.Webhook.post": 3,  # hook = Webhook(); hook.post(...)
    }
    ship = {item["function"] for item in jobs["shop.tasks.ship"]["reach"]}
    # billing.Invoices().close -> self.ledger.record, with self.ledger = Ledger() in __init__
    assert {
        "shop.billing.Invoices.__init__",
        "shop.billing.Invoices.close",
        "shop.billing.Ledger.record",
    } <= ship
    nightly = {item["function"] for item in jobs["shop.tasks.nightly"]["reach"]}
    # calls in a nested function count as the job's; `ledger = Ledger()` at module level
    assert nightly == {"shop.tasks.nightly", "shop.billing.refund", "shop.billing.Ledger.record"}


def test_depth_limits_reach(shop: Path) -> None:
    (shop / "pyproject.toml").write_text("[tool.retrylint]\njob-reach-depth = 3\n")
    jobs = jobs_json(shop)
    loop = next(job for name, job in jobs.items() if name.startswith("shop.clients.Base.call"))
    # Base.call is 4 calls deep from check_alerts (through self.call on a subclass): unreached
    assert loop["reached_from"] == []
    (shop / "pyproject.toml").write_text("[tool.retrylint]\njob-reach-depth = 4\n")
    jobs = jobs_json(shop)
    loop = next(job for name, job in jobs.items() if name.startswith("shop.clients.Base.call"))
    assert [item["job"] for item in loop["reached_from"]] == [
        "shop.tasks.check_alerts",
        "shop.tasks.ship",
    ]
    assert loop["reached_from"][0]["call_path"] == [
        "shop.tasks.check_alerts",
        "shop.notify.notify",
        "shop.notify.send_webhook",
        "shop.clients.Webhook.post",
        "shop.clients.Base.call",
    ]


def test_a_place_reached_from_several_jobs_is_one_finding(shop: Path) -> None:
    (shop / "pyproject.toml").write_text("[tool.retrylint]\njob-reach-depth = 4\n")
    [found] = [f for f in findings(shop, "RL101") if f["path"] == "shop/clients.py"]
    assert found["jobs"] == ["shop.tasks.check_alerts", "shop.tasks.ship"]
    assert found["call_path"][0] == "shop.tasks.check_alerts"
    assert found["severity"] == "high"
    assert "no background job" not in found["message"]
    text = cli(shop, "--select", "RL101", ".").stdout
    assert "(in 2 jobs: shop.tasks.check_alerts +1; via check_alerts -> notify" in text


def test_code_no_job_reaches_is_reported_a_step_lower(shop: Path) -> None:
    [found] = [f for f in findings(shop, "RL101") if f["path"] == "shop/views.py"]
    assert found["severity"] == "medium"  # RL101 is high in job code
    assert found["jobs"] == [] and found["call_path"] == []
    assert (
        "; no background job is found to reach this code (calls through registries"
        in found["message"]
    )


@pytest.mark.parametrize(("setting", "severity"), [("same", "high"), ("ignore", None)])
def test_unreached_setting(shop: Path, setting: str, severity: str | None) -> None:
    (shop / "pyproject.toml").write_text(f"[tool.retrylint]\nunreached = '{setting}'\n")
    found = [f["severity"] for f in findings(shop, "RL101") if f["path"] == "shop/views.py"]
    assert found == ([severity] if severity else [])


def test_reached_loop_keeps_its_severity(shop: Path) -> None:
    [found] = [f for f in findings(shop, "RL201") if f["path"] == "shop/billing.py"]
    assert found["jobs"] == ["shop.tasks.nightly", "shop.tasks.ship"]
    assert found["severity"] == "medium"


def test_third_party_code_is_never_entered(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/tasks.py": dedent(
            """\
            import requests
            from celery import shared_task
            from vendored_sdk import Client


            @shared_task
            def sync():
                Client().push()
                requests.post("https://x.example", timeout=5)
            """
        ),
    }
    write_project(tmp_path, files)
    [job] = jobs_json(tmp_path).values()
    assert [item["function"] for item in job["reach"]] == ["app.tasks.sync"]


def test_a_module_object_built_in_branches_reaches_every_class(tmp_path: Path) -> None:
    """``sender = ProviderSender() if configured else LoggingSender()`` in if/else: which class
    runs is decided at import time, so the job reaches the method of both."""
    files = {
        "app/__init__.py": "",
        "app/mail.py": dedent(
            """\
            import os


            class LoggingSender:
                def send(self, to):
                    print(to)


            class ProviderSender:
                def send(self, to):
                    print("sent", to)


            if os.environ.get("PROVIDER"):
                sender = ProviderSender()
            else:
                sender = LoggingSender()
            """
        ),
        "app/tasks.py": dedent(
            """\
            from celery import shared_task

            from app.mail import sender


            @shared_task
            def mail(to):
                sender.send(to)
            """
        ),
    }
    write_project(tmp_path, files)
    [job] = jobs_json(tmp_path).values()
    assert [item["function"] for item in job["reach"]] == [
        "app.tasks.mail",
        "app.mail.ProviderSender.send",
        "app.mail.LoggingSender.send",
    ]
