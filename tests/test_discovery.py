"""File discovery: what a folder walk yields, what explicit paths force, and what never hangs."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pathspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrylint.config import Config
from retrylint.discovery import _Patterns, discover


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def found(root: Path, config: Config | None = None, *paths: str) -> list[str]:
    """Discovered files as posix paths relative to *root*, walking *root* unless *paths* given."""
    config = config or Config(root=root.resolve(), path=None)
    result = discover([root / p for p in paths] if paths else [root], config)
    assert result.errors == ()
    return [path.relative_to(root).as_posix() for path in result.files]


def test_only_py_files_below_folders(tmp_path: Path) -> None:
    touch(tmp_path, "app.py", "pkg/jobs.py", "pkg/stubs.pyi", "README.md", "pkg/data.json")
    assert found(tmp_path) == ["app.py", "pkg/jobs.py"]


def test_default_excludes(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "app.py",
        ".venv/lib/site.py",
        "node_modules/x/y.py",
        "build/lib/app.py",
        "dist/app.py",
        "env/lib/x.py",
        "src/helpers/build/copr.py",
        "src/__pycache__/app.py",
        "pkg.egg-info/x.py",
        "buildings/ok.py",
    )
    # build/dist/env only at the top: a source folder of that name deeper down is code
    assert found(tmp_path) == ["app.py", "buildings/ok.py", "src/helpers/build/copr.py"]


def test_exclude_replaces_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    touch(tmp_path, "build/a.py", "gen/b.py", "src/gen/c.py", "legacy/old.py", "src/legacy/d.py")
    root = tmp_path.resolve()
    replaced = Config(root=root, path=None, exclude=("gen",))
    assert found(tmp_path, replaced) == ["build/a.py", "legacy/old.py", "src/legacy/d.py"]
    # A pattern with a slash is anchored at the config root, as in .gitignore.
    extended = Config(root=root, path=None, extend_exclude=("/legacy", "src/gen/"))
    assert found(tmp_path, extended) == ["gen/b.py", "src/legacy/d.py"]


def test_gitignore_with_nested_files_and_negation(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    touch(
        tmp_path,
        "app.py",
        "secret_settings.py",
        "generated/api.py",
        "pkg/keep.py",
        "pkg/scratch_1.py",
        "pkg/scratch_keep.py",
        "pkg/sub/scratch_2.py",
        "other/scratch_3.py",
    )
    (tmp_path / ".gitignore").write_text("secret_*.py\ngenerated/\n", encoding="utf-8")
    (tmp_path / "pkg" / ".gitignore").write_text(
        "# scratch files\nscratch_*.py\n!scratch_keep.py\n", encoding="utf-8"
    )
    assert found(tmp_path) == ["app.py", "other/scratch_3.py", "pkg/keep.py", "pkg/scratch_keep.py"]


def test_deeper_gitignore_can_re_include(tmp_path: Path) -> None:
    touch(tmp_path, "a/gen_x.py", "b/gen_y.py")
    (tmp_path / ".gitignore").write_text("gen_*.py\n", encoding="utf-8")
    (tmp_path / "b" / ".gitignore").write_text("!gen_y.py\n", encoding="utf-8")
    assert found(tmp_path) == ["b/gen_y.py"]


def test_gitignore_above_the_walked_folder_applies(tmp_path: Path) -> None:
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("local_*.py\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("src/pkg/ignored.py\n", encoding="utf-8")
    touch(tmp_path, "src/pkg/ignored.py", "src/pkg/kept.py", "src/pkg/local_notes.py")
    assert found(tmp_path, None, "src") == ["src/pkg/kept.py"]


def test_git_info_exclude_at_the_walked_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("local_*.py\n", encoding="utf-8")
    touch(tmp_path, "app.py", "local_notes.py", "pkg/local_more.py")
    assert found(tmp_path) == ["app.py"]


def test_respect_gitignore_off(tmp_path: Path) -> None:
    touch(tmp_path, "a.py", "b.py")
    (tmp_path / ".gitignore").write_text("b.py\n", encoding="utf-8")
    config = Config(root=tmp_path.resolve(), path=None, respect_gitignore=False)
    assert found(tmp_path, config) == ["a.py", "b.py"]


def test_explicit_files_are_always_checked(tmp_path: Path) -> None:
    touch(tmp_path, "build/gen.py", "ignored.py", "scripts/run_job")
    (tmp_path / ".gitignore").write_text("ignored.py\n", encoding="utf-8")
    assert found(tmp_path, None, "build/gen.py", "ignored.py", "scripts/run_job") == [
        "build/gen.py",
        "ignored.py",
        "scripts/run_job",
    ]


def test_explicit_excluded_folder_is_walked(tmp_path: Path) -> None:
    touch(tmp_path, "build/gen.py", "build/__pycache__/gen.py")
    assert found(tmp_path, None, "build") == ["build/gen.py"]


def test_missing_path_is_an_error_and_the_rest_still_runs(tmp_path: Path) -> None:
    touch(tmp_path, "a.py")
    result = discover([tmp_path / "missing.py", tmp_path], Config(root=tmp_path, path=None))
    assert result.files == (tmp_path / "a.py",)
    assert result.errors == ((tmp_path / "missing.py", "No such file or directory"),)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
def test_special_file_is_an_error_when_named_and_skipped_in_walks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    touch(tmp_path, "a.py")
    config = Config(root=tmp_path, path=None)
    assert discover([tmp_path], config).files == (tmp_path / "a.py",)
    named = discover([tmp_path / "pipe.py"], config)
    assert named.errors == ((tmp_path / "pipe.py", "not a regular file or folder"),)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_loop_terminates(tmp_path: Path) -> None:
    touch(tmp_path, "pkg/a.py")
    os.symlink(tmp_path, tmp_path / "pkg" / "loop")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "self")
    assert found(tmp_path) == ["pkg/a.py"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlinks_followed_and_broken_ones_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "outside", "shared/lib.py", "single.py")
    project = tmp_path / "project"
    touch(project, "a.py")
    os.symlink(tmp_path / "outside" / "shared", project / "shared")
    os.symlink(tmp_path / "outside" / "single.py", project / "linked.py")
    os.symlink(tmp_path / "nowhere.py", project / "broken.py")
    assert found(project) == ["a.py", "linked.py", "shared/lib.py"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_real_path_wins_over_a_symlinked_duplicate(tmp_path: Path) -> None:
    touch(tmp_path, "zeta/jobs.py")
    os.symlink(tmp_path / "zeta", tmp_path / "alpha")
    assert found(tmp_path) == ["zeta/jobs.py"]


def test_duplicates_are_dropped_and_paths_stay_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "pkg/a.py", "pkg/b.py")
    monkeypatch.chdir(tmp_path)
    config = Config(root=tmp_path.resolve(), path=None)
    given = [Path("pkg/b.py"), Path("pkg"), Path("."), Path("pkg/../pkg/a.py")]
    result = discover(given, config)
    # One entry per real file; the first spelling in sorted order is kept, not normalised.
    assert result.files == (Path("pkg/../pkg/a.py"), Path("pkg/b.py"))


def test_output_is_sorted(tmp_path: Path) -> None:
    touch(tmp_path, "b.py", "a/z.py", "a.py", "A/c.py", "a/b/c.py")
    config = Config(root=tmp_path, path=None)
    files = discover([tmp_path / "b.py", tmp_path], config).files
    assert list(files) == sorted(files)
    assert len(files) == 5


def test_unreadable_folder_is_reported_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "a.py", "locked/b.py", "open/c.py")
    real_scandir = os.scandir

    def scandir(path: Path) -> object:  # chmod 0 does not stop root, so fake the refusal
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = discover([tmp_path], Config(root=tmp_path, path=None))
    assert result.files == (tmp_path / "a.py", tmp_path / "open" / "c.py")
    assert result.errors == ((tmp_path / "locked", "Permission denied"),)


# -- production scope -----------------------------------------------------------------------------

NON_PRODUCTION = (
    "tests/test_tasks.py",
    "shop/tests/factories.py",
    "shop/test_views.py",
    "shop/views_test.py",
    "shop/tests.py",
    "conftest.py",
    "shop/migrations/0001_initial.py",
    "db/alembic/env.py",
    "db/alembic/versions/a1b2_add_orders.py",
    "scripts/backfill.py",
    "dev/cli/up.py",
    "benchmarks/bench_sync.py",
    "docs/conf.py",
    "terraform/modules/lambda/handler.py",
    ".semgrep/rules/celery.py",
    "sdk/generator/template/client.py",
    "contrib/cookiecutter/{{cookiecutter.project}}/setup.py",
    "ckanext/example_theme/plugin.py",
)
PRODUCTION = (
    "shop/tasks.py",
    "shop/migrations/__init__.py",
    "shop/migrations/tasks/backfill_prices.py",  # real worker tasks some projects keep here
    "shop/management/commands/sync_feeds.py",
    "shop/testing_mode.py",
    "shop/versions/v2.py",  # a `versions/` folder without an alembic env.py beside it
)


def scoped(root: Path, *paths: str, **settings: object) -> tuple[list[str], int]:
    config = Config(root=root.resolve(), path=None, **settings)  # type: ignore[arg-type]
    result = discover([root / p for p in paths] if paths else [root], config)
    return [path.relative_to(root).as_posix() for path in result.files], result.out_of_scope


def test_production_scope_leaves_out_tests_migrations_scripts(tmp_path: Path) -> None:
    touch(tmp_path, *NON_PRODUCTION, *PRODUCTION, "db/alembic/script.py.mako")
    files, left_out = scoped(tmp_path)
    assert sorted(files) == sorted(PRODUCTION)
    assert left_out == len(NON_PRODUCTION)


def test_scope_all_keeps_everything(tmp_path: Path) -> None:
    touch(tmp_path, *NON_PRODUCTION, *PRODUCTION)
    files, left_out = scoped(tmp_path, scope="all")
    assert sorted(files) == sorted((*NON_PRODUCTION, *PRODUCTION))
    assert left_out == 0


def test_a_non_production_path_named_on_the_command_line_is_checked(tmp_path: Path) -> None:
    touch(tmp_path, "tests/test_a.py", "tests/unit/test_b.py", "scripts/run.py", "app.py")
    assert scoped(tmp_path, "tests") == (["tests/test_a.py", "tests/unit/test_b.py"], 0)
    assert scoped(tmp_path, "tests/unit/test_b.py") == (["tests/unit/test_b.py"], 0)
    assert scoped(tmp_path, "scripts", "app.py") == (["app.py", "scripts/run.py"], 0)


def test_non_production_patterns_replace_and_extend(tmp_path: Path) -> None:
    touch(tmp_path, "tests/test_a.py", "tools/gen.py", "app.py")
    assert scoped(tmp_path, extend_non_production=("tools/",))[0] == ["app.py"]
    assert scoped(tmp_path, non_production=("tools/",))[0] == ["app.py", "tests/test_a.py"]


# -- the one-search shortcut over a pattern set --------------------------------------------------

_PIECES = ["a", "b", "build", "tests", "*", "**", "?", "[ab]", "x.py", "(?P<n>", "\\!", ".venv"]


@st.composite
def _pattern_lines(draw: st.DrawFn) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        pieces = draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4))
        line = "/".join(pieces)
        line = draw(st.sampled_from(["", "!", "/", "#"])) + line
        lines.append(line + draw(st.sampled_from(["", "/"])))
    return lines


_PATHS = st.lists(st.sampled_from(["a", "b", "build", "tests", "x.py", "ab", ".venv", "(?P<n>"]))


@settings(max_examples=300, deadline=None)
@given(_pattern_lines(), st.lists(_PATHS.filter(bool), max_size=8), st.booleans())
def test_pattern_union_answers_as_pathspec(lines: list[str], paths: list[list[str]], folder: bool):
    """The union regex only ever short-cuts to "no pattern matches" when none does."""
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # a line pathspec refuses; the walker drops those
        return
    patterns = _Patterns(spec)
    for parts in paths:
        path = "/".join(parts) + ("/" if folder else "")
        assert patterns.check(path) == spec.check_file(path).include, (lines, path)


def test_pattern_union_is_used_and_falls_back() -> None:
    """Ordinary patterns get a union; a set the union cannot express is checked by pathspec."""
    ordinary = _Patterns.of(["*.pyc", "!keep.pyc", "build/", "/dist"])
    assert ordinary._any is not None
    assert ordinary.check("src/app.py") is None
    assert ordinary.check("a/keep.pyc") is False
    assert ordinary.check("build/") is True
    flagged = pathspec.GitIgnoreSpec.from_lines(["*.pyc"])
    flagged.patterns[0].regex = re.compile(flagged.patterns[0].regex.pattern, re.IGNORECASE)
    assert _Patterns(flagged)._any is None
    assert _Patterns(flagged).check("A.PYC") is True
