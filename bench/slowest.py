"""The files that cost retrylint the most, each timed alone: does any file blow up?

Runs the per-file phase in-process, serially, once per file, and prints the slowest files with
their size and their speed in lines per second (a file far slower per line than the rest would
say the analysis is not linear in it).

    python bench/slowest.py /path/to/repo [more paths] --top 10
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from retrylint.catalog import load_catalog
from retrylint.config import load_config
from retrylint.discovery import discover
from retrylint.file_phase import AnalysisSettings, analyse_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    config = load_config(args.paths[0]).with_overrides(scope="all")
    selected = frozenset(r.code for r in load_catalog() if r.enabled_by_default)
    settings = AnalysisSettings(config, selected)
    # The first analysis imports libcst and every adapter: not a cost of whichever file is first.
    analyse_source("warm-up.py", b"import celery\n\n@app.task\ndef f():\n    pass\n", settings)
    timings: list[tuple[float, int, str]] = []
    for path in discover(args.paths, config).files:
        data = path.read_bytes()
        start = time.perf_counter()
        analyse_source(str(path), data, settings)
        timings.append((time.perf_counter() - start, data.count(b"\n") + 1, str(path)))
    speeds = [lines / seconds for seconds, lines, _ in timings if seconds > 0]
    total = sum(seconds for seconds, _, _ in timings)
    print(
        f"{len(timings)} files, {sum(lines for _, lines, _ in timings)} lines, {total:.1f} s "
        f"serial; median {statistics.median(speeds):.0f} lines/s per file\n"
    )
    print("| file | lines | s | lines/s |")
    print("|---|---|---|---|")
    for seconds, lines, name in sorted(timings, reverse=True)[: args.top]:
        print(f"| {name} | {lines} | {seconds:.2f} | {lines / seconds:.0f} |")


if __name__ == "__main__":
    main()
