"""A run where a few files changed skips the project phase only when it cannot change its output.

Every fixture project is copied, checked once with a cache, then edited file by file (edits of
several kinds, one after the other); after each edit answered without the project phase, the
cached run must report exactly what a run without any cache reports.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from retrylint import engine
from retrylint.cache import ResultCache
from retrylint.catalog import load_catalog
from retrylint.config import load_config
from retrylint.discovery import discover
from retrylint.engine import AnalysisSettings, run
from retrylint.facts import FileFacts, FunctionFact, Suppression
from retrylint.findings import Finding
from retrylint.incremental import LastRun, mentions_of, project_view
from retrylint.model import Span
from tests.conftest import FIXTURES, fixture_projects


def _comment_on_top(text: str) -> str:
    return "# a comment that moves every line down\n" + text


def _blank_line_midway(text: str) -> str:
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    return "".join([*lines[:middle], "\n", *lines[middle:]])


def _swallowing_function(text: str) -> str:
    return text + (
        "\n\ndef added_helper(value):\n"
        "    try:\n"
        "        return int(value)\n"
        "    except Exception:\n"
        "        pass\n"
    )


def _stale_suppression(text: str) -> str:
    return text + "\nADDED_CONSTANT = 1  # noqa: RL301\n"


def _network_call(text: str) -> str:
    return text + (
        '\n\nimport requests\n\n\ndef added_ping():\n    requests.post("https://example.com")\n'
    )


MOVES: tuple[Callable[[str], str], ...] = (_comment_on_top, _blank_line_midway)
CHANGES: tuple[Callable[[str], str], ...] = (
    _swallowing_function,
    _stale_suppression,
    _network_call,
)


def _outcome(result: engine.RunResult) -> tuple[object, ...]:
    return (result.findings, result.errors, result.files, result.skipped)


class _ProjectRuns:
    """Counts how often the project phase ran, so a test can tell the short path was taken."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = engine.build_project

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(engine, "build_project", counting)
        monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10_000)  # in-process: calls are seen
        monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 10**12)


def _session(root: Path) -> tuple[list[str], object, frozenset[str], ResultCache]:
    config = load_config(Path("."))
    selected = frozenset(r.code for r in load_catalog())  # every rule, default or not
    files = [str(p) for p in discover([Path(".")], config).files]
    cache = ResultCache(root.parent / "cache", AnalysisSettings(config, selected).cache_key())
    return files, config, selected, cache


