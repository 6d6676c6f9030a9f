"""Reporters turn a run's findings (and jobs) into text for people or JSON for tools.

Reporters only format: they never decide what is a finding, and they mask secrets they are given
nothing to unmask -- findings carry messages written by rules, which never embed secret values.
"""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str) -> str:
    """The path relative to the current folder when it is inside it, as typed otherwise."""
    if path == "-" or not os.path.isabs(path):
        return Path(path).as_posix() if path != "-" else path
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return Path(path).as_posix()
