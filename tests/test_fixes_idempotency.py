"""RL401's and RL103's fixes, end to end: a key from the job's stable id, fewer attempts.

Each case in tests/fix_cases/idempotency/ is fixed with ``--fix --unsafe-fixes --select <code>``
and compared byte for byte with its ``.fixed.py``: the fixed file compiles, a second ``--fix``
changes nothing, and no finding of the code is left. ``no_fix`` is reported with no fix at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_fixes_rq import assert_fixed, assert_not_fixed, fixes_by_line, write_project

CASES = Path(__file__).parent / "fix_cases" / "idempotency"
FIXED = (
    "celery_bound",  # self.request.id (any name for the bound task); a keyword and an option
    "rq_job",  # get_current_job().id, the import added
    "dramatiq_message",  # CurrentMessage on the broker: the message id
)


@pytest.mark.parametrize("case", FIXED)
def test_fix_case(case: str, tmp_path: Path) -> None:
    assert_fixed(CASES, case, "RL401", tmp_path)


def test_risky_attempts_are_lowered_in_the_job_decorator(tmp_path: Path) -> None:
    """An integer in the decorator replaced, a default made explicit (Celery, Dramatiq)."""
    assert_fixed(CASES, "risky_attempts", "RL103", tmp_path)


def test_risky_attempts_set_elsewhere_are_not_fixed(tmp_path: Path) -> None:
    """A broker's Retries(max_retries=...) is shared by every actor: reported, not fixed."""
    source = (
        "import dramatiq\nimport stripe\nfrom dramatiq.brokers.redis import RedisBroker\n"
        "from dramatiq.middleware import Retries\n\n"
        "broker = RedisBroker(middleware=[Retries(max_retries=9)])\ndramatiq.set_broker(broker)\n\n\n"
        "@dramatiq.actor\ndef pay_out(account, amount):\n"
        '    stripe.Transfer.create(amount=amount, currency="eur", destination=account)\n'
    )
    write_project(tmp_path, {"jobs.py": source})
    fixes = fixes_by_line(tmp_path, "RL103")
    assert list(fixes.values()) == [None]


def test_fix_keeps_crlf_line_endings(tmp_path: Path) -> None:
    assert_fixed(CASES, "rq_job", "RL401", tmp_path, newline="\r\n")


def test_reported_without_a_fix(tmp_path: Path) -> None:
    """A charge in a helper (it may run outside a job), an unbound task, an email (no key to
    pass), a Dramatiq broker without CurrentMessage: reported, never fixed."""
    found = assert_not_fixed(CASES, "no_fix", "RL401", tmp_path)
    assert sorted(f["line"] for f in found) == [12, 17, 27, 32]


def test_the_fix_is_unsafe_and_says_where_the_key_comes_from(tmp_path: Path) -> None:
    write_project(tmp_path, {"jobs.py": (CASES / "celery_bound.py").read_text()})
    fix = fixes_by_line(tmp_path, "RL401")[(12, "RL401")]
    assert fix["safety"] == "unsafe"
    assert fix["title"] == "add idempotency_key= from the job id (self.request.id)"
