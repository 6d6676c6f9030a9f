"""Retry calls: ``self.retry(...)`` in task bodies, helpers that retry a task, countdown shapes.

Per file we record:

- ``self.retry(...)`` / ``<task>.retry(...)`` calls in task bodies with the ``except`` clause
  around each (``RetryCall``) and the shape of their ``countdown`` (constant, exponential ...);
- calls passing the bound task to a function (``HelperCall``: ``retryable_smtp(self)``), and
  module-level functions calling ``<parameter>.retry(...)`` (``RetryHelper``).

In the project phase a ``RetryPath`` is one such call with the file it is written in. A room of
its own: reading a body for retry calls and evaluating a countdown at each retry is a small
interpreter of its own, used by task functions and task classes alike.

Decisions:

- A bound task passing itself to a function (``retryable_smtp(self)``, ``later(task=self)``)
  retries through that function's ``<parameter>.retry(...)`` calls when the function is defined
  at module level in the project (same module or imported); followed one level, spans point into
  the helper (with its path when it is another file). A helper retrying outside any ``except``
  takes the ``except`` clause around the call in the task. Not followed: the task by its
  module-level name, helper methods, wrapper objects holding the task (``self.task.retry()``).
- ``self.retry(max_retries=p)`` where ``p`` is a parameter of the function defaulting to None
  (and not reassigned before the call) is the task's own ``max_retries`` (task.py: None means the
  task default): attempts follow the task, the origin says a caller may pass another value.
  Another default (a number) stays UNKNOWN: any caller can change it.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallShape
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import BodyVisitor, call_shape
from retrylint.model import NO_DELAY, Delay, Span
from retrylint.project import ModuleFacts
from retrylint.values import Located, Ref, is_number

_RETRY_PARAMETERS = ("args", "kwargs", "exc", "throw", "eta", "countdown", "max_retries")
_RANDOM_FUNCTIONS = frozenset({"random", "uniform", "randint", "randrange", "choice", "triangular"})


@dataclass(frozen=True)
class RetryCall:
    """One ``self.retry(...)`` / ``<task>.retry(...)`` call in a task body.

    ``handler`` is the type expression of the innermost ``except`` clause around the call
    (``None`` with ``in_except`` for a bare ``except:``); ``delay`` is the countdown's shape as
    far as this file can tell (``None`` when it names a constant of another module).
    """

    span: Span
    receiver: str
    countdown: Located | None = None
    eta: Located | None = None
    max_retries: Located | None = None
    exc: Located | None = None
    throw: Located | None = None
    in_except: bool = False
    handler: Located | None = None
    handler_span: Span | None = None
    delay: Delay | None = None
    # Where a fix can add ``countdown=``; None when ``*args`` / ``**options`` may already hold it.
    shape: CallShape | None = None
    # ``max_retries=<p>`` where ``<p>`` is a parameter of the function defaulting to None.
    max_retries_parameter: str | None = None
    # Set in the project phase: the helper function the call is written in (its qualname), for a
    # task passing itself to it, and the call's file when it is not the task's.
    helper: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class HelperCall:
    """A call in a task body passing the bound task on: ``retryable_smtp(self)``.

    ``position`` / ``keyword`` say which argument the task is; the ``except`` clause around the
    call decides the retried exceptions of a ``task.retry()`` the helper makes outside one.
    """

    callee: str  # qualified name of the called function
    position: int | None
    keyword: str | None
    span: Span
    in_except: bool = False
    handler: Located | None = None
    handler_span: Span | None = None


@dataclass(frozen=True)
class RetryHelper:
    """A module-level function calling ``<parameter>.retry(...)``: a task passing itself as that
    parameter retries through it (``def retryable_smtp(task): ... raise task.retry(...)``)."""

    name: str  # qualname within the module
    positional: tuple[str, ...]  # positional parameter names, in order
    keyword_only: tuple[str, ...]
    retry_calls: tuple[tuple[str, tuple[RetryCall, ...]], ...]  # parameter -> its retry calls

    def calls_for(self, position: int | None, keyword: str | None) -> tuple[RetryCall, ...]:
        if keyword is not None:
            parameter: str | None = keyword
        elif position is not None and position < len(self.positional):
            parameter = self.positional[position]
        else:
            parameter = None
        return dict(self.retry_calls).get(parameter, ()) if parameter else ()


# -- task bodies: self.retry calls and their except clauses -----------------------------------
class _RetryScan(BodyVisitor):
    """``<receiver>.retry(...)`` calls in one function body, and calls passing ``bound`` (the
    bound task parameter) on to another function."""

    def __init__(
        self,
        ctx: FileContext,
        root: cst.FunctionDef,
        receivers: set[str],
        bound: str | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.root = root
        self.receivers = receivers
        self.bound = bound
        self.found: list[RetryCall] = []
        self.helpers: list[HelperCall] = []
        self.locals: dict[str, cst.BaseExpression] = {}  # name -> its latest assignment so far
        self.rebound: set[str] = set()  # names assigned in the body before the current node
        params = root.params
        self.none_parameters = {
            param.name.value
            for param in (*params.posonly_params, *params.params, *params.kwonly_params)
            if isinstance(param.default, cst.Name) and param.default.value == "None"
        }

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self.locals[node.targets[0].target.value] = node.value
        for target in node.targets:
            self._rebind(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._rebind(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._rebind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._rebind(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._rebind(node.target)

    def _rebind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.rebound.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._rebind(element.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root  # nested functions are not the task body

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "retry"
            and isinstance(func.value, cst.Name)
            and func.value.value in self.receivers
        ):
            self._retry(node, func.value.value)
        elif self.bound is not None:
            self._helper(node)

    def _retry(self, node: cst.Call, receiver: str) -> None:
        ctx = self.ctx
        arguments: dict[str, Located] = {}
        positional = 0
        for arg in node.args:
            if arg.star:
                continue
            if arg.keyword is not None:
                arguments[arg.keyword.value] = ctx.locate(arg.value)
            elif positional < len(_RETRY_PARAMETERS):
                arguments[_RETRY_PARAMETERS[positional]] = ctx.locate(arg.value)
                positional += 1
        handler = self.handlers[-1] if self.handlers else None
        countdown_node = next(
            (
                a.value
                for a in node.args
                if a.keyword is not None and a.keyword.value == "countdown"
            ),
            None,
        )
        max_retries = arguments.get("max_retries")
        parameter = None
        if (
            max_retries is not None
            and max_retries.code in self.none_parameters
            and max_retries.code not in self.rebound
        ):
            parameter = max_retries.code  # the task's own default unless a caller passes one
        self.found.append(
            RetryCall(
                span=ctx.span(node),
                receiver=receiver,
                countdown=arguments.get("countdown"),
                eta=arguments.get("eta"),
                max_retries=max_retries,
                exc=arguments.get("exc"),
                throw=arguments.get("throw"),
                in_except=handler is not None,
                handler=ctx.locate(handler.type) if handler and handler.type else None,
                handler_span=ctx.span(handler) if handler else None,
                delay=_countdown_delay(ctx, self._expression(countdown_node))
                if countdown_node
                else None,
                shape=None if any(arg.star for arg in node.args) else call_shape(ctx, node),
                max_retries_parameter=parameter,
            )
        )

    def _helper(self, node: cst.Call) -> None:
        """``retryable_smtp(self)`` / ``notify(order, task=self)``: the task is passed on."""
        position: int | None = 0
        for arg in node.args:
            if arg.star:
                position = None  # positions after *args are not known
                continue
            passes = isinstance(arg.value, cst.Name) and arg.value.value == self.bound
            if passes and (arg.keyword is not None or position is not None):
                callee = self.ctx.qualify(node.func)
                if callee is None or callee.split(".", 1)[0] == self.bound:
                    return
                handler = self.handlers[-1] if self.handlers else None
                ctx = self.ctx
                self.helpers.append(
                    HelperCall(
                        callee=callee,
                        position=position if arg.keyword is None else None,
                        keyword=arg.keyword.value if arg.keyword is not None else None,
                        span=ctx.span(node),
                        in_except=handler is not None,
                        handler=ctx.locate(handler.type) if handler and handler.type else None,
                        handler_span=ctx.span(handler) if handler else None,
                    )
                )
                return
            if arg.keyword is None and position is not None:
                position += 1

    def _expression(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """``delay`` in ``countdown=delay`` stands for the expression last assigned to it."""
        if isinstance(node, cst.Name) and node.value in self.locals:
            return self.locals[node.value]
        return node


def scan_body(
    ctx: FileContext, node: cst.FunctionDef, receivers: set[str], bound: str | None = None
) -> _RetryScan:
    scan = _RetryScan(ctx, node, receivers, bound)
    node.visit(scan)
    return scan


def _retry_calls(ctx: FileContext, node: cst.FunctionDef, receivers: set[str]) -> list[RetryCall]:
    return scan_body(ctx, node, receivers).found


def extract_helpers(ctx: FileContext, sink: FactSink) -> None:
    """Module-level functions that call ``<parameter>.retry(...)`` (cheap gate: ctx.calls)."""
    wanted: dict[str, tuple[FunctionInfo, set[str]]] = {}
    for info in ctx.calls:
        function = info.function
        func = info.node.func
        if (
            function is None
            or not function.is_module_level
            or not isinstance(func, cst.Attribute)
            or func.attr.value != "retry"
            or not isinstance(func.value, cst.Name)
        ):
            continue
        params = function.node.params
        names = {p.name.value for p in (*params.posonly_params, *params.params)}
        names.update(p.name.value for p in params.kwonly_params)
        if func.value.value in names:
            wanted.setdefault(function.qualname, (function, set()))[1].add(func.value.value)
    for qualname, (function, receivers) in wanted.items():
        calls = _retry_calls(ctx, function.node, receivers)
        if not calls:
            continue  # the .retry call sits in a nested function
        params = function.node.params
        by_parameter = tuple(
            (name, tuple(call for call in calls if call.receiver == name))
            for name in sorted(receivers)
        )
        helper = RetryHelper(
            name=qualname,
            positional=tuple(p.name.value for p in (*params.posonly_params, *params.params)),
            keyword_only=tuple(p.name.value for p in params.kwonly_params),
            retry_calls=by_parameter,
        )
        sink.data.append(("celery.helper", (qualname, helper)))


class _Countdown:
    """Evaluates a countdown expression at retry k (``self.request.retries`` = k)."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.jitter = False
        self.power = False
        self.retries_seen = 0

    def at(self, node: cst.BaseExpression, k: int) -> float | None:
        ctx = self.ctx
        if isinstance(node, cst.Integer | cst.Float):
            return float(node.evaluated_value)
        if isinstance(node, cst.Name | cst.Attribute):
            last = node.value if isinstance(node, cst.Name) else node.attr.value
            if "retries" in last or last in ("retry_count", "retry_number"):
                self.retries_seen += 1
                return float(k)
            value = ctx.evaluate(node)
            return float(value) if is_number(value) else None  # type: ignore[arg-type]
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.at(node.expression, k)
            return None if inner is None else -inner
        if isinstance(node, cst.BinaryOperation):
            left = self.at(node.left, k)
            before = self.retries_seen
            right = self.at(node.right, k)
            if isinstance(node.operator, cst.Power) and self.retries_seen > before:
                self.power = True
            if left is None or right is None:
                return None
            return _arithmetic(node.operator, left, right)
        if isinstance(node, cst.Call):
            return self._call(node, k)
        return None

    def _call(self, node: cst.Call, k: int) -> float | None:
        qualified = self.ctx.qualify(node.func) or ""
        last = qualified.rsplit(".", 1)[-1]
        args = [self.at(a.value, k) for a in node.args if a.keyword is None and not a.star]
        if qualified.startswith("random.") or (
            last in _RANDOM_FUNCTIONS and qualified.startswith(("random", "secrets"))
        ):
            self.jitter = True
            if last == "random":
                return 1.0
            known = [a for a in args if a is not None]
            return max(known) if known and len(known) == len(args) else None
        if qualified in ("min", "max") and args and None not in args:
            values = [a for a in args if a is not None]
            return min(values) if qualified == "min" else max(values)
        if qualified in ("int", "float", "round", "abs") and len(args) >= 1:
            return args[0]
        if qualified == "pow" and len(args) == 2:
            before = self.retries_seen
            self.at(node.args[1].value, k)
            if self.retries_seen > before:
                self.power = True
            if args[0] is None or args[1] is None:
                return None
            return _arithmetic(cst.Power(), args[0], args[1])
        return None


