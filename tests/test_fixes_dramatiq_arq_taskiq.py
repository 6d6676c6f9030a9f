"""Dramatiq, arq and taskiq fixes, end to end: each case in tests/fix_cases/{dramatiq,arq,taskiq}/
is fixed by the CLI and compared.

Same protocol as tests/test_fixes_rq.py (whose helpers this module uses): ``<case>.fixed.py`` is
the exact output of ``retrylint check --fix --unsafe-fixes --select <codes>`` on ``<case>.py``;
the fixed file compiles, a second ``--fix`` changes nothing and no finding of those codes is
left. ``no_fix.py`` cases are reported with ``"fix": null`` and left alone by ``--fix``.
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

CASES = Path(__file__).parent / "fix_cases"
ALL = "RL101,RL102,RL201,RL202,RL203"

FIXED = {
    # max_retries=None in a decorator (aliased module, aliased name, multi-line with a
    # trailing comma), a GenericActor Meta and a send_with_options site
    ("dramatiq", "unbounded"): "RL101",
    # bare @dramatiq.actor / @actor, empty call, call with arguments, values replaced,
    # multi-line with a trailing comma, a cap already under max-backoff, a Meta attribute
    ("dramatiq", "window"): "RL102",
    # min_backoff=0 on an actor and a message, then RL102 on the actor that became slow
    ("dramatiq", "immediate"): "RL102,RL201",
    ("dramatiq", "broker"): "RL102",  # Retries(...) in a broker's middleware list
    ("dramatiq", "broker_unbounded"): "RL101",  # broker.add_middleware(Retries(...))
    # keyword and positional defer, multi-line raise, a local job_try, an aliased Retry
    ("arq", "uncapped"): "RL203",
    # multi-line middleware, use_jitter=False replaced, two tasks with their own attempts
    ("taskiq", "constant"): "RL201",
    # taskiq.SmartRetryMiddleware() through a module alias, empty call, a cap raised
    ("taskiq", "long_delay"): "RL201",
    ("taskiq", "linear"): "RL202",  # use_jitter=False replaced, and added
}


@pytest.mark.parametrize(("framework", "case"), sorted(FIXED))
def test_fix_case(framework: str, case: str, tmp_path: Path) -> None:
    assert_fixed(CASES / framework, case, FIXED[framework, case], tmp_path)


@pytest.mark.parametrize(
    ("framework", "case", "codes"),
    [("dramatiq", "window", "RL102"), ("arq", "uncapped", "RL203")],
)
def test_fix_keeps_crlf_line_endings(framework: str, case: str, codes: str, tmp_path: Path) -> None:
    assert_fixed(CASES / framework, case, codes, tmp_path, newline="\r\n")


# -- reported without a fix -----------------------------------------------------------------------


def test_dramatiq_reported_without_a_fix(tmp_path: Path) -> None:
    found = assert_not_fixed(CASES / "dramatiq", "no_fix", ALL, tmp_path)
    assert sorted((f["line"], f["code"]) for f in found) == [
        (9, "RL101"),  # retry_when=lambda retries, exc: True: a predicate
        (15, "RL102"),  # retry_when bounds the retries: max_retries would be ignored
        (21, "RL102"),  # max_retries=RETRIES: a name
        (27, "RL201"),  # min_backoff=NO_BACKOFF: a name
        (33, "RL102"),  # GenericActor without Meta: nowhere known to add attributes
        (46, "RL102"),  # send_with_options(max_retries=40): a per-message override
        (49, "RL102"),  # min_backoff of a day: not even one retry fits in 6 h
    ]


def test_arq_reported_without_a_fix(tmp_path: Path) -> None:
    found = assert_not_fixed(CASES / "arq", "no_fix", ALL, tmp_path)
    assert sorted((f["line"], f["code"]) for f in found) == [
        (11, "RL201"),  # constant timedelta defer
        (16, "RL201"),  # constant literal defer
        (24, "RL202"),  # linear defer without a random term
        (30, "RL202"),  # capped exponential defer without a random term
    ]


def test_taskiq_reported_without_a_fix(tmp_path: Path) -> None:
    found = assert_not_fixed(CASES / "taskiq", "no_fix", ALL, tmp_path)
    assert sorted((f["line"], f["code"]) for f in found) == [
        (5, "RL201"),  # SimpleRetryMiddleware: no delay option
        (6, "RL201"),  # default_delay=0: delay * retries stays 0
        (7, "RL201"),  # 499 growing delays would not fit max-retry-window
        (8, "RL201"),  # a 40 min delay has no room to grow under max-backoff
    ]


# -- safety, titles, thresholds -------------------------------------------------------------------


def test_safety_and_titles(tmp_path: Path) -> None:
    """Dramatiq fixes change how long and how often an actor retries: unsafe. arq's min() and
    taskiq's native middleware options only change when retries happen: safe."""
    write_project(tmp_path, {"actors.py": (CASES / "dramatiq" / "window.py").read_text()})
    fixes = fixes_by_line(tmp_path, "RL102")
    assert {fix["safety"] for fix in fixes.values()} == {"unsafe"}
    assert fixes[(8, "RL102")] == {
        "safety": "unsafe",
        "title": "give up sooner: max_retries=11, max_backoff=3600000 (1 h): "
        "at most 5.1 h of waiting over 11 retries",
        "applicable": True,
        "edits": [
            {
                "line": 7,
                "column": 16,
                "end_line": 7,
                "end_column": 16,
                "content": "(max_retries=11, max_backoff=3600000)",
            }
        ],
    }
    write_project(tmp_path, {"actors.py": (CASES / "dramatiq" / "unbounded.py").read_text()})
    fixes = fixes_by_line(tmp_path, "RL101")
    assert fixes[(7, "RL101")]["title"] == "bound the retries: max_retries=4 (5 attempts in all)"
    assert {fix["safety"] for fix in fixes.values()} == {"unsafe"}

    write_project(
        tmp_path, {"actors.py": "", "jobs.py": (CASES / "arq" / "uncapped.py").read_text()}
    )
    fixes = fixes_by_line(tmp_path, "RL203")
    assert fixes[(11, "RL203")]["safety"] == "safe"
    assert fixes[(11, "RL203")]["title"] == (
        "cap the backoff: defer=min(..., 3600), at most 3600 s between attempts"
    )

    write_project(
        tmp_path, {"jobs.py": "", "tasks.py": (CASES / "taskiq" / "constant.py").read_text()}
    )
    fixes = fixes_by_line(tmp_path, "RL201")
    assert {fix["safety"] for fix in fixes.values()} == {"safe"}
    assert fixes[(9, "RL201")]["title"] == (
        "back off: use_delay_exponent=True, use_jitter=True "
        "(delays grow from 10 s to at most 1 min, plus up to 1 s of jitter)"
    )


