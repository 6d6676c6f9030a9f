"""The fixture suite: every project under fixtures/ must report exactly its `# expect:` comments.

A fixture line ending in ``# expect: RL101 RL303`` must get those findings on that line and no
others; a line without the comment must get none. Each folder is checked as its own project with
its own config, so fixtures also prove config handling. The job inventory of each fixture is
compared with a snapshot in tests/snapshots/jobs/ (rewrite with ``--update-snapshots``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, analyse_project, chdir, fixture_projects

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>(?:RL\d{3}[\s,]*)+)")
SNAPSHOTS = Path(__file__).parent / "snapshots" / "jobs"


def expected_findings(folder: Path) -> Counter[tuple[str, int, str]]:
    expected: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if match := EXPECT.search(line):
                for code in re.findall(r"RL\d{3}", match.group("codes")):
                    expected[(relative, number, code)] += 1
    return expected


@pytest.mark.parametrize("folder", fixture_projects(), ids=lambda p: p.name)
def test_fixture_findings(folder: Path) -> None:
    result = analyse_project(folder)
    actual = Counter(
        (Path(f.path).as_posix().removeprefix("./"), f.line, f.code) for f in result.findings
    )
    expected = expected_findings(folder)
    missing = sorted((expected - actual).elements())
    unexpected = sorted((actual - expected).elements())
    details = {
        (Path(f.path).as_posix().removeprefix("./"), f.line, f.code): f.message
        for f in result.findings
    }
    assert not result.errors, result.errors
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: " + "\n  ".join(
        f"{item}: {details.get(item)}" for item in unexpected
    )


@pytest.mark.parametrize("folder", fixture_projects(), ids=lambda p: p.name)
def test_fixture_jobs_snapshot(folder: Path, update_snapshots: bool) -> None:
    from retrylint.reporters.jobs_report import render_jobs_json

    result = analyse_project(folder)
    with chdir(folder):
        actual = json.loads(render_jobs_json(result.jobs, result.reach))
    actual.pop("version")
    snapshot = SNAPSHOTS / f"{folder.name}.json"
    if update_snapshots or not snapshot.exists():
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
        if not update_snapshots:
            pytest.fail(f"wrote new snapshot {snapshot.name}; review it and run again")
    assert actual == json.loads(snapshot.read_text())


def test_every_fixture_project_has_expectations() -> None:
    """A fixture folder with no expect comment and no job proves nothing."""
    for folder in fixture_projects():
        has_expect = bool(expected_findings(folder))
        has_snapshot = (SNAPSHOTS / f"{folder.name}.json").exists()
        assert has_expect or has_snapshot, folder.name
    assert FIXTURES.is_dir()
