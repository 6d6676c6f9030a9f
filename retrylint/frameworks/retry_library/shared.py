"""Retry policies a project defines once and applies across modules.

Real projects seldom write ``@backoff.on_exception(...)`` on every function. They write it once:

    # app/retries.py
    api_retry = tenacity.retry(stop=stop_after_attempt(5), wait=wait_exponential())

    def http_retry(max_tries=5):
        return backoff.on_exception(backoff.expo, RequestException, max_tries=max_tries,
                                    jitter=None)

    def db_retry(fn):
        return tenacity.retry(stop=stop_after_attempt(3))(fn)

    # app/billing.py
    @http_retry()
    def charge(...): ...

Each decorated function is a job with the shared policy: ``@api_retry`` (a module-level retry
decorator, imported from another module: within one module the library's adapter reads it),
``@http_retry(...)`` (a *factory*: a module-level function returning a retry decorator) and
``@db_retry`` (a *wrapper*: a module-level function returning a retry decorator applied to its
parameter). The job's policy fields keep the factory's provenance, path included, so a finding
points at the one place that sets the policy; the engine merges the findings of every job there
into one that names them all.

A factory's parameters feed its options: with no argument at the use, a parameter is its
default (``max_tries=max_tries (max_tries=5 by default)``); a use that passes one makes the
fields that parameter decides UNKNOWN (per-file values are not recomputed across modules).

This is an adapter of its own (``extract`` per file: the policies and the decorated functions;
``build_jobs``: the jobs), because the modules that use a shared policy need not import the
library at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.frameworks import FactSink, backoff, retrying, stamina, tenacity
from retrylint.frameworks.retry_library.from_declarations import DECORATED_KEY, Use, declared
from retrylint.frameworks.retry_library.jobs import Library
from retrylint.frameworks.retry_library.options import Option, Options
from retrylint.model import UNKNOWN, FailureHook, Job, RetryPolicy, Sourced
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import CallValue, DictValue, LambdaValue, Located, OpValue, Ref, Value

LIBRARIES: tuple[Library, ...] = (
    tenacity.LIBRARY,
    backoff.LIBRARY,
    stamina.LIBRARY,
    retrying.LIBRARY,
)
POLICIES_KEY = "retry_library.policies"
_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


@dataclass(frozen=True)
class SharedPolicy:
    """A retry policy defined once in a module, by name (``kind``: object, factory, wrapper)."""

    name: str
    kind: str
    framework: str
    parameters: tuple[str, ...]
    policy: RetryPolicy
    hooks: tuple[FailureHook, ...]
    details: tuple[tuple[str, Any], ...]
    variants: tuple[tuple[str, RetryPolicy], ...] = ()  # the policy with one parameter unknown


# -- per file -------------------------------------------------------------------------------------
def extract(ctx: FileContext, sink: FactSink) -> None:
    libraries = [library for library in LIBRARIES if library.imported(ctx)]
    if libraries:
        policies = tuple(_policies(ctx, libraries))
        if policies:
            sink.data.append((POLICIES_KEY, policies))
    sink.data.extend(declared(ctx.declarations()))


def _library_call(
    ctx: FileContext, node: cst.BaseExpression | None, libraries: list[Library]
) -> tuple[Library, str, cst.Call] | None:
    if not isinstance(node, cst.Call):
        return None
    qualified = ctx.qualify(node.func)
    for library in libraries:
        if qualified in library.decorators:
            return library, qualified, node
    return None


def _policies(ctx: FileContext, libraries: list[Library]) -> Iterator[SharedPolicy]:
    for name, value in ctx.constants.items():
        found = _library_call(ctx, value, libraries)
        if found is not None:
            shared = _shared(ctx, name, "object", (), {}, *found)
            if shared is not None:
                yield shared
    for function in ctx.module_functions():
        for kind, call in _returned_policies(ctx, function):
            found = _library_call(ctx, call, libraries)
            if found is None:
                continue
            parameters, defaults = _parameters(ctx, function)
            shared = _shared(ctx, function.name, kind, parameters, defaults, *found)
            if shared is not None:
                yield shared
                break


def _returned_policies(ctx: FileContext, function: FunctionInfo) -> Iterator[tuple[str, cst.Call]]:
    """``return retry(...)`` (a factory) and ``return retry(...)(fn)`` with ``fn`` the first
    parameter (a wrapper), in the function's own body."""
    params = function.node.params.params
    first = params[0].name.value if params else None
    for node in _own_returns(function.node.body):
        value = node.value
        if not isinstance(value, cst.Call):
            continue
        if isinstance(value.func, cst.Call):
            wrapped = value.args[0].value if len(value.args) == 1 else None
            if isinstance(wrapped, cst.Name) and wrapped.value == first:
                yield "wrapper", value.func
        else:
            yield "factory", value