@pytest.mark.parametrize("folder", fixture_projects(), ids=lambda p: p.name)
def test_edited_projects_report_what_uncached_runs_do(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is moved down a line or split midway, then changed in one of three ways; after
    each edit that skipped the project phase, the cached run reports what a run without a cache
    does (a run that did not skip it is the project phase over cached facts, which
    ``test_cache`` compares). A module no job sees is added, so every project skips it."""
    root = tmp_path / folder.name
    shutil.copytree(folder, root)
    (root / "bystander_module.py").write_text(
        "def shout(text):\n    return text.upper()\n", encoding="utf-8"
    )
    monkeypatch.chdir(root)
    project = _ProjectRuns(monkeypatch)
    files, config, selected, cache = _session(root)
    run(files, config, selected, cache=cache, findings_only=True)
    skipped = 0
    for number, path in enumerate(files):
        for edit in (MOVES[number % len(MOVES)], CHANGES[number % len(CHANGES)]):
            source = Path(path).read_text(encoding="utf-8")
            Path(path).write_text(edit(source), encoding="utf-8")
            before = project.count
            cached = run(files, config, selected, cache=cache, findings_only=True)
            if project.count == before:  # the project phase was skipped: it must not matter
                skipped += 1
                assert _outcome(cached) == _outcome(run(files, config, selected)), (path, edit)
    assert skipped  # at least the bystander's move


def _shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, _ProjectRuns]:
    root = tmp_path / "celery_shop"
    shutil.copytree(FIXTURES / "celery_shop", root)
    monkeypatch.chdir(root)
    return root, _ProjectRuns(monkeypatch)


def test_an_edit_no_job_can_see_skips_the_project_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, project = _shop(tmp_path, monkeypatch)
    outside = root / "shop" / "unrelated.py"
    outside.write_text("def shout(text):\n    return text.upper()\n", encoding="utf-8")
    files, config, selected, cache = _session(root)
    run(files, config, selected, cache=cache, findings_only=True)
    assert project.count == 1
    swallowing = "    try:\n        return text.upper()\n    except Exception:\n        pass\n"
    for edit in (
        _comment_on_top,
        lambda text: text.replace("    return text.upper()\n", swallowing),
        lambda text: text.replace("(text):", "(text):  # noqa: RL301"),  # unused: RL002
    ):
        outside.write_text(edit(outside.read_text(encoding="utf-8")), encoding="utf-8")
        cached = run(files, config, selected, cache=cache, findings_only=True)
        assert project.count == 1  # answered without the project phase
        assert _outcome(cached) == _outcome(run(files, config, selected))
        project.count = 1
    assert [f.code for f in cached.findings if f.path == "shop/unrelated.py"] == ["RL002"]


def test_an_edit_that_keeps_a_job_files_facts_skips_the_project_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A comment added at the end, a suppression of a project finding added then taken back:
    the job file's facts are the same, so every project finding stands, filtered anew."""
    root, project = _shop(tmp_path, monkeypatch)
    files, config, selected, cache = _session(root)
    run(files, config, selected, cache=cache, findings_only=True)
    tasks = root / "shop" / "tasks.py"
    original = tasks.read_text(encoding="utf-8")
    marked = "@st(bind=True, max_retries=None)  # expect: RL101"
    assert marked in original
    edits = (
        original + "# a comment at the end\n",
        original.replace(marked, marked + "  # noqa: RL101"),
        original,
    )
    for text in edits:
        tasks.write_text(text, encoding="utf-8")
        before = project.count
        cached = run(files, config, selected, cache=cache, findings_only=True)
        assert project.count == before  # answered without the project phase
        assert _outcome(cached) == _outcome(run(files, config, selected))
        unbounded = [
            f.line for f in cached.findings if f.path == "shop/tasks.py" and f.code == "RL101"
        ]
        assert (29 in unbounded) == (text != edits[1])


def test_a_reached_helper_is_judged_in_full_when_its_facts_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper a job calls, outlined by the prefilter (nothing in it names a framework), gains
    a bare ``except:`` without a fact changing: the full run judges reached code in full, so
    must the short path."""
    root, project = _shop(tmp_path, monkeypatch)
    helpers = root / "shop" / "helpers.py"
    helpers.write_text("def parse(value):\n    return int(value)\n", encoding="utf-8")
    tasks = root / "shop" / "tasks.py"
    text = tasks.read_text(encoding="utf-8")
    text = text.replace(
        "from .celery import worker\n", "from .celery import worker\nfrom .helpers import parse\n"
    )
    text = text.replace("def purge_carts():\n", "def purge_carts():\n    parse('1')\n")
    tasks.write_text(text, encoding="utf-8")
    files, config, selected, cache = _session(root)
    run(files, config, selected, cache=cache, findings_only=True)
    bare = "    try:\n        return int(value)\n    except:\n        pass\n"
    helpers.write_text(
        helpers.read_text(encoding="utf-8").replace("    return int(value)\n", bare),
        encoding="utf-8",
    )
    before = project.count
    cached = run(files, config, selected, cache=cache, findings_only=True)
    assert project.count == before + 1  # a job-code finding changed: reach decides it
    uncached = run(files, config, selected)
    assert [f.code for f in uncached.findings if f.path == "shop/helpers.py"] == ["RL301"]
    assert _outcome(cached) == _outcome(uncached)


def test_an_edit_no_job_can_see_is_checked_without_the_parser(tmp_path: Path) -> None:
    """The common edit in a large project, end to end: the file is outlined from ``ast``, the
    outcome comes from the last run, and libcst is never imported."""
    root = tmp_path / "celery_shop"
    shutil.copytree(FIXTURES / "celery_shop", root)
    outside = root / "shop" / "unrelated.py"
    outside.write_text("def shout(text):\n    return text.upper()\n", encoding="utf-8")
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('PARSER', 'libcst' in sys.modules, file=sys.stderr))\n"
        "from retrylint.cli import main\n"
        "sys.argv = ['retrylint', 'check', '.', '--format', 'json', '--exit-zero', *sys.argv[1:]]\n"
        "main()\n"
    )

    def check(*options: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", probe, *options]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)

    assert "PARSER True" in check().stderr  # the first run parses
    outside.write_text(_comment_on_top(outside.read_text(encoding="utf-8")), encoding="utf-8")
    edited = check()
    assert "PARSER False" in edited.stderr, edited.stderr
    assert json.loads(edited.stdout) == json.loads(check("--no-cache").stdout)


def test_edits_a_job_could_see_run_the_project_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job's file, a file whose names a job resolves, and a file that stops parsing."""
    root, project = _shop(tmp_path, monkeypatch)
    files, config, selected, cache = _session(root)
    run(files, config, selected, cache=cache, findings_only=True)
    tasks = next(root.rglob("tasks.py"))
    for path, edit in (
        (tasks, _comment_on_top),
        (tasks, _network_call),
        (tasks, lambda text: text + "\ndef broken(:\n"),
    ):
        before = project.count
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        cached = run(files, config, selected, cache=cache, findings_only=True)
        assert project.count == before + 1
        assert _outcome(cached) == _outcome(run(files, config, selected))


def test_the_project_view_ignores_positions_and_comments_only() -> None:
    at = Span(1, 1, 1, 5)
    moved = Span(9, 1, 9, 5)
    facts = FileFacts(
        imports=(("requests", "requests"),),
        functions=(FunctionFact("send", 3, None, ("requests.post",)),),
        suppressions=(Suppression(2, None, "noqa", at, "# noqa", 8),),
        statement_starts=((1, 1),),
    )
    shifted = FileFacts(
        imports=(("requests", "requests"),),
        functions=(FunctionFact("send", 11, None, ("requests.post",)),),
        suppressions=(Suppression(4, ("RL301",), "noqa", moved, "# noqa: RL301", 8),),
        statement_starts=((1, 1), (2, 1)),
        import_insert_line=3,
    )
    assert project_view(facts) == project_view(shifted)
    calls_more = FileFacts(
        imports=(("requests", "requests"),),
        functions=(FunctionFact("send", 3, None, ("requests.post", "requests.get")),),
    )
    assert project_view(facts) != project_view(calls_more)
    renamed = FileFacts(imports=(("requests", "http"),), functions=facts.functions)
    assert project_view(facts) != project_view(renamed)


def test_the_last_run_knows_changed_files_and_what_it_mentions() -> None:
    message = "close to 'KEY' (app/settings.py:12)"
    finding = Finding("RL605", "name", "low", message, "app/jobs.py", Span(1, 1, 1, 2))
    mentions = mentions_of([[finding], frozenset({"app/helpers.py"}), ("app.hooks.on_fail",)])
    last = LastRun({"a.py": b"1", "b.py": b"2"}, ([], [], 2, []), mentions, {}, frozenset())
    assert last.changed({"a.py": b"1", "b.py": b"3"}) == ["b.py"]
    assert last.changed({"a.py": b"1", "b.py": b"2"}) == []
    assert last.changed({"a.py": b"1"}) is None  # another list of files: no answer from here
    assert last.mentions_file("app/settings.py", "app.settings")  # inside a message
    assert last.mentions_file("app/jobs.py", "app.jobs")
    assert last.mentions_file("app/helpers.py", "app.helpers")
    assert last.mentions_file("app/hooks.py", "app.hooks")  # in a qualified name
    assert not last.mentions_file("app/models.py", "app.models")
