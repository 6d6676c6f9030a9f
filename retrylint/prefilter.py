"""Which files need the full analysis, decided from bytes and a stdlib ``ast`` tree.

The full per-file phase (libcst parse, position pass, every adapter, scan and check) is most of
a run's cost, and most files of an application hold nothing any of them reports. A file gets it
when one of these can occur in it; every other file gets ``outline`` (the same project facts
from ``ast``, several times cheaper), and is analysed in full afterwards if a job reaches one of
its functions (``engine.run``): job-code findings (RL3xx, RL4xx, RL604) and the side-effect scan
only count there.

What sends a file to the full analysis, part by part:

- a job framework, retry library, error tracker (``sentry_sdk``: a failure hook) or
  ``retrylint.guard`` named anywhere (their adapters read imports), a settings name of one
  (``CELERY_*``, ``broker_url``, ``RQ_QUEUES``, ``SENTRY_*``), a sleep
  (handwritten loops and recursive retries sleep), "retry" / "retries" (any of their usual
  casings);
- an invocation method (``.delay``, ``.send``, ``.enqueue`` ...): ``frameworks.calls`` records
  every such call framework-neutrally, for linking to whatever job it names; a ``tasks``
  module (calling a Huey task enqueues it, so Huey's adapter records calls through one);
- from the tree: a loop holding a ``try`` (a retry loop without a sleep), a call, decorator or
  module-level alias looking like a job decorator factory (``frameworks.factories``), a call
  named like an enqueue helper (``rq.wrappers``), a function named like a queue getter (RQ),
  a class that may be a Celery task class;
- with a secrets rule selected: any name, attribute, parameter, keyword or string in code whose
  words are a secret's (``secrets.names``, with the run's extra packs), a log call, print or
  warning given a name some function takes as a parameter (RL502 follows a secret into such a
  helper, RL503 a job's ``*args``), an exception class with an ``__init__`` (RL502 reads
  whether it keeps its argument out of the message).

``--no-prefilter`` analyses every file in full; ``tests/test_prefilter.py`` proves both paths
report the same on the fixtures and on generated programs. Words are matched as bytes, so a
comment mentioning Celery costs a full analysis, never a missed finding.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from retrylint.frameworks.celery.names import RETRY_ATTRIBUTES
from retrylint.frameworks.celery.names import SETTINGS as CELERY_SETTINGS
from retrylint.frameworks.names import (
    BY_ARGUMENT_METHODS,
    BY_NAME_FUNCTIONS,
    DECORATOR_NAMES,
    JOB_KEYWORDS,
    JOB_METHODS,
)
from retrylint.frameworks.rq.records import WRAPPER_NAME
from retrylint.secrets.leak_names import (
    CONTEXT_FUNCTIONS,
    CONTEXT_METHODS,
    EXCEPTION_SUFFIXES,
    LOG_METHODS,
)

SECRET_RULES = frozenset({"RL501", "RL502", "RL503"})
_SINK_FUNCTIONS = frozenset(
    {"print", *(name.rsplit(".", 1)[-1] for name in (*CONTEXT_FUNCTIONS, "warnings.warn"))}
)
_SINK_METHODS = LOG_METHODS | CONTEXT_METHODS
# Import roots of every framework and library an adapter reads, and our own guard.
_LIBRARIES = [
    "celery",
    "kombu",
    "billiard",
    "rq",
    "django_rq",
    "rq_scheduler",
    "flask_rq2",
    "dramatiq",
    "periodiq",
    "huey",
    "arq",
    "taskiq",
    "tenacity",
    "backoff",
    "retrying",
    "stamina",
    "apscheduler",
    "retrylint",
]
# Settings names that configure a framework from a settings module.
_SETTING_PREFIXES = ("CELERY", "BROKER", "RQ", "DRAMATIQ", "HUEY", "TASKIQ", "ARQ", "SENTRY")


def _words_pattern() -> re.Pattern[bytes]:
    methods = sorted(
        {
            *JOB_METHODS,
            *BY_ARGUMENT_METHODS,
            *(name.rsplit(".", 1)[-1] for name in BY_NAME_FUNCTIONS),
        }
    )
    alternatives = [
        rf"\b(?:{'|'.join(_LIBRARIES)})\b",
        rf"\b(?:{'|'.join(_SETTING_PREFIXES)})",
        rf"\b(?:{'|'.join(sorted(CELERY_SETTINGS))})\b",
        r"[Rr]etr(?:y|ies)|RETR(?:Y|IES)",
        r"sleep",
        r"\btasks\b",  # Huey: calling a function of a ``tasks`` module enqueues it
        rf"\.\s*(?:{'|'.join(methods)})\b",
        rf"\b(?:{'|'.join(sorted(name.rsplit('.', 1)[-1] for name in BY_NAME_FUNCTIONS))})\b",
    ]
    return re.compile("|".join(alternatives).encode())


_WORDS = _words_pattern()
_TRY = (ast.Try, getattr(ast, "TryStar", ast.Try))  # try/except* from Python 3.11


def named_by_words(data: bytes) -> bool:
    """Whether the bytes name a framework, a retry, a sleep or an invocation method."""
    return _WORDS.search(data) is not None


def needs_full_analysis(
    tree: ast.Module, selected: frozenset[str], secret_packs: tuple[Path, ...] = ()
) -> bool:
    """Whether the tree of a file that ``named_by_words`` passed still has something besides
    project facts to give (see the module). One walk; each test over-approximates its part."""
    nodes: dict[type, list[ast.AST]] = defaultdict(list)
    for node in ast.walk(tree):
        nodes[type(node)].append(node)
    if _has_job_shapes(nodes):
        return True
    if not selected & SECRET_RULES:
        return False
    return (
        _names_a_secret(nodes, secret_packs)
        or _writes_a_parameter(nodes)
        or _has_exception_init(nodes)
    )


Nodes = dict[type, list[ast.AST]]


def _of(nodes: Nodes, *types: type) -> Iterator[Any]:
    for kind in types:
        yield from nodes.get(kind, ())


def _has_job_shapes(nodes: Nodes) -> bool:
    if any(True for _ in _of(nodes, *_TRY)):
        for loop in _of(nodes, ast.For, ast.AsyncFor, ast.While):
            if any(isinstance(inner, _TRY) for inner in ast.walk(loop)):
                return True  # a retry loop needs no sleep (loops adapter)
    for call in _of(nodes, ast.Call):
        name = _last_name(call.func)
        if name in DECORATOR_NAMES:
            return True
        if name and (call.args or call.keywords) and WRAPPER_NAME.search(name.lower()):
            return True  # may go through a project's enqueue wrapper (rq.wrappers)
    for definition in _of(nodes, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        if any(_decorator_like(decorator) for decorator in definition.decorator_list):
            return True
        if isinstance(definition, ast.ClassDef):
            if _may_be_task_class(definition):
                return True
        elif "queue" in definition.name.lower():
            return True  # may return an RQ queue (rq's queue getters)
    return any(
        not DECORATOR_NAMES.isdisjoint(_assigned_names(assignment))
        for assignment in _of(nodes, ast.Assign, ast.AnnAssign)
    )


def _assigned_names(node: ast.AST) -> list[str]:
    """The plain names an assignment binds (none for anything else)."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    else:
        return []
    return [target.id for target in targets if isinstance(target, ast.Name)]