def _arithmetic(operator: cst.BaseBinaryOp, left: float, right: float) -> float | None:
    try:
        match operator:
            case cst.Add():
                return left + right
            case cst.Subtract():
                return left - right
            case cst.Multiply():
                return left * right
            case cst.Divide():
                return left / right
            case cst.FloorDivide():
                return float(left // right)
            case cst.Power() if abs(right) <= 64:
                return float(left**right)
    except (ZeroDivisionError, OverflowError):
        return None
    return None


def _countdown_delay(ctx: FileContext, node: cst.BaseExpression) -> Delay | None:
    """The delay a ``countdown=`` expression gives; None when it names another module's constant."""
    value = ctx.evaluate(node)
    if isinstance(value, Ref):
        return None
    if is_number(value):
        seconds = float(value)  # type: ignore[arg-type]
        return NO_DELAY if seconds <= 0 else Delay("constant", seconds, None, False)
    counter = _Countdown(ctx)
    samples = [counter.at(node, k) for k in range(4)]
    far, farther = counter.at(node, 40), counter.at(node, 50)
    jitter = counter.jitter
    if any(sample is None for sample in samples):
        if counter.power:
            return Delay("exponential", None, None, jitter)
        return Delay("unknown", None, None, True if jitter else None)
    v0, v1, v2, v3 = (float(sample or 0.0) for sample in samples)
    if v0 == v1 == v2 == v3:
        if v0 <= 0 and not jitter:
            return NO_DELAY
        return Delay("constant", max(v0, 0.0), None, jitter)
    cap = far if far is not None and far == farther else None
    # The model's conventions (policy_math): exponential waits base * 2**k, linear base * (k + 1).
    # A growing shape that does not fit them keeps its strategy but no base, so nothing computes
    # a window from a formula the code does not use.
    doubling = v0 > 0 and all(
        b == min(2 * a, cap or 2 * a) for a, b in ((v0, v1), (v1, v2), (v2, v3))
    )
    if doubling or counter.power:
        return Delay("exponential", v0 if doubling else None, cap, jitter)
    stepping = v0 > 0 and all(
        v == min(v0 * (k + 1), cap or v0 * (k + 1)) for k, v in enumerate((v0, v1, v2, v3))
    )
    if stepping:
        return Delay("linear", v0, cap, jitter)
    return Delay("custom", v0, cap, jitter)


# -- project phase ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPath:
    """One manual retry of a task: the ``retry`` call, the file it is written in, and the file of
    the ``except`` clause around it (the task's own when a helper retries outside one but the
    task calls the helper inside one)."""

    call: RetryCall
    module: ModuleFacts
    handler_module: ModuleFacts
    job_path: str

    def path(self, module: ModuleFacts | None = None) -> str | None:
        """A Sourced path: None in the job's own file."""
        where = (module or self.module).path
        return None if where == self.job_path else where
