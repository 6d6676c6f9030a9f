"""The byte-decided shortcuts before the pure-Python passes: the comment scan and the nesting
guard are skipped only where the full pass would have found nothing that matters."""

from __future__ import annotations

import pytest

from retrylint.parsing import MAX_NESTING, _tokenized_nesting, too_deeply_nested
from retrylint.suppressions import CommentScan, may_suppress, scan_comments

FOREIGN = "import os  # noqa: F401\nx = 1  # NOQA:E501,W291\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\n", False),
        (FOREIGN, False),
        (FOREIGN + "y = 2  # noqa\n", True),  # bare: suppresses ours too
        (FOREIGN + "y = 2  # noqa: E501, rl101\n", True),  # an RL code in any case
        ("y = 2  # noqa : E501\n", True),  # read as a bare noqa by the comment parser
        ("y = 2  # retrylint: ignore[RL101]\n", True),
        ("# retrylint: ignore-file\n", True),
        ('s = "noqa"\n', True),  # not a comment: the tokenizer decides
    ],
)
def test_may_suppress(source: str, expected: bool) -> None:
    assert may_suppress(source) is expected


@pytest.mark.parametrize("source", [FOREIGN, FOREIGN + "y = (\n    2,\n)  # noqa: E501\n"])
def test_foreign_noqa_changes_nothing_the_scan_would_report(source: str) -> None:
    """Tokenized, such a file gives suppressions that name no RL code: nothing is lost."""
    assert scan_comments(source) == CommentScan((), False, ())
    assert not may_suppress(source)


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "(" * MAX_NESTING + ")" * MAX_NESTING + "\n",
        "x = " + "[{(" * 70 + ")}]" * 70 + "\n",
        "x = [" + "f(a[1], {2: 3}), " * 300 + "]\n",  # many brackets, shallow
        's = ")(" * 3\n' + "x = " + "(" * 150 + ")" * 150 + "\n",  # unbalanced in a string
        "x = " + "(" * (MAX_NESTING + 1) + ")" * (MAX_NESTING + 1) + "\n",
        "x = " + "((" * 150 + "\n",  # unclosed: the parser reports the syntax error
        "s = '" + "(" * 300 + "'\n",  # deep only inside a string
    ],
)
def test_nesting_shortcut_agrees_with_the_tokenizer(text: str) -> None:
    assert too_deeply_nested(text) == _tokenized_nesting(text)
