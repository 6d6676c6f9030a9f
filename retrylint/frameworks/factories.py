"""Project job-decorator factories: ``@actor(priority=HIGH)`` where ``actor`` wraps ``dramatiq.actor``.

Real projects seldom decorate jobs with the framework's own decorator. They write one of their
own that fixes a queue, wraps the function (a database session, metrics) and passes the rest on:

    def actor(actor_name=None, priority=LOW, **options):
        def decorator(fn):
            dramatiq.actor(wrap(fn), actor_name=actor_name, priority=priority, **options)
            return fn
        return decorator

Every job of such a project is invisible to an adapter that only knows ``@dramatiq.actor``.
This module finds the factories and the functions they decorate; each adapter then decides
whether the decorator a factory calls is its own (``factory_job_defs``).

Per file (``extract``):
- a *factory* is a module-level function whose body (nested functions included) calls a
  decorator-like name (``actor``, ``task``, ``job`` ...) and passes on its own parameters:
  what it calls, the keywords it fixes, the keywords it forwards from a parameter (with the
  parameter's default), and whether it spreads its ``**kwargs``;
- an *alias* is ``name = functools.partial(<callable>, ...)`` or ``name = <callable>`` at
  module level (a partial of a framework decorator class, of a factory);
- a *decorated* function is one whose decorator is a call or name that may be a factory: its
  last part is decorator-like, or it passes a job option keyword (a cheap test first, so the
  position pass runs only for those).

Per project (``factory_job_defs``): a decorated function whose decorator resolves, through
aliases, to a factory (or a class) that calls an accepted decorator becomes a ``JobDef`` with the
options the framework's decorator receives: the factory's fixed keywords and forwarded defaults
(located at the function's decorator, their code saying which factory set them), then the
decorator's own keywords. The factory is followed one level: a factory calling a factory is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.facts import CallShape, JobDef
from retrylint.frameworks import FactSink
from retrylint.frameworks.common import PARTIAL, call_shape, decorators, keyword_options
from retrylint.frameworks.names import DECORATOR_NAMES, JOB_KEYWORDS
from retrylint.model import Span
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Located, Value

FACTORIES_KEY = "factories.defs"
ALIASES_KEY = "factories.aliases"
DECORATED_KEY = "factories.decorated"


@dataclass(frozen=True)
class FactoryDef:
    """A module-level function that applies a job decorator to what it decorates."""

    function: str  # qualname in its module
    target: str  # the decorator it calls, qualified in its module
    fixed: tuple[tuple[str, Value, str], ...]  # (keyword, value, code) written in the call
    forwarded: tuple[tuple[str, str], ...]  # (keyword of the call, parameter of the factory)
    defaults: tuple[tuple[str, Value, str], ...]  # (parameter, default value, code)
    spread: bool  # passes its **kwargs on
    parameters: tuple[str, ...]  # every named parameter, in order


@dataclass(frozen=True)
class Alias:
    """``name = functools.partial(target, ...)`` or ``name = target`` at module level."""

    name: str
    target: str
    fixed: tuple[tuple[str, Value, str], ...]


@dataclass(frozen=True)
class Decorated:
    """A function decorated by something that may be a project factory."""

    function: str
    decorator: str  # qualified name of what is called (or applied)
    span: Span  # the function's name
    shape: CallShape
    options: tuple[tuple[str, Located], ...]
    positional: tuple[Located, ...]
    is_async: bool


# -- per file -------------------------------------------------------------------------------------


def extract(ctx: FileContext, sink: FactSink) -> None:
    factories = tuple(_factories(ctx))
    if factories:
        sink.data.append((FACTORIES_KEY, factories))
    aliases = tuple(_aliases(ctx))
    if aliases:
        sink.data.append((ALIASES_KEY, aliases))
    decorated = tuple(_decorated(ctx))
    if decorated:
        sink.data.append((DECORATED_KEY, decorated))


def _is_decorator_like(name: str | None) -> bool:
    return name is not None and name.rsplit(".", 1)[-1] in DECORATOR_NAMES


def _factories(ctx: FileContext) -> Iterator[FactoryDef]:
    seen: set[str] = set()
    for info in ctx.calls:
        factory = info.function
        while factory is not None and factory.parent is not None:
            factory = factory.parent
        if factory is None or not factory.is_module_level or factory.qualname in seen:
            continue
        target = ctx.qualify(info.node.func)
        if not _is_decorator_like(target) or target is None:
            continue
        found = _factory(ctx, factory, info.node, target)
        if found is not None:
            seen.add(factory.qualname)
            yield found


def _factory(
    ctx: FileContext, factory: FunctionInfo, call: cst.Call, target: str
) -> FactoryDef | None:
    params = factory.node.params
    named = [*params.posonly_params, *params.params, *params.kwonly_params]
    names = tuple(p.name.value for p in named)
    star_kwargs = params.star_kwarg
    kwargs_name = star_kwargs.name.value if isinstance(star_kwargs, cst.Param) else None
    fixed: list[tuple[str, Value, str]] = []
    forwarded: list[tuple[str, str]] = []
    spread = False
    for arg in call.args:
        if arg.star == "**":
            spread = spread or (isinstance(arg.value, cst.Name) and arg.value.value == kwargs_name)
        elif arg.keyword is not None:
            value = arg.value
            if isinstance(value, cst.Name) and value.value in names:
                forwarded.append((arg.keyword.value, value.value))
            else:
                fixed.append((arg.keyword.value, ctx.evaluate(value), ctx.code(value)))
    if not (spread or forwarded):
        return None  # it passes nothing of its caller's on: a plain use, not a factory
    defaults = tuple(
        (p.name.value, ctx.evaluate(p.default), ctx.code(p.default))
        for p in named
        if p.default is not None
    )
    return FactoryDef(
        factory.qualname, target, tuple(fixed), tuple(forwarded), defaults, spread, names
    )


def _aliases(ctx: FileContext) -> Iterator[Alias]:
    for assignment in ctx.assignments:
        if assignment.function is not None or assignment.class_name is not None:
            continue
        value = assignment.value
        fixed: tuple[tuple[str, Value, str], ...] = ()
        if isinstance(value, cst.Call) and ctx.qualify(value.func) in PARTIAL and value.args:
            target = ctx.qualify(value.args[0].value)
            fixed = tuple(
                (arg.keyword.value, ctx.evaluate(arg.value), ctx.code(arg.value))
                for arg in value.args[1:]
                if arg.keyword is not None
            )
        elif isinstance(value, cst.Name | cst.Attribute):
            target = ctx.qualify(value)
        else:
            continue
        if target is None:
            continue
        for name in assignment.targets:
            if isinstance(name, cst.Name) and _is_decorator_like(name.value):
                yield Alias(name.value, target, fixed)


def _decorated(ctx: FileContext) -> Iterator[Decorated]:
    for function in ctx.functions:
        if function.class_name is not None:
            continue
        for decorator in decorators(ctx, function):
            call = decorator.call
            written = {arg.keyword.value for arg in call.args if arg.keyword} if call else set()
            if not (_is_decorator_like(decorator.qualified) or written & JOB_KEYWORDS):
                continue
            positional = tuple(
                ctx.locate(arg.value)
                for arg in (call.args if call else ())
                if arg.keyword is None and not arg.star
            )
            yield Decorated(
                function.qualname,
                decorator.qualified,
                ctx.span(function.node.name),
                call_shape(ctx, decorator.node.decorator),
                keyword_options(ctx, call),
                positional,
                function.is_async,
            )
            break


# -- per project ----------------------------------------------------------------------------------


def build_jobs(project: object) -> tuple:
    """None of its own: each adapter asks ``factory_job_defs`` for the jobs of its framework."""
    return ()


Accepts = Callable[[str, ModuleFacts], bool]


@dataclass(frozen=True)
class FactoryJob:
    """A function a project factory makes a job of: its module, its JobDef, the factory."""

    module: ModuleFacts
    job_def: JobDef
    factory: str  # the factory's qualified name
    positional: tuple[Located, ...]  # the decorator call's positional arguments


def factory_job_defs(
    project: ProjectIndex, accepts: Accepts, kind: str, framework: str
) -> Iterator[FactoryJob]:
    """Functions decorated by a project factory whose job decorator ``accepts`` says is the
    framework's (given the decorator's canonical name and the module it is written in)."""
    factories = _by_name(project, FACTORIES_KEY, lambda f: f.function)
    aliases = _by_name(project, ALIASES_KEY, lambda a: a.name)
    for module in project:
        for decorated in _data(module, DECORATED_KEY):
            found = _resolve(project, module, decorated.decorator, factories, aliases, accepts)
            if found is None:
                continue
            name, fixed, factory = found
            yield FactoryJob(
                module,
                _job_def(decorated, fixed, factory, kind, framework, name),
                name,
                decorated.positional,
            )


def _data(module: ModuleFacts, key: str) -> tuple:
    return next((value for name, value in module.facts.data if name == key), ())


def _by_name(project: ProjectIndex, key: str, name: Callable) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    for module in project:
        for item in _data(module, key):
            found[f"{module.module}.{name(item)}"] = (module, item)
    return found


def _resolve(
    project: ProjectIndex,
    module: ModuleFacts,
    decorator: str,
    factories: dict[str, tuple],
    aliases: dict[str, tuple],
    accepts: Accepts,
) -> tuple[str, tuple[tuple[str, Value, str], ...], FactoryDef | None] | None:
    """(factory name, keywords fixed on the way, the factory) when ``decorator`` leads to a
    job decorator ``accepts``; a class accepted directly (a subclass of the framework's
    decorator class) has no FactoryDef."""
    fixed: tuple[tuple[str, Value, str], ...] = ()
    name = project.canonical(decorator, module)
    where = module
    for _ in range(4):  # aliases of aliases, bounded
        if name in aliases:
            where, alias = aliases[name]
            fixed = (*alias.fixed, *fixed)
            name = project.canonical(alias.target, where)
            continue
        if name in factories:
            where, factory = factories[name]
            target = project.canonical(factory.target, where)
            if not accepts(target, where):
                return None
            return name, (*factory.fixed, *fixed), factory
        if name != project.canonical(decorator, module) and accepts(name, where):
            return name, fixed, None  # an alias of the framework's decorator (or a subclass)
        return None
    return None


def _job_def(
    decorated: Decorated,
    fixed: tuple[tuple[str, Value, str], ...],
    factory: FactoryDef | None,
    kind: str,
    framework: str,
    name: str,
) -> JobDef:
    """The options the framework's decorator receives, each located where a reader can see it:
    the decorator's own keywords in place; what the factory fixes or defaults at the decorator,
    its code naming the factory."""
    own = dict(decorated.options)
    at = decorated.shape.span
    options: dict[str, Located] = {}
    for key, value, code in fixed:
        options[key] = Located(value, at, f"{key}={code} (in {name})")
    if factory is not None:
        defaults = {param: (value, code) for param, value, code in factory.defaults}
        for key, param in factory.forwarded:
            if param in own:
                options[key] = own[param]
            elif param in defaults and defaults[param][0] is not None:
                value, code = defaults[param]
                options[key] = Located(value, at, f"{key}={code} (default of {name})")
        if factory.spread:
            taken = set(factory.parameters)
            options.update((key, located) for key, located in own.items() if key not in taken)
    else:
        options.update(own)
    return JobDef(
        function=decorated.function,
        name=_literal(options.get("actor_name") or options.get("name")),
        kind=kind,
        span=decorated.span,
        framework=framework,
        decorator=decorated.shape if factory is None or factory.spread else None,
        options=tuple(options.items()),
        data=(("is_async", decorated.is_async), ("factory", name)),
    )


def _literal(located: Located | None) -> str | None:
    return located.value if located is not None and isinstance(located.value, str) else None
