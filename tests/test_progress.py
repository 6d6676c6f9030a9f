"""The progress bar: fed by the engine file by file, shown only to a person, only on long runs."""

from __future__ import annotations

import io

import rich.console
from rich.console import Console

from retrylint.config import Config
from retrylint.engine import run
from retrylint.reporters import progress as progress_module
from retrylint.reporters.progress import ProgressBar, wanted
from tests.conftest import FIXTURES


def test_engine_reports_each_file_as_it_is_analysed() -> None:
    files = sorted(str(p) for p in (FIXTURES / "celery_shop").rglob("*.py"))
    calls: list[tuple[int, int]] = []
    config = Config(root=FIXTURES / "celery_shop", path=None)
    run(
        files,
        config,
        frozenset({"RL101"}),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(n, len(files)) for n in range(1, len(files) + 1)]


def test_never_for_machine_output_and_only_on_a_terminal(monkeypatch) -> None:
    assert wanted(machine_output_on_stdout=True) is False
    monkeypatch.setattr(progress_module.sys.stderr, "isatty", lambda: False, raising=False)
    assert wanted(machine_output_on_stdout=False) is False


def test_short_runs_show_nothing_and_long_ones_a_bar_that_is_cleared(monkeypatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(  # the bar imports rich when it first shows
        rich.console, "Console", lambda **_: Console(file=screen, force_terminal=True)
    )
    with ProgressBar(enabled=True, delay=60.0) as bar:
        bar(1, 10)
    assert screen.getvalue() == ""
    with ProgressBar(enabled=False, delay=0.0) as bar:
        bar(1, 10)
    assert screen.getvalue() == ""
    with ProgressBar(enabled=True, delay=0.0) as bar:
        bar(3, 10)
        assert bar._bar is not None
    assert bar._bar is None
    assert "analysing" in screen.getvalue()
