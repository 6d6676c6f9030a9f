"""The bundled rule catalog matches the spec, and the loader rejects malformed entries clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from retrylint.catalog import (
    Catalog,
    CatalogError,
    Rule,
    load_catalog,
    rules_dir,
)
from retrylint.explain import render_rule, rules_table_rows
from retrylint.findings import SEVERITY_ORDER

# Copied from the rule catalog specification (rules.md): code -> (name, severity, fix class).
# These are user-facing contracts; a change here must be deliberate.
EXPECTED: dict[str, tuple[str, str, str]] = {
    "RL001": ("syntax-error", "high", "none"),
    "RL002": ("unused-suppression", "low", "safe"),
    "RL101": ("unbounded-retries", "high", "unsafe"),
    "RL102": ("unbounded-retry-window", "medium", "unsafe"),
    "RL103": ("risky-job-retried-too-often", "high", "unsafe"),
    "RL201": ("retry-without-backoff", "medium", "safe"),
    "RL202": ("backoff-without-jitter", "low", "safe"),
    "RL203": ("uncapped-backoff", "medium", "safe"),
    "RL301": ("bare-except-in-job", "medium", "safe"),
    "RL302": ("swallowed-job-failure", "high", "none"),
    "RL303": ("retry-on-any-exception", "medium", "none"),
    "RL304": ("retry-on-permanent-error", "medium", "none"),
    "RL305": ("retry-signal-swallowed", "high", "none"),
    "RL306": ("exhausted-retries-dropped", "high", "none"),
    "RL307": ("traceback-dropped", "low", "safe"),
    "RL401": ("non-idempotent-side-effect", "high", "unsafe"),
    "RL402": ("side-effect-before-retry-point", "high", "none"),
    "RL501": ("secret-in-job-payload", "high", "none"),
    "RL502": ("secret-in-log", "high", "none"),
    "RL503": ("payload-logged-wholesale", "medium", "none"),
    "RL601": ("no-failure-alert", "medium", "none"),
    "RL602": ("dead-letter-disabled", "medium", "none"),
    "RL603": ("job-without-time-limit", "low", "none"),
    "RL604": ("network-call-without-timeout", "medium", "none"),
    "RL605": ("schedule-names-unknown-job", "high", "none"),
}

EXPECTED_OPTIONS = {
    "RL101": ("default-max-attempts",),
    "RL102": ("max-retry-window",),
    "RL103": ("max-attempts-risky", "extra-side-effects"),
    "RL203": ("max-backoff",),
    "RL302": ("per-item-isolation",),
    "RL304": ("extra-permanent-errors",),
    "RL401": ("extra-side-effects", "job-reach-depth"),
    "RL402": ("extra-side-effects", "job-reach-depth"),
    "RL501": ("extra-secret-names",),
    "RL502": ("extra-secret-names",),
    "RL604": ("extra-network-calls",),
}

HEADINGS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## Options",
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# --- the bundled catalog -------------------------------------------------------------------------


def test_catalog_has_exactly_the_specified_rules(catalog: Catalog) -> None:
    assert catalog.codes() == tuple(sorted(EXPECTED))
    assert len(catalog) == len(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_rule_contract(catalog: Catalog, code: str) -> None:
    rule = catalog.get(code)
    assert rule is not None
    name, severity, fix = EXPECTED[code]
    assert (rule.code, rule.name, rule.severity, rule.fix) == (code, name, severity, fix)
    assert rule.enabled_by_default is (code != "RL603")
    assert rule.options == EXPECTED_OPTIONS.get(code, ())
    assert rule.summary and "\n" not in rule.summary
    for url in rule.references:
        assert url.startswith("https://"), url


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_examples_compile(catalog: Catalog, code: str) -> None:
    rule = catalog[code]
    compile(rule.example, f"{code}.example", "exec")
    compile(rule.use_instead, f"{code}.use_instead", "exec")
    assert rule.example != rule.use_instead


def test_tool_rules_have_no_frameworks_and_job_rules_do(catalog: Catalog) -> None:
    for rule in catalog:
        if rule.code.startswith("RL0"):
            assert rule.frameworks == ()
        else:
            assert rule.frameworks, rule.code


def test_rl401_explains_its_split_severity(catalog: Catalog) -> None:
    assert "medium" in catalog["RL401"].why


def test_rules_dir_holds_the_bundled_entries() -> None:
    directory = rules_dir()
    assert {path.stem for path in directory.glob("RL*.yaml")} == set(EXPECTED)


def test_default_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_severity_order() -> None:
    assert SEVERITY_ORDER["low"] < SEVERITY_ORDER["medium"] < SEVERITY_ORDER["high"]


# --- lookups and selectors -----------------------------------------------------------------------


def test_get_by_code_lowercase_code_and_name(catalog: Catalog) -> None:
    rule = catalog.get("RL101")
    assert rule is not None and rule.name == "unbounded-retries"
    assert catalog.get("rl101") is rule
    assert catalog.get("unbounded-retries") is rule
    assert catalog.get("RL999") is None
    assert catalog.get("no-such-rule") is None
    assert "RL101" in catalog and "rl101" in catalog and "RL999" not in catalog
    with pytest.raises(KeyError):
        catalog["RL999"]


def test_iteration_is_sorted_by_code(catalog: Catalog) -> None:
    codes = [rule.code for rule in catalog]
    assert codes == sorted(codes)


def test_matching_prefixes_all_names_and_unknown(catalog: Catalog) -> None:
    assert [r.code for r in catalog.matching("RL1")] == ["RL101", "RL102", "RL103"]
    assert [r.code for r in catalog.matching("RL10")] == ["RL101", "RL102", "RL103"]
    assert [r.code for r in catalog.matching("RL30")] == [f"RL30{i}" for i in range(1, 8)]
    assert [r.code for r in catalog.matching("RL101")] == ["RL101"]
    assert [r.code for r in catalog.matching("rl6")] == [f"RL60{i}" for i in range(1, 6)]
    assert [r.code for r in catalog.matching("uncapped-backoff")] == ["RL203"]
    assert len(catalog.matching("ALL")) == len(EXPECTED)
    assert catalog.matching("RL9") == ()
    assert catalog.matching("RL1011") == ()
    assert catalog.matching("nonsense") == ()


# --- rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_render_rule_has_headings_in_order(catalog: Catalog, code: str) -> None:
    rule = catalog[code]
    text = render_rule(rule)
    assert text.startswith(f"# {rule.name} ({rule.code})\n")
    positions = [text.index(heading + "\n") for heading in HEADINGS]
    assert positions == sorted(positions)
    assert rule.severity in text.splitlines()[2]
    assert rule.example in text and rule.use_instead in text
    assert text.count("```python") == 2
    if rule.references:
        assert text.index("## References") > positions[-1]
    else:
        assert "## References" not in text


def test_render_rule_options_and_status(catalog: Catalog) -> None:
    assert "- `default-max-attempts`" in render_rule(catalog["RL101"])
    assert "## Options\n\nNone." in render_rule(catalog["RL301"])
    assert "Disabled by default" in render_rule(catalog["RL603"])
    assert "Disabled by default" not in render_rule(catalog["RL101"])
    assert "Dramatiq" in render_rule(catalog["RL102"])


def test_rules_table_rows(catalog: Catalog) -> None:
    rows = rules_table_rows(catalog, lambda code: code != "RL103")
    assert [row[0] for row in rows] == sorted(EXPECTED)
    assert rows[2] == (
        "RL101",
        "unbounded-retries",
        "high",
        "unsafe",
        "active",
        catalog["RL101"].summary,
    )
    assert rows[4][:2] == ("RL103", "risky-job-retried-too-often")
    assert rows[4][4] == "planned"


# --- loader errors -------------------------------------------------------------------------------


def _valid_entry(code: str = "RL101", name: str = "unbounded-retries") -> dict[str, object]:
    return {
        "code": code,
        "name": name,
        "severity": "high",
        "fix": "unsafe",
        "enabled_by_default": True,
        "frameworks": ["celery"],
        "summary": "Something.",
        "what": "What.",
        "why": "Why.",
        "example": "x = 1\n",
        "use_instead": "x = 2\n",
        "fix_safety": "None.",
        "options": [],
        "references": [],
    }


def _write(directory: Path, filename: str, entry: object) -> Path:
    path = directory / filename
    path.write_text(yaml.safe_dump(entry, sort_keys=False), encoding="utf-8")
    return path


def _load_error(directory: Path) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        load_catalog(directory)
    return info.value


def test_loader_accepts_a_valid_directory_and_ignores_other_yaml(tmp_path: Path) -> None:
    _write(tmp_path, "RL101.yaml", _valid_entry())
    _write(tmp_path, "secret_names.yaml", {"not": "a rule"})
    loaded = load_catalog(tmp_path)
    assert loaded.codes() == ("RL101",)
    rule = loaded["RL101"]
    assert isinstance(rule, Rule)
    assert rule.frameworks == ("celery",) and rule.options == ()


def test_loader_error_missing_field(tmp_path: Path) -> None:
    entry = _valid_entry()
    del entry["why"]
    path = _write(tmp_path, "RL101.yaml", entry)
    error = _load_error(tmp_path)
    assert str(path) in str(error) and "'why'" in str(error)
    assert error.field == "why" and error.path == path


def test_loader_error_bad_severity(tmp_path: Path) -> None:
    entry = _valid_entry()
    entry["severity"] = "critical"
    path = _write(tmp_path, "RL101.yaml", entry)
    error = _load_error(tmp_path)
    assert str(path) in str(error) and "'severity'" in str(error) and "critical" in str(error)


def test_loader_error_bad_fix_class(tmp_path: Path) -> None:
    entry = _valid_entry()
    entry["fix"] = "maybe"
    _write(tmp_path, "RL101.yaml", entry)
    assert _load_error(tmp_path).field == "fix"


def test_loader_error_unknown_key(tmp_path: Path) -> None:
    entry = _valid_entry()
    entry["sevrity"] = "high"
    path = _write(tmp_path, "RL101.yaml", entry)
    error = _load_error(tmp_path)
    assert str(path) in str(error) and "'sevrity'" in str(error) and "unknown" in str(error)


def test_loader_error_duplicate_name(tmp_path: Path) -> None:
    _write(tmp_path, "RL101.yaml", _valid_entry("RL101", "same-name"))
    second = _write(tmp_path, "RL102.yaml", _valid_entry("RL102", "same-name"))
    error = _load_error(tmp_path)
    assert str(second) in str(error) and "'name'" in str(error) and "duplicate" in str(error)


def test_loader_error_file_name_code_mismatch(tmp_path: Path) -> None:
    path = _write(tmp_path, "RL101.yaml", _valid_entry("RL102"))
    error = _load_error(tmp_path)
    assert str(path) in str(error) and "'code'" in str(error) and "file name" in str(error)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "RL1"),
        ("name", "Unbounded_Retries"),
        ("enabled_by_default", "yes please"),
        ("frameworks", "celery"),
        ("frameworks", ["celery", "sidekiq"]),
        ("options", [1]),
        ("summary", ""),
        ("example", None),
    ],
)
def test_loader_error_bad_values(tmp_path: Path, field: str, value: object) -> None:
    entry = _valid_entry()
    entry[field] = value
    _write(tmp_path, "RL101.yaml", entry)
    error = _load_error(tmp_path)
    assert error.field == field
    assert re.search(rf"RL101\.yaml: field '{field}'", str(error))


def test_loader_error_not_a_mapping_and_invalid_yaml(tmp_path: Path) -> None:
    (tmp_path / "RL101.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    assert "RL101.yaml" in str(_load_error(tmp_path))
    (tmp_path / "RL101.yaml").write_text("code: [unclosed\n", encoding="utf-8")
    assert "invalid YAML" in str(_load_error(tmp_path))


def test_loader_error_empty_or_missing_directory(tmp_path: Path) -> None:
    assert "no rule entries" in str(_load_error(tmp_path))
    assert "does not exist" in str(_load_error(tmp_path / "missing"))
