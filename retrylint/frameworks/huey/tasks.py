"""Huey objects and task decorators in one file: module-level ``RedisHuey(...)`` /
``SqliteHuey(...)`` / ... (``huey-instance`` objects), each task decorator with its options
(positional ones bound to their names), and the ``raise RetryTask(...)`` /
``raise CancelExecution(...)`` in the task's body.

Only called decorators are recorded; whether a decorator is Huey's is decided in the project
phase (``receivers``). ``lock_task`` is a lock wrapper, not a task: it is recorded as a detail of
the task it decorates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import JobDef, ObjectFact
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import BodyVisitor, Decorator, call_shape, keyword_options
from retrylint.frameworks.huey.records import DJHUEY, FRAMEWORK, HUEY_CLASSES, HueyRaise
from retrylint.values import CallValue, Located, Value

# Decorator methods of a Huey instance that make a task, with their positional parameters.
INSTANCE_DECORATORS: dict[str, tuple[str, ...]] = {
    "task": (
        "retries",
        "retry_delay",
        "retry_backoff",
        "priority",
        "context",
        "name",
        "expires",
        "timeout",
    ),
    "periodic_task": (
        "validate_datetime",
        "retries",
        "retry_delay",
        "retry_backoff",
        "priority",
        "context",
        "name",
        "expires",
        "timeout",
    ),
    "context_task": ("obj", "as_argument"),
}
# djhuey's module-level helpers forward their arguments to HUEY.task / HUEY.periodic_task.
DJHUEY_DECORATORS: dict[str, str] = {
    "task": "task",
    "periodic_task": "periodic_task",
    "db_task": "task",
    "db_periodic_task": "periodic_task",
    "on_commit_task": "task",
}
PERIODIC = frozenset({"periodic_task", "db_periodic_task"})


def record_instances(ctx: FileContext, sink: FactSink) -> set[str]:
    names = set()
    for name, value in ctx.constants.items():
        if not isinstance(value, cst.Call) or (name in ctx.imports and name != "huey"):
            continue
        callee = ctx.qualify(value.func) or ""
        if callee.split(".", 1)[0] == "huey" and callee.rsplit(".", 1)[-1] in HUEY_CLASSES:
            located = ctx.locate(value)
            sink.objects.append(ObjectFact(name, "huey-instance", FRAMEWORK, located.span, located))
            names.add(name)
    return names


def task_decorator(found: list[Decorator]) -> tuple[Decorator, str, str] | None:
    """(decorator, receiver kind, the Huey method it amounts to) for a task decorator."""
    for decorator in found:
        if decorator.call is None:
            continue  # Huey's decorators are always called; a bare @x.task is Celery's
        qualified, last = decorator.qualified, decorator.last
        if qualified == f"{DJHUEY}.{last}" and last in DJHUEY_DECORATORS:
            return decorator, "djhuey", DJHUEY_DECORATORS[last]
        if last not in INSTANCE_DECORATORS or decorator.receiver is None:
            continue
        if decorator.receiver == f"{DJHUEY}.HUEY":
            return decorator, "djhuey", last
        if decorator.receiver == "huey":
            # `huey` resolving to the module: the package has no task(), so the name is an
            # instance that shadows the import (`huey = huey.RedisHuey()`).
            return decorator, "shadow", last
        return decorator, "object", last
    return None


def job_def(
    ctx: FileContext,
    function: FunctionInfo,
    task: tuple[Decorator, str, str],
    found: list[Decorator],
) -> JobDef:
    decorator, receiver_kind, method = task
    call = decorator.call
    assert call is not None
    options = list(keyword_options(ctx, call))
    given = {name for name, _ in options}
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    for name, expression in zip(INSTANCE_DECORATORS[method], positional, strict=False):
        if name not in given:
            options.append((name, ctx.locate(expression)))
    if method == "context_task":  # context_task(obj, as_argument, **task options)
        options = [(n, v) for n, v in options if n not in ("obj", "as_argument")]
    name_option = next((v for n, v in options if n == "name"), None)
    explicit_name = name_option.value if name_option is not None else None
    data: list[tuple[str, Any]] = [
        ("receiver_kind", receiver_kind),
        ("decorator_name", decorator.last),
        ("periodic", decorator.last in PERIODIC or method == "periodic_task"),
        ("async", function.is_async),
        ("raises", _raises(ctx, function)),
        (
            "locks",
            tuple(
                ctx.code(d.call.args[0].value) if d.call is not None and d.call.args else ""
                for d in found
                if d.last == "lock_task"
            ),
        ),
    ]
    if method == "periodic_task" and positional and decorator.last != "context_task":
        data.append(("schedule", ctx.locate(positional[0])))
    return JobDef(
        function=function.qualname,
        name=explicit_name if isinstance(explicit_name, str) else None,
        kind="task",
        span=ctx.span(function.node.name),
        framework=FRAMEWORK,
        receiver=decorator.receiver,
        decorator=call_shape(ctx, decorator.node.decorator),
        options=tuple(options),
        data=tuple(data),
    )


class _RaiseFinder(BodyVisitor):
    """``raise`` statements of one function body, not of the functions nested in it."""

    def __init__(self) -> None:
        super().__init__()
        self.raises: list[cst.Raise] = []

    def visit_Raise(self, node: cst.Raise) -> None:
        self.raises.append(node)


def _raises(ctx: FileContext, function: FunctionInfo) -> tuple[HueyRaise, ...]:
    finder = _RaiseFinder()
    function.node.body.visit(finder)
    found = []
    for node in finder.raises:
        expression = node.exc
        if expression is None:
            continue
        call = expression if isinstance(expression, cst.Call) else None
        qualified = ctx.qualify(call.func if call is not None else expression)
        if qualified is None:
            continue
        last = qualified.rsplit(".", 1)[-1]
        if last not in ("RetryTask", "CancelExecution"):
            continue
        delay: Located | None = None
        retry: Value = None
        if call is not None:
            value = ctx.evaluate(call)
            arguments = {n: a for n, a in _argument_nodes(call, ("msg", "eta", "delay"))}
            if last == "RetryTask":
                chosen = arguments.get("delay") or arguments.get("eta")
                delay = ctx.locate(chosen) if chosen is not None else None
            elif isinstance(value, CallValue):
                retry = value.arg(1, "retry")
        found.append(HueyRaise(qualified, ctx.span(node), ctx.code(node), delay, retry))
    return tuple(found)


def _argument_nodes(
    call: cst.Call, names: tuple[str, ...]
) -> Iterator[tuple[str, cst.BaseExpression]]:
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    yield from zip(names, positional, strict=False)
    for arg in call.args:
        if arg.keyword is not None:
            yield arg.keyword.value, arg.value
