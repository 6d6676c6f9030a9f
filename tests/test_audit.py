"""`retrylint audit`: the report's content, its escaping, its formats, and how it renders."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from retrylint.catalog import load_catalog
from retrylint.findings import Finding
from retrylint.model import Span
from retrylint.reporters.audit import grading
from retrylint.reporters.audit.charts import window_chart
from retrylint.reporters.audit.model import Audit, FrameLine, build_audit
from retrylint.reporters.audit.render import render_html
from retrylint.spans import SourceFiles
from tests.conftest import analyse_project
from tests.test_cli import invoke

HOSTILE = '''\
"""Tasks whose names and strings try to break out of an HTML report."""

import time

from celery import shared_task

API_TOKEN = "sk_live_do_not_print_0123456789"


@shared_task(name="<script>alert('name')</script>", autoretry_for=(ConnectionError,), max_retries=None)
def notify(user_id):
    """Notify <script>alert('docstring')</script> the user."""
    return user_id


def poll(url):
    while True:
        try:
            return fetch(url)
        except ConnectionError:
            time.sleep(5)  # "<script>alert('literal')</script>"
'''


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch) -> Path:
    """A project whose task name, string literal and docstring hold `<script>`."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "tasks.py").write_text(HOSTILE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_html_escapes_everything_it_prints(hostile: Path) -> None:
    result = invoke("audit", ".", "-o", "report.html")
    assert result.exit_code == 0, result.stderr
    html = (hostile / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    # The task name (in messages) and the literal on a finding's line are shown, escaped.
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;literal&#39;)&lt;/script&gt;" in html
    # Self-contained: nothing fetched, nothing run.
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"<[^>]+\son\w+=", html)  # no event handlers
    # Frames show only the finding's own lines: the docstring and the token stay out.
    assert "docstring" not in html and "sk_live" not in html


def test_frames_are_escaped_whatever_they_hold(shop: Path) -> None:
    audit = _audit(shop, max_retry_window=21600.0)
    entry = audit.findings[0]
    line = FrameLine(1, '    """Send <script>alert(1)</script> ', "<b>", " & done")
    object.__setattr__(entry, "frame", (line,))
    html = render_html(audit)
    expected = "&#34;&#34;&#34;Send &lt;script&gt;alert(1)&lt;/script&gt; <mark>&lt;b&gt;</mark> &amp; done"
    assert expected in html
    assert "<script" not in html


def test_markdown_report(shop: Path) -> None:
    result = invoke("audit", ".", "-o", "report.md")
    assert result.exit_code == 0
    text = (shop / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Background job audit: celery_shop\n")
    for heading in ("## Summary", "## Fix first", "## Job inventory", "## Findings by job"):
        assert f"\n{heading}\n" in text
    assert "**Overall grade: " in text and grading.FORMULA in text
    assert "| backoff and jitter | 2 | 1 | 3 |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`shop." in line]
    assert len(rows) == 10  # one inventory row per job
    assert "```python\n    29 | @st(bind=True, max_retries=None)" in text


def test_markdown_escapes_html_outside_code_blocks(hostile: Path) -> None:
    text = invoke("audit", ".", "--format", "markdown").stdout
    # Code (fenced blocks, backtick spans) is shown as written: Markdown escapes it itself.
    assert "@shared_task(name=\"<script>alert('name')</script>\"" in text
    assert "`<script>alert('name')</script>`" in text
    prose = re.sub(r"^  (`{3,})python\n.*?^  \1$", "", text, flags=re.S | re.M)
    prose = re.sub(r"(`+).+?\1", "", prose)
    assert "<script" not in prose


def test_json_report(shop: Path) -> None:
    result = invoke("audit", ".", "-o", "report.json")
    assert result.exit_code == 0
    document = json.loads((shop / "report.json").read_text(encoding="utf-8"))
    summary = document["summary"]
    assert summary["jobs"] == len(document["jobs"]) == 10
    assert summary["by_framework"] == {"celery": 9, "huey": 1}
    assert summary["by_severity"] == {"high": 5, "medium": 6, "low": 3}
    assert summary["by_family"] == {
        "retry bounds": {"high": 2, "medium": 0, "low": 0},
        "backoff and jitter": {"high": 2, "medium": 1, "low": 3},
        "idempotency": {"high": 0, "medium": 3, "low": 0},
        # a beat entry naming no task (RL605), a request without a timeout (RL604), the Huey
        # instance with no failure hook (RL601)
        "visibility and limits": {"high": 1, "medium": 2, "low": 0},
    }
    assert summary["grade"] == "D" and summary["score"] == 51
    by_name = {job["qualname"]: job for job in document["jobs"]}
    receipt = by_name["shop.tasks.send_receipt"]
    # two high retry findings and the email it sends again on a retry (RL401, medium)
    assert (receipt["grade"], receipt["score"], receipt["retry_window"]) == ("F", 30, "unbounded")
    assert [effect["kind"] for effect in receipt["side_effects"]] == ["email"]
    assert by_name["shop.tasks.purge_carts"]["retry_window"] is None  # does not retry
    severities = [f["severity"] for f in document["findings"]]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)  # fix first


