"""Reporters turn a run's findings (and jobs) into text for people or documents for tools.

Reporters only format: they never decide what is a finding. Everything a reporter prints that
comes from the analysed code (messages, code frames) goes through ``mask`` first.
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


def mask(text: str) -> str:
    """Text from the analysed code, made safe to publish: the one place secrets are masked.

    Every reporter calls this on code frames and messages before printing them, so masking
    secret literals is done here once for every format. Rules never embed secret values in
    messages, and code frames show only a finding's own lines; this returns the text unchanged
    until secret masking extends it.
    """
    return text
