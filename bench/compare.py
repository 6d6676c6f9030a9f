"""Wall time and peak memory of retrylint against ruff and its peers on the same files, in turn.

Machines here are small and shared, so single numbers drift: every round runs each command once,
in turn, and the report gives each command's median and its ratio to ruff's median from the same
rounds. retrylint runs four ways: cold (no cache), cold without the prefilter (every file through
libcst), warm (cache filled, nothing changed), one file changed (cache filled, a comment added
at the end of a file of median size) and one job module changed (a comment on top of a
``tasks.py``, which moves its jobs and runs the project phase again). ruff runs without and
with its cache. The folders are copied to a temporary folder first, so caches and the changed
file never touch the originals.

    python bench/compare.py /path/to/repo [more paths] --rounds 3 --peers /path/to/venv/bin

The peers (semgrep with one local rule, bandit, pylint with two checks, fixit) are looked up in
--peers, then on PATH; a missing one is skipped and said so (`--skip TOOL` leaves one out).
retrylint is the one installed beside this Python. Both analyse every file (`--scope all`), ruff
with the rules closest to retrylint's (bare and broad excepts, try-except-pass, logging, secrets).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

RUFF_RULES = "E722,BLE001,S110,S112,TRY,LOG,G,S105,S106,S107"
SEMGREP_RULE = """rules:
  - id: broad-except-pass
    languages: [python]
    severity: WARNING
    message: an exception is swallowed
    pattern: |
      try:
          ...
      except Exception:
          pass
"""


@dataclass
class Tool:
    name: str
    command: list[str]
    before: Callable[[], None] | None = None  # run untimed before each timed run
    fill: bool = False  # run once untimed first, to fill its cache
    times: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)  # KiB, the largest process of the run
    cpu: list[float] = field(default_factory=list)  # user + system seconds, all its processes


def python_files(paths: list[Path]) -> list[Path]:
    """Every ``*.py`` file under the paths (a folder can be named ``x.py``)."""
    files: list[Path] = []
    for path in paths:
        found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        files.extend(f for f in found if f.is_file())
    return files


# Python tools run from compiled bytecode, as from an installed wheel: an environment that
# forbids writing it would time each run compiling an editable install's sources (0.2-0.3 s).
_ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], cwd: Path) -> tuple[float, int, float]:
    """Wall seconds, the peak resident memory (KiB) of the largest process it ran, and the CPU
    seconds of all its processes (steadier than wall time when others load the machine)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENVIRONMENT
    )
    _, _, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = 0  # reaped by wait4
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def find(name: str, peers: str | None) -> str | None:
    for folder in (peers, str(Path(sys.executable).parent)):
        if folder and (Path(folder) / name).exists():
            return str(Path(folder) / name)
    return shutil.which(name)