def test_unsafe_fixes_are_not_applied_by_fix_alone(tmp_path: Path) -> None:
    source = (CASES / "dramatiq" / "window.py").read_text()
    write_project(tmp_path, {"actors.py": source})
    cli(tmp_path, "--fix", "--select", "RL102", ".")
    assert (tmp_path / "actors.py").read_text() == source


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    """default-max-attempts 3 -> max_retries=2; max-backoff 30 min -> 1800000 ms; a 2 h window
    fits 8 retries: worst case 30 s doubling (Dramatiq 2.x jitter) up to 960 s, then 1800 s
    twice: 5490 s in all, and a ninth would make it 7290 s."""
    source = (
        "import dramatiq\n\n\n"
        "@dramatiq.actor\ndef sync(x):\n    return x\n\n\n"
        "@dramatiq.actor(max_retries=None)\ndef push(x):\n    return x\n"
    )
    write_project(
        tmp_path,
        {"actors.py": source},
        default_max_attempts="3",
        max_backoff='"30m"',
        max_retry_window='"2h"',
    )
    apply_fixes(tmp_path, "RL101,RL102")
    assert (tmp_path / "actors.py").read_text() == source.replace(
        "@dramatiq.actor\n", "@dramatiq.actor(max_retries=8, max_backoff=1800000)\n"
    ).replace("max_retries=None", "max_retries=2")


