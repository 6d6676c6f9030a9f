"""The RL3 rules beyond what fixtures show: options, fixes, packs and where findings are kept."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from retrylint.checks.permanent import PackError, permanent_errors
from retrylint.config import ConfigError, load_config
from tests.test_fixes_rq import apply_fixes, findings, write_project

APP = {
    "app/__init__.py": "",
    "app/celery.py": "from celery import Celery\n\napp = Celery('app')\n",
}


def project(root: Path, tasks: str, **settings: str) -> None:
    write_project(root, {**APP, "app/tasks.py": dedent(tasks)}, **settings)


BATCH = """\
    import logging

    from app.celery import app

    log = logging.getLogger(__name__)


    @app.task
    def resend(ids):
        for item in ids:
            try:
                send(item)
            except Exception:
                log.exception("could not resend %s", item)


    def send(item):
        return item
    """


def test_per_item_isolation_is_an_option(tmp_path: Path) -> None:
    project(tmp_path, BATCH)
    assert findings(tmp_path, "RL302") == []
    project(tmp_path, BATCH, per_item_isolation="false")
    (found,) = findings(tmp_path, "RL302")
    assert found["line"] == 13 and "goes on with the next item" in found["message"]
    assert found["severity"] == "medium"  # logged with its traceback


def test_per_item_isolation_must_be_a_flag(tmp_path: Path) -> None:
    (tmp_path / "retrylint.toml").write_text('per-item-isolation = "yes"\n')
    with pytest.raises(ConfigError, match="'per-item-isolation' must be true or false"):
        load_config(tmp_path)


HELPERS = """\
    import logging

    import requests

    from app.celery import app

    log = logging.getLogger(__name__)


    def fetch_rates():
        try:
            return requests.get("https://rates.example", timeout=5).json()
        except Exception:
            log.warning("rates unavailable")
            return None


    def ping():
        try:
            requests.get("https://status.example", timeout=5)
        except Exception:
            return False


    @app.task
    def refresh():
        rates = fetch_rates()
        if rates is None:
            raise RuntimeError("no rates")
        ping()


    @app.task
    def probe():
        try:
            requests.get("https://status.example", timeout=5)
        except Exception:
            return False
        return True
    """


def test_a_failure_handed_to_the_caller_counts_only_in_a_job_body(tmp_path: Path) -> None:
    project(tmp_path, HELPERS)
    found = findings(tmp_path, "RL302")
    # fetch_rates returns a sentinel and ping a failure value: their callers decide. The job
    # probe turns the same failure value into a success.
    assert [(f["line"], f["jobs"]) for f in found] == [(37, ["app.tasks.probe"])]


def test_safe_fixes_for_bare_except_and_dropped_traceback(tmp_path: Path) -> None:
    project(
        tmp_path,
        """\
        import logging

        from app.celery import app

        log = logging.getLogger(__name__)


        @app.task
        def sync(account_id):
            try:
                push(account_id)
            except:
                pass
            try:
                push(account_id)
            except Exception as exc:
                log.error("push failed: %s", exc)
                mark_failed(account_id)
            try:
                push(account_id)
            except Exception as exc:
                log.warning("push failed: %s", exc)
                mark_failed(account_id)


        def push(account_id):
            return account_id


        def mark_failed(account_id):
            return account_id
        """,
    )
    assert {f["code"] for f in findings(tmp_path, "RL301,RL307")} == {"RL301", "RL307"}
    apply_fixes(tmp_path, "RL301,RL307")
    fixed = (tmp_path / "app/tasks.py").read_text()
    assert "    except Exception:\n        pass" in fixed
    assert 'log.exception("push failed: %s", exc)' in fixed
    assert 'log.warning("push failed: %s", exc, exc_info=True)' in fixed
    assert findings(tmp_path, "RL301,RL307") == []


def test_permanent_error_packs_extend_the_catalogue(tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text("errors:\n  shop.errors.QuotaExceeded: resets monthly\nname-words: [Revoked]\n")
    catalogue = permanent_errors((pack,))
    assert catalogue.why("shop.errors.QuotaExceeded", in_project=True) == "resets monthly"
    assert catalogue.why("ValueError", in_project=False)
    assert catalogue.why("shop.models.Order.DoesNotExist", in_project=True)
    assert catalogue.why("shop.errors.TokenRevoked", in_project=True)
    # Name words judge only the project's own exceptions; transient names are left alone.
    assert catalogue.why("thirdparty.TokenRevoked", in_project=False) is None
    assert catalogue.why("shop.errors.GatewayTimeout", in_project=True) is None
    assert catalogue.http("httpx.HTTPStatusError")


def test_a_malformed_permanent_error_pack_names_the_file(tmp_path: Path) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text("errorz:\n  X: y\n")
    with pytest.raises(PackError, match=r"bad\.yaml: unknown section 'errorz'"):
        permanent_errors((pack,))


def test_give_up_paths_of_retry_decorators_in_job_code(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            **APP,
            "app/tasks.py": dedent(
                """\
                from app.celery import app
                from app.client import load


                @app.task
                def refresh():
                    return load()
                """
            ),
            "app/client.py": dedent(
                """\
                import backoff
                from tenacity import retry, stop_after_attempt


                @retry(stop=stop_after_attempt(3), retry_error_callback=lambda state: None)
                def load():
                    return fetch() or save()


                @backoff.on_exception(backoff.expo, OSError, max_tries=3, raise_on_giveup=False)
                def fetch():
                    return None


                @backoff.on_exception(backoff.expo, OSError, max_tries=3, raise_on_giveup=False)
                def unused():
                    return None


                def save():
                    return None
                """
            ),
        },
    )
    found = findings(tmp_path, "RL306")
    assert [(f["path"], f["line"]) for f in found] == [("app/client.py", 5), ("app/client.py", 10)]
    assert all(f["jobs"] == ["app.tasks.refresh"] for f in found)  # `unused` is no job's code
