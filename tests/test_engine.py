"""The engine: what a run reads, parses and reports, in which order, and how cheaply it starts."""

from __future__ import annotations

import concurrent.futures
import gc
import json
import os
import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from retrylint import __version__, engine, file_phase
from retrylint.catalog import load_catalog
from retrylint.cli import main
from retrylint.config import Config
from retrylint.context import FileContext
from retrylint.engine import run
from retrylint.facts import Packed
from retrylint.file_phase import AnalysisSettings, analyse_source
from retrylint.findings import Finding

BASE = frozenset({"RL001", "RL002"})
BROKEN = "x = 1\n\ny = (\n"  # the parser gives up on line 3, the last one
CLEAN = "def ok():\n    return 1\n"
STALE = "x = 1  # noqa: RL101\n"  # RL002 when RL101 runs


def runner() -> CliRunner:
    """stdout and stderr apart, on click 8.1 (mix_stderr) and 8.2+ (always)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def invoke(*args: str, input: bytes | None = None):
    return runner().invoke(main, list(args), input=input, catch_exceptions=False)


def check_json(*args: str) -> tuple[int, dict]:
    result = invoke("check", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def settings(root: Path, codes: frozenset[str] = BASE) -> AnalysisSettings:
    return AnalysisSettings(Config(root=root, path=None), codes)


# Discovery and reading


def test_files_and_folders_on_the_command_line(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, "a.py", BROKEN)
    write(tmp_path, "pkg/b.py", BROKEN)
    write(tmp_path, "pkg/deep/c.py", CLEAN)
    write(tmp_path, "other/d.py", BROKEN)  # not named: not checked
    monkeypatch.chdir(tmp_path)
    code, document = check_json("--select", "RL001,RL002", "a.py", "pkg")
    assert code == 1
    assert [f["path"] for f in document["findings"]] == ["a.py", "pkg/b.py"]
    assert document["summary"]["files"] == 3


def test_each_file_is_read_once_and_parsed_once(tmp_path: Path, monkeypatch) -> None:
    names = ["a.py", "b.py", "pkg/c.py"]
    for name in names:
        write(tmp_path, name, CLEAN + "z = 2  # noqa: RL101\n")
    monkeypatch.chdir(tmp_path)
    opened: Counter[str] = Counter()
    parsed: list[str] = []
    real_open, real_parse = open, file_phase._parse

    def counting_open(file, *args, **kwargs):
        opened[Path(file).as_posix()] += 1
        return real_open(file, *args, **kwargs)

    def counting_parse(text: str):
        parsed.append(text)
        return real_parse(text)

    monkeypatch.setattr(engine, "open", counting_open, raising=False)
    monkeypatch.setattr(file_phase, "_parse", counting_parse)
    result = invoke("check", "--select", "RL001,RL002,RL101", "--no-prefilter", ".")
    assert result.exit_code == 1  # three stale suppressions
    assert opened == {name: 1 for name in names}
    assert len(parsed) == len(names)
    # With the prefilter, these files (no job code) are outlined: read once, never given to libcst.
    opened.clear()
    parsed.clear()
    result = invoke("check", "--select", "RL001,RL002,RL101", ".")
    assert result.exit_code == 1
    assert opened == {name: 1 for name in names}
    assert parsed == []


def test_output_is_the_same_twice(tmp_path: Path, monkeypatch) -> None:
    for index in range(6):
        write(tmp_path, f"m{index}.py", BROKEN if index % 2 else STALE)
    monkeypatch.chdir(tmp_path)
    first = invoke("check", "--format", "json", "--select", "RL001,RL002,RL101", ".")
    second = invoke("check", "--format", "json", "--select", "RL001,RL002,RL101", ".")
    assert first.stdout == second.stdout
    assert len(json.loads(first.stdout)["findings"]) == 6


def _tree(root: Path, count: int = 40) -> list[str]:
    files = []
    for index in range(count):
        text = BROKEN if index % 7 == 3 else STALE if index % 5 == 0 else CLEAN
        files.append(str(write(root, f"pkg{index % 4}/mod_{index:02}.py", text)))
    return sorted(files)


def test_parallel_run_gives_the_serial_result(tmp_path: Path, monkeypatch) -> None:
    files = _tree(tmp_path)
    config = Config(root=tmp_path, path=None)
    selected = frozenset({"RL001", "RL002", "RL101"})

    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10_000)
    serial = run(files, config, selected)

    pools: list[object] = []
    real_pool = concurrent.futures.ProcessPoolExecutor

    def spying_pool(*args, **kwargs):
        pool = real_pool(*args, **kwargs)
        pools.append(pool)
        return pool

    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 8)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)  # a pool even on a one-core box
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", spying_pool)
    parallel = run(list(reversed(files)), config, selected)

    assert pools, "the parallel path was not taken"
    assert parallel.findings == serial.findings
    assert parallel.findings == sorted(parallel.findings, key=Finding.sort_key)
    assert parallel.files == serial.files == 40
    codes = Counter(f.code for f in serial.findings)
    assert codes == {"RL001": 6, "RL002": 7}


def test_threshold_decides_when_a_pool_starts(tmp_path: Path, monkeypatch) -> None:
    files = [str(write(tmp_path, f"m{i}.py", CLEAN)) for i in range(3)]
    started: list[int] = []
    monkeypatch.setattr(
        concurrent.futures, "ProcessPoolExecutor", lambda **kw: started.append(1) or 1 / 0
    )
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 4)
    engine.analyse_files(files, settings(tmp_path))
    assert started == []


# The per-file phase


SAMPLE = (
    b"import os\n"
    b"value = compute(  # retrylint: ignore[RL101]\n"
    b"    1,\n"
    b")\n"
    b"text = '# noqa: RL101'\n"
    b"other = 2  # noqa: RL303\n"
)


@pytest.mark.parametrize(
    "data",
    [SAMPLE, BROKEN.encode(), b"x = '\xe9'\n", b"", b"\x00\x01junk"],
    ids=["parses", "syntax-error", "not-utf8", "empty", "binary"],
)
def test_analyse_source_is_pure_and_picklable(tmp_path: Path, data: bytes) -> None:
    first = analyse_source("pkg/mod.py", data, settings(tmp_path))
    second = analyse_source("pkg/mod.py", data, settings(tmp_path))
    assert first == second
    assert pickle.loads(pickle.dumps(first)) == first
    assert first.path == "pkg/mod.py"


def test_packed_facts_travel_as_bytes_and_compare_by_value() -> None:
    """A packed fact crosses the pool and the cache as its bytes, read or not."""
    packed = Packed.of({"b": 1, "a": (2, 3)})
    assert pickle.dumps(packed) == pickle.dumps(Packed(packed.blob))
    assert packed.value == {"b": 1, "a": (2, 3)}  # read once ...
    assert pickle.dumps(packed) == pickle.dumps(Packed(packed.blob))  # ... still only bytes
    same = Packed.of({"a": (2, 3), "b": 1})  # other bytes, the same value
    assert same.blob != packed.blob and same == packed
    assert Packed.of(("x",)) != packed and packed != {"b": 1, "a": (2, 3)}
    frozen = Packed.of(("x", 1))
    assert hash(frozen) == hash(pickle.loads(pickle.dumps(frozen)))


def test_analysis_keeps_no_file_alive(tmp_path: Path) -> None:
    """Nothing a file's analysis made outlives it: a worker analyses thousands of files, and a
    table keeping each file's tree (once the secrets scan's) grew workers to a gigabyte."""
    source = (
        b"import logging\nfrom celery import shared_task\n\nAPI_TOKEN = 'tok_0123456789abcdef'\n\n"
        b"@shared_task(autoretry_for=(Exception,))\ndef sync(api_token):\n"
        b"    logging.info('token %s', api_token)\n    raise ValueError(API_TOKEN)\n"
    )
    every_rule = AnalysisSettings(
        Config(root=tmp_path, path=None), frozenset(load_catalog().codes()), prefilter=False
    )

    def alive() -> int:
        gc.collect()
        return sum(isinstance(o, (FileContext, cst.Module)) for o in gc.get_objects())

    before = alive()
    result = analyse_source("shop/tasks.py", source, every_rule)
    assert "RL502" in {f.code for f in result.findings}  # the secrets scan ran
    assert alive() == before


@pytest.mark.parametrize("enabled", [True, False])
def test_a_run_hands_the_collector_back_as_it_found_it(
    tmp_path: Path, monkeypatch, enabled: bool
) -> None:
    """The cyclic collector is paused while a run reads cached facts and builds its project,
    runs while a file is parsed (libcst leaves cycles), and is the caller's again afterwards with
    nothing frozen: a process running many checks (the fixer's rounds, a test session) frees
    what each one kept."""
    from retrylint.cache import ResultCache

    job = "@shared_task(autoretry_for=(Exception,))\ndef sync(n):\n    return n\n"
    tasks = write(tmp_path, "shop/tasks.py", "from celery import shared_task\n\n" + job)
    write(tmp_path, "shop/views.py", "from shop.tasks import sync\n\nsync.delay(1)\n")
    monkeypatch.chdir(tmp_path)
    seen: dict[str, list[bool]] = {"parse": [], "project": []}
    real_parse, real_build = file_phase._parse, engine.build_project

    def parse(text: str):
        seen["parse"].append(gc.isenabled())
        return real_parse(text)

    def build(*args, **kwargs):
        seen["project"].append(gc.isenabled())
        return real_build(*args, **kwargs)

    monkeypatch.setattr(file_phase, "_parse", parse)
    monkeypatch.setattr(engine, "build_project", build)
    cache = ResultCache(tmp_path / "cache", "key")
    paths = ["shop/tasks.py", "shop/views.py"]
    config = Config(root=tmp_path, path=None)
    codes = frozenset(load_catalog().codes())
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        run(paths, config, codes, cache=cache, prefilter=False)
        tasks.write_text(tasks.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
        # the job module's lines are the same; the other file comes from the cache
        run(paths, config, codes, cache=cache, prefilter=False)
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was else gc.disable)()
    assert seen["parse"] == [enabled] * 3  # both files, then the edited one
    assert seen["project"] == [False, False]


def test_analyse_source_records_suppressions_in_facts(tmp_path: Path) -> None:
    result = analyse_source("m.py", SAMPLE, settings(tmp_path))
    assert result.error is None and result.findings == ()
    assert result.facts is not None
    found = [(s.line, s.kind, s.codes) for s in result.facts.suppressions]
    assert found == [(2, "retrylint", ("RL101",)), (6, "noqa", ("RL303",))]
    assert (2, 4) in result.facts.statement_starts


def test_analyse_source_reports_bad_bytes_as_rl001(tmp_path: Path) -> None:
    result = analyse_source("m.py", b"x = '\xe9'\n", settings(tmp_path))
    assert result.facts is None
    (finding,) = result.findings
    assert finding.code == "RL001" and "cannot decode as utf-8" in finding.message


# Start-up


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"]])
def test_start_up_does_not_import_libcst(args: list[str]) -> None:
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from retrylint.cli import main\n"
        f"r = CliRunner().invoke(main, {args!r})\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = sorted(m for m in ('libcst', 'retrylint.engine', 'rich') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr


def test_version_flag_prints_the_package_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"retrylint, version {__version__}"
    assert invoke("-V").stdout == result.stdout


# RL001


def test_syntax_error_on_the_last_line(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, "bad.py", BROKEN)
    write(tmp_path, "stale.py", STALE)
    monkeypatch.chdir(tmp_path)
    code, document = check_json("--select", "RL001,RL002,RL101", ".")
    assert code == 1
    findings = {f["path"]: f for f in document["findings"]}
    assert set(findings) == {"bad.py", "stale.py"}  # the run went on past the broken file
    bad = findings["bad.py"]
    assert (bad["code"], bad["name"], bad["severity"]) == ("RL001", "syntax-error", "high")
    assert bad["line"] == 3
    assert bad["message"].startswith("SyntaxError")
    assert bad["fix"] is None


@pytest.mark.parametrize(
    "source",
    ["x = 1\ny = 2\nz = = 3\nw = 4\n", "import os\n\ndef f(:\n    pass\n"],
    ids=["double-equals", "bad-signature"],
)
def test_syntax_error_is_reported_on_the_line_python_names(
    tmp_path: Path, monkeypatch, source: str
) -> None:
    write(tmp_path, "bad.py", source)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SyntaxError) as python:
        compile(source, "bad.py", "exec")
    assert python.value.lineno == 3
    _, document = check_json("--select", "RL001", "bad.py")
    (finding,) = document["findings"]
    assert finding["line"] == 3


def test_syntax_error_file_has_no_other_findings(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, "bad.py", "x = 1  # noqa: RL101\ny = (\n")
    monkeypatch.chdir(tmp_path)
    _, document = check_json("--select", "RL001,RL002,RL101", "bad.py")
    assert [f["code"] for f in document["findings"]] == ["RL001"]


def test_finding_sort_key_orders_by_path_line_column_code() -> None:
    from retrylint.model import Span

    def make(path: str, line: int, column: int, code: str) -> Finding:
        return Finding(code, "n", "low", "m", path, Span(line, column, line, column + 1))

    findings = [
        make("b.py", 1, 1, "RL001"),
        make("a.py", 2, 1, "RL001"),
        make("a.py", 1, 5, "RL001"),
        make("a.py", 1, 5, "RL002"),
        make("a.py", 1, 1, "RL002"),
    ]
    ordered = sorted(findings, key=Finding.sort_key)
    assert [(f.path, f.line, f.column, f.code) for f in ordered] == [
        ("a.py", 1, 1, "RL002"),
        ("a.py", 1, 5, "RL001"),
        ("a.py", 1, 5, "RL002"),
        ("a.py", 2, 1, "RL001"),
        ("b.py", 1, 1, "RL001"),
    ]


def test_run_on_absolute_paths_reports_paths_relative_to_cwd(tmp_path: Path, monkeypatch) -> None:
    bad = write(tmp_path, "sub/bad.py", BROKEN)
    monkeypatch.chdir(tmp_path)
    _, document = check_json("--select", "RL001", os.fspath(bad.resolve()))
    assert [f["path"] for f in document["findings"]] == ["sub/bad.py"]