def test_format_comes_from_the_suffix_or_the_option(shop: Path) -> None:
    assert invoke("audit", ".", "-o", "report.txt").exit_code == 2
    assert invoke("audit", ".", "-o", "report.txt", "--format", "json").exit_code == 0
    json.loads((shop / "report.txt").read_text(encoding="utf-8"))
    assert invoke("audit", ".").stdout.startswith("# Background job audit")


def _row(html: str, job: str) -> str:
    match = re.search(
        rf'<tr id="job-\d+" class="job-row[^"]*">((?:(?!</tr>).)*?<b>{job}</b>.*?)</tr>', html, re.S
    )
    assert match is not None, job
    return match.group(1)


def test_inventory_marks_framework_defaults(shop: Path) -> None:
    invoke("audit", ".", "-o", "report.html")
    html = (shop / "report.html").read_text(encoding="utf-8")
    purge = _row(html, "purge_<wbr>carts")  # no autoretry_for, no self.retry(): does not retry
    assert (
        '<td class="col-attempts default" title="no autoretry_for and no self.retry() (Celery retries only '
        'when asked)">1 (no retries)<sup class="mark" title="framework default">d</sup></td>'
    ) in purge
    assert (
        len(re.findall(r'<td class="col-\w+">—</td>', purge)) == 4
    )  # backoff, jitter, deadline, exceptions: not applicable
    inventory = _row(html, "sync_<wbr>inventory")
    assert '11<sup class="mark" title="app configuration">c</sup>' in inventory  # app config
    assert ">exponential from 10s, cap 10m</td>" in inventory and ">yes</td>" in inventory


def test_highlights_answer_the_first_questions(shop: Path) -> None:
    text = invoke("audit", ".").stdout
    assert "- 9 of 10 jobs retry; 2 can retry forever; none for longer than 6 h." in text
    assert "- 1 of 10 queue jobs have no failure hook retrylint could find" in text
    assert "- 14 findings (5 high, 6 medium, 3 low) in 8 of 10 jobs and 1 outside any job." in text


# Grades


def _finding(severity: str, code: str = "RL101") -> Finding:
    return Finding(code, "x", severity, "m", "a.py", Span(1, 1, 1, 2), job="a.job")


@pytest.mark.parametrize(
    ("severities", "score", "letter"),
    [
        ((), 100, "A"),
        (("low",), 97, "A"),
        (("medium",), 90, "B"),
        (("high",), 70, "C"),
        (("high", "high"), 40, "D"),
        (("high", "high", "medium"), 30, "F"),
        (("high",) * 5, 0, "F"),
    ],
)
def test_job_grades(severities: tuple[str, ...], score: int, letter: str) -> None:
    value = grading.score(_finding(s) for s in severities)
    assert (value, grading.letter(value)) == (score, letter)


def test_tool_findings_are_not_graded() -> None:
    assert grading.score([_finding("high", "RL001"), _finding("low", "RL002")]) == 100


def test_project_grade_is_capped_while_a_job_has_a_high_finding() -> None:
    assert grading.project_score([100] * 9 + [70], [], any_high=True) == 79
    assert grading.project_score([100] * 9 + [90], [], any_high=False) == 99
    assert grading.project_score([100, 100], [_finding("medium")], any_high=False) == 90
    assert grading.project_score([], [], any_high=False) == 100


# Charts


def test_window_chart_puts_jobs_on_a_log_axis_against_the_threshold(shop: Path) -> None:
    chart = window_chart(_audit(shop, max_retry_window=3600.0))
    rows = {row.label: row for row in chart.rows}
    assert list(rows)[:2] == ["send_receipt", "wait_for_payment"]  # unbounded first
    assert rows["send_receipt"].segments[0].css == "unbounded"
    assert rows["sync_inventory"].value == "50 min"
    ticks = {tick.label: tick.x for tick in chart.ticks}
    assert chart.threshold is not None and chart.threshold.x == pytest.approx(ticks["1 h"])
    assert (
        ticks["1 min"]
        < rows["sync_inventory"].segments[0].x + rows["sync_inventory"].segments[0].width
        < ticks["1 h"]
    )
    assert rows["sync_inventory"].segments[0].css == "ok"
    assert "purge_carts" not in rows  # does not retry


def _audit(project: Path, max_retry_window: float) -> Audit:
    result = analyse_project(project)
    return build_audit(
        ("shop",),
        result.files,
        result.jobs,
        result.findings,
        result.reach,
        load_catalog(),
        max_retry_window,
        [],
        SourceFiles(),
    )


# Headless Chromium: the page renders, tables and all, with no network and no script.

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(
    _chromium() is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium; .ci/run does)",
)
def test_html_report_renders_in_headless_chromium(shop: Path, tmp_path: Path) -> None:
    invoke("audit", ".", "-o", "report.html")
    page = (shop / "report.html").resolve().as_uri()
    browser = _chromium()
    assert browser is not None
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    rows = re.findall(r'<tr id="job-\d+" class="job-row[^"]*">', dom)
    assert len(rows) == 10
    assert "send_receipt" in dom and "<svg" in dom
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [*common, f"--screenshot={screenshot}", "--window-size=1300,2400", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 50_000  # a rendered page, not a blank one
