"""Secret literals in retrylint's own output are never shown in full.

Messages, fix titles and edits, diffs and the job inventory quote code; code can hold a key
(``api_key="sk_live_..."``). Before anything is printed, in every format, text goes through
``Masker.text``, which keeps at most four leading characters of:

- a literal in a known secret format (AWS, Stripe, GitHub, Slack, JWT ... from the knowledge
  pack's ``literals``), and a password inside a URL (``postgres://user:pw@host``);
- a quoted value assigned or passed to a secret-named name or key (``password="hunter2"``,
  ``"Authorization": "Bearer ..."``, ``API_KEY = '...'``);
- a quoted high-entropy token (20+ characters of letters and digits, no spaces);
- a PEM private key block.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from retrylint.findings import Finding, Fix
from retrylint.secrets.names import NameMatcher
from retrylint.secrets.packs import matcher

MASK = "***"
_KEEP = 4  # leading characters kept of a long value (a prefix such as sk_l says which kind)
_ASSIGNED = re.compile(
    r"(?P<name>[A-Za-z_][\w.\-]*)(?P<close>[\"']?)\s*(?::|=|:=)\s*(?P<quote>[\"'])"
    r"(?P<value>(?:\\.|(?!(?P=quote))[^\\\n])*)(?P=quote)"
)
_QUOTED = re.compile(r"(?P<quote>[\"'])(?P<value>(?:\\.|(?!(?P=quote))[^\\\n])*)(?P=quote)")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)
_PLACEHOLDER = re.compile(r"^(?:\*+|x+|\.+|<[^>]*>|\{[^}]*\}|\$\{?[\w.]+\}?|%\(?\w*\)?s)$", re.I)


def masked(value: str) -> str:
    """``sk_live_51H...`` -> ``sk_l***``; a short value -> ``***``."""
    return value[:_KEEP] + MASK if len(value) >= 12 else MASK


class Masker:
    """Masks secret literals in text; built from the run's secret-name packs."""

    def __init__(self, names: NameMatcher) -> None:
        self.names = names
        self.literals = tuple(re.compile(p) for _, p in names.vocabulary.literals)

    def text(self, text: str) -> str:
        if not text:
            return text
        text = _PEM.sub(lambda m: m.group()[:31] + MASK, text)
        for pattern in self.literals:
            text = pattern.sub(lambda m: masked(m.group()), text)
        text = _ASSIGNED.sub(self._assigned, text)
        return _QUOTED.sub(self._quoted, text)

    def _assigned(self, found: re.Match[str]) -> str:
        value = found.group("value")
        if not value or _PLACEHOLDER.match(value) or MASK in value:
            return found.group()
        if self.names.match(found.group("name")) is None:
            return found.group()
        start, end = found.span("value")
        whole = found.group()
        offset = found.start()
        return whole[: start - offset] + _value_masked(value) + whole[end - offset :]

    def _quoted(self, found: re.Match[str]) -> str:
        value = found.group("value")
        if MASK in value:
            return found.group()
        replaced = _TOKEN.sub(
            lambda m: masked(m.group()) if _random(m.group()) else m.group(), value
        )
        quote = found.group("quote")
        return f"{quote}{replaced}{quote}"

    def finding(self, finding: Finding) -> Finding:
        fix = finding.fix
        if fix is not None:
            edits = tuple(replace(e, content=self.text(e.content)) for e in fix.edits)
            fix = Fix(fix.safety, self.text(fix.title), edits)
        return replace(finding, message=self.text(finding.message), fix=fix)

    def findings(self, findings: Iterable[Finding]) -> list[Finding]:
        return [self.finding(finding) for finding in findings]

    def document(self, value: Any) -> Any:
        """Every string in a JSON-like document, masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.document(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.document(item) for item in value]
        return value


def _value_masked(value: str) -> str:
    """A value assigned to a secret name: ``Bearer abc...`` keeps its scheme word."""
    scheme, space, rest = value.partition(" ")
    if space and scheme.lower() in ("bearer", "basic", "token", "digest") and rest:
        return f"{scheme} {masked(rest)}"
    return masked(value)


def _random(token: str) -> bool:
    """A token that looks generated, not written: letters and 3+ digits, high entropy."""
    digits = sum(c.isdigit() for c in token)
    letters = sum(c.isalpha() for c in token)
    if digits < 3 or letters < 3:
        return False
    counts = Counter(token)
    entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    return entropy >= 3.5


def masker(packs: Iterable[Path] = ()) -> Masker:
    """The masker for a run's secret-name packs."""
    return _masker(tuple(packs))


@cache
def _masker(packs: tuple[Path, ...]) -> Masker:
    return Masker(matcher(packs))
