"""Whether one file's text can be parsed safely, and RL001 where it cannot.

libcst's native parser overflows the C stack on brackets nested far deeper than Python allows,
taking the worker with it, so a cheap guard decides first (a count, then peeling matched pairs,
tokenizing only a file that still looks too deep). A syntax error is reported where CPython's
compiler puts it, which is what an editor underlines.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings

from retrylint.findings import Finding

# CPython refuses more than 200 nested brackets ("too many nested parentheses"); libcst's native
# parser overflows the C stack somewhere past a thousand and takes the process down with it.
MAX_NESTING = 200
_BRACKETS = re.compile(r"[\[\](){}]")
_NOT_BRACKETS = re.compile(r"[^\[\](){}]+")
_INNERMOST_PAIR = re.compile(r"\(\)|\[\]|\{\}")


def too_deeply_nested(text: str) -> tuple[str, int, int] | None:
    """(message, line, column) when brackets nest deeper than Python allows, else None.

    A cheap count rules out almost every file; peeling matched pairs off the brackets alone
    (strings included, so an over-count; each round of one C-speed substitution removes one level)
    rules out the rest; only a file that still looks too deep is tokenized to be sure.
    """
    if text.count("(") + text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    if _peeled_within_limit(_NOT_BRACKETS.sub("", text)):
        return None
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match.group() in "([{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    if deepest <= MAX_NESTING:
        return None
    return _tokenized_nesting(text)


def _peeled_within_limit(brackets: str) -> bool:
    """Whether removing innermost ``()``/``[]``/``{}`` pairs empties ``brackets`` within
    MAX_NESTING rounds: then nothing nests deeper. Unbalanced text (brackets in strings) may
    never empty: the caller then falls back to counting."""
    for _ in range(MAX_NESTING):
        if not brackets:
            return True
        peeled = _INNERMOST_PAIR.sub("", brackets)  # pairs made adjacent wait for the next round
        if peeled == brackets:
            return False
        brackets = peeled
    return not brackets


def _tokenized_nesting(text: str) -> tuple[str, int, int] | None:
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.OP:
                continue
            if token.string in "([{":
                depth += 1
                if depth > MAX_NESTING:
                    line, column = token.start
                    return "SyntaxError: too many nested parentheses", line, column + 1
            elif token.string in ")]}":
                depth -= 1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None  # libcst reports the real syntax error
    return None


def syntax_error_finding(path: str, text: str, error: Exception) -> Finding:
    """RL001 at Python's own location for the error when Python agrees it is one.

    libcst's native parser reports the token after the error (often the next line); CPython's
    compiler points at the offending token, which is what an editor should underline.
    """
    from retrylint.checks.rl001 import syntax_error

    try:
        with warnings.catch_warnings():  # the analysed file's invalid escapes are not ours to warn
            warnings.simplefilter("ignore")
            compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as python_error:
        message = python_error.msg
        line, column = python_error.lineno or 1, python_error.offset or 1
        return syntax_error(path, f"SyntaxError: {message}", line, column)
    except (ValueError, RecursionError, MemoryError):
        pass
    line = getattr(error, "raw_line", None) or getattr(error, "line", None) or 1
    column = getattr(error, "raw_column", None) or getattr(error, "column", None) or 0
    message = getattr(error, "message", None) or str(error).splitlines()[0]
    if isinstance(error, RecursionError):
        message = "too deeply nested to parse"
    return syntax_error(path, f"SyntaxError: {message}", int(line), int(column) + 1)
