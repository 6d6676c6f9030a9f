"""Reporters turn a run's findings (and jobs) into text for people or documents for tools.

Reporters only format: they never decide what is a finding. Everything a reporter prints that
comes from the analysed code (messages, fix titles and edits, code frames, diffs, the job
inventory) goes through ``mask`` first, so no format, including one added later, shows a secret
literal in full.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrylint.findings import Finding


def display_path(path: str) -> str:
    """The path relative to the current folder when it is inside it, as typed otherwise."""
    if path == "-" or not os.path.isabs(path):
        return Path(path).as_posix() if path != "-" else path
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return Path(path).as_posix()


# The run's extra secret-name packs (config ``extra-secret-names``), set once by the CLI.
_SECRET_PACKS: list[tuple[Path, ...]] = [()]


def mask_secrets_named_in(packs: Iterable[Path]) -> None:
    """Make ``mask`` know the run's own secret names too, for every command and format."""
    _SECRET_PACKS[0] = tuple(packs)


def mask(text: str) -> str:
    """Text from the analysed code, made safe to publish: secret literals keep at most a short
    prefix (``sk_l***``). The one place masking is decided, for every format."""
    from retrylint.secrets.masking import masker

    return masker(_SECRET_PACKS[0]).text(text)


def mask_findings(
    findings: Iterable[Finding], errors: Iterable[tuple[str, str]]
) -> tuple[list[Finding], list[tuple[str, str]]]:
    """Findings and file errors as every ``check`` format prints them: secret literals in
    messages, fix titles and edits masked."""
    from retrylint.secrets.masking import masker

    masking = masker(_SECRET_PACKS[0])
    return masking.findings(findings), [(path, masking.text(why)) for path, why in errors]


def mask_document(document: Any) -> Any:
    """Every string of a JSON-like document, masked."""
    from retrylint.secrets.masking import masker

    return masker(_SECRET_PACKS[0]).document(document)
