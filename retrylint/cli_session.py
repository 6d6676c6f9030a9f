"""What every command starts from: the config found for the paths, the rules selected, the
files discovered, and a note for each rule asked for by name that has no check yet.

Kept light like the rest of the command line: the engine, libcst and rich are not imported here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from retrylint.cli_output import fail

if TYPE_CHECKING:
    from retrylint.catalog import Catalog
    from retrylint.config import Config


def _split_codes(values: Iterable[str]) -> tuple[str, ...]:
    """``--select RL1,RL2 --select RL3`` -> ("RL1", "RL2", "RL3")."""
    return tuple(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )


@dataclass
class Session:
    """What every analysing command needs: config, catalog, the selected rules, the files."""

    config: Config
    catalog: Catalog
    selected: frozenset[str]
    files: list[str]
    errors: list[tuple[str, str]]
    out_of_scope: int = 0  # non-production files the walk left out


def start_folder(paths: Sequence[str], stdin_filename: str | None) -> Path:
    """Where to look for a config: the common folder of the paths checked."""
    anchors = [Path(stdin_filename)] if stdin_filename else []
    anchors += [Path(p) for p in paths if p != "-"]
    if not anchors:
        return Path.cwd()
    folders = [(a if a.is_dir() else a.parent).resolve() for a in anchors]
    return Path(os.path.commonpath([str(f) for f in folders]))


def open_session(
    paths: Sequence[str],
    *,
    config_path: str | None,
    select: Iterable[str] = (),
    extend_select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    stdin_filename: str | None = None,
    scope: str | None = None,
) -> Session:
    """The session of one command; ``select``, ``extend_select`` and ``ignore`` are the options
    as given (``--select RL1,RL2 --select RL3``)."""
    from retrylint.catalog import CatalogError, load_catalog
    from retrylint.config import ConfigError, load_config
    from retrylint.discovery import discover

    select, extend_select, ignore = (
        _split_codes(select),
        _split_codes(extend_select),
        _split_codes(ignore),
    )

    try:
        catalog = load_catalog()
        start = start_folder(paths, stdin_filename)
        config = load_config(start, Path(config_path) if config_path else None)
        config = config.with_overrides(
            select=select or None,
            extend_select=extend_select,
            ignore=ignore,
            scope=scope,  # type: ignore[arg-type]  # click.Choice checked it
        )
    except (ConfigError, CatalogError) as error:
        fail(str(error))
    selectors = [*(config.select or ()), *config.extend_select, *config.ignore]
    for _, codes in config.per_file_ignores:
        selectors.extend(codes)
    from_cli = set(select + extend_select + ignore)
    for selector in selectors:
        if not catalog.matching(selector):
            where = "command line" if selector in from_cli else str(config.path)
            fail(f"{where}: unknown rule selector {selector!r}; see `retrylint rules`")
    selected = frozenset(
        rule.code for rule in catalog if config.is_selected(rule.code, rule.enabled_by_default)
    )
    note_planned_rules(catalog, [*select, *extend_select])
    file_paths = [p for p in paths if p != "-"]
    discovery = discover([Path(p) for p in file_paths], config) if file_paths else None
    files = list(discovery.paths) if discovery else []
    errors = [(str(p), m) for p, m in discovery.errors] if discovery else []
    out_of_scope = discovery.out_of_scope if discovery else 0
    from retrylint.reporters import mask_secrets_named_in

    mask_secrets_named_in(config.secret_name_packs)
    return Session(config, catalog, selected, files, errors, out_of_scope)


def note_planned_rules(catalog: Catalog, selectors: Sequence[str]) -> None:
    """Say so when a rule asked for by name or code has no check yet: silence is not a pass."""
    if not selectors:
        return  # the rule modules import the parser: a cached run must not pay for that
    from retrylint.checks import is_implemented

    for selector in selectors:
        rules = catalog.matching(selector)
        planned = [r.code for r in rules if not is_implemented(r.code)]
        if rules and len(planned) == len(rules):
            click.echo(
                f"retrylint: note: {', '.join(planned)} is documented but not checked yet",
                err=True,
            )
