"""Baselines: the findings a team has accepted, so a legacy codebase fails only on new ones.

`retrylint check --write-baseline FILE` records every current finding; `--baseline FILE` hides
findings recorded there. A finding is recognised by its fingerprint:

    rule code + the job's qualified name (the file's path when the finding has no job;
                a handwritten loop's name without its ``@line``)
              + the source text of the offending node with whitespace folded

and never by its line number, so adding or removing lines elsewhere in the file keeps it matched,
while a change to the offending code itself makes it new. The baseline stores how many findings
share each fingerprint: a second identical finding in the same job (the same bad call written
twice) is one more than the baseline accepted, and is reported.

The file is JSON, sorted and indented so that a review of a change to it reads well:

    {"version": 1, "fingerprints": {"<sha256 hex>": {"count": 1, "code": "RL101",
                                                     "where": "shop.tasks.charge", "source": "..."}}}

Only ``count`` is read back; ``code``, ``where`` and ``source`` say what the entry is about.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from retrylint.findings import Finding
from retrylint.realpaths import RealPaths
from retrylint.spans import SourceFiles

BASELINE_VERSION = 1
_SOURCE_SHOWN = 120  # characters of normalised source kept in an entry, for the reader only


class BaselineError(Exception):
    """The baseline file cannot be read or is not a retrylint baseline; the message says which."""


@dataclass(frozen=True)
class Fingerprinted:
    """A finding with its fingerprint and the parts it was made of."""

    finding: Finding
    fingerprint: str
    where: str
    source: str


def normalised_source(text: str) -> str:
    """Whitespace folded: re-indenting or re-wrapping the node keeps its fingerprint."""
    return " ".join(text.split())


# Retry constructs without a name of their own (a handwritten loop, a ``Retrying`` block) are
# named after their line, ``shop.sync.poll#loop@12``: the line is left out of the fingerprint.
_LINE_SUFFIX = re.compile(r"@\d+$")


def fingerprint(finding: Finding, sources: SourceFiles, root: Path) -> Fingerprinted:
    """The finding's fingerprint; ``root`` makes paths independent of the folder run from."""
    where = (
        _LINE_SUFFIX.sub("", finding.job)
        if finding.job
        else RealPaths().relative(finding.path, root)
    )
    text = sources.text(finding.path, finding.span)
    if text is None:  # unreadable file: the position is all there is
        text = f"@{finding.span.line}:{finding.span.column}"
    source = normalised_source(text)
    digest = hashlib.sha256("\0".join((finding.code, where, source)).encode()).hexdigest()
    return Fingerprinted(finding, digest, where, source)


def fingerprints(
    findings: Iterable[Finding], sources: SourceFiles, root: Path
) -> Iterator[Fingerprinted]:
    for finding in findings:
        yield fingerprint(finding, sources, root)


@dataclass(frozen=True)
class Baseline:
    """Accepted findings: how many of each fingerprint."""

    counts: Counter[str]

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise BaselineError(f"{path}: cannot read baseline: {error.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BaselineError(
                f"{path}: not a retrylint baseline (invalid JSON: {error})"
            ) from None
        if not isinstance(document, dict):
            document = {}
        entries = document.get("fingerprints")
        if document.get("version") != BASELINE_VERSION or not isinstance(entries, dict):
            raise BaselineError(
                f"{path}: not a retrylint baseline of version {BASELINE_VERSION} "
                "(write a new one with --write-baseline)"
            )
        counts: Counter[str] = Counter()
        for key, entry in entries.items():
            count = entry.get("count") if isinstance(entry, dict) else None
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise BaselineError(f"{path}: entry {key}: 'count' must be a positive integer")
            counts[key] = count
        return cls(counts)

    def new_findings(
        self, findings: Iterable[Finding], sources: SourceFiles, root: Path
    ) -> list[Finding]:
        """The findings the baseline does not account for, in their order.

        Each fingerprint hides at most as many findings as the baseline counted; the first ones
        in report order are the ones taken as known.
        """
        left = Counter(self.counts)
        new: list[Finding] = []
        for item in fingerprints(findings, sources, root):
            if left[item.fingerprint] > 0:
                left[item.fingerprint] -= 1
            else:
                new.append(item.finding)
        return new


def render_baseline(findings: Iterable[Finding], sources: SourceFiles, root: Path) -> str:
    counts: Counter[str] = Counter()
    first: dict[str, Fingerprinted] = {}
    for item in fingerprints(findings, sources, root):
        counts[item.fingerprint] += 1
        first.setdefault(item.fingerprint, item)
    entries = {
        key: {
            "count": counts[key],
            "code": first[key].finding.code,
            "where": first[key].where,
            "source": first[key].source[:_SOURCE_SHOWN],
        }
        for key in sorted(counts)
    }
    document = {"version": BASELINE_VERSION, "fingerprints": entries}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_baseline(
    path: Path, findings: Iterable[Finding], sources: SourceFiles, root: Path
) -> int:
    """Write the baseline file; returns how many findings it accepts."""
    findings = list(findings)
    path.write_text(render_baseline(findings, sources, root), encoding="utf-8")
    return len(findings)
