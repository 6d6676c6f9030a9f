"""What RL401 tells a reviewer: why the effect can run twice, and a remedy that applies.

Fixtures check which lines are reported; these check the words, where real code showed them
wrong: a sender that retries only on an error status was said to retry timeouts, and a chat
API reached over raw HTTP was told to send an Idempotency-Key header it ignores.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import analyse_project


def rl401_messages(tmp_path: Path, source: str) -> dict[int, str]:
    """RL401 messages by line of ``tasks.py``."""
    (tmp_path / "tasks.py").write_text(textwrap.dedent(source), encoding="utf-8")
    result = analyse_project(tmp_path, select=("RL401",))
    assert not result.errors, result.errors
    return {f.line: f.message for f in result.findings if f.code == "RL401"}


def test_a_retry_on_the_result_is_not_said_to_retry_every_failure(tmp_path: Path) -> None:
    found = rl401_messages(
        tmp_path,
        """\
        import requests
        from celery import Celery

        app = Celery("hooks")


        def deliver(url, body):
            try:
                return requests.post(url, json=body, timeout=5).status_code
            except requests.RequestException:
                return None


        @app.task(bind=True, max_retries=4)
        def notify_partner(self, url, body):
            status = deliver(url, body)
            if status is not None and status >= 500:
                self.retry(countdown=30)
        """,
    )
    message = found[9]
    assert "`self.retry(...)` on its result: a failed result of the call" in message
    assert "such as a timeout" not in message
    assert "up to 5 attempts (max_retries=4)" in message


def test_an_escaping_failure_is_said_to_retry_a_timeout(tmp_path: Path) -> None:
    found = rl401_messages(
        tmp_path,
        """\
        import requests
        from celery import Celery

        app = Celery("hooks")


        @app.task(autoretry_for=(requests.RequestException,), max_retries=2)
        def notify_partner(url, body):
            requests.post(url, json=body, timeout=5)
        """,
    )
    message = found[9]
    assert "a failure of the call itself, such as a timeout after the provider acted" in message


def test_an_http_write_is_offered_a_record_besides_a_header(tmp_path: Path) -> None:
    found = rl401_messages(
        tmp_path,
        """\
        import httpx
        from celery import Celery

        app = Celery("alerts")
        client = httpx.Client(base_url="https://chat.example.com/api")


        @app.task(autoretry_for=(httpx.HTTPError,), max_retries=2)
        def post_alert(channel, text):
            client.post("/chat.postMessage", json={"channel": channel, "text": text})
        """,
    )
    message = found[10]
    assert "pass an Idempotency-Key header derived from a stable id" in message
    assert "if the receiver honours one, or record that it was done" in message