def _own_returns(node: cst.CSTNode) -> Iterator[cst.Return]:
    for child in node.children:
        if isinstance(child, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(child, cst.Return):
            yield child
        else:
            yield from _own_returns(child)


def _parameters(
    ctx: FileContext, function: FunctionInfo
) -> tuple[tuple[str, ...], dict[str, Located]]:
    params = function.node.params
    named = [*params.posonly_params, *params.params, *params.kwonly_params]
    defaults = {p.name.value: ctx.locate(p.default) for p in named if p.default is not None}
    return tuple(p.name.value for p in named), defaults


def _shared(
    ctx: FileContext,
    name: str,
    kind: str,
    parameters: tuple[str, ...],
    defaults: dict[str, Located],
    library: Library,
    qualified: str,
    call: cst.Call,
) -> SharedPolicy | None:
    options = library.bind(ctx, qualified, call)
    if options is None:
        return None
    options_parameters = [p for p in parameters if kind == "factory" and _feeds(options, p)]
    given = _substituted(options, {p: defaults[p] for p in options_parameters if p in defaults})
    policy, hooks, details = library.policy(ctx, qualified, given)
    variants = []
    for parameter in options_parameters:
        unknown = {p: defaults[p] for p in options_parameters if p in defaults and p != parameter}
        unknown[parameter] = Located(UNKNOWN, ctx.span(call), parameter)
        variant, _, _ = library.policy(ctx, qualified, _substituted(options, unknown))
        variants.append((parameter, variant))
    details = (*details, ("decorator", options.shape), ("shared_policy", name))
    return SharedPolicy(
        name, kind, library.framework, parameters, policy, hooks, details, tuple(variants)
    )


def _feeds(options: Options, parameter: str) -> bool:
    return any(_mentions(option.value.value, parameter) for option in options.entries)


def _mentions(value: Value, parameter: str) -> bool:
    match value:
        case Ref(name=name):
            return name in (parameter, f"$.{parameter}")
        case CallValue(args=args, kwargs=kwargs):
            return any(_mentions(v, parameter) for v in (*args, *(v for _, v in kwargs)))
        case OpValue(left=left, right=right):
            return _mentions(left, parameter) or _mentions(right, parameter)
        case LambdaValue(body=body):
            return _mentions(body, parameter)
        case tuple():
            return any(_mentions(v, parameter) for v in value)
    return False


def _substituted(options: Options, values: dict[str, Located]) -> Options:
    """The options with the factory's parameters replaced by ``values`` (defaults, or UNKNOWN),
    saying so in their origin."""
    if not values:
        return options
    entries = []
    for option in options.entries:
        used = [p for p in values if _mentions(option.value.value, p)]
        if not used:
            entries.append(option)
            continue
        value = option.value.value
        for parameter in used:
            value = _replace(value, parameter, values[parameter].value)
        defaults = [p for p in used if values[p].value is not UNKNOWN]
        if len(defaults) < len(used):
            origin = f"{option.origin} (as the use passes it)"
        else:
            said = ", ".join(f"{p}={values[p].code}" for p in defaults)
            origin = f"{option.origin} ({said} by default)"
        located = replace(option.value, value=value)
        entries.append(Option(option.name, located, option.span, origin))
    return replace(options, entries=tuple(entries))


def _replace(value: Value, parameter: str, new: Value) -> Value:
    match value:
        case Ref(name=name) if name in (parameter, f"$.{parameter}"):
            return new
        case CallValue(func=func, args=args, kwargs=kwargs):
            return CallValue(
                func,
                tuple(_replace(v, parameter, new) for v in args),
                tuple((k, _replace(v, parameter, new)) for k, v in kwargs),
            )
        case OpValue(op=op, left=left, right=right):
            a, b = _replace(left, parameter, new), _replace(right, parameter, new)
            numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))
            if numbers and op in _ARITHMETIC:
                return _ARITHMETIC[op](a, b)
            return OpValue(op, a, b)
        case LambdaValue(body=body):
            return LambdaValue(_replace(body, parameter, new))
        case tuple():
            return tuple(_replace(v, parameter, new) for v in value)
        case DictValue():
            return value
    return value


