"""Turn catalog entries into what users read: `retrylint explain RLxxx` and the `rules` listing.

The text follows ruff's rule-doc template (What it does / Why is this bad? / Example / Use instead /
Fix safety / Options / References) so it reads familiarly and renders as Markdown anywhere. These
are plain functions returning strings and rows: the CLI decides how to print them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from retrylint.catalog import Rule

#: How frameworks are spelled in prose (their projects' own capitalisation).
FRAMEWORK_DISPLAY_NAMES: dict[str, str] = {
    "celery": "Celery",
    "rq": "RQ",
    "dramatiq": "Dramatiq",
    "huey": "Huey",
    "arq": "arq",
    "taskiq": "taskiq",
    "tenacity": "tenacity",
    "backoff": "backoff",
    "stamina": "stamina",
    "retrying": "retrying",
    "loop": "handwritten retry loops",
}

_FIX_DESCRIPTIONS: dict[str, str] = {
    "safe": "safe (applied by `--fix`)",
    "unsafe": "unsafe (applied only with `--unsafe-fixes`)",
    "none": "none",
}


def framework_names(frameworks: Iterable[str]) -> str:
    """Human spelling of a rule's frameworks; tool-level rules (no frameworks) apply everywhere."""
    names = [FRAMEWORK_DISPLAY_NAMES.get(framework, framework) for framework in frameworks]
    return ", ".join(names) if names else "all (tool-level rule)"


def render_rule(rule: Rule, implemented: bool = True) -> str:
    """The Markdown documentation of one rule, as printed by `retrylint explain`.

    A rule documented in the catalog whose check is not written yet says so, rather than letting
    a user believe a clean run means the code is clean of it.
    """
    status = "" if rule.enabled_by_default else " · **Disabled by default** (enable with `select`)"
    if not implemented:
        status += " · **Planned:** documented, not checked yet"
    lines = [
        f"# {rule.name} ({rule.code})",
        "",
        f"**Severity:** {rule.severity} · **Fix:** {_FIX_DESCRIPTIONS[rule.fix]}"
        f" · **Frameworks:** {framework_names(rule.frameworks)}{status}",
        "",
        "## What it does",
        "",
        rule.what,
        "",
        "## Why is this bad?",
        "",
        rule.why,
        "",
        "## Example",
        "",
        "```python",
        rule.example,
        "```",
        "",
        "## Use instead",
        "",
        "```python",
        rule.use_instead,
        "```",
        "",
        "## Fix safety",
        "",
        rule.fix_safety,
        "",
        "## Options",
        "",
    ]
    if rule.options:
        lines.extend(f"- `{option}`" for option in rule.options)
    else:
        lines.append("None.")
    if rule.references:
        lines.extend(["", "## References", ""])
        lines.extend(f"- <{url}>" for url in rule.references)
    return "\n".join(lines) + "\n"


def rules_table_rows(
    catalog: Iterable[Rule], implemented: Callable[[str], bool]
) -> list[tuple[str, str, str, str, str, str]]:
    """Rows ``(code, name, severity, fix, status, summary)`` for `retrylint rules`, by code;
    status is "active" or "planned" (documented, not checked yet)."""
    return [
        (
            rule.code,
            rule.name,
            rule.severity,
            rule.fix,
            "active" if implemented(rule.code) else "planned",
            rule.summary,
        )
        for rule in sorted(catalog, key=lambda rule: rule.code)
    ]
