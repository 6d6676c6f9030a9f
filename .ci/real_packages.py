"""CI on real code: check published job and retry packages, fix a copy, prove the fixes clean.

For each pinned source distribution (downloaded from the package index, never installed or
imported): `retrylint check` and `retrylint jobs` must finish without an internal error; then
`check --fix --unsafe-fixes` on a copy must leave every changed file compiling, a second run must
change nothing, and ruff (F401 unused import, F841 unused variable, I001 import order) must
report nothing on a fixed file that it did not report before the fix.

Usage: real_packages.py [--quick] PYTHON [WORKDIR]
PYTHON: the interpreter with retrylint and ruff. WORKDIR (default: retrylint-real-packages in
the temporary folder) keeps the downloaded archives between runs. --quick checks the packages
in QUICK only (every CI run); without it, all of PACKAGES. Prints a table (the last
column counts ruff findings of those codes that the fix added) and exits 1 on any failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

# PEP 691 JSON; the index pip is told to use, when it is told.
INDEX = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


class Unreachable(Exception):
    """The package index could not give a pinned archive (no network, a mirror without PEP 691)."""


PACKAGES = (
    "celery==5.7.0",
    "rq==3.0.0",
    "dramatiq==2.2.1",
    "huey==3.5.4",
    "arq==0.28.0",
    "taskiq==0.13.0",
    "flower==2.2.0",
    "django-celery-beat==2.9.0",
    "django-rq==4.2.0",
    "sentry-sdk==3.0.1",
    "tenacity==9.2.1",
    "backoff==2.2.1",
    "stamina==26.1.0",
    "retrying==1.4.2",
)
# The default CI run's share: an RQ, a Dramatiq and a Huey code base (the last two get fixes
# applied) and two retry libraries, about a fifth of the whole set's cost.
QUICK = frozenset({"rq", "dramatiq", "huey", "backoff", "stamina"})
CLEAN_CODES = "F401,F841,I001"


def run(python: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, *args], cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )


def _fetch(name: str, version: str) -> tuple[dict, bytes]:
    """The pinned release's source distribution entry and bytes, from the index."""
    request = urllib.request.Request(
        f"{INDEX}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        files = json.load(answer)["files"]
    stem = f"{name}_{version}.".replace("-", "_")  # sdist names vary in - and _
    sdist = next(
        f
        for f in files
        if f["filename"].lower().replace("-", "_").startswith(stem)
        and f["filename"].endswith((".tar.gz", ".zip"))
    )
    url = urllib.parse.urljoin(f"{INDEX}/{name}/", sdist["url"])
    with urllib.request.urlopen(url, timeout=120) as answer:
        return sdist, answer.read()


def download(work: Path, packages: tuple[str, ...]) -> list[Path]:
    """Each pinned release's source distribution from the package index (PEP 691), its hash
    checked, unpacked under WORKDIR/src. Nothing is built, installed or imported."""
    archives = work / "archives"
    archives.mkdir(parents=True, exist_ok=True)
    trees = []
    for requirement in packages:
        name, version = requirement.split("==")
        archive = archives / f"{name}-{version}.sdist"
        if not archive.exists():
            try:
                sdist, data = _fetch(name, version)
            except (OSError, ValueError, KeyError, StopIteration) as error:
                raise Unreachable(f"{requirement}: {type(error).__name__}: {error}") from error
            if hashlib.sha256(data).hexdigest() != sdist["hashes"]["sha256"]:
                sys.exit(f"{requirement}: the downloaded archive does not match its hash")
            archive.write_bytes(data)
        target = work / "src" / f"{name}-{version}"
        if not target.exists():
            target.mkdir(parents=True)
            if zipfile.is_zipfile(archive):
                with zipfile.ZipFile(archive) as opened:
                    opened.extractall(target)
            else:
                with tarfile.open(archive) as opened:
                    opened.extractall(target, filter="data")
        inside = [entry for entry in target.iterdir() if entry.is_dir()]
        # the project root (pyproject.toml, the package folder) is the archive's one top folder
        trees.append(inside[0] if len(inside) == 1 else target)
    return trees


def lint_counts(python: str, folder: Path, files: list[str]) -> dict[str, int]:
    """ruff's count of CLEAN_CODES findings per file, whatever config the package ships."""
    if not files:
        return {}
    completed = run(
        python,
        "-m",
        "ruff",
        "check",
        "--isolated",
        "--select",
        CLEAN_CODES,
        "--output-format",
        "json",
        "--exit-zero",
        *files,
        cwd=folder,
    )
    counts: dict[str, int] = {}
    for item in json.loads(completed.stdout or "[]"):
        name = Path(item["filename"]).resolve().relative_to(folder.resolve()).as_posix()
        counts[name] = counts.get(name, 0) + 1
    return counts


def check_package(python: str, tree: Path, work: Path) -> tuple[list[str], list[str]]:
    """(table row, failures) for one unpacked package."""
    failures: list[str] = []
    check = run(
        python, "-m", "retrylint", "check", "--format", "json", "--exit-zero", ".", cwd=tree
    )
    jobs = run(python, "-m", "retrylint", "jobs", "--format", "json", ".", cwd=tree)
    for name, completed in (("check", check), ("jobs", jobs)):
        if "internal error" in completed.stderr or "Traceback" in completed.stderr:
            failures.append(f"{tree.name}: {name}: {completed.stderr.strip()[:500]}")
    try:
        report = json.loads(check.stdout)
        job_count = len(json.loads(jobs.stdout)["jobs"])
    except (json.JSONDecodeError, KeyError):
        return [tree.name, *"-" * 7], [*failures, f"{tree.name}: no JSON"]
    files = report["summary"]["files"]
    internal = [e for e in report["summary"]["errors"] if "internal error" in e["message"]]
    failures.extend(f"{tree.name}: {e['path']}: {e['message']}" for e in internal)

    found = str(report["summary"]["findings"])
    if not report["summary"]["fixable"]:  # nothing to fix: the fix checks have nothing to run
        return [tree.name, str(files), str(job_count), found, "0", "0", "yes", "0"], failures

    copy = work / "fixed" / tree.name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(tree, copy)
    before = {p.relative_to(copy).as_posix(): p.read_bytes() for p in copy.rglob("*.py")}
    fixed = run(
        python, "-m", "retrylint", "check", "--fix", "--unsafe-fixes", "--exit-zero", ".", cwd=copy
    )
    if "Traceback" in fixed.stderr:
        failures.append(f"{tree.name}: --fix: {fixed.stderr.strip()[:500]}")
    applied = re.search(r"Fixed (\d+) finding", fixed.stdout + fixed.stderr)
    dropped = [line for line in fixed.stdout.splitlines() if line.startswith("warning:")]
    failures.extend(f"{tree.name}: --fix dropped a fix: {line}" for line in dropped)
    changed = sorted(name for name, data in before.items() if (copy / name).read_bytes() != data)
    compiled = True
    for name in changed:
        try:
            py_compile.compile(str(copy / name), doraise=True)
        except py_compile.PyCompileError as error:
            compiled = False
            failures.append(f"{tree.name}: {name} does not compile after the fix: {error}")
    again = run(python, "-m", "retrylint", "check", "--diff", "--unsafe-fixes", ".", cwd=copy)
    if again.returncode != 0 or again.stdout.strip():
        failures.append(f"{tree.name}: a second --fix would change the code again")
    unclean = 0
    if changed:
        originals = work / "originals" / tree.name
        shutil.rmtree(originals, ignore_errors=True)
        for name in changed:
            (originals / name).parent.mkdir(parents=True, exist_ok=True)
            (originals / name).write_bytes(before[name])
        old = lint_counts(python, originals, changed)
        new = lint_counts(python, copy, changed)
        unclean = sum(max(new.get(n, 0) - old.get(n, 0), 0) for n in changed)
        if unclean:
            failures.append(f"{tree.name}: fixes left {unclean} new {CLEAN_CODES} findings")
    row = [
        tree.name,
        str(files),
        str(job_count),
        found,
        applied.group(1) if applied else "0",
        str(len(changed)),
        "yes" if compiled else "NO",
        str(unclean),
    ]
    return row, failures


def main() -> int:
    # absolute, not resolved: a virtual environment's python is a symlink that must stay one
    arguments = [a for a in sys.argv[1:] if a != "--quick"]
    quick = len(arguments) < len(sys.argv) - 1
    python = os.path.abspath(arguments[0])
    default = Path(tempfile.gettempdir()) / "retrylint-real-packages"
    work = Path(arguments[1] if len(arguments) > 1 else default).resolve()
    chosen = tuple(p for p in PACKAGES if not quick or p.split("==")[0] in QUICK)
    try:
        trees = download(work, chosen)
    except Unreachable as error:
        # The quick set runs in every CI run: a machine that cannot reach the index skips it
        # and says so (as a missing browser skips the audit's screenshot test); asked for by
        # name, the whole set fails instead.
        print(f"{'note' if quick else 'FAIL'}: cannot download the packages: {error}")
        return 0 if quick else 1
    header = [
        "package",
        "files",
        "jobs",
        "findings",
        "fixes applied",
        "files fixed",
        "all compile",
        "unused imports left",
    ]
    rows, failures = [header], []
    for tree in trees:
        row, problems = check_package(python, tree, work)
        rows.append(row)
        failures.extend(problems)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