# -- per project ----------------------------------------------------------------------------------
def build_jobs(project: ProjectIndex) -> tuple[Job, ...]:
    policies: dict[str, tuple[ModuleFacts, SharedPolicy]] = {}
    for module in project:
        for shared in _data(module, POLICIES_KEY):
            policies[f"{module.module}.{shared.name}"] = (module, shared)
    if not policies:
        return ()
    jobs: list[Job] = []
    for module in project:
        taken = {job.qualname for job in module.facts.jobs}
        for use in _data(module, DECORATED_KEY):
            found = policies.get(project.canonical(use.decorator, module))
            if found is None or not _applies(found, use, module):
                continue
            where, shared = found
            job = _job(project, module, where, shared, use)
            if use.function in taken:
                job = replace(job, qualname=f"{job.qualname}#{shared.framework}")
            taken.add(use.function)
            jobs.append(job)
    return tuple(jobs)


def _data(module: ModuleFacts, key: str) -> tuple[Any, ...]:
    return next((value for name, value in module.facts.data if name == key), ())


def _applies(found: tuple[ModuleFacts, SharedPolicy], use: Use, module: ModuleFacts) -> bool:
    where, shared = found
    match shared.kind:
        case "object":  # within its own module, the library's adapter reads it
            return not use.called and where is not module
        case "factory":
            return use.called
    return not use.called  # a wrapper is applied bare: @db_retry


def _job(
    project: ProjectIndex, module: ModuleFacts, where: ModuleFacts, shared: SharedPolicy, use: Use
) -> Job:
    policy = _for_use(shared, use)
    policy = RetryPolicy(
        **{f.name: _located(project, where, getattr(policy, f.name)) for f in fields(policy)}
    )
    shape = dict(shared.details).get("decorator")
    details = (
        *shared.details,
        ("policy_path", where.path),
        ("policy_anchor", (where.path, shape.span) if shape is not None else None),
        ("factory", f"{where.module}.{shared.name}"),
        ("async", use.is_async),
    )
    return Job(
        name=use.function.rsplit(".", 1)[-1],
        qualname=f"{module.module}.{use.function}",
        framework=shared.framework,
        kind="decorated-function",
        path=module.path,
        span=use.span,
        policy=policy,
        failure_hooks=shared.hooks,
        function=use.function,
        details=details,
    )


def _for_use(shared: SharedPolicy, use: Use) -> RetryPolicy:
    """The factory's policy, with the fields a parameter the use passes decides made UNKNOWN."""
    passed = set()
    for item in use.passed:
        if item.startswith("#"):
            position = int(item[1:])
            if position < len(shared.parameters):
                passed.add(shared.parameters[position])
        else:
            passed.add(item)
    policy = shared.policy
    for parameter, variant in shared.variants:
        if parameter not in passed:
            continue
        changes = {
            f.name: getattr(variant, f.name)
            for f in fields(policy)
            if getattr(variant, f.name) != getattr(shared.policy, f.name)
        }
        policy = replace(policy, **changes)
    return policy


def _located(project: ProjectIndex, where: ModuleFacts, field: Sourced[Any]) -> Sourced[Any]:
    """A field as the using module's job carries it: its node is in the policy's module, and
    the exception names it lists are that module's."""
    value = field.value
    if isinstance(value, tuple) and all(isinstance(name, str) for name in value):
        value = tuple(project.canonical(name, where) for name in value)
    path = field.path or (where.path if field.span is not None else None)
    return replace(field, value=value, path=path)
