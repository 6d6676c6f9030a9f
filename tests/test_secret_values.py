"""What a value carries into a log call: look-through, one step of local flow, labels, and the
shapes that only look like secrets. Each case is one function; the test reads which of its lines
get RL502 (the fixture projects show the rules end to end)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import analyse_project

HEADER = "import logging\n\nlog = logging.getLogger(__name__)\n\n\n"


def reported_lines(tmp_path: Path, body: str) -> list[int]:
    """Lines of ``body`` (1-based, counted from its first line) that get RL502."""
    (tmp_path / "app.py").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    result = analyse_project(tmp_path, select=("RL502",))
    offset = HEADER.count("\n")
    return sorted(f.line - offset for f in result.findings if f.code == "RL502")


@pytest.mark.parametrize(
    "body",
    [
        'def f(token):\n    log.info(f"got {token}")\n',
        'def f(token):\n    log.info("got %s" % token)\n',
        'def f(token):\n    log.info("got {}".format(token))\n',
        'def f(token):\n    log.info("got " + token.strip())\n',
        'def f(x):\n    log.info("got %s", x["api_key"])\n',
        'def f(request):\n    log.info("%s", request.headers.get("Authorization"))\n',
        'import os\ndef f():\n    log.info("%s", os.environ["API_TOKEN"])\n',
        'def f(creds):\n    log.info("%s", str(creds.password))\n',
        'def f(t):\n    log.info("%s", dict(password=t))\n',
        'def f(t):\n    log.info("token=%s", t)\n',
        'def f(resp):\n    log.info(f"api key: {resp}")\n',
        'def f(client):\n    log.info("%s", client.get_api_key())\n',
        'def f(t):\n    log.info("%s", {"Authorization": f"Bearer {t}"})\n',
    ],
)
def test_reported(tmp_path: Path, body: str) -> None:
    assert reported_lines(tmp_path, body) == [body.count("\n")]


@pytest.mark.parametrize(
    "body",
    [
        'def f(token):\n    log.info("%d", len(token))\n',
        'def f(token):\n    log.info("%s", token is None)\n',
        'def f(token):\n    log.info("%s", mask(token))\n',
        'def f(token):\n    log.info("%s", token[:4])\n',
        'def f(token):\n    log.info("%s", token.id)\n',
        'def f(email):\n    log.info("no user found for forgot password: %s", email)\n',
        'def f(user):\n    log.info("token for %s", user)\n',
        'def f(name):\n    log.info("secret %s not found", name)\n',
        'def f(vault_path):\n    log.info("secret: %s", vault_path)\n',
        'def f(use_token=False):\n    log.info("%s", use_token)\n',
        'def f(google_auth=False):\n    log.info("%s", google_auth)\n',
        'def f(x):\n    log.info("%s", {"password": "Too short."})\n',
        'def f(e):\n    log.info("%s", ERROR_CODES["PASSWORD_TOO_WEAK"])\n',
        'def f(checkout):\n    log.info("taxes failed for checkout %s", checkout.token)\n',
        "def f(checkout):\n    raise NonExistingCheckout(checkout.token)\n",
        'def f(e):\n    raise ValidationError({"password": ValidationError("weak")})\n',
        'def f(e):\n    raise ValidationError({"token": e.messages})\n',
        'def f(exporter):\n    log.info("export", token_id=exporter.token)\n',
        'empty_password = ""\nlog.info("%s", empty_password)\n',
        'import tokenize\ndef f(token):\n    log.info("%s", token)\n',
        "def generate_secret_key():\n    return 1\nprint(generate_secret_key())\n",
        'def f(apitoken):\n    log.info("Received API Token: %s[...]", apitoken[:10])\n',
        'def f(e):\n    log.error("Cannot decode JWT token: %s", e)\n',
        '_config_secret = "api.jwt.secret"\nlog.info("%s", _config_secret)\n',
        'fallback_secret = "SECRET_KEY"\nraise KeyError(f"{fallback_secret} missing")\n',
        'def f(token_decoded):\n    log.debug(f"decoded: {token_decoded}")\n',
    ],
)
def test_not_reported(tmp_path: Path, body: str) -> None:
    assert reported_lines(tmp_path, body) == []


def test_one_step_of_local_flow(tmp_path: Path) -> None:
    body = """\
    def f(settings):
        key = settings.PARTNER_KEY
        headers = {"Authorization": f"Bearer {key}"}
        log.info("%s", headers)
        wrapped = {"Authorization": key}
        copy = wrapped
        log.info("%s", copy)
        data = {}
        data["api_key"] = key
        log.info("%s", data)
    """
    # headers: bound to a dict with "Authorization"; copy: two steps away; data: keyed write.
    assert reported_lines(tmp_path, body) == [4, 10]


def test_one_finding_per_argument(tmp_path: Path) -> None:
    body = """\
    def f(token, password):
        log.info("%s %s", token, password)
        log.info(f"{token} {password}")
        log.info("%s", {"cookie": request.COOKIES})
    """
    assert reported_lines(tmp_path, body) == [2, 2, 3, 4]
