"""Bad input: every case gets a clear message naming the file, the run goes on, the exit code says
what happened, and nothing prints a traceback."""

from __future__ import annotations

import codecs
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrylint import engine, file_phase
from retrylint.cli import main

GOOD = "def ok():\n    return 1\n"
STALE = "x = 1  # noqa: RL101\n"


def write(root: Path, name: str, data: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch) -> None:
    """Text assertions need unstyled output, whatever the environment running the tests."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def runner() -> CliRunner:
    """stdout and stderr apart, on click 8.1 (mix_stderr) and 8.2+ (always)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def run_check(*args: str):
    result = runner().invoke(main, ["check", *args], catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def check_json(*args: str) -> tuple[int, dict]:
    result = run_check("--format", "json", "--select", "RL001,RL002,RL101", *args)
    return result.exit_code, json.loads(result.stdout)


def by_path(document: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in document["findings"]:
        found.setdefault(item["path"], []).append(item["code"])
    return found


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A project with one stale suppression, to prove the rest of the run completes."""
    write(tmp_path, "zz_other.py", STALE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Files that do not parse or decode: RL001, exit 1


def test_syntax_error(project: Path) -> None:
    write(project, "bad.py", "def f(:\n")
    code, document = check_json(".")
    assert code == 1
    assert by_path(document) == {"bad.py": ["RL001"], "zz_other.py": ["RL002"]}


def test_non_utf8_without_cookie(project: Path) -> None:
    write(project, "latin.py", b"name = 'Jos\xe9'\n")
    code, document = check_json(".")
    assert code == 1
    assert by_path(document) == {"latin.py": ["RL001"], "zz_other.py": ["RL002"]}
    message = document["findings"][0]["message"]
    assert "cannot decode as utf-8" in message and "coding cookie" in message


def test_binary_junk_named_py(project: Path) -> None:
    write(project, "junk.py", b"\x7fELF\x02\x01\x00\x00\xff\xfe" * 20)
    code, document = check_json(".")
    assert code == 1
    assert by_path(document) == {"junk.py": ["RL001"], "zz_other.py": ["RL002"]}
    assert "binary" in document["findings"][0]["message"]


def test_utf16_file(project: Path) -> None:
    write(project, "wide.py", codecs.BOM_UTF16_LE + "x = 1\n".encode("utf-16-le"))
    code, document = check_json(".")
    assert code == 1
    assert by_path(document)["wide.py"] == ["RL001"]
    assert "UTF-16" in document["findings"][0]["message"]


def test_bom_with_a_conflicting_cookie(project: Path) -> None:
    write(project, "both.py", codecs.BOM_UTF8 + b"# -*- coding: latin-1 -*-\nx = 1\n")
    code, document = check_json(".")
    assert code == 1
    assert by_path(document)["both.py"] == ["RL001"]
    assert "BOM" in document["findings"][0]["message"]


# Files that are fine


@pytest.mark.parametrize(
    "data",
    [
        b"# -*- coding: latin-1 -*-\nname = 'Jos\xe9'\n",
        codecs.BOM_UTF8 + b"name = 'Jos\xc3\xa9'\n",
        b"def f():\r\n    return 1\r\n\r\nx = f()\r\n",
        b"",
        b"\n\n\n",
        b"# only a comment",  # no trailing newline
        b"x = 1\r\ny = 2\nz = 3\r",  # mixed line endings, a lone CR last
        b"def f():\n\tif True:\n\t\treturn 1\n",  # tabs
        b"x = '" + b"a" * 20_000 + b"'\n",  # a 20,000-character line
        b"".join(b"v%d = %d\n" % (i, i) for i in range(50_000)),  # a 50,000-line file
        # Python 3.12-3.14 syntax: type parameters and statements, nested f-strings, except*,
        # PEP 758's unparenthesised except A, B:
        b"def first[T](items: list[T]) -> T:\n    return items[0]\n"
        b"type Pair[T] = tuple[T, T]\n"
        b"name = 'x'\nmsg = f\"{f'{name!r:>{10}}'}\"\n"
        b"try:\n    pass\nexcept* (ValueError, TypeError):\n    pass\n"
        b"try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
    ],
    ids=[
        "latin1-cookie",
        "bom",
        "crlf",
        "empty",
        "blank-lines",
        "no-final-newline",
        "mixed-newlines",
        "tabs",
        "long-line",
        "50k-lines",
        "new-syntax",
    ],
)
def test_unusual_but_valid_files_are_fine(project: Path, data: bytes) -> None:
    write(project, "fine.py", data)
    code, document = check_json(".")
    assert code == 1  # only the other file's stale suppression
    assert by_path(document) == {"zz_other.py": ["RL002"]}
    assert document["summary"]["files"] == 2


def test_suppressions_work_in_latin1_crlf_and_bom_files(project: Path) -> None:
    write(project, "a.py", b"# coding: latin-1\r\nx = '\xe9'  # noqa: RL101\r\n")
    write(project, "b.py", codecs.BOM_UTF8 + b"x = 1  # noqa: RL101\n")
    _, document = check_json(".")
    assert [(f["path"], f["line"], f["column"]) for f in document["findings"]] == [
        ("a.py", 2, 10),
        ("b.py", 1, 8),  # columns do not count the BOM
        ("zz_other.py", 1, 8),
    ]


def test_deeply_nested_expression(project: Path) -> None:
    write(project, "deep.py", "x = " + "(" * 200 + ")" * 200 + "\n")
    code, document = check_json(".")
    assert code == 1
    assert by_path(document).get("zz_other.py") == ["RL002"]
    assert set(by_path(document)) <= {"deep.py", "zz_other.py"}


def test_pathologically_nested_expression_does_not_kill_the_run(tmp_path: Path) -> None:
    write(tmp_path, "deep.py", "x = " + "(" * 5000 + ")" * 5000 + "\n")
    write(tmp_path, "zz_other.py", STALE)
    completed = subprocess.run(
        [sys.executable, "-m", "retrylint", "check", "--select", "RL001,RL002,RL101", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.returncode
    assert "deep.py" in completed.stdout and "RL001" in completed.stdout
    assert "zz_other.py" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


def test_huge_file_is_skipped_with_a_note(project: Path, monkeypatch) -> None:
    monkeypatch.setattr(engine, "MAX_FILE_BYTES", 100)
    write(project, "huge.py", "x = 1\n" * 50)
    result = run_check("--select", "RL001,RL002,RL101", ".")
    assert result.exit_code == 1  # the other file's finding; the skip itself is not an error
    assert "note: huge.py: skipped: 300 bytes" in result.stdout
    assert "zz_other.py:1:8: RL002" in result.stdout


# Paths that cannot be read: an error line naming the file, exit 2


def test_nonexistent_path(project: Path) -> None:
    result = run_check("--select", "RL001,RL002,RL101", "missing.py", ".")
    assert result.exit_code == 2
    assert "error: missing.py: No such file or directory" in result.stderr
    assert "zz_other.py:1:8: RL002" in result.stdout  # the rest was checked


def test_nonexistent_path_in_json_summary(project: Path) -> None:
    code, document = check_json("missing.py", ".")
    assert code == 2
    assert document["summary"]["errors"] == [
        {"path": "missing.py", "message": "No such file or directory"}
    ]
    assert by_path(document) == {"zz_other.py": ["RL002"]}


def test_nonexistent_path_with_diff(project: Path) -> None:
    result = run_check("--diff", "--select", "RL001,RL002", "missing.py")
    assert result.exit_code == 2
    assert "missing.py" in result.stderr


def test_broken_symlink_named_explicitly(project: Path) -> None:
    (project / "gone.py").symlink_to(project / "nowhere.py")
    result = run_check("--select", "RL001,RL002,RL101", "gone.py", "zz_other.py")
    assert result.exit_code == 2
    assert "error: gone.py: No such file or directory" in result.stderr
    assert "zz_other.py:1:8: RL002" in result.stdout


def test_broken_symlink_in_a_folder_is_skipped(project: Path) -> None:
    (project / "gone.py").symlink_to(project / "nowhere.py")
    code, document = check_json(".")
    assert code == 1
    assert document["summary"]["errors"] == []
    assert document["summary"]["files"] == 1


def test_symlink_loop_named_explicitly(project: Path) -> None:
    (project / "loop.py").symlink_to(project / "loop.py")
    result = run_check("--select", "RL001", "loop.py", "zz_other.py")
    assert result.exit_code == 2
    assert "error: loop.py: Too many levels of symbolic links" in result.stderr


def test_unreadable_file(project: Path, monkeypatch) -> None:
    write(project, "secret.py", GOOD)
    real_open = open

    def refusing_open(file, *args, **kwargs):
        if Path(file).name == "secret.py":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(engine, "open", refusing_open, raising=False)
    result = run_check("--select", "RL001,RL002,RL101", ".")
    assert result.exit_code == 2
    assert "error: secret.py: Permission denied" in result.stderr
    assert "zz_other.py:1:8: RL002" in result.stdout


def test_internal_error_in_one_file_is_reported_and_the_run_goes_on(
    project: Path, monkeypatch
) -> None:
    write(project, "boom.py", GOOD)
    real = file_phase._analyse_module

    def exploding(path, source, module, settings, tree=None):
        if path.endswith("boom.py"):
            raise ValueError("adapter bug")
        return real(path, source, module, settings, tree)

    monkeypatch.setattr(file_phase, "_analyse_module", exploding)
    result = run_check("--select", "RL001,RL002,RL101", "--no-prefilter", ".")
    assert result.exit_code == 2
    assert "error: boom.py: internal error: ValueError: adapter bug" in result.stderr
    assert "zz_other.py:1:8: RL002" in result.stdout


class _Crashing:
    """A per-file check that fails on one file's calls."""

    def handlers(self):
        import libcst

        def on_call(node, ctx):
            if ctx.path.endswith("boom.py"):
                raise KeyError("a rule bug")

        return {libcst.Call: on_call}

    def findings(self, ctx):
        return ()


def test_a_rule_crashing_on_one_file_stops_nothing_else(project: Path, monkeypatch) -> None:
    import types

    from retrylint import checks

    real = checks.rule_module
    fake = types.SimpleNamespace(FileCheck=_Crashing)
    monkeypatch.setattr(checks, "rule_module", lambda code: fake if code == "RL001" else real(code))
    write(project, "boom.py", "print(1)\nx = 1  # noqa: RL101\n")
    result = run_check("--select", "RL001,RL002,RL101", "--no-prefilter", ".")
    assert result.exit_code == 2
    assert "error: boom.py: internal error in RL001: KeyError: 'a rule bug'" in result.stderr
    assert "Traceback" not in result.stderr
    # The other rules still ran on that file, and every other file was checked.
    assert "boom.py:2:8: RL002" in result.stdout
    assert "zz_other.py:1:8: RL002" in result.stdout
    verbose = runner().invoke(
        main, ["check", "-v", "--no-prefilter", "--select", "RL001,RL002,RL101", "."]
    )
    assert "Traceback (most recent call last)" in verbose.stderr


def test_an_adapter_crashing_on_one_file_stops_nothing_else(project: Path, monkeypatch) -> None:
    from retrylint.frameworks import loops

    real = loops.extract

    def exploding(ctx, sink):
        if ctx.path.endswith("boom.py"):
            raise RuntimeError("an adapter bug")
        real(ctx, sink)

    monkeypatch.setattr(loops, "extract", exploding)
    write(project, "boom.py", "x = 1  # noqa: RL101\n")
    result = run_check("--select", "RL001,RL002,RL101", "--no-prefilter", ".")
    assert result.exit_code == 2
    assert "boom.py: internal error in the loops adapter: RuntimeError: an adapter bug" in (
        result.stderr
    )
    assert "boom.py:1:8: RL002" in result.stdout


def test_folder_is_walked(project: Path) -> None:
    write(project, "pkg/bad.py", "def f(\n")
    code, document = check_json("pkg/")
    assert code == 1
    assert by_path(document) == {"pkg/bad.py": ["RL001"]}


def test_folder_named_like_a_python_file_is_walked(project: Path) -> None:
    write(project, "odd.py/inner.py", "def f(\n")
    code, document = check_json(".")
    assert code == 1
    assert set(by_path(document)) == {"odd.py/inner.py", "zz_other.py"}


def test_folder_given_as_config_file(project: Path) -> None:
    (project / "conf").mkdir()
    result = run_check("--config", "conf", ".")
    assert result.exit_code == 2
    assert "conf" in result.stderr and "directory" in result.stderr


def test_fifo_named_explicitly_and_inside_a_folder(tmp_path: Path) -> None:
    """A FIFO opened for reading would block forever: named, it is an error; found in a
    folder walk, it is skipped. Run in a subprocess so a regression hangs only the child."""
    write(tmp_path, "pkg/ok.py", STALE)
    os.mkfifo(tmp_path / "pkg" / "pipe.py")
    command = [sys.executable, "-m", "retrylint", "check", "--select", "RL001,RL002,RL101"]
    walked = subprocess.run(
        [*command, "pkg"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert walked.returncode == 1, walked.stderr
    assert "pkg/ok.py:1:8: RL002" in walked.stdout
    assert "pipe.py" not in walked.stdout + walked.stderr
    named = subprocess.run(
        [*command, "pkg/pipe.py", "pkg/ok.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert named.returncode == 2
    assert "error: pkg/pipe.py: not a regular file or folder" in named.stderr
    assert "pkg/ok.py:1:8: RL002" in named.stdout
    assert "Traceback" not in named.stderr + walked.stderr


def test_file_that_vanishes_during_the_run(project: Path, monkeypatch) -> None:
    """Discovered, then deleted before it is read: a clear error, the rest is checked."""
    from retrylint import discovery

    gone = write(project, "gone.py", GOOD)
    original = discovery.discover

    def discover_then_delete(*args, **kwargs):
        found = original(*args, **kwargs)
        gone.unlink()
        return found

    monkeypatch.setattr(discovery, "discover", discover_then_delete)
    result = run_check("--select", "RL001,RL002,RL101", ".")
    assert result.exit_code == 2
    assert "gone.py: No such file or directory" in result.stderr
    assert "zz_other.py" in result.stdout


# Fixes and the files they write


def test_read_only_file_is_not_fixed(project: Path) -> None:
    target = write(project, "locked.py", STALE)
    target.chmod(0o444)
    try:
        result = run_check("--fix", "--select", "RL002,RL101", ".")
    finally:
        target.chmod(0o644)
    assert result.exit_code == 2
    assert "locked.py: could not write the fix" in result.stderr
    assert "read-only" in result.stderr
    assert target.read_text() == STALE
    assert (project / "zz_other.py").read_text() == "x = 1\n"  # the rest of the run goes on


def test_file_changed_during_the_fix_is_not_overwritten(project: Path, monkeypatch) -> None:
    from retrylint import fixer

    target = write(project, "busy.py", STALE)
    original = fixer.fix_until_stable

    def edited_meanwhile(*args, **kwargs):
        found = original(*args, **kwargs)
        target.write_text(STALE + "y = 2  # saved by an editor meanwhile\n")
        return found

    monkeypatch.setattr(fixer, "fix_until_stable", edited_meanwhile)
    result = run_check("--fix", "--select", "RL002,RL101", ".")
    assert result.exit_code == 2
    assert "busy.py: changed on disk while it was being fixed: left as it is" in result.stderr
    assert target.read_text().endswith("# saved by an editor meanwhile\n")
    assert not list(project.glob(".retrylint-*"))  # no temp file left behind


def test_a_syntax_error_in_a_file_with_invalid_escapes_warns_nothing(tmp_path: Path) -> None:
    """Python's own syntax check (for RL001's location) must not print the file's warnings."""
    write(tmp_path, "bad.py", "x = '\\d'\ndef f(:\n")
    completed = subprocess.run(
        [sys.executable, "-W", "default", "-m", "retrylint", "check", "--select", "RL001", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "bad.py:2" in completed.stdout and "RL001" in completed.stdout
    assert "Warning" not in completed.stderr, completed.stderr