def _may_be_task_class(node: ast.ClassDef) -> bool:
    """A class Celery's adapter records (over-approximated): a ``...Task`` base, a task option
    as a class attribute, or a ``run`` / ``on_failure`` method, with a base."""
    if not node.bases:
        return False
    if any((_last_name(base) or "").endswith("Task") for base in node.bases):
        return True
    for inner in ast.walk(node):
        if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
            if inner.name in ("run", "on_failure"):
                return True
        elif not RETRY_ATTRIBUTES.isdisjoint(_assigned_names(inner)):
            return True
    return False


def _decorator_like(decorator: ast.expr) -> bool:
    if isinstance(decorator, ast.Call):
        if any(keyword.arg in JOB_KEYWORDS for keyword in decorator.keywords):
            return True
        decorator = decorator.func
    return _last_name(decorator) in DECORATOR_NAMES


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _names_a_secret(nodes: Nodes, packs: tuple[Path, ...]) -> bool:
    """Any identifier or string in code (a string standing alone as a statement, such as a
    docstring, goes nowhere) whose words are a secret's."""
    is_secret = _secret_test(packs)
    alone = {id(e.value) for e in _of(nodes, ast.Expr) if isinstance(e.value, ast.Constant)}
    names = [
        *(n.id for n in _of(nodes, ast.Name)),
        *(n.attr for n in _of(nodes, ast.Attribute)),
        *(n.arg for n in _of(nodes, ast.arg, ast.keyword) if n.arg),
        *(
            n.value
            for n in _of(nodes, ast.Constant)
            if isinstance(n.value, str) and id(n) not in alone
        ),
    ]
    return any(is_secret(name) for name in names)


def _writes_a_parameter(nodes: Nodes) -> bool:
    """A log call, ``print`` or warning given a name some function of the file takes as a
    parameter (``self`` included): RL502 follows a secret a caller passes into such a
    function, RL503 a job's ``*args`` / ``**kwargs``."""
    parameters = {arg.arg for arg in _of(nodes, ast.arg)}
    if not parameters:
        return False
    for call in _of(nodes, ast.Call):
        if not _is_sink_like(call):
            continue
        for value in (*call.args, *(k.value for k in call.keywords)):
            if any(isinstance(n, ast.Name) and n.id in parameters for n in ast.walk(value)):
                return True
    return False


def _is_sink_like(call: ast.Call) -> bool:
    """A call that may write out its arguments (over-approximating ``secrets.sinks``)."""
    if isinstance(call.func, ast.Name):
        return call.func.id in _SINK_FUNCTIONS
    return isinstance(call.func, ast.Attribute) and call.func.attr in _SINK_METHODS


def _has_exception_init(nodes: Nodes) -> bool:
    """An exception class and an ``__init__`` in the file: RL502 reads whether such a class
    keeps what it is given out of its message."""
    inits = _of(nodes, ast.FunctionDef, ast.AsyncFunctionDef)
    if not any(init.name == "__init__" for init in inits):
        return False
    for node in _of(nodes, ast.ClassDef):
        names = [node.name, *(_last_name(base) or "" for base in node.bases)]
        if any(name.endswith(EXCEPTION_SUFFIXES) for name in names):
            return True
    return False


@lru_cache(maxsize=8)
def _secret_test(packs: tuple[Path, ...]) -> Callable[[str], bool]:
    """One memoised test per set of packs: a project repeats its names in every file."""
    from retrylint.secrets.packs import matcher

    names = matcher(packs)

    @lru_cache(maxsize=65536)
    def is_secret(name: str) -> bool:
        return names.match(name) is not None

    return is_secret
