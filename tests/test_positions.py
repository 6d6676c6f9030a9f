"""Positions placed statement by statement equal libcst's whole-module pass, node for node."""

from __future__ import annotations

from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import given
from libcst.metadata import MetadataWrapper, PositionProvider

from retrylint.positions import Positions
from tests.conftest import any_python_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def assert_same_positions(source: str) -> int:
    """Every node's range from ``Positions`` equals the whole-module pass; returns how many
    nodes were compared."""
    module = cst.parse_module(source)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(module, source)
    for node, expected in whole.items():
        assert positions.range(node) == expected, (type(node).__name__, expected)
    return len(whole)


def test_every_fixture_node_is_placed_as_the_whole_module_pass_places_it() -> None:
    compared = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        source = path.read_bytes().decode("utf-8")
        try:
            cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue  # the RL001 fixtures
        compared += assert_same_positions(source)
    assert compared > 50_000


TRICKY = {
    "crlf and comments between statements": "import os\r\n\r\n# note\r\n\r\nx = 1\r\n",
    "decorators with comments and blank lines": (
        "# head\n\n@a\n# between\n@b(\n    1)\n\ndef f():\n    return 1\n\n\n# tail\n"
    ),
    "statements on one line": "a = 1; b = 2; import os\nif a: b = 3\nclass C: pass\n",
    "continuation lines and no final newline": "x = \\\n    1\ny = (\n 2)",
    "a docstring, tabs and a form feed": '"""Doc."""\n\x0c\ndef f():\n\treturn 1\n',
}


@pytest.mark.parametrize("source", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_layouts(source: str) -> None:
    assert assert_same_positions(source)


@any_python_settings()
@given(source=hypothesmith.from_grammar())
@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
def test_any_python(source: str) -> None:
    try:
        cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        return
    assert_same_positions(source)
