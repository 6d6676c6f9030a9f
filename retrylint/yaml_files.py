"""The YAML data files (the rule catalog and the knowledge packs), read the same way everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

YAMLError = yaml.YAMLError
# Prefer the C loader: the catalog is read on every CLI start, and libyaml is several times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The document in ``path``, loaded safely (no tag builds an object).

    Raises ``OSError``, ``UnicodeDecodeError`` or ``YAMLError``: each caller says which file
    and why in its own error.
    """
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
