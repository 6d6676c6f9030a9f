"""The result cache: cached runs report exactly what uncached runs do, and skip unchanged files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrylint import engine
from retrylint.cache import STALE_DAYS, ResultCache, digest
from retrylint.catalog import load_catalog
from retrylint.cli import main
from retrylint.config import load_config
from retrylint.discovery import discover
from retrylint.engine import AnalysisSettings, run
from tests.conftest import FIXTURES, chdir, fixture_projects


def _session(folder: Path) -> tuple[list[str], object, frozenset[str]]:
    config = load_config(Path("."))
    selected = frozenset(r.code for r in load_catalog())  # every rule, default or not
    files = [str(p) for p in discover([Path(".")], config).files]
    return files, config, selected


def _cache(folder: Path, config, selected: frozenset[str]) -> ResultCache:
    return ResultCache(folder, AnalysisSettings(config, selected).cache_key())


def _outcome(result: engine.RunResult) -> tuple[object, ...]:
    return (result.findings, result.errors, result.files, result.skipped)


@pytest.mark.parametrize("folder", fixture_projects(), ids=lambda p: p.name)
def test_cached_runs_report_what_uncached_runs_do(folder: Path, tmp_path: Path) -> None:
    """Cold, from cached facts (the project phase again), and from a stored outcome."""
    with chdir(folder):
        files, config, selected = _session(folder)
        uncached = run(files, config, selected)
        cache = _cache(tmp_path / "cache", config, selected)
        cold = run(files, config, selected, cache=cache, findings_only=True)
        shutil.rmtree(cache.folder / "runs")  # per-file entries only: facts -> project phase
        from_facts = run(files, config, selected, cache=cache)
        stored = run(files, config, selected, cache=cache, findings_only=True)
    assert _outcome(cold) == _outcome(from_facts) == _outcome(stored) == _outcome(uncached)
    assert from_facts.jobs == uncached.jobs
    assert stored.stored_reach is None and from_facts.stored_reach is not None


def _project(root: Path) -> list[str]:
    shutil.copytree(FIXTURES / "celery_shop", root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))


def test_one_changed_file_is_the_only_one_analysed(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "shop"
    files = _project(root)
    monkeypatch.chdir(root)
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10_000)  # in-process, so calls are seen
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 10**12)
    config = load_config(Path("."))
    selected = frozenset(r.code for r in load_catalog() if r.enabled_by_default)
    cache = _cache(tmp_path / "cache", config, selected)
    analysed: list[str] = []
    real = engine.analyse_source

    def counting(path: str, data: bytes, settings: AnalysisSettings):
        analysed.append(path)
        return real(path, data, settings)

    monkeypatch.setattr(engine, "analyse_source", counting)
    first = run(files, config, selected, cache=cache)
    assert sorted(analysed) == files
    analysed.clear()
    assert _outcome(run(files, config, selected, cache=cache, findings_only=True)) == _outcome(
        first
    )
    assert analysed == []  # the stored outcome answers
    changed = next(f for f in files if f.endswith("tasks.py"))
    text = Path(changed).read_text(encoding="utf-8")
    Path(changed).write_text(text + "\n\ndef added():\n    return 1\n", encoding="utf-8")
    analysed.clear()
    again = run(files, config, selected, cache=cache, findings_only=True)
    assert analysed == [changed]
    analysed.clear()
    assert _outcome(again) == _outcome(run(files, config, selected))


def test_settled_files_are_known_by_their_stat(tmp_path: Path, monkeypatch) -> None:
    """A file still since its digest was recorded is not read again; any write is seen, even
    one that keeps the size and sets the mtime back; a file changed just now is read again."""
    root = tmp_path / "shop"
    files = _project(root)
    monkeypatch.chdir(root)
    config = load_config(Path("."))
    selected = frozenset(r.code for r in load_catalog() if r.enabled_by_default)
    cache = _cache(tmp_path / "cache", config, selected)
    opened: list[str] = []
    real_open = open

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(engine, "open", counting_open, raising=False)
    monkeypatch.setattr(engine, "SETTLED_NS", 10**15)  # everything was changed "just now"
    first = run(files, config, selected, cache=cache)
    assert sorted(opened) == sorted(files)
    opened.clear()
    run(files, config, selected, cache=cache, findings_only=True)
    assert sorted(opened) == sorted(files)  # nothing recorded: read again
    monkeypatch.setattr(engine, "SETTLED_NS", 0)  # everything is settled
    opened.clear()
    run(files, config, selected, cache=cache, findings_only=True)  # reads, records
    opened.clear()
    warm = run(files, config, selected, cache=cache, findings_only=True)
    assert opened == []
    assert _outcome(warm) == _outcome(first)

    changed = next(f for f in files if f.endswith("tasks.py"))
    before = os.stat(changed)
    data = Path(changed).read_bytes()
    edited = data.replace(b"return", b"RETURN", 1)  # a syntax error, the same size
    assert edited != data and len(edited) == len(data)
    Path(changed).write_bytes(edited)
    os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns))
    opened.clear()
    again = run(files, config, selected, cache=cache, findings_only=True)
    assert opened == [changed]
    assert _outcome(again) == _outcome(run(files, config, selected))
    assert _outcome(again) != _outcome(first)
    assert any(f.code == "RL001" and f.path == changed for f in again.findings)


def test_a_fully_cached_check_does_not_import_the_parser(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _project(root)
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('PARSER', 'libcst' in sys.modules, file=sys.stderr))\n"
        "from retrylint.cli import main\n"
        "sys.argv = ['retrylint', 'check', '.', '--format', 'json', '--exit-zero']\n"
        "main()\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=False
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert "PARSER True" in runs[0].stderr  # the cold run parsed
    assert "PARSER False" in runs[1].stderr, runs[1].stderr
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)
    assert json.loads(runs[1].stdout)["findings"]
    assert (root / ".retrylint_cache" / "CACHEDIR.TAG").is_file()


def test_cli_cache_options_and_config_key(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "shop"
    _project(root)
    monkeypatch.chdir(root)
    pyproject = root / "pyproject.toml"
    table = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    if "[tool.retrylint]" not in table:
        table += "\n[tool.retrylint]\n"
    pyproject.write_text(
        table.replace("[tool.retrylint]", '[tool.retrylint]\ncache-dir = "build/rl"', 1)
    )
    runner = CliRunner()
    outputs = []
    for args in ([], ["--no-cache"], ["--cache-dir", str(tmp_path / "elsewhere")]):
        result = runner.invoke(main, ["check", ".", "--format", "json", "--exit-zero", *args])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.output))
    assert outputs[0] == outputs[1] == outputs[2]
    assert (root / "build" / "rl" / "CACHEDIR.TAG").is_file()
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert not (root / ".retrylint_cache").exists()


def test_entries_are_checked_and_broken_ones_are_misses(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, "settings")
    content = digest(b"x = 1\n")
    cache.store("m.py", content, {"facts": 1})
    assert cache.load("m.py", content) == {"facts": 1}
    assert cache.load("m.py", digest(b"x = 2\n")) is None  # the file changed
    assert cache.load("other.py", content) is None  # same bytes, another path
    entry = next((cache.folder / "files").iterdir())
    entry.write_bytes(entry.read_bytes()[:-3])  # truncated by a crash mid-write elsewhere
    assert cache.load("m.py", content) is None
    assert not [p for p in (cache.folder / "files").iterdir() if p.name.startswith(".tmp")]


def test_prune_drops_other_codes_and_what_nobody_used(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, "settings")
    cache.store("kept.py", digest(b""), 1)
    cache.store("gone.py", digest(b""), 2)
    old = ResultCache(tmp_path, "old-settings")
    old.store("a.py", digest(b""), 3)
    foreign = tmp_path / "0123-an-older-retrylint" / "s" / "files"
    foreign.mkdir(parents=True)
    (foreign / "entry").write_bytes(b"")
    now = time.time()
    stale = now - (STALE_DAYS + 1) * 86400
    os.utime(cache._entry("gone.py"), (stale, stale))
    os.utime(old._entry("a.py"), (stale, stale))
    cache.prune(now)
    assert cache.load("kept.py", digest(b"")) == 1
    assert cache.load("gone.py", digest(b"")) is None
    assert not old.folder.exists()
    assert not foreign.parent.parent.exists()
    cache.store("gone.py", digest(b""), 2)
    os.utime(cache._entry("gone.py"), (stale, stale))
    cache.prune(now + 60)  # pruned less than a day ago: nothing to do
    assert cache.load("gone.py", digest(b"")) == 2


def test_reading_marks_entries_used_once_a_day(tmp_path: Path) -> None:
    """Pruning goes by days: a hit re-marks an entry only when its mark is a day old, and a
    stored run's answer re-marks its files' entries only when the run's own mark is."""
    cache = ResultCache(tmp_path, "settings")
    cache.store("a.py", digest(b"a"), 1)
    cache.store("b.py", digest(b"b"), 2)
    cache.store_run("run", "outcome")
    run = cache.folder / "runs" / "run"
    now = time.time()
    hour, days = now - 3600, now - 2 * 86400

    def mtimes() -> list[float]:
        return [os.stat(p).st_mtime for p in (cache._entry("a.py"), cache._entry("b.py"), run)]

    for path in (cache._entry("a.py"), cache._entry("b.py"), run):
        os.utime(path, (hour, hour))
    assert cache.load("a.py", digest(b"a")) == 1
    assert cache.load_run("run", ["a.py", "b.py"]) == "outcome"
    assert mtimes() == [hour, hour, hour]  # marked within the day: no writes

    os.utime(cache._entry("a.py"), (days, days))
    assert cache.load("a.py", digest(b"a")) == 1
    assert mtimes()[0] >= now
    os.utime(cache._entry("b.py"), (days, days))
    os.utime(run, (days, days))
    assert cache.load_run("run", ["a.py", "b.py"]) == "outcome"
    assert min(mtimes()) >= now
    assert cache.load("a.py", digest(b"other bytes")) is None


def test_concurrent_runs_leave_whole_entries(tmp_path: Path) -> None:
    """Two processes writing the same entries at once: every entry reads back whole."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from retrylint.cache import ResultCache, digest\n"
        "cache = ResultCache(Path(sys.argv[1]), 'settings')\n"
        "for round in range(40):\n"
        "    for i in range(10):\n"
        "        cache.store(f'm{i}.py', digest(str(i).encode()), [i] * 5000)\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=Path.cwd())
        for _ in range(2)
    ]
    cache = ResultCache(tmp_path, "settings")
    while any(w.poll() is None for w in writers):
        for i in range(10):
            value = cache.load(f"m{i}.py", digest(str(i).encode()))
            assert value is None or value == [i] * 5000
    assert [w.returncode for w in writers] == [0, 0]
    assert all(cache.load(f"m{i}.py", digest(str(i).encode())) == [i] * 5000 for i in range(10))
