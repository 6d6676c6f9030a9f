"""Config discovery, parsing, validation messages and rule selection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from retrylint.config import (
    DEFAULT_EXCLUDE,
    Config,
    ConfigError,
    find_config_file,
    load_config,
    parse_duration,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config(root=tmp_path.resolve(), path=None)
    assert config.select is None
    assert config.exclude == DEFAULT_EXCLUDE
    assert config.respect_gitignore is True
    assert config.fail_on == "low"
    assert (config.default_max_attempts, config.max_attempts_risky) == (5, 3)
    assert (config.max_retry_window, config.max_backoff) == (21600.0, 3600.0)


def test_pyproject_table_is_found_upward(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", "[tool.retrylint]\nmax-backoff = '10m'\n")
    start = tmp_path / "src" / "pkg"
    start.mkdir(parents=True)
    assert find_config_file(start) == pyproject.resolve()
    config = load_config(start)
    assert config.path == pyproject.resolve()
    assert config.root == tmp_path.resolve()
    assert config.max_backoff == 600.0


def test_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", "[tool.retrylint]\nfail-on = 'high'\n")
    write(tmp_path / "inner" / "pyproject.toml", "[project]\nname = 'inner'\n[tool.ruff]\n")
    config = load_config(tmp_path / "inner")
    assert config.path == outer.resolve()
    assert config.fail_on == "high"


def test_retrylint_toml_beats_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\nfail-on = 'high'\n")
    own = write(tmp_path / "retrylint.toml", "fail-on = 'medium'\n")
    config = load_config(tmp_path)
    assert config.path == own.resolve()
    assert config.fail_on == "medium"


def test_nearer_pyproject_beats_farther_retrylint_toml(tmp_path: Path) -> None:
    write(tmp_path / "retrylint.toml", "fail-on = 'medium'\n")
    near = write(tmp_path / "sub" / "pyproject.toml", "[tool.retrylint]\nfail-on = 'high'\n")
    assert find_config_file(tmp_path / "sub") == near.resolve()


def test_explicit_config_file_by_name(tmp_path: Path) -> None:
    write(tmp_path / "retrylint.toml", "fail-on = 'medium'\n")
    other = write(tmp_path / "ci" / "strict.toml", "fail-on = 'high'\nselect = ['ALL']\n")
    config = load_config(tmp_path, explicit=other)
    assert (config.path, config.root) == (other.resolve(), other.parent.resolve())
    assert (config.fail_on, config.select) == ("high", ("ALL",))

    pyproject = write(tmp_path / "ci" / "pyproject.toml", "[tool.retrylint]\nignore = ['RL2']\n")
    assert load_config(tmp_path, explicit=pyproject).ignore == ("RL2",)


def test_explicit_config_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read: No such file"):
        load_config(tmp_path, explicit=tmp_path / "nope.toml")


def test_every_key(tmp_path: Path) -> None:
    for name in ("effects.yaml", "secrets.yaml", "errors.yaml"):
        write(tmp_path / "packs" / name, "{}\n" if name == "secrets.yaml" else "[]\n")
    write(
        tmp_path / "retrylint.toml",
        """
select = ["RL1", "RL2"]
extend-select = ["RL603"]
ignore = ["RL203"]
exclude = ["generated"]
extend-exclude = ["legacy/*.py"]
respect-gitignore = false
fail-on = "medium"
default-max-attempts = 7
max-retry-window = "1h30m"
max-backoff = 120
max-attempts-risky = 2
scope = "all"
non-production = ["tests/"]
extend-non-production = ["tools/"]
job-reach-depth = 0
unreached = "ignore"
extra-side-effects = ["packs/effects.yaml"]
extra-secret-names = ["packs/secrets.yaml"]
extra-permanent-errors = ["packs/errors.yaml"]

