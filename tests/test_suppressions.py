"""Suppression comments: scanning, matching findings, and RL002 for the ones that matched nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrylint.catalog import load_catalog
from retrylint.cli import main
from retrylint.findings import Finding
from retrylint.model import Span
from retrylint.suppressions import SuppressionMap, remove_codes, scan_comments

KNOWN = frozenset(load_catalog().codes())


def runner() -> CliRunner:
    """stdout and stderr apart, on click 8.1 (mix_stderr) and 8.2+ (always)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def finding(code: str, line: int, column: int = 1) -> Finding:
    return Finding(code, "name", "high", "message", "m.py", Span(line, column, line, column + 3))


def mapping(source: str) -> SuppressionMap:
    return SuppressionMap(scan_comments(source))


def check(tmp_path: Path, monkeypatch, files: dict[str, str], *args: str) -> tuple[int, list]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner().invoke(main, ["check", "--format", "json", *args], catch_exceptions=False)
    findings = json.loads(result.stdout)["findings"]
    return result.exit_code, [(f["path"], f["line"], f["code"], f["message"]) for f in findings]


# Scanning


def test_scan_finds_every_kind_of_directive() -> None:
    source = (
        "a = 1  # noqa: RL101\n"
        "b = 2  # NOQA:rl102, RL103 because\n"
        "c = 3  # retrylint: ignore[RL101,RL303]\n"
        "d = 4  # retrylint: ignore\n"
        "e = 5  # noqa\n"
        "f = 6  # just a comment\n"
    )
    scan = scan_comments(source)
    found = [(s.line, s.kind, s.codes) for s in scan.suppressions]
    assert found == [
        (1, "noqa", ("RL101",)),
        (2, "noqa", ("RL102", "RL103")),
        (3, "retrylint", ("RL101", "RL303")),
        (4, "retrylint", None),
        (5, "noqa", None),
    ]
    assert scan.ignore_file is False
    first = scan.suppressions[0]
    assert first.comment == "# noqa: RL101"
    assert first.span == Span(1, 8, 1, 21)
    assert first.code_end == 6  # just after `a = 1`


def test_scan_ignores_directives_inside_strings() -> None:
    source = (
        "a = '# noqa: RL101'\n"
        'b = """\n# retrylint: ignore-file\n# noqa\n"""\n'
        "c = f'{a} # retrylint: ignore[RL101]'\n"
    )
    scan = scan_comments(source)
    assert scan.suppressions == ()
    assert scan.ignore_file is False


def test_scan_ignore_file_is_not_a_line_suppression() -> None:
    scan = scan_comments("# retrylint: ignore-file\nx = 1\n")
    assert scan.ignore_file is True
    assert scan.suppressions == ()


def test_scan_multi_line_statement_ranges() -> None:
    source = "x = call(\n    1,\n    2,\n)\ny = 3  # noqa\n"
    assert scan_comments(source).statement_starts == ((1, 4),)


# Matching findings


def test_noqa_suppresses_only_the_codes_it_names_on_its_line() -> None:
    suppressions = mapping("x = 1  # noqa: RL101\ny = 2\n")
    assert suppressions.suppresses(finding("RL101", 1))
    assert not suppressions.suppresses(finding("RL102", 1))
    assert not suppressions.suppresses(finding("RL101", 2))


def test_retrylint_ignore_with_a_list_of_codes() -> None:
    suppressions = mapping("x = 1  # retrylint: ignore[RL101,RL303]\n")
    assert suppressions.suppresses(finding("RL101", 1))
    assert suppressions.suppresses(finding("RL303", 1))
    assert not suppressions.suppresses(finding("RL102", 1))
    selected = frozenset({"RL101", "RL303"})
    assert suppressions.unused(selected, KNOWN) == []


