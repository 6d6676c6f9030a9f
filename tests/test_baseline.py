"""Baselines: accepted findings stay hidden while the code around them moves; new ones show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrylint.baseline import Baseline, BaselineError, fingerprint
from retrylint.findings import Finding
from retrylint.model import Span
from retrylint.spans import SourceFiles
from tests.test_cli import invoke

POLL = """\
def poll():
    while True:
        try:
            return fetch()
        except ConnectionError:
            time.sleep(5)
"""
HEADER = "import time\n\n\ndef fetch():\n    return 1\n\n\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A retry loop with two findings (RL101 forever, RL201 no backoff), checked from its root."""
    (tmp_path / "poller.py").write_text(HEADER + POLL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args: str) -> tuple[int, list[dict]]:
    result = invoke("check", "--format", "json", "--select", "RL101,RL201", *args, ".")
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_written_baseline_hides_every_current_finding(project: Path) -> None:
    code, findings = check()
    assert code == 1 and {f["code"] for f in findings} == {"RL101", "RL201"}
    written = invoke("check", "--select", "RL101,RL201", "--write-baseline", "base.json", ".")
    assert written.exit_code == 0
    assert "Wrote 2 findings to the baseline base.json." in written.stdout
    document = json.loads((project / "base.json").read_text())
    assert document["version"] == 1
    entries = sorted(document["fingerprints"].values(), key=lambda e: e["code"])
    assert entries == [
        {"count": 1, "code": "RL101", "where": "poller.poll#loop", "source": "while True"},
        {"count": 1, "code": "RL201", "where": "poller.poll#loop", "source": "time.sleep(5)"},
    ]
    assert check("--baseline", "base.json") == (0, [])


def test_lines_inserted_above_keep_findings_matched(project: Path) -> None:
    invoke("check", "--select", "RL101,RL201", "--write-baseline", "base.json", ".")
    moved = "import time\n# a comment\n\nTIMEOUT = 3\n\n\ndef fetch():\n    return 1\n\n\n\n" + POLL
    (project / "poller.py").write_text(moved, encoding="utf-8")
    assert check()[1][0]["line"] == 13  # the loop moved down by 4 lines
    assert check("--baseline", "base.json") == (0, [])


def test_a_second_identical_finding_in_the_same_job_is_new(project: Path) -> None:
    invoke("check", "--select", "RL101,RL201", "--write-baseline", "base.json", ".")
    doubled = POLL.replace(
        "            time.sleep(5)\n",
        "            time.sleep(5)\n    while True:\n        try:\n            return fetch()\n"
        "        except ConnectionError:\n            time.sleep(5)\n",
    )
    (project / "poller.py").write_text(HEADER + doubled, encoding="utf-8")
    code, findings = check("--baseline", "base.json")
    assert code == 1
    # Both loops are `poller.poll#loop@N`; the baseline accepted one of each finding.
    assert [(f["code"], f["line"]) for f in findings] == [("RL101", 14), ("RL201", 18)]


def test_changing_the_offending_code_makes_it_new(project: Path) -> None:
    invoke("check", "--select", "RL101,RL201", "--write-baseline", "base.json", ".")
    text = (project / "poller.py").read_text().replace("time.sleep(5)", "time.sleep(30)")
    (project / "poller.py").write_text(text, encoding="utf-8")
    code, findings = check("--baseline", "base.json")
    assert code == 1 and [f["code"] for f in findings] == ["RL201"]


def test_rewrapping_keeps_the_fingerprint(tmp_path: Path) -> None:
    def finding(end_column: int) -> Finding:
        span = Span(1, 1, 2, end_column)
        return Finding("RL101", "unbounded-retries", "high", "m", "a.py", span, job="a.job")

    wide = SourceFiles({"a.py": b"call(x,\n         y=1)\n"})
    narrow = SourceFiles({"a.py": b"call(x,\n    y=1)  # moved\n"})
    one = fingerprint(finding(14), wide, tmp_path)
    assert one.source == "call(x, y=1)"
    assert fingerprint(finding(9), narrow, tmp_path).fingerprint == one.fingerprint
    other_rule = Finding("RL201", "x", "high", "m", "a.py", Span(1, 1, 2, 14), job="a.job")
    assert fingerprint(other_rule, wide, tmp_path).fingerprint != one.fingerprint


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"version": 2, "fingerprints": {}}', "not a retrylint baseline of version 1"),
        ('{"version": 1, "fingerprints": {"x": {"count": 0}}}', "'count' must be a positive"),
        ("[]", "not a retrylint baseline"),
    ],
)
def test_bad_baseline_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "base.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=message):
        Baseline.load(path)


def test_bad_or_missing_baseline_exits_2(project: Path) -> None:
    result = invoke("check", "--baseline", "missing.json", ".")
    assert result.exit_code == 2 and "missing.json: cannot read baseline" in result.stderr
    both = invoke("check", "--baseline", "a.json", "--write-baseline", "b.json", ".")
    assert both.exit_code == 2 and "cannot be used together" in both.stderr
