"""Wall time of retrylint against ruff, fixit, bandit and pylint on the same files, side by side.

Machines here are small and shared, so single numbers drift: every round runs each tool once, in
turn, and the report gives each tool's median and its ratio to ruff's median from the same run.

    python bench/compare.py /path/to/repo [more paths] --rounds 3 --peers /path/to/venv/bin

The peers are looked up in --peers (a virtual environment's bin folder with ruff, fixit, bandit
and pylint installed: `pip install ruff fixit bandit pylint`), then on PATH; a missing tool is
skipped and said so. retrylint is the one installed beside this Python.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def python_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def commands(paths: list[str], peers: str | None) -> dict[str, list[str]]:
    def find(name: str) -> str | None:
        if peers and (Path(peers) / name).exists():
            return str(Path(peers) / name)
        return shutil.which(name)

    retrylint = str(Path(sys.executable).parent / "retrylint")
    table = {
        "ruff": ["check", "--no-cache", "--exit-zero", "--quiet", *paths],
        "retrylint": ["check", "--exit-zero", "--quiet", *paths],
        "fixit": ["lint", *paths],
        "bandit": ["-q", "-r", *paths],
        "pylint": [
            "-j2",
            "--recursive=y",
            "--disable=all",
            "--enable=bare-except,broad-exception-caught",
            *paths,
        ],
    }
    found: dict[str, list[str]] = {}
    for tool, args in table.items():
        executable = retrylint if tool == "retrylint" else find(tool)
        if executable is None or not os.path.exists(executable):
            print(f"skipped {tool}: not installed", file=sys.stderr)
            continue
        found[tool] = [executable, *args]
    return found


def measure(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peers", help="bin folder holding ruff, fixit, bandit, pylint")
    parser.add_argument("--skip", action="append", default=[], help="tool to leave out")
    args = parser.parse_args()

    files = python_files(args.paths)
    lines = sum(len(f.read_bytes().splitlines()) for f in files)
    tools = {k: v for k, v in commands(args.paths, args.peers).items() if k not in args.skip}
    times: dict[str, list[float]] = {tool: [] for tool in tools}
    for _ in range(args.rounds):
        for tool, command in tools.items():
            times[tool].append(measure(command))
    base = statistics.median(times["ruff"]) if "ruff" in times else None
    print(f"{len(files)} files, {lines} lines, {args.rounds} rounds, {os.cpu_count()} cores\n")
    print("| tool | median s | x ruff |")
    print("|---|---|---|")
    for tool, values in sorted(times.items(), key=lambda item: statistics.median(item[1])):
        median = statistics.median(values)
        ratio = f"{median / base:.1f}x" if base else "-"
        print(f"| {tool} | {median:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
