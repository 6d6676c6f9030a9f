"""The fixer: applying edits, rounds to a fixed point, atomic writes, and --fix / --diff."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrylint.cli import main
from retrylint.findings import Edit, Finding, Fix
from retrylint.fixer import (
    MAX_ROUNDS,
    FixOutcome,
    apply_fixes,
    fix_until_stable,
    write_atomically,
    write_outcome,
)
from retrylint.model import Span
from retrylint.source import decode_source

SELECT = ("--select", "RL001,RL002,RL101")


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


def invoke(*args: str):
    result = runner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def replace(line: int, column: int, end_line: int, end_column: int, text: str) -> Edit:
    return Edit(Span(line, column, end_line, end_column), text)


def insert(line: int, column: int, text: str, import_line: bool = False) -> Edit:
    return Edit(Span(line, column, line, column), text, import_line)


def fix(*edits: Edit, safety: str = "safe") -> Fix:
    return Fix(safety, "title", edits)  # type: ignore[arg-type]


def finding(path: str, the_fix: Fix | None, line: int = 1) -> Finding:
    return Finding(
        "RL002", "unused-suppression", "low", "m", path, Span(line, 1, line, 2), fix=the_fix
    )


# apply_fixes


def test_non_overlapping_fixes_all_apply() -> None:
    text = "alpha = 1\nbeta = 2\n"
    new, count = apply_fixes(text, [fix(replace(1, 1, 1, 6, "a")), fix(replace(2, 8, 2, 9, "20"))])
    assert (new, count) == ("a = 1\nbeta = 20\n", 2)


def test_overlapping_fix_waits_for_the_next_round() -> None:
    text = "value = 12345\n"
    first = fix(replace(1, 9, 1, 12, "ABC"))  # "123"
    second = fix(replace(1, 11, 1, 14, "xyz"))  # "345": overlaps "3"
    assert apply_fixes(text, [first, second]) == ("value = ABC45\n", 1)
    assert apply_fixes(text, [second, first]) == ("value = 12xyz\n", 1)


def test_a_fix_is_all_or_nothing() -> None:
    text = "a = 1\nb = 2\nc = 3\n"
    taken = fix(replace(2, 5, 2, 6, "20"))
    both = fix(replace(1, 5, 1, 6, "10"), replace(2, 1, 2, 6, "b = 99"))  # second edit overlaps
    assert apply_fixes(text, [taken, both]) == ("a = 1\nb = 20\nc = 3\n", 1)


def test_adjacent_replacements_do_not_conflict() -> None:
    text = "abcdef\n"
    new, count = apply_fixes(text, [fix(replace(1, 1, 1, 4, "X")), fix(replace(1, 4, 1, 7, "Y"))])
    assert (new, count) == ("XY\n", 2)


def test_insertion_at_the_start_of_a_replaced_range_conflicts() -> None:
    text = "value = 1\n"
    replacement = fix(replace(1, 9, 1, 10, "2"))
    insertion = fix(insert(1, 9, "-"))
    assert apply_fixes(text, [replacement, insertion]) == ("value = 2\n", 1)
    assert apply_fixes(text, [insertion, replacement]) == ("value = -1\n", 1)


def test_insertion_inside_a_replaced_range_conflicts() -> None:
    text = "value = 123\n"
    assert apply_fixes(text, [fix(replace(1, 9, 1, 12, "9")), fix(insert(1, 10, "_"))]) == (
        "value = 9\n",
        1,
    )


def test_insertion_at_the_end_of_a_replaced_range_applies() -> None:
    text = "f(a)\n"
    new, count = apply_fixes(text, [fix(replace(1, 3, 1, 4, "b")), fix(insert(1, 4, ", c=1"))])
    assert (new, count) == ("f(b, c=1)\n", 2)


def test_two_insertions_at_one_point_conflict() -> None:
    text = "f()\n"
    assert apply_fixes(text, [fix(insert(1, 3, "x=1")), fix(insert(1, 3, "y=2"))]) == (
        "f(x=1)\n",
        1,
    )


def test_import_line_is_added_once() -> None:
    text = "import os\n\nx = a()\ny = b()\n"
    add = insert(2, 1, "import time\n", import_line=True)
    fixes = [
        fix(add, replace(3, 5, 3, 8, "time.time()")),
        fix(add, replace(4, 5, 4, 8, "time.time()")),
    ]
    new, count = apply_fixes(text, fixes)
    assert count == 2
    assert new == "import os\nimport time\n\nx = time.time()\ny = time.time()\n"


def test_import_line_is_not_added_when_present() -> None:
    text = "import time\n\nx = a()\n"
    new, count = apply_fixes(
        text, [fix(insert(2, 1, "import time\n", import_line=True), replace(3, 5, 3, 8, "b()"))]
    )
    assert (new, count) == ("import time\n\nx = b()\n", 1)


def test_import_of_a_waiting_fix_is_still_added_for_the_next_one() -> None:
    text = "x = 0\nb = 2\nc = 3\n"
    add = insert(1, 1, "import time\n", import_line=True)
    first = fix(replace(2, 5, 2, 6, "3"))
    waits = fix(add, replace(2, 1, 2, 6, "b = time.time()"))  # overlaps `first`
    later = fix(add, replace(3, 5, 3, 6, "time.time()"))
    new, count = apply_fixes(text, [first, waits, later])
    assert count == 2
    assert new == "import time\nx = 0\nb = 3\nc = time.time()\n"


def test_inserted_lines_use_the_file_line_ending() -> None:
    text = "import os\r\n\r\nx = a()\r\n"
    add = insert(2, 1, "import time\n", import_line=True)
    new, _ = apply_fixes(text, [fix(add, replace(3, 5, 3, 8, "time.time()"))], "\r\n")
    assert new == "import os\r\nimport time\r\n\r\nx = time.time()\r\n"
    assert "\n" not in new.replace("\r\n", "")


def test_replacement_text_already_in_crlf_is_not_doubled() -> None:
    text = "a = 1\r\nb = 2\r\n"
    new, _ = apply_fixes(text, [fix(replace(1, 1, 1, 6, "a = (\r\n    1\r\n)"))], "\r\n")
    assert new == "a = (\r\n    1\r\n)\r\nb = 2\r\n"


# write_atomically


def test_write_atomically_keeps_the_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "jobs.py"
    target.write_bytes(b"x = 1\n")
    target.chmod(0o754)
    write_atomically(os.fspath(target), b"x = 2\n")
    assert target.read_bytes() == b"x = 2\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o754
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs.py"]


def test_write_atomically_cleans_up_when_the_rename_fails(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "jobs.py"
    target.write_bytes(b"x = 1\n")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomically(os.fspath(target), b"x = 2\n")
    assert target.read_bytes() == b"x = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs.py"]


@pytest.mark.parametrize(
    ("before", "line", "after"),
    [
        (
            codecs.BOM_UTF8 + b"name = 'Jos\xc3\xa9'\r\nx = 1  # noqa: RL101\r\n",
            2,
            codecs.BOM_UTF8 + b"name = 'Jos\xc3\xa9'\r\nx = 1\r\n",
        ),
        (
            b"# -*- coding: latin-1 -*-\nname = 'Jos\xe9'\nx = 1  # noqa: RL101\n",
            3,
            b"# -*- coding: latin-1 -*-\nname = 'Jos\xe9'\nx = 1\n",
        ),
    ],
    ids=["bom-crlf", "latin1-cookie"],
)
def test_round_trip_keeps_every_byte_but_the_edit(
    tmp_path: Path, before: bytes, line: int, after: bytes
) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(before)
    findings = [finding(os.fspath(path), fix(replace(line, 6, line, 21, "")))]
    outcome, remaining = fix_until_stable(
        findings, lambda p: Path(p).read_bytes(), lambda overlay: [], unsafe=False
    )
    assert remaining == [] and outcome.dropped == []
    assert write_outcome(outcome) == []
    assert path.read_bytes() == after


def test_write_outcome_reports_text_the_encoding_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"# coding: latin-1\nx = 1\n")
    source = decode_source(path.read_bytes())
    outcome = FixOutcome(
        originals={os.fspath(path): source}, fixed={os.fspath(path): source.text + "y = '\u20ac'\n"}
    )
    errors = write_outcome(outcome)
    assert [p for p, _ in errors] == [os.fspath(path)]
    assert "could not write the fix" in errors[0][1]
    assert path.read_bytes() == b"# coding: latin-1\nx = 1\n"


# fix_until_stable


def test_fixed_text_that_does_not_parse_is_dropped_and_reported() -> None:
    files = {"good.py": b"x = 1\n", "bad.py": b"x = 1\n"}
    findings = [
        finding("good.py", fix(replace(1, 5, 1, 6, "2"))),
        finding("bad.py", fix(replace(1, 3, 1, 4, "= ="))),  # x = = 1
    ]
    outcome, remaining = fix_until_stable(findings, files.__getitem__, lambda o: [], unsafe=False)
    assert outcome.dropped == [("bad.py", "the fixed code does not parse; fixes not applied")]
    assert outcome.changed_paths() == ["good.py"]
    assert outcome.fixed["good.py"] == "x = 2\n"
    assert "bad.py" not in outcome.fixed
    assert remaining == []


def test_fixes_that_never_settle_are_dropped_and_reported() -> None:
    files = {"loop.py": b"x = 1\n", "calm.py": b"y = 1\n"}
    calls: list[dict[str, bytes]] = []

    def analyse(overlay: dict[str, bytes]) -> list[Finding]:
        calls.append(dict(overlay))
        return [finding("loop.py", fix(insert(1, 1, "# again\n")))] if "loop.py" in overlay else []

    findings = [
        finding("loop.py", fix(insert(1, 1, "# again\n"))),
        finding("calm.py", fix(replace(1, 5, 1, 6, "2"))),
    ]
    outcome, remaining = fix_until_stable(findings, files.__getitem__, analyse, unsafe=False)
    assert outcome.dropped == [
        ("loop.py", "fixes did not settle (fixing again would change it again)")
    ]
    assert outcome.changed_paths() == ["calm.py"]
    assert "loop.py" not in calls[-1]  # the final analysis saw the file as it is on disk
    assert len(calls) == MAX_ROUNDS + 1
    assert remaining == []


def test_unsafe_fixes_need_the_flag() -> None:
    files = {"m.py": b"x = 1\n"}
    findings = [finding("m.py", fix(replace(1, 5, 1, 6, "2"), safety="unsafe"))]
    outcome, remaining = fix_until_stable(findings, files.__getitem__, lambda o: [], unsafe=False)
    assert outcome.changed_paths() == [] and remaining == findings
    outcome, remaining = fix_until_stable(findings, files.__getitem__, lambda o: [], unsafe=True)
    assert outcome.fixed == {"m.py": "x = 2\n"} and remaining == []


def test_overlapping_fix_is_applied_in_a_later_round() -> None:
    files = {"m.py": b"value = 12345\n"}
    first = finding("m.py", fix(replace(1, 9, 1, 12, "ABC")))
    second = finding("m.py", fix(replace(1, 11, 1, 14, "xyz")))

    def analyse(overlay: dict[str, bytes]) -> list[Finding]:
        # the second finding is still there after round one, now at the new text's columns
        text = overlay["m.py"].decode()
        return [finding("m.py", fix(replace(1, 12, 1, 14, "yz")))] if "45" in text else []

    outcome, remaining = fix_until_stable([first, second], files.__getitem__, analyse, unsafe=False)
    assert outcome.fixed == {"m.py": "value = ABCyz\n"}
    assert remaining == []


def test_diff_text() -> None:
    source = decode_source(b"a = 1\nb = 2\n")
    outcome = FixOutcome(originals={"m.py": source}, fixed={"m.py": "a = 1\nb = 3\n"})
    assert outcome.diff(lambda p: p) == (
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n"
    )


# Through the command line


STALE = (
    "import os\n"
    "\n"
    "a = 1  # keep this # noqa: RL101\n"
    "b = 2  # noqa: E501, RL101\n"
    "c = 3  # retrylint: ignore[RL101]\n"
    "d = 4  # noqa: RL101 # explained\n"
)
FIXED = "import os\n\na = 1  # keep this\nb = 2  # noqa: E501\nc = 3\nd = 4  # explained\n"


@pytest.fixture
def stale_project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "jobs.py").write_text(STALE, encoding="utf-8")
    (tmp_path / "broken.py").write_text("def f(\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fix_removes_stale_codes_and_keeps_the_rest_of_the_comment(stale_project: Path) -> None:
    result = invoke("check", "--fix", *SELECT, ".")
    assert (stale_project / "jobs.py").read_text(encoding="utf-8") == FIXED
    assert (stale_project / "broken.py").read_text(encoding="utf-8") == "def f(\n"
    assert result.exit_code == 1  # the syntax error remains
    assert "Fixed 4 findings in 1 file." in result.stdout
    assert "jobs.py" not in result.stdout.replace("Fixed", "")
    assert "broken.py:1:" in result.stdout or "broken.py:2:" in result.stdout

    again = invoke("check", "--fix", *SELECT, "jobs.py")
    assert again.exit_code == 0
    assert "Fixed" not in again.stdout
    assert (stale_project / "jobs.py").read_text(encoding="utf-8") == FIXED


def test_fix_keeps_crlf_and_mode(stale_project: Path) -> None:
    path = stale_project / "jobs.py"
    path.write_bytes(STALE.replace("\n", "\r\n").encode())
    path.chmod(0o640)
    result = invoke("check", "--fix", *SELECT, "jobs.py")
    assert result.exit_code == 0
    assert path.read_bytes() == FIXED.replace("\n", "\r\n").encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in stale_project.iterdir()) == ["broken.py", "jobs.py"]


def test_diff_prints_a_unified_diff_and_writes_nothing(stale_project: Path) -> None:
    result = invoke("check", "--diff", *SELECT, ".")
    assert result.exit_code == 1
    assert (stale_project / "jobs.py").read_text(encoding="utf-8") == STALE
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--- a/jobs.py", "+++ b/jobs.py"]
    assert "-a = 1  # keep this # noqa: RL101" in lines
    assert "+a = 1  # keep this" in lines
    assert "+b = 2  # noqa: E501" in lines
    assert not any(line.startswith(("---", "+++")) and "broken" in line for line in lines)


def test_diff_with_nothing_to_fix_exits_zero(stale_project: Path) -> None:
    (stale_project / "jobs.py").write_text(FIXED, encoding="utf-8")
    result = invoke("check", "--diff", *SELECT, "jobs.py")
    assert (result.exit_code, result.stdout) == (0, "")


def test_cli_reports_a_fix_that_would_break_the_file(stale_project: Path, monkeypatch) -> None:
    from retrylint.checks import rl002

    monkeypatch.setattr(rl002, "remove_codes", lambda comment, kind, stale: "\n)")
    result = invoke("check", "--fix", *SELECT, "jobs.py")
    assert result.exit_code == 1
    assert "warning: jobs.py: the fixed code does not parse; fixes not applied" in result.stdout
    assert (stale_project / "jobs.py").read_text(encoding="utf-8") == STALE
    assert "Fixed" not in result.stdout
