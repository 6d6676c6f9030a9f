"""RL002 unused-suppression: a suppression comment naming retrylint codes that matched nothing.

Stale suppressions hide future findings on that line; the safe fix removes the stale codes (or
the whole directive when none is left), keeping any other text of the comment.
"""

from __future__ import annotations

from collections.abc import Iterator

from retrylint.checks import make_finding
from retrylint.facts import Suppression
from retrylint.findings import Edit, Finding, Fix
from retrylint.model import Span
from retrylint.suppressions import remove_codes


def unused_suppressions(
    path: str, stale: list[tuple[Suppression, tuple[str, ...]]]
) -> Iterator[Finding]:
    for suppression, codes in stale:
        span = suppression.span
        replacement = remove_codes(suppression.comment, suppression.kind, codes)
        if replacement:
            edit = Edit(span, replacement)
        else:  # remove the comment and the blanks before it
            edit = Edit(Span(span.line, suppression.code_end, span.line, span.end_column), "")
        what = ", ".join(codes) if codes else "all codes"
        message = (
            f"Unused suppression ({what}): nothing was reported here"
            if codes
            else "Unused blanket `# retrylint: ignore`: nothing was reported here"
        )
        yield make_finding(
            "RL002",
            message,
            path,
            span,
            fix=Fix("safe", f"remove unused suppression of {what}", (edit,)),
        )
