"""retrylint's own output never shows a secret literal in full, in any format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from retrylint.cli import check, main
from retrylint.reporters import mask
from retrylint.secrets.masking import masked, masker
from tests.conftest import FIXTURES, analyse_project

# A realistic live key in fixtures/secrets_celery/mailsync/views.py, passed to a job by keyword:
# RL501's message quotes the argument as written.
KEY = "sk_live_51HqLyjWDarjtT1zdp7dcXyzQ"
SHOWN = "sk_l***"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'api_key="{KEY}"', f'api_key="{SHOWN}"'),
        ("password = 'hunter2'", "password = '***'"),
        (
            "{'Authorization': 'Bearer abcdEFGH1234ijklMNOP5678'}",
            "{'Authorization': 'Bearer abcd***'}",
        ),
        ("key AKIAIOSFODNN7EXAMPLE leaked", "key AKIA*** leaked"),
        ("x = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'", "x = 'ghp_***'"),
        ("postgres://app:s3cr3t-pw@db:5432/shop", "postgres://app:***@db:5432/shop"),
        ('{"q": "a1b2c3d4e5f6g7h8i9j0k1l2m3"}', '{"q": "a1b2***"}'),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", None),
    ],
)
def test_secret_literals_are_masked(text: str, expected: str | None) -> None:
    shown = masker().text(text)
    if expected is not None:
        assert shown == expected
    else:
        assert "MIIEow" not in shown and shown.startswith("-----BEGIN RSA PRIVATE KEY-----")


@pytest.mark.parametrize(
    "text",
    [
        'password=""',
        'token="***"',
        "self.retry(countdown=60)",
        "retry_kwargs['countdown']=30",
        "Celery task `shop.tasks.send_receipt_for_customer_2` retries forever",
        "secret_name = 'prod/partner/api'",
        "url = 'https://partner.example/oauth/token'",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert masker().text(text) == text


def test_short_values_keep_nothing() -> None:
    assert masked("hunter2") == "***"
    assert masked(KEY) == SHOWN


def test_user_packs_add_names_to_mask(tmp_path: Path) -> None:
    pack = tmp_path / "secrets.yaml"
    pack.write_text("secret:\n  words: [licence]\n", encoding="utf-8")
    assert masker([pack]).text('licence = "ABCD-1234-EFGH"') == 'licence = "ABCD***"'
    assert mask('licence = "ABCD-1234-EFGH"') == 'licence = "ABCD-1234-EFGH"'


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "secrets_celery"
    shutil.copytree(FIXTURES / "secrets_celery", folder)
    monkeypatch.chdir(folder)
    return folder


def test_the_fixture_really_quotes_the_key(project: Path) -> None:
    """The check below proves something: before the output layer, a message holds the key."""
    messages = [f.message for f in analyse_project(project).findings]
    assert any(KEY in message for message in messages)


FORMATS = next(p for p in check.params if p.name == "output_format").type
assert isinstance(FORMATS, click.Choice)


@pytest.mark.parametrize("output_format", FORMATS.choices)
@pytest.mark.parametrize("extra", [(), ("--statistics",), ("--quiet",)])
def test_no_format_prints_the_key(
    project: Path, output_format: str, extra: tuple[str, ...]
) -> None:
    """Every format `check` offers, now and later: they all read the masked findings."""
    result = CliRunner().invoke(main, ["check", "--format", output_format, *extra, "."])
    assert result.exit_code == 1, result.output
    assert KEY not in result.output
    if "--statistics" not in extra:
        assert SHOWN in result.output
    if output_format == "json":
        findings = json.loads(result.output)["findings"]
        assert any(SHOWN in f["message"] for f in findings)


def test_the_job_inventory_is_masked(project: Path, tmp_path: Path) -> None:
    (project / "mailsync" / "keys.py").write_text(
        "from celery import shared_task\n\n\n"
        f'@shared_task(autoretry_for=(Exception,), retry_kwargs={{"countdown": "{KEY}"}})\n'
        "def rotate():\n    return 1\n",
        encoding="utf-8",
    )
    for output_format in ("json", "table"):
        result = CliRunner().invoke(main, ["jobs", "--format", output_format, "."])
        assert KEY not in result.output
    assert SHOWN in CliRunner().invoke(main, ["jobs", "--format", "json", "."]).output