def test_partly_used_suppression_reports_the_rest() -> None:
    suppressions = mapping("x = 1  # retrylint: ignore[RL101,RL303]\n")
    assert suppressions.suppresses(finding("RL101", 1))
    [(suppression, stale)] = suppressions.unused(frozenset({"RL101", "RL303"}), KNOWN)
    assert stale == ("RL303",)
    assert suppression.line == 1


def test_bare_directives_suppress_everything_on_their_line() -> None:
    suppressions = mapping("x = 1  # noqa\ny = 2  # retrylint: ignore\n")
    assert suppressions.suppresses(finding("RL101", 1))
    assert suppressions.suppresses(finding("RL503", 2))
    assert suppressions.unused(frozenset({"RL101"}), KNOWN) == []


def test_ignore_file_suppresses_every_finding() -> None:
    suppressions = mapping("x = 1\n# retrylint: ignore-file\ny = 2\n")
    assert suppressions.ignore_file
    assert suppressions.suppresses(finding("RL101", 1))
    assert suppressions.suppresses(finding("RL601", 3))


def test_comment_on_first_line_covers_a_multi_line_statement() -> None:
    source = (
        "@app.task(  # noqa: RL101\n"  # 1
        "    bind=True,\n"  # 2
        "    max_retries=None,\n"  # 3
        ")\n"  # 4
        "def job(self):\n"  # 5
        "    pass\n"  # 6
    )
    suppressions = mapping(source)
    assert suppressions.suppresses(finding("RL101", 3, 17))
    assert not suppressions.suppresses(finding("RL102", 3))  # only the code it names
    assert not suppressions.suppresses(finding("RL101", 5))  # the def is its own statement
    assert suppressions.unused(frozenset({"RL101"}), KNOWN) == []


def test_comment_on_a_later_line_does_not_cover_the_first() -> None:
    source = "value = call(\n    1,  # noqa: RL101\n    2,\n)\n"
    suppressions = mapping(source)
    assert suppressions.suppresses(finding("RL101", 2))
    assert not suppressions.suppresses(finding("RL101", 1))
    assert not suppressions.suppresses(finding("RL101", 3))


def test_no_scan_suppresses_nothing() -> None:
    suppressions = SuppressionMap(None)
    assert not suppressions.suppresses(finding("RL101", 1))
    assert suppressions.unused(frozenset({"RL101"}), KNOWN) == []


# Which suppressions are unused


def test_unused_reports_selected_and_unknown_codes_only() -> None:
    source = (
        "a = 1  # noqa: RL101\n"  # selected, unused: reported
        "b = 2  # noqa: RL102\n"  # a real rule that did not run: left alone
        "c = 3  # noqa: RL999\n"  # no such rule: reported
        "d = 4  # noqa: E501, RL101\n"  # other tools' codes are not ours
        "e = 5  # noqa\n"  # shared with every linter: never reported
        "f = 6  # retrylint: ignore\n"  # ours: reported
    )
    unused = mapping(source).unused(frozenset({"RL001", "RL002", "RL101"}), KNOWN)
    assert [(s.line, codes) for s, codes in unused] == [
        (1, ("RL101",)),
        (3, ("RL999",)),
        (4, ("RL101",)),
        (6, ()),
    ]


@pytest.mark.parametrize(
    ("comment", "kind", "stale", "expected"),
    [
        ("# noqa: RL101", "noqa", ("RL101",), ""),
        ("# noqa: RL101, E501", "noqa", ("RL101",), "# noqa: E501"),
        ("# noqa: E501,RL101", "noqa", ("RL101",), "# noqa: E501"),
        ("# keep this # noqa: RL101", "noqa", ("RL101",), "# keep this"),
        ("# noqa: RL101 # keep this", "noqa", ("RL101",), "# keep this"),
        ("# retrylint: ignore[RL101,RL303]", "retrylint", ("RL303",), "# retrylint: ignore[RL101]"),
        ("# retrylint: ignore[RL101]", "retrylint", ("RL101",), ""),
        ("# retrylint: ignore", "retrylint", (), ""),
        ("# why: flaky # retrylint: ignore", "retrylint", (), "# why: flaky"),
    ],
)
def test_remove_codes(comment: str, kind: str, stale: tuple[str, ...], expected: str) -> None:
    assert remove_codes(comment, kind, stale) == expected