# -- fixes in another file than the job -----------------------------------------------------------


DRAMATIQ_BROKER = """\
import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries

broker = RedisBroker()
broker.add_middleware(Retries(max_retries=40))
dramatiq.set_broker(broker)
"""

DRAMATIQ_ACTORS = """\
import dramatiq

from app import broker  # noqa: F401


@dramatiq.actor
def reconcile(account_id):
    return account_id


@dramatiq.actor(min_backoff=60_000)
def export(batch_id):
    return batch_id
"""


def test_dramatiq_broker_retries_fixed_in_the_broker_file(tmp_path: Path) -> None:
    """Both actors' windows come from Retries(max_retries=40) in broker.py: one finding there,
    naming both, fixed there; the actors' file is not touched. The actor that sets its own
    backoff is still too long afterwards (the broker's edit does not reach its delays)."""
    files = {
        "app/__init__.py": "",
        "app/broker.py": DRAMATIQ_BROKER,
        "app/actors.py": DRAMATIQ_ACTORS,
    }
    write_project(tmp_path, files)
    [found] = findings(tmp_path, "RL102")
    assert (found["path"], found["line"], found["fix"] is not None) == ("app/broker.py", 6, True)
    assert sorted(found["jobs"]) == ["app.actors.export", "app.actors.reconcile"]
    assert found["job"] == found["jobs"][0]
    apply_fixes(tmp_path, "RL102")
    assert (tmp_path / "app" / "actors.py").read_text() == DRAMATIQ_ACTORS
    assert (tmp_path / "app" / "broker.py").read_text() == DRAMATIQ_BROKER.replace(
        "Retries(max_retries=40)", "Retries(max_retries=11, max_backoff=3600000)"
    )
    assert [f["job"] for f in findings(tmp_path, "RL102")] == ["app.actors.export"]


TASKIQ_BROKER = """\
from taskiq import SmartRetryMiddleware
from taskiq_aio_pika import AioPikaBroker

broker = AioPikaBroker("amqp://localhost").with_middlewares(SmartRetryMiddleware())
"""

TASKIQ_TASKS = """\
from app.broker import broker


@broker.task(retry_on_error=True)
async def ingest(url):
    return url


@broker.task(retry_on_error=True, delay=20)
async def publish(batch_id):
    return batch_id
"""


def test_taskiq_middleware_fixed_in_the_broker_file(tmp_path: Path) -> None:
    """A finding at a task's delay label (tasks.py) cannot edit the middleware (broker.py); the
    finding at the middleware can, with options chosen for both tasks, and fixes both."""
    files = {"app/__init__.py": "", "app/broker.py": TASKIQ_BROKER, "app/tasks.py": TASKIQ_TASKS}
    write_project(tmp_path, files)
    found = findings(tmp_path, "RL201")
    assert sorted((f["path"], f["line"], f["fix"] is not None) for f in found) == [
        ("app/broker.py", 4, True),
        ("app/tasks.py", 9, False),
    ]
    apply_fixes(tmp_path, "RL201")
    assert (tmp_path / "app" / "tasks.py").read_text() == TASKIQ_TASKS
    assert (tmp_path / "app" / "broker.py").read_text() == TASKIQ_BROKER.replace(
        "SmartRetryMiddleware()", "SmartRetryMiddleware(use_delay_exponent=True, use_jitter=True)"
    )
    assert findings(tmp_path, ALL) == []
