"""Property tests: generated programs never crash the engine, and fixes leave clean code.

Properties, on three kinds of input:

- any valid Python (hypothesmith, from the grammar and from libcst's node types): ``check`` never
  raises, never reports an internal error and never calls valid code a syntax error (RL001);
- generated job programs (``tests/job_programs.py``): the same, and ``--fix --unsafe-fixes``
  keeps every fix (none dropped), its output compiles, fixing the output again changes nothing,
  re-checking reports no finding that still has a fix (the fix claimed to remove it), no import
  is left unused that was used before, and the analysed code never ran;
- fixture files mutated (truncated, lines shuffled or dropped, bytes inserted): ``check`` never
  raises nor reports an internal error (broken code becomes RL001), and what it fixes parses.

The fast profile (default) runs a few dozen examples per property, derandomised, inside the
normal test run. ``RETRYLINT_FUZZ=long`` runs the long profile (over 10,000 examples in all);
``RETRYLINT_FUZZ_EXAMPLES=N`` sets each property's count.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from retrylint.catalog import load_catalog
from retrylint.config import Config
from retrylint.engine import RunResult, run
from retrylint.file_phase import parses
from retrylint.findings import Finding
from retrylint.fixer import FixOutcome, applicable, fix_until_stable
from retrylint.reporters.jobs_report import render_jobs_json
from retrylint.reporters.json_report import render
from tests.job_programs import MARKER, job_program

REPO = Path(__file__).resolve().parent.parent
LONG = os.environ.get("RETRYLINT_FUZZ") == "long"
SELECTED = frozenset(rule.code for rule in load_catalog())
SEEDS = sorted(
    path
    for folder in (REPO / "fixtures", REPO / "tests" / "fix_cases")
    for path in folder.rglob("*.py")
)


def profile(fast: int, long: int) -> settings:
    """This property's settings: ``fast`` examples in the test run, ``long`` when asked."""
    count = os.environ.get("RETRYLINT_FUZZ_EXAMPLES")
    return settings(
        max_examples=int(count) if count else long if LONG else fast,
        deadline=None,
        derandomize=not LONG,  # CI runs the same examples every time
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,  # the folder only has to stay empty
        ],
        print_blob=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


def counted(test: str) -> None:
    """One example run: a line in the file ``RETRYLINT_FUZZ_LOG`` names, so a long run that is
    stopped early still says how far it got."""
    log = os.environ.get("RETRYLINT_FUZZ_LOG")
    if log:
        with open(log, "a") as stream:
            stream.write(f"{test}\n")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The current folder, where planted code would leave its marker if it ever ran."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not (tmp_path / MARKER).exists(), "the analysed code ran"


class Project:
    """One generated file as a whole project, analysed in memory (never written, never run)."""

    def __init__(self, root: Path, data: bytes, name: str = "fuzzed_jobs.py") -> None:
        self.path = str(root / name)
        self.data = data
        self.config = Config(root=root, path=None)

    def check(self, data: bytes | None = None) -> RunResult:
        result = run([self.path], self.config, SELECTED, overlay={self.path: data or self.data})
        internal = [message for _, message in result.errors if "internal error" in message]
        assert not internal, internal
        render(result.findings, result.files, result.errors, unsafe_allowed=True)
        render_jobs_json(result.jobs, result.reach)
        return result

    def fix(self, findings: list[Finding], data: bytes) -> FixOutcome:
        def analyse(overlay: dict[str, bytes]) -> list[Finding]:
            return self.check(overlay.get(self.path, data)).findings

        outcome, _ = fix_until_stable(findings, lambda _: data, analyse, unsafe=True)
        return outcome


def codes(result: RunResult) -> list[str]:
    return [finding.code for finding in result.findings]