# Through the command line


def test_rl002_through_the_cli(tmp_path: Path, monkeypatch) -> None:
    source = (
        "a = 1  # noqa: RL101\n"
        "b = 2  # noqa: RL999\n"
        "c = 3  # retrylint: ignore\n"
        "d = 4  # noqa\n"
        "e = 5  # noqa: E501\n"
        "f = 6  # noqa: RL102\n"  # RL102 is not selected: left alone
        "g = '# noqa: RL101'\n"
    )
    code, findings = check(tmp_path, monkeypatch, {"m.py": source}, "--select", "RL001,RL002,RL101")
    assert code == 1
    assert [(path, line, rule) for path, line, rule, _ in findings] == [
        ("m.py", 1, "RL002"),
        ("m.py", 2, "RL002"),
        ("m.py", 3, "RL002"),
    ]
    assert "RL101" in findings[0][3]
    assert "RL999" in findings[1][3]
    assert "retrylint: ignore" in findings[2][3]


def test_rl002_not_reported_when_not_selected(tmp_path: Path, monkeypatch) -> None:
    code, findings = check(
        tmp_path, monkeypatch, {"m.py": "a = 1  # noqa: RL999\n"}, "--select", "RL001"
    )
    assert (code, findings) == (0, [])


def test_ignore_file_silences_rl002_too(tmp_path: Path, monkeypatch) -> None:
    source = "# retrylint: ignore-file\na = 1  # noqa: RL101\n"
    code, findings = check(tmp_path, monkeypatch, {"m.py": source}, "--select", "RL001,RL002")
    assert (code, findings) == (0, [])


def test_per_file_ignores_turn_off_rl002(tmp_path: Path, monkeypatch) -> None:
    files = {
        "retrylint.toml": '[per-file-ignores]\n"legacy/*.py" = ["RL002"]\n',
        "legacy/old.py": "a = 1  # noqa: RL999\n",
        "new.py": "a = 1  # noqa: RL999\n",
    }
    code, findings = check(tmp_path, monkeypatch, files, "--select", "RL001,RL002")
    assert code == 1
    assert [(path, rule) for path, _, rule, _ in findings] == [("new.py", "RL002")]


@pytest.mark.parametrize(
    "directive", ["# noqa: RL001", "# noqa", "# retrylint: ignore[RL001]", "# retrylint: ignore"]
)
def test_rl001_cannot_be_suppressed_by_a_comment(
    tmp_path: Path, monkeypatch, directive: str
) -> None:
    """A file that does not parse has no trustworthy comments: RL001 stands, and the comment is
    not reported as unused either (the file gets no other findings)."""
    source = f"x = 1\ny = (  {directive}\n"
    code, findings = check(tmp_path, monkeypatch, {"bad.py": source}, "--select", "RL001,RL002")
    assert code == 1
    assert [(path, line, rule) for path, line, rule, _ in findings] == [("bad.py", 2, "RL001")]


def test_ignore_file_does_not_hide_a_syntax_error(tmp_path: Path, monkeypatch) -> None:
    source = "# retrylint: ignore-file\ndef f(\n"
    code, findings = check(tmp_path, monkeypatch, {"bad.py": source}, "--select", "RL001,RL002")
    assert code == 1
    assert [rule for _, _, rule, _ in findings] == ["RL001"]


def test_rl001_can_be_turned_off_per_file(tmp_path: Path, monkeypatch) -> None:
    files = {
        "retrylint.toml": '[per-file-ignores]\n"gen/*.py" = ["RL001"]\n',
        "gen/bad.py": "def f(\n",
    }
    code, findings = check(tmp_path, monkeypatch, files, "--select", "RL001,RL002")
    assert (code, findings) == (0, [])
