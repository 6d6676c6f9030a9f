"""Huey fixes, end to end: each case in tests/fix_cases/huey/ is fixed by the CLI and compared.

Same protocol as tests/test_fixes_rq.py (whose helpers this module uses): ``<case>.fixed.py`` is
the exact output of ``retrylint check --fix --unsafe-fixes --select <codes>`` on ``<case>.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_fixes_rq import (
    apply_fixes,
    assert_fixed,
    assert_not_fixed,
    cli,
    findings,
    fixes_by_line,
    write_project,
)

CASES = Path(__file__).parent / "fix_cases" / "huey"

FIXED = {
    "constant_delay": "RL201",  # keyword, positional options; retry_backoff=1 replaced
    "immediate": "RL201",  # no retry_delay / retry_delay=0; periodic_task with a crontab
    "multiline": "RL201",  # multi-line decorator, with and without a trailing comma
    "call_site": "RL201",  # .schedule(...) and task(...) overrides: fixed at the site
    "djhuey": "RL201",  # Django helpers: by name, aliased, through the module
    "window": "RL102",  # fewer retries, constant and exponential delays, at a site
}


@pytest.mark.parametrize("case", sorted(FIXED))
def test_fix_case(case: str, tmp_path: Path) -> None:
    assert_fixed(CASES, case, FIXED[case], tmp_path)


def test_fix_keeps_crlf_line_endings(tmp_path: Path) -> None:
    assert_fixed(CASES, "multiline", "RL201", tmp_path, newline="\r\n")


def test_reported_without_a_fix(tmp_path: Path) -> None:
    found = assert_not_fixed(CASES, "no_fix", "RL101,RL102,RL201,RL202,RL203", tmp_path)
    assert sorted((f["line"], f["code"]) for f in found) == [
        (13, "RL101"),  # raise RetryTask(): no option bounds it
        (13, "RL201"),  # ... and its delay is the raise's
        (17, "RL201"),  # CancelExecution(retry=True): unbounded, so no backoff either
        (20, "RL101"),
        (24, "RL202"),  # no jitter option in Huey
        (30, "RL202"),
        (30, "RL203"),  # no cap option in Huey
        (36, "RL201"),  # doubling 9 times from 60 s passes max-backoff
        (42, "RL102"),  # retries held in a name
        (42, "RL201"),  # 3600 s doubled passes max-backoff
    ]


def test_fixes_are_unsafe_and_name_huey_3(tmp_path: Path) -> None:
    """retry_backoff is Huey 3.x only and the version cannot be told from the code: unsafe."""
    write_project(tmp_path, {"tasks.py": (CASES / "immediate.py").read_text()})
    fixes = fixes_by_line(tmp_path, "RL201")
    assert {fix["safety"] for fix in fixes.values()} == {"unsafe"}
    assert fixes[(9, "RL201")]["title"] == (
        "back off: retry_delay=10, retry_backoff=2 "
        "(delays 10, 20, 40 s; needs Huey 3.x: Huey 2.x has no retry_backoff)"
    )
    write_project(tmp_path, {"tasks.py": (CASES / "window.py").read_text()})
    fixes = fixes_by_line(tmp_path, "RL102")
    assert fixes[(8, "RL102")] == {
        "safety": "unsafe",
        "title": "give up sooner: retries=6, at most 21600 s of retrying",
        "applicable": True,
        "edits": [
            {"line": 8, "column": 20, "end_line": 8, "end_column": 22, "content": "6"},
        ],
    }


def test_safe_fixes_alone_change_nothing(tmp_path: Path) -> None:
    source = (CASES / "constant_delay.py").read_text()
    write_project(tmp_path, {"tasks.py": source})
    cli(tmp_path, "--fix", "--select", "RL201", ".")
    assert (tmp_path / "tasks.py").read_text() == source


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    """max-backoff 30 s: doubling from 10 s for 3 retries reaches 40 s, so no fix is offered."""
    source = (CASES / "immediate.py").read_text()
    write_project(tmp_path, {"tasks.py": source}, max_backoff='"30s"')
    fixes = fixes_by_line(tmp_path, "RL201")
    assert fixes[(9, "RL201")] is None
    assert fixes[(14, "RL201")] is not None  # one retry: 10 s


def test_site_in_another_file_than_the_task(tmp_path: Path) -> None:
    """The decorator's policy is fixed in tasks.py, and views.py is never touched. The site in
    views.py keeps the decorator's delay, so its policy has the same problem in the same place:
    one finding, fixed once."""
    tasks = (
        "from huey import RedisHuey\n\nhuey = RedisHuey('x')\n\n\n"
        "@huey.task(retries=2, retry_delay=30)\ndef send(n):\n    return n\n"
    )
    views = "from app.tasks import send\n\n\ndef go():\n    send.schedule(args=(1,), delay=1, retries=3)\n"
    write_project(tmp_path, {"app/__init__.py": "", "app/tasks.py": tasks, "app/views.py": views})
    [found] = findings(tmp_path, "RL201")
    assert (found["path"], found["line"]) == ("app/tasks.py", 6)
    apply_fixes(tmp_path, "RL201")
    assert (tmp_path / "app" / "views.py").read_text() == views
    assert (tmp_path / "app" / "tasks.py").read_text() == tasks.replace(
        "retry_delay=30)", "retry_delay=30, retry_backoff=2)"
    )
    assert findings(tmp_path, "RL201") == []
