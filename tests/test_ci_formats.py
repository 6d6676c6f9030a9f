"""Machine formats of `retrylint check`: SARIF (schema-valid), GitHub, JUnit, GitLab, files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from retrylint.catalog import load_catalog
from retrylint.reporters.ci import github_data, github_property
from tests.test_cli import invoke

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


def test_sarif_validates_against_the_2_1_0_schema(shop: Path) -> None:
    result = invoke("check", "--format", "sarif", ".")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(document)
    (run,) = document["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert len(run["results"]) == len(
        json.loads(invoke("check", "--format", "json", ".").stdout)["findings"]
    )


def test_sarif_rules_come_from_the_catalog(shop: Path) -> None:
    run = json.loads(invoke("check", "--format", "sarif", ".").stdout)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    catalog = load_catalog()
    assert [rule["id"] for rule in rules] == list(catalog.codes())
    rl101 = rules[list(catalog.codes()).index("RL101")]
    assert rl101["name"] == "unbounded-retries"
    assert rl101["shortDescription"]["text"] == catalog["RL101"].summary
    assert rl101["fullDescription"]["text"] == catalog["RL101"].what
    assert rl101["help"]["markdown"].startswith("# unbounded-retries (RL101)")
    assert rl101["defaultConfiguration"]["level"] == "error"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_results_carry_regions_fingerprints_and_fixes(shop: Path) -> None:
    run = json.loads(invoke("check", "--format", "sarif", ".").stdout)["runs"][0]
    findings = json.loads(invoke("check", "--format", "json", ".").stdout)["findings"]
    for result, finding in zip(run["results"], findings, strict=True):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == finding["path"]
        assert location["region"] == {
            "startLine": finding["line"],
            "startColumn": finding["column"],
            "endLine": finding["end_line"],
            "endColumn": finding["end_column"],
        }
        assert len(result["partialFingerprints"]["retrylint/v1"]) == 64
        if finding["fix"] is None:
            assert "fixes" not in result
            continue
        (fix,) = result["fixes"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == finding["path"]
        edits = sorted(
            (e["line"], e["column"], e["end_line"], e["end_column"], e["content"])
            for e in finding["fix"]["edits"]
        )
        replaced = [
            (
                r["deletedRegion"]["startLine"],
                r["deletedRegion"]["startColumn"],
                r["deletedRegion"]["endLine"],
                r["deletedRegion"]["endColumn"],
                r["insertedContent"]["text"],
            )
            for r in change["replacements"]
        ]
        assert replaced == edits
    assert any("fixes" in result for result in run["results"])
    # Same finding, same fingerprint as the baseline's (lines may move, fingerprints do not).
    baseline = invoke("check", "--write-baseline", "base.json", ".")
    assert baseline.exit_code == 0
    recorded = set(json.loads((shop / "base.json").read_text())["fingerprints"])
    assert {r["partialFingerprints"]["retrylint/v1"] for r in run["results"]} == recorded


def test_sarif_of_a_clean_run_is_valid(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--format", "sarif", ".")
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    assert result.exit_code == 0 and document["runs"][0]["results"] == []


def test_github_workflow_commands(shop: Path) -> None:
    result = invoke("check", "--format", "github", ".")
    lines = result.stdout.splitlines()
    findings = json.loads(invoke("check", "--format", "json", ".").stdout)["findings"]
    assert len(lines) == len(findings)
    first = findings[0]
    level = {"high": "error", "medium": "warning", "low": "notice"}[first["severity"]]
    assert lines[0].startswith(
        f"::{level} file={first['path']},line={first['line']},col={first['column']},"
        f"endLine={first['end_line']},endColumn={first['end_column']},"
        f"title={first['code']} {first['name']}::"
    )
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)


def test_github_escaping() -> None:
    assert github_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert github_property("dir,with:colons%/x.py") == "dir%2Cwith%3Acolons%25/x.py"


def test_junit_parses_back(shop: Path) -> None:
    result = invoke("check", "--format", "junit", ".")
    root = ET.fromstring(result.stdout.encode())
    findings = json.loads(invoke("check", "--format", "json", ".").stdout)["findings"]
    assert root.tag == "testsuites"
    assert root.get("tests") == root.get("failures") == str(len(findings))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(findings)
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == findings[0]["message"]
    assert cases[0].get("classname") == findings[0]["path"]
    assert {suite.get("name") for suite in root} == {f["path"] for f in findings}


def test_junit_of_a_clean_run_has_one_passing_case(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    root = ET.fromstring(invoke("check", "--format", "junit", ".").stdout.encode())
    assert root.get("tests") == "1" and root.get("failures") == "0"
    assert root.find("./testsuite/testcase/failure") is None


def test_gitlab_code_quality(shop: Path) -> None:
    issues = json.loads(invoke("check", "--format", "gitlab", ".").stdout)
    findings = json.loads(invoke("check", "--format", "json", ".").stdout)["findings"]
    assert len(issues) == len(findings)
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    for issue, finding in zip(issues, findings, strict=True):
        assert issue["check_name"] == finding["code"]
        assert issue["severity"] in {"critical", "major", "minor"}
        assert issue["location"] == {
            "path": finding["path"],
            "lines": {"begin": finding["line"], "end": finding["end_line"]},
        }
        assert finding["message"] in issue["description"]


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github", "junit", "gitlab"])
def test_output_file_takes_the_report(shop: Path, output_format: str) -> None:
    result = invoke("check", "--format", output_format, "--output-file", "out.txt", ".")
    assert result.exit_code == 1
    assert result.stdout == ""
    written = (shop / "out.txt").read_text(encoding="utf-8")
    assert "RL101" in written
    assert "\x1b[" not in written