[per-file-ignores]
"tests/*" = ["RL1"]
"!src/**" = ["RL601"]
""",
    )
    config = load_config(tmp_path)
    packs = (tmp_path / "packs").resolve()
    assert config == Config(
        root=tmp_path.resolve(),
        path=(tmp_path / "retrylint.toml").resolve(),
        select=("RL1", "RL2"),
        extend_select=("RL603",),
        ignore=("RL203",),
        per_file_ignores=(("tests/*", ("RL1",)), ("!src/**", ("RL601",))),
        exclude=("generated",),
        extend_exclude=("legacy/*.py",),
        respect_gitignore=False,
        fail_on="medium",
        default_max_attempts=7,
        max_retry_window=5400.0,
        max_backoff=120.0,
        max_attempts_risky=2,
        scope="all",
        non_production=("tests/",),
        extend_non_production=("tools/",),
        job_reach_depth=0,
        unreached="ignore",
        side_effect_packs=(packs / "effects.yaml",),
        secret_name_packs=(packs / "secrets.yaml",),
        permanent_error_packs=(packs / "errors.yaml",),
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("6h", 21600.0),
        ("90m", 5400.0),
        ("90s", 90.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("2d", 172800.0),
        ("1.5h", 5400.0),
        ("3600", 3600.0),
        (3600, 3600.0),
        (0.5, 0.5),
    ],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value, key="max-backoff", file=Path("retrylint.toml")) == seconds


@pytest.mark.parametrize("value", ["soon", "", "6x", "30m1h", "h", 0, -5, True, ["6h"]])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^retrylint\.toml: 'max-backoff' must be a duration"):
        parse_duration(value, key="max-backoff", file=Path("retrylint.toml"))


def test_bad_duration_message_names_file_key_and_value(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\nmax-retry-window = 'soon'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (
        "pyproject.toml: 'max-retry-window' must be a duration like '6h', got 'soon'"
    )


def test_unknown_key_suggests_the_nearest(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\nselct = ['RL1']\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (
        "pyproject.toml: unknown key 'selct' in [tool.retrylint] (did you mean 'select'?)"
    )


def test_unknown_key_in_retrylint_toml(tmp_path: Path) -> None:
    write(tmp_path / "retrylint.toml", "max_backoff = '1h'\n")
    with pytest.raises(ConfigError, match=r"retrylint\.toml: unknown key 'max_backoff' \(did you"):
        load_config(tmp_path)


def test_unknown_key_far_from_everything(tmp_path: Path) -> None:
    write(tmp_path / "retrylint.toml", "colour = 'auto'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'colour'$"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("select = 'RL1'", "'select' must be a list of strings, got 'RL1'"),
        ("ignore = ['E501']", "'ignore' entry 'E501' is not a rule selector"),
        ("extend-select = ['RL1001']", "'extend-select' entry 'RL1001' is not a rule selector"),
        ("respect-gitignore = 'yes'", "'respect-gitignore' must be true or false, got 'yes'"),
        ("fail-on = 'critical'", "'fail-on' must be one of 'low', 'medium', 'high'"),
        ("default-max-attempts = 0", "'default-max-attempts' must be a whole number >= 1, got 0"),
        ("max-attempts-risky = true", "'max-attempts-risky' must be a whole number >= 1, got true"),
        ("max-attempts-risky = 2.5", "'max-attempts-risky' must be a whole number >= 1"),
        ("extra-side-effects = ['missing.yaml']", "'extra-side-effects' file 'missing.yaml' does"),
        ("per-file-ignores = ['tests']", "'per-file-ignores' must be a table"),
        ("per-file-ignores = {'tests/*' = 'RL1'}", "'per-file-ignores.tests/*' must be a list"),
        ("per-file-ignores = {'tests/*' = ['X1']}", "'per-file-ignores.tests/*' entry 'X1'"),
        ("exclude = [1]", "'exclude' must be a list of strings"),
        ("scope = 'prod'", "'scope' must be one of 'production', 'all', got 'prod'"),
        ("non-production = 'tests'", "'non-production' must be a list of strings"),
        ("job-reach-depth = -1", "'job-reach-depth' must be a whole number >= 0, got -1"),
        ("unreached = 'hide'", "'unreached' must be one of 'lower', 'same', 'ignore'"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path / "retrylint.toml", line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert "retrylint.toml: " in str(caught.value)
    assert message in str(caught.value)


def test_bad_toml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.retrylint\nselect = \n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: invalid TOML: .*line 1"):
        load_config(tmp_path)


def test_tool_retrylint_must_be_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool]\nretrylint = 3\n")
    with pytest.raises(ConfigError, match=r"\[tool\.retrylint\] must be a table"):
        load_config(tmp_path)


# Selection: ruff's semantics. RL101 and RL203 are on by default here, RL603 is off.


def selected(config: Config, code: str, enabled_by_default: bool = True) -> bool:
    return config.is_selected(code, enabled_by_default)


def test_default_selection_follows_the_catalog(tmp_path: Path) -> None:
    config = Config(root=tmp_path, path=None)
    assert selected(config, "RL101")
    assert not selected(config, "RL603", enabled_by_default=False)


def test_select_prefix_with_a_more_specific_ignore(tmp_path: Path) -> None:
    config = Config(root=tmp_path, path=None, select=("RL1",), ignore=("RL101",))
    assert not selected(config, "RL101")
    assert selected(config, "RL102")
    assert not selected(config, "RL201")


def test_extend_select_enables_a_default_off_rule(tmp_path: Path) -> None:
    config = Config(root=tmp_path, path=None, extend_select=("RL603",))
    assert selected(config, "RL603", enabled_by_default=False)
    assert not selected(config, "RL604", enabled_by_default=False)
    assert selected(config, "RL101")


def test_all_selects_every_rule(tmp_path: Path) -> None:
    config = Config(root=tmp_path, path=None, select=("ALL",), ignore=("RL2",))
    assert selected(config, "RL603", enabled_by_default=False)
    assert not selected(config, "RL203")


def test_more_specific_selector_wins_and_ignore_wins_ties(tmp_path: Path) -> None:
    config = Config(root=tmp_path, path=None, ignore=("RL1",), extend_select=("RL10",))
    assert selected(config, "RL101")
    assert not selected(config, "RL111")
    tie = Config(root=tmp_path, path=None, select=("RL1",), ignore=("RL1",))
    assert not selected(tie, "RL101")
    everything_ignored = Config(root=tmp_path, path=None, ignore=("ALL",), extend_select=("RL",))
    assert selected(everything_ignored, "RL101")


def test_cli_overrides(tmp_path: Path) -> None:
    base = Config(root=tmp_path, path=None, select=("RL1",), ignore=("RL101",))
    added = base.with_overrides(ignore=["RL102"], extend_select=["RL2"], fail_on="high")
    assert added.ignore == ("RL101", "RL102")
    assert selected(added, "RL201")
    assert added.fail_on == "high"
    # --select starts afresh, as in ruff: the file's ignore of RL101 no longer applies.
    fresh = base.with_overrides(select=["RL101"])
    assert (fresh.select, fresh.ignore) == (("RL101",), ())
    assert selected(fresh, "RL101")
    assert not selected(fresh, "RL102")
    assert base.with_overrides(respect_gitignore=False).respect_gitignore is False
    assert base.with_overrides(extend_exclude=["gen"]).extend_exclude == ("gen",)


def test_per_file_ignores(tmp_path: Path) -> None:
    config = Config(
        root=tmp_path,
        path=None,
        per_file_ignores=(
            ("tests/*", ("RL1",)),
            ("conftest.py", ("RL201",)),
            ("!src/**", ("RL6",)),
        ),
    )
    assert config.ignored_codes_for("tests/test_jobs.py") == {"RL1", "RL6"}
    assert config.ignored_codes_for("pkg/tests/conftest.py") == {"RL201", "RL6"}
    assert config.ignored_codes_for("src/app/jobs.py") == frozenset()
    assert config.is_ignored_for("tests/test_jobs.py", "RL101")
    assert not config.is_ignored_for("tests/test_jobs.py", "RL201")
    assert not config.is_ignored_for("src/app/tests/jobs.py", "RL101")


def test_fingerprint_tracks_analysis_settings_only(tmp_path: Path) -> None:
    config = Config(root=tmp_path, path=None)
    assert config.fingerprint() == Config(root=tmp_path, path=None).fingerprint()
    assert len(config.fingerprint()) == 64
    moved = dataclasses.replace(config, root=tmp_path / "elsewhere", path=tmp_path / "x.toml")
    assert moved.fingerprint() == config.fingerprint()
    assert dataclasses.replace(config, max_backoff=60.0).fingerprint() != config.fingerprint()
    assert dataclasses.replace(config, ignore=("RL2",)).fingerprint() != config.fingerprint()


def test_fingerprint_follows_pack_contents(tmp_path: Path) -> None:
    pack = write(tmp_path / "effects.yaml", "- stripe.Charge.create\n")
    config = Config(root=tmp_path, path=None, side_effect_packs=(pack,))
    before = config.fingerprint()
    pack.write_text("- paypal.Payment.create\n", encoding="utf-8")
    assert config.fingerprint() != before
