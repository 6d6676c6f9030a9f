"""Every reporter passes what it prints from the analysed code through `reporters.mask`."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from retrylint import reporters
from tests.test_cli import invoke

SECRET = "max_retries=None"  # stands in for a secret literal: it is in messages and frames
MODULES = (
    "retrylint.reporters.text",
    "retrylint.reporters.json_report",
    "retrylint.reporters.sarif",
    "retrylint.reporters.ci",
    "retrylint.reporters.jobs_report",
    "retrylint.reporters.audit.model",
)


def test_mask_hides_secret_literals_and_leaves_other_text_alone() -> None:
    assert reporters.mask("api_key = 'sk_live_51Habcdef'") == "api_key = 'sk_l***'"
    assert reporters.mask("retries = 'five'") == "retries = 'five'"


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> None:
    def mask(text: str) -> str:
        return text.replace(SECRET, "***")

    for name in MODULES:
        monkeypatch.setattr(importlib.import_module(name), "mask", mask)


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "--format", "json"),
        ("check", "--format", "sarif"),
        ("check", "--format", "github"),
        ("check", "--format", "junit"),
        ("check", "--format", "gitlab"),
        ("audit", "--format", "html"),
        ("audit", "--format", "markdown"),
        ("audit", "--format", "json"),
    ],
)
def test_every_format_masks(shop: Path, masked: None, args: tuple[str, ...]) -> None:
    output = invoke(*args, ".").stdout
    assert "***" in output
    if args[-1] == "json" and args[0] == "check":
        messages = [f["message"] for f in json.loads(output)["findings"]]
        assert not any(SECRET in message for message in messages)
    # Outside messages and frames the text may appear as data (SARIF rule docs): not in results.
    if "sarif" not in args:
        assert SECRET not in output