def one_file_changer(files: list[Path]) -> Callable[[], None]:
    """Before each run, give a file of median size a comment it never had at its end: a content
    change no stored outcome knows, to a typical file (the largest is often a data table)."""
    target = sorted(files, key=lambda f: (f.stat().st_size, str(f)))[len(files) // 2]
    return _changer(target, lambda original, number: original + b"\n" + _comment(number))


def job_module_changer(files: list[Path]) -> Callable[[], None] | None:
    """Before each run, move every line of a job module (a ``tasks.py`` of median size) down:
    the n-th edit puts n comments on top, so each run sees the module's jobs on other lines
    than the run before, the edit the cache helps least (the project phase runs again). None
    when the folders hold no such module."""
    modules = sorted(
        (f for f in files if f.name == "tasks.py"), key=lambda f: (f.stat().st_size, str(f))
    )
    if not modules:
        return None
    target = modules[len(modules) // 2]
    return _changer(target, lambda original, number: _comment(number) * number + original)


def _comment(number: int) -> bytes:
    return f"# benchmark edit {number} {time.time()}\n".encode()


def _changer(target: Path, edit: Callable[[bytes, int], bytes]) -> Callable[[], None]:
    original = target.read_bytes()
    edits = iter(range(1, 1_000_000))

    def change() -> None:
        target.write_bytes(edit(original, next(edits)))

    return change


def tools(work: Path, paths: list[str], peers: str | None, skip: set[str]) -> list[Tool]:
    retrylint = str(Path(sys.executable).parent / "retrylint")
    cache = str(work / "retrylint-cache")
    ruff_cache = str(work / "ruff-cache")
    check = [retrylint, "check", "--exit-zero", "--quiet", "--scope", "all", "--format", "json"]
    files = python_files([work / p for p in paths])
    rule = work / "semgrep-rule.yml"
    rule.write_text(SEMGREP_RULE, encoding="utf-8")
    table = [
        ("ruff", ["--no-cache"], "ruff"),
        ("ruff (cached)", ["--cache-dir", ruff_cache], "ruff"),
    ]
    found: list[Tool] = []
    for name, extra, binary in table:
        ruff = find(binary, peers)
        if ruff:
            command = [ruff, "check", "--exit-zero", "--quiet", "--select", RUFF_RULES, *extra]
            found.append(Tool(name, [*command, *paths], fill="cached" in name))
    found += [
        Tool("retrylint (cold)", [*check, "--no-cache", *paths]),
        Tool("retrylint (cold, --no-prefilter)", [*check, "--no-cache", "--no-prefilter", *paths]),
        Tool("retrylint (warm)", [*check, "--cache-dir", cache, *paths], fill=True),
        Tool(
            "retrylint (one file changed)",
            [*check, "--cache-dir", cache, *paths],
            before=one_file_changer(files),
            fill=True,
        ),
    ]
    moved = job_module_changer(files)
    if moved is not None:
        found.append(
            Tool(
                "retrylint (one job module changed, lines moved)",
                [*check, "--cache-dir", cache, *paths],
                before=moved,
                fill=True,
            )
        )
    peer_commands = {
        "semgrep": ["scan", "--quiet", "--metrics=off", "--config", str(rule), *paths],
        "bandit": ["-q", "-r", *paths],
        "pylint": [
            "-j2",
            "--recursive=y",
            "--disable=all",
            "--enable=bare-except,broad-exception-caught",
            *paths,
        ],
        "fixit": ["lint", *paths],
    }
    for name, args in peer_commands.items():
        executable = find(name, peers)
        if executable is None:
            print(f"skipped {name}: not installed", file=sys.stderr)
            continue
        found.append(Tool(name, [executable, *args]))
    return [t for t in found if t.name not in skip and t.name.split(" ")[0] not in skip]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peers", help="bin folder holding ruff, semgrep, bandit, pylint, fixit")
    parser.add_argument("--skip", action="append", default=[], help="tool to leave out")
    parser.add_argument(
        "--once",
        action="append",
        default=[],
        help="tool timed in the first round only (the slow ones, on a busy machine)",
    )
    parser.add_argument(
        "--work", type=Path, help="keep the copies (and caches) in this folder, reused if there"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="retrylint-bench-") as folder:
        work = args.work.resolve() if args.work else Path(folder)
        names = []
        for path in map(Path, args.paths):
            name = path.resolve().name
            if not (work / name).exists():
                shutil.copytree(
                    path, work / name, symlinks=True, ignore=shutil.ignore_patterns(".git")
                )
            names.append(name)
        files = python_files([work / n for n in names])
        lines = sum(len(f.read_bytes().splitlines()) for f in files)
        runs = tools(work, names, args.peers, set(args.skip))
        for tool in runs:  # fill the caches
            if tool.fill:
                measure(tool.command, work)
        for round in range(args.rounds):
            for tool in runs:
                if round and (tool.name in args.once or tool.name.split(" ")[0] in args.once):
                    continue
                if tool.before:
                    tool.before()
                elapsed, peak, cpu = measure(tool.command, work)
                tool.times.append(elapsed)
                tool.peaks.append(peak)
                tool.cpu.append(cpu)
    report(runs, len(files), lines, args.rounds)


def report(runs: list[Tool], files: int, lines: int, rounds: int) -> None:
    base = {t.name: statistics.median(t.times) for t in runs}
    ruff = base.get("ruff")
    ruff_cached = base.get("ruff (cached)")
    print(f"{files} files, {lines} lines, up to {rounds} rounds, {os.cpu_count()} cores\n")
    print(
        "| command | runs | median s | min-max s | x ruff (no cache) | x ruff (cached) "
        "| CPU s | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for tool in sorted(runs, key=lambda t: base[t.name]):
        median = base[tool.name]
        ratio = f"{median / ruff:.1f}x" if ruff else "-"
        cached = f"{median / ruff_cached:.1f}x" if ruff_cached else "-"
        spread = f"{min(tool.times):.2f}-{max(tool.times):.2f}"
        peak = max(tool.peaks) / 1024
        print(
            f"| {tool.name} | {len(tool.times)} | {median:.2f} | {spread} | {ratio} | {cached} "
            f"| {statistics.median(tool.cpu):.2f} | {peak:.0f} |"
        )


if __name__ == "__main__":
    main()
