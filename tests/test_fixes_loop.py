"""Loop fixes, end to end: the retrylint.guard RetryBudget replaces the loop's sleep.

Same protocol as tests/test_fixes_rq.py (whose helpers this module uses): ``<case>.fixed.py`` is
the exact output of ``retrylint check --fix --unsafe-fixes`` on ``<case>.py``; the fixed file
compiles, a second ``--fix`` changes nothing, and no finding is left. The fixed code is also run
with the real guard to prove the loop now gives up.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from tests.test_fixes_rq import assert_fixed, assert_not_fixed, fixes_by_line, write_project

CASES = Path(__file__).parent / "fix_cases" / "loop"
ALL = "RL101,RL102,RL201,RL202,RL203"


@pytest.mark.parametrize("case", ["unbounded", "bounded", "poll"])
def test_fix_case(case: str, tmp_path: Path) -> None:
    assert_fixed(CASES, case, ALL, tmp_path)


def test_fix_keeps_crlf_line_endings(tmp_path: Path) -> None:
    assert_fixed(CASES, "unbounded", ALL, tmp_path, newline="\r\n")


def test_tight_loops_and_several_sleeps_get_no_fix(tmp_path: Path) -> None:
    found = assert_not_fixed(CASES, "no_fix", ALL, tmp_path)
    assert sorted((f["line"], f["code"]) for f in found) == [
        (8, "RL101"),
        (8, "RL201"),
        (17, "RL101"),  # two handlers sleeping differently: a custom delay, no RL201
    ]


def test_every_rule_offers_the_same_unsafe_guard(tmp_path: Path) -> None:
    write_project(tmp_path, {"bounded.py": (CASES / "bounded.py").read_text()})
    fixes = fixes_by_line(tmp_path, ALL)
    assert set(fixes) == {(12, "RL202"), (18, "RL102"), (22, "RL202"), (22, "RL203")}
    assert {fix["safety"] for fix in fixes.values()} == {"unsafe"}
    assert fixes[(22, "RL203")]["title"] == (
        "bound and pace the loop with retrylint.guard: "
        "RetryBudget(attempts=12, base=30, cap=3600).sleep()"
    )


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {"unbounded.py": (CASES / "unbounded.py").read_text()},
        default_max_attempts="3",
        max_backoff='"2m"',
    )
    (fix,) = {f["title"] for f in fixes_by_line(tmp_path, "RL101").values()}
    assert fix.endswith("RetryBudget(attempts=3, base=10, cap=120).sleep()")


def test_the_fixed_loop_gives_up_with_the_original_error(monkeypatch) -> None:
    """Run the fixed code with the real guard (its sleep replaced): 5 attempts, then the
    original exception, where the loop used to spin forever."""
    from retrylint.guard import RetryBudget

    class RequestException(Exception):
        pass

    class ConnectionError(RequestException):  # shadows the builtin, as requests does
        pass

    calls: list[object] = []
    waits: list[float] = []

    def failing_get(*args: object, **kwargs: object) -> object:
        calls.append(args)
        raise ConnectionError("down")

    requests = types.ModuleType("requests")
    requests.RequestException = RequestException  # type: ignore[attr-defined]
    requests.get = failing_get  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "requests", requests)
    defaults = dict(RetryBudget.__init__.__kwdefaults__ or {})
    monkeypatch.setattr(RetryBudget.__init__, "__kwdefaults__", {**defaults, "sleep": waits.append})
    namespace: dict[str, object] = {"__name__": "fixed_case"}
    code = (CASES / "unbounded.fixed.py").read_text()
    exec(compile(code, "unbounded.fixed.py", "exec"), namespace)
    with pytest.raises(ConnectionError, match="down"):
        namespace["refresh_rates"](types.SimpleNamespace(update=print))  # type: ignore[operator]
    assert len(calls) == 5
    assert len(waits) == 4 and all(0 <= w <= 10 * 2**k for k, w in enumerate(waits))
