"""How the per-file phase shares out work: in-process for a little, largest files first on a pool."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import ClassVar

from retrylint import engine
from retrylint.config import Config
from retrylint.engine import AnalysisSettings


class _RecordingPool:
    """Stands in for the process pool: runs in-process and records the order it was given."""

    orders: ClassVar[list[list[str]]] = []

    def __init__(self, **_: object) -> None:
        pass

    def __enter__(self) -> _RecordingPool:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def map(self, function, items, chunksize: int = 1):
        items = list(items)
        self.orders.append([item[0] for item in items])
        return map(function, items)


def _files(root: Path, sizes: list[int]) -> list[str]:
    paths = []
    for index, size in enumerate(sizes):
        path = root / f"m{index}.py"
        path.write_text("x = 1\n" * size, encoding="utf-8")
        paths.append(str(path))
    return paths


def test_largest_files_go_first_and_results_keep_the_given_order(
    tmp_path: Path, monkeypatch
) -> None:
    paths = _files(tmp_path, [3, 400, 20, 9000, 1])
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _RecordingPool)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 2)
    _RecordingPool.orders = []
    results = engine.analyse_files(paths, AnalysisSettings(Config(tmp_path, None), frozenset()))
    assert _RecordingPool.orders == [[paths[3], paths[1], paths[2], paths[0], paths[4]]]
    assert [r.path for r in results] == paths


def test_few_small_files_stay_in_process_but_a_few_large_ones_do_not(
    tmp_path: Path, monkeypatch
) -> None:
    paths = _files(tmp_path, [10, 10, 10])
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _RecordingPool)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    settings = AnalysisSettings(Config(tmp_path, None), frozenset())
    _RecordingPool.orders = []
    engine.analyse_files(paths, settings)
    assert _RecordingPool.orders == []  # a pre-commit run: no pool to start
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 100)
    engine.analyse_files(paths, settings)
    assert len(_RecordingPool.orders) == 1
