"""tenacity, backoff, stamina and retrying fixes, end to end through the CLI.

Each case in tests/fix_cases/<library>/ is fixed with
``retrylint check --fix --unsafe-fixes --select <codes>`` in a temporary project and compared
byte for byte with ``<case>.fixed.py``. The fixed file must compile, must load with the real
library (its decorators and ``Retrying`` objects are built with the new arguments), must not
change on a second ``--fix``, and must have no finding of those codes left. Cases without a
``.fixed.py`` are reported with no fix at all (``"fix": null`` in the JSON output).
"""

from __future__ import annotations

import time
import types
from pathlib import Path
from typing import Any

import pytest

from tests.test_fixes_rq import apply_fixes, findings

CASES = Path(__file__).parent / "fix_cases"

# The thresholds the expected outputs were computed with (the defaults), pinned so that a config
# file above the temporary folder cannot change them.
THRESHOLDS = {"default-max-attempts": "5", "max-retry-window": '"6h"', "max-backoff": '"1h"'}

# What each rule's fix is allowed to be (rules/RL*.yaml, "Fix safety").
SAFETY = {"RL101": "unsafe", "RL102": "unsafe", "RL201": "safe", "RL202": "safe", "RL203": "safe"}
# Turning off a "no jitter" the user wrote (backoff jitter=None, stamina wait_jitter=0) changes the
# expected total wait they chose: unsafe.
WRITTEN_NO_JITTER = {"backoff", "stamina"}

FIXED: dict[str, str] = {
    # tenacity
    "tenacity/bare_decorator": "RL101,RL201",  # @retry and @retry(): from-imports added
    "tenacity/module_alias": "RL101,RL201",  # t.x / tenacity.x: no import added
    "tenacity/mixed_imports": "RL101,RL201,RL202",  # both styles in one file: each call's own
    "tenacity/multiline": "RL101,RL201",  # one argument per line, trailing comma or not
    "tenacity/stop_never": "RL101",  # stop_never replaced; `a & stop_never` bounded beside
    "tenacity/jitter": "RL202",  # wait_exponential renamed: plain, aliased import, qualified
    "tenacity/cap_backoff": "RL203",  # max= added, also inside a sum and a multi-line call
    "tenacity/cap_window": "RL102",  # | stop_after_delay(...) added, or a longer one shortened
    "tenacity/shared_policy": "RL101,RL201",  # `api_retry = tenacity.retry(...)` on two functions
    "tenacity/blocks": "RL101,RL201",  # Retrying blocks, Retrying(...)(fn), retry_with
    "tenacity/applied": "RL101,RL201",  # retry(...)(fn) by hand; a factory returning retry(...)
    "tenacity/thresholds": "RL101,RL201,RL202,RL203",  # numbers from the config
    # backoff
    "backoff/bound": "RL101",  # max_tries added, or in place of None / 0
    "backoff/constant": "RL201",  # constant -> expo with max_value; alias, from-import, keyword
    "backoff/jitter": "RL202",  # jitter=None removed (first, last, own line) or spelled out
    "backoff/cap": "RL203",  # max_value for expo and fibo
    "backoff/window": "RL102",  # max_time added, or in place of None
    "backoff/factory": "RL202",  # a factory's on_exception(...), on_exception(...)(fn)
    # stamina
    "stamina/fixes": "RL101,RL102,RL201,RL202",  # attempts, timeout, wait_exp_base, wait_jitter
    # retrying
    "retrying/bare": "RL101,RL201",  # @retry, @retrying.retry(), stop_max_attempt_number=None
    "retrying/waits": "RL201,RL202,RL203",  # exponential waits, jitter, caps (ms)
    "retrying/window": "RL102",  # stop_max_delay (ms)
}

NOT_FIXED: dict[str, tuple[str, int]] = {  # case: (codes, how many findings)
    "tenacity/no_fix": ("RL101,RL201,RL202,RL203", 7),
    "backoff/no_fix": ("RL201,RL203", 2),
    "stamina/no_fix": ("RL201", 1),
    "retrying/no_fix": ("RL101,RL201", 4),
}

CONFIG = {"tenacity/thresholds": {"default-max-attempts": "3", "max-backoff": '"90s"'}}


# -- helpers --------------------------------------------------------------------------------------


def write_project(root: Path, name: str, content: bytes, case: str) -> Path:
    settings = {**THRESHOLDS, **CONFIG.get(case, {})}
    table = "".join(f"{key} = {value}\n" for key, value in settings.items())
    (root / "pyproject.toml").write_text(f"[tool.retrylint]\n{table}")
    path = root / name
    path.write_bytes(content)
    return path


def load(path: Path) -> types.ModuleType:
    """Run the fixed module with the real retry library: every decorator is built."""
    module = types.ModuleType(path.stem)
    module.__file__ = str(path)
    exec(compile(path.read_bytes(), str(path), "exec"), module.__dict__)
    return module


