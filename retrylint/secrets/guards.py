"""Branches that run only on a developer's machine: ``if settings.DEBUG:``,
``if settings.is_development():``, ``if ENVIRONMENT == "development":``.

Projects print a login code or a generated key there on purpose, so a developer can sign in
without a mail server; production never takes the branch, so RL502 does not report what is
written inside it. Only the branch itself counts (not its ``else``), and only a plain check:
``if not settings.DEBUG`` or ``if logger.isEnabledFor(logging.DEBUG)`` guard production code.
"""

from __future__ import annotations

import libcst as cst

from retrylint.secrets.names import words_of

# What a flag or predicate says, once a leading "is" is dropped (is_development -> development).
_FLAG_WORDS = frozenset(
    {("debug",), ("dev",), ("development",), ("debug", "mode"), ("dev", "mode"),
     ("development", "mode")}
)  # fmt: skip
# With "is" in front, "local" says where the code runs too (is_local(), IS_LOCAL).
_PREDICATE_WORDS = _FLAG_WORDS | {("local",)}
# Environment names a setting is compared with.
_DEVELOPMENT_ENVIRONMENTS = frozenset({"dev", "development", "local", "debug"})


def development_only(test: cst.BaseExpression) -> bool:
    """Whether ``if <test>:`` takes its branch only in development."""
    match test:
        case cst.Name() | cst.Attribute():
            return _says_development(test)
        case cst.Call(func=cst.Name() | cst.Attribute() as func, args=()):
            return _says_development(func)
        case cst.BooleanOperation(operator=cst.And(), left=left, right=right):
            return development_only(left) or development_only(right)
        case cst.Comparison(
            comparisons=[cst.ComparisonTarget(operator=cst.Equal(), comparator=comparator)]
        ):
            return _development_environment(test.left) or _development_environment(comparator)
    return False


def _says_development(name: cst.Name | cst.Attribute) -> bool:
    last = name.value if isinstance(name, cst.Name) else name.attr.value
    words = words_of(last)
    if words[:1] == ("is",):
        return words[1:] in _PREDICATE_WORDS
    return words in _FLAG_WORDS


def _development_environment(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.SimpleString):
        return False
    value = node.evaluated_value
    return isinstance(value, str) and value.lower() in _DEVELOPMENT_ENVIRONMENTS
