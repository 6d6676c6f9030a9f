"""How much of retrylint's per-file work is libcst's parse: the rest is ours to make faster.

Runs the engine in-process, serially, on the given paths with the parser wrapped in a timer.

    python bench/parse_share.py /path/to/repo
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from retrylint import engine, file_phase
from retrylint.catalog import load_catalog
from retrylint.config import load_config
from retrylint.discovery import discover


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [Path(".")]
    config = load_config(paths[0] if paths[0].is_dir() else paths[0].parent)
    selected = frozenset(r.code for r in load_catalog() if r.enabled_by_default)
    files = [str(p) for p in discover(paths, config).files]
    parse_seconds = 0.0
    original = file_phase._parse

    def timed_parse(text: str) -> object:
        nonlocal parse_seconds
        start = time.perf_counter()
        try:
            return original(text)
        finally:
            parse_seconds += time.perf_counter() - start

    file_phase._parse = timed_parse  # type: ignore[assignment]
    engine.PARALLEL_THRESHOLD = 10**9  # serial, so the timer sees every parse
    start = time.perf_counter()
    result = engine.run(files, config, selected, prefilter=False)  # every parse counted
    total = time.perf_counter() - start
    print(
        f"{len(files)} files, {len(result.jobs)} jobs, {len(result.findings)} findings; "
        f"serial total {total:.2f} s, parse {parse_seconds:.2f} s ({parse_seconds / total:.0%})"
    )


if __name__ == "__main__":
    main()