def run_case(case: str, root: Path, newline: str = "\n") -> Path:
    """Fix ``case`` in ``root`` and check everything but the expected text; returns the file."""
    codes = FIXED[case]
    source = (CASES / f"{case}.py").read_text()
    path = write_project(
        root, Path(case).name + ".py", source.replace("\n", newline).encode(), case
    )
    before = findings(root, codes)
    assert before, "the case must have findings to fix"
    for finding in before:
        assert finding["fix"] is not None, finding
        expected = SAFETY[finding["code"]]
        if finding["code"] == "RL202" and Path(case).parts[0] in WRITTEN_NO_JITTER:
            expected = "unsafe"
        assert finding["fix"]["safety"] == expected, finding
    apply_fixes(root, codes)
    fixed = path.read_bytes()
    compile(fixed, str(path), "exec")
    apply_fixes(root, codes)
    assert path.read_bytes() == fixed, "a second --fix changed the file"
    assert findings(root, codes) == []
    return path


# -- the cases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(FIXED))
def test_fix_case(case: str, tmp_path: Path) -> None:
    path = run_case(case, tmp_path)
    expected = (CASES / f"{case}.fixed.py").read_bytes()
    assert path.read_bytes() == expected
    load(path)


@pytest.mark.parametrize("case", ["tenacity/multiline", "backoff/jitter"])
def test_crlf_file_stays_crlf(case: str, tmp_path: Path) -> None:
    path = run_case(case, tmp_path, newline="\r\n")
    expected = (CASES / f"{case}.fixed.py").read_text().replace("\n", "\r\n").encode()
    assert path.read_bytes() == expected


@pytest.mark.parametrize("case", sorted(NOT_FIXED))
def test_no_fix_offered(case: str, tmp_path: Path) -> None:
    codes, count = NOT_FIXED[case]
    source = (CASES / f"{case}.py").read_bytes()
    path = write_project(tmp_path, Path(case).name + ".py", source, case)
    found = findings(tmp_path, codes)
    assert len(found) == count
    assert [f for f in found if f["fix"] is not None] == []
    apply_fixes(tmp_path, codes)
    assert path.read_bytes() == source


def test_every_case_has_its_expected_output() -> None:
    for path in CASES.glob("*/*.py"):
        if path.name.endswith(".fixed.py") or path.parent.name not in (
            "tenacity",
            "backoff",
            "stamina",
            "retrying",
        ):
            continue
        case = f"{path.parent.name}/{path.stem}"
        assert (case in FIXED) == path.with_suffix(".fixed.py").exists(), case
        assert case in FIXED or case in NOT_FIXED, case


def test_shared_policy_gets_one_edit_from_two_jobs(tmp_path: Path) -> None:
    """Both functions decorated with ``@api_retry`` share the problem in one place: one finding,
    with one fix on the shared call."""
    case = "tenacity/shared_policy"
    source = (CASES / f"{case}.py").read_bytes()
    write_project(tmp_path, "shared_policy.py", source, case)
    [found] = findings(tmp_path, "RL201")
    assert found["job"] == "shared_policy.list_orders"
    assert found["fix"]["edits"][0]["line"] == 5  # the shared `tenacity.retry(...)` call


def test_a_factory_in_another_module_is_fixed_where_it_is_written(tmp_path: Path) -> None:
    """``@api_retry()`` in two modules, the factory in a third: one finding, at the factory,
    whose fix edits the factory's ``on_exception(...)`` call and nothing else."""
    (tmp_path / "pyproject.toml").write_text("[tool.retrylint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    factory = (CASES / "backoff/factory.py").read_text()
    (tmp_path / "app/retries.py").write_text(factory)
    uses = "from app.retries import api_retry\n\n\n@api_retry()\ndef {0}():\n    pass\n"
    (tmp_path / "app/orders.py").write_text(uses.format("sync_orders"))
    (tmp_path / "app/stock.py").write_text(uses.format("sync_stock"))
    found = [f for f in findings(tmp_path, "RL202") if f["path"].endswith("retries.py")]
    assert [(f["path"], f["line"]) for f in found] == [
        ("app/retries.py", 7),
        ("app/retries.py", 24),
    ]
    apply_fixes(tmp_path, "RL202")
    assert (tmp_path / "app/retries.py").read_text() == (
        CASES / "backoff/factory.fixed.py"
    ).read_text()
    assert (tmp_path / "app/orders.py").read_text() == uses.format("sync_orders")


# -- the fixed code behaves as promised -----------------------------------------------------------


class Failing:
    """A client whose every call fails, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            raise ConnectionError(name)

        return call


@pytest.mark.parametrize(
    ("case", "function", "arguments", "attempts"),
    [
        ("tenacity/bare_decorator", "ping", (), 5),
        ("tenacity/thresholds", "ping", (), 3),
        ("tenacity/blocks", "download", ("out.bin",), 5),
        ("backoff/bound", "archive", (), 5),
        ("stamina/fixes", "fetch_levels", ("w1",), 5),
    ],
)
def test_fixed_function_gives_up(
    case: str,
    function: str,
    arguments: tuple[str, ...],
    attempts: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RL101's fix really bounds the attempts (sleeping is skipped, not the waits' computation)."""
    path = run_case(case, tmp_path)
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    client = Failing()
    with pytest.raises(Exception):  # noqa: B017 - RetryError or the original, per library
        getattr(load(path), function)(client, *arguments)
    assert client.calls == attempts
    assert len(waits) == attempts - 1


def test_fixed_retrying_gives_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = run_case("retrying/bare", tmp_path)
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    with pytest.raises(OSError):
        load(path).import_csv(str(tmp_path / "missing.csv"))
    # 2 s, 4 s, 8 s, 16 s, each plus up to 1 s of jitter
    assert [int(w) for w in waits] == [2, 4, 8, 16]