def unused_imports(text: str) -> set[str]:
    """Module-level imported names never read anywhere in the module (an independent, coarse
    count: a name read anywhere counts as used, ``__all__`` entries too)."""
    tree = ast.parse(text)
    bound: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound.add(alias.asname or alias.name.split(".")[0])
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    exported = {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    return bound - read - exported - {"annotations"}


def unread_locals(text: str) -> set[tuple[str, str]]:
    """(function, name) for each name a function assigns with ``=`` and nothing in the module
    reads (coarse and independent of the fixer's own scope analysis)."""
    tree = ast.parse(text)
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    read |= {
        n.target.id
        for n in ast.walk(tree)
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
    }
    return {
        (function.name, target.id)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for statement in ast.walk(function)
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name) and target.id not in read
    }


# -- any valid Python --------------------------------------------------------------------------


@profile(fast=10, long=3000)
@given(source=hypothesmith.from_grammar() | hypothesmith.from_node())
def test_check_survives_any_valid_python(workdir: Path, source: str) -> None:
    counted("valid_python")
    try:
        compile(source, "<fuzz>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)  # hypothesmith's grammar also makes code CPython refuses
    result = Project(workdir, source.encode("utf-8", "surrogatepass")).check()
    assert "RL001" not in codes(result), [f.message for f in result.findings]


# -- generated job programs --------------------------------------------------------------------


@profile(fast=10, long=5000)
@given(source=job_program())
def test_job_programs_check_and_fix_cleanly(workdir: Path, source: str) -> None:
    counted("job_programs")
    compile(source, "<generated>", "exec")  # the generator itself makes valid code
    data = source.encode()
    project = Project(workdir, data)
    result = project.check()
    assert "RL001" not in codes(result)
    assert result.jobs, "a job program must have jobs"
    outcome = project.fix(result.findings, data)
    assert outcome.dropped == [], outcome.dropped
    fixed = outcome.fixed.get(project.path)
    if fixed is None or fixed == outcome.originals[project.path].text:
        return
    compile(fixed, "<fixed>", "exec")
    fixed_data = fixed.replace("\r\n", "\n").replace("\n", "\r\n" if "\r\n" in source else "\n")
    again = project.check(fixed_data.encode())
    still = [f"{f.code} line {f.span.line}" for f in again.findings if applicable(f.fix, True)]
    assert still == [], f"fixes left findings they claimed to remove: {still}"
    assert project.fix(again.findings, fixed_data.encode()).changed_paths() == []
    left = unused_imports(fixed) - unused_imports(source)
    assert not left, f"the fix left unused imports: {sorted(left)}"
    left = unread_locals(fixed) - unread_locals(source)
    assert not left, f"the fix left unused variables: {sorted(left)}"
    assert "fuzzed_jobs" not in sys.modules


# -- mutated fixture files ---------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A fixture or fix case, truncated, shuffled, with lines dropped or bytes inserted."""
    data = draw(st.sampled_from(SEEDS)).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        lines = data.splitlines(keepends=True) or [b""]
        match draw(st.sampled_from(["truncate", "shuffle", "drop", "insert", "duplicate"])):
            case "truncate":
                data = data[: draw(st.integers(0, len(data)))]
            case "shuffle":
                data = b"".join(draw(st.permutations(lines)))
            case "drop":
                at = draw(st.integers(0, len(lines) - 1))
                data = b"".join(lines[:at] + lines[at + 1 :])
            case "insert":
                at = draw(st.integers(0, len(data)))
                data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
            case "duplicate":
                at = draw(st.integers(0, len(lines) - 1))
                data = b"".join(lines[: at + 1] + lines[at:])
    return data


@profile(fast=20, long=3000)
@given(data=mutated())
def test_mutated_fixture_files_never_crash(workdir: Path, data: bytes) -> None:
    counted("mutated")
    project = Project(workdir, data)
    result = project.check()
    try:
        compiles = bool(compile(data, "<mutated>", "exec"))
    except (SyntaxError, ValueError):
        compiles = False
    if not compiles and not parses_bytes(data):
        assert "RL001" in codes(result)
    if "RL001" in codes(result):
        return
    outcome = project.fix(result.findings, data)
    fixed = outcome.fixed.get(project.path)
    assert fixed is None or parses(fixed)


def parses_bytes(data: bytes) -> bool:
    try:
        return parses(data.decode("utf-8"))
    except UnicodeDecodeError:
        return False
