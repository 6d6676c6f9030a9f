"""Enqueue sites: which calls enqueue which job, with which options.

A site is a call on an RQ queue, a ``.delay()`` / ``.enqueue()`` of an ``@job`` function, or a
call of an enqueue wrapper; each gets the key of the job it enqueues, the options that apply
there and the module each option is written in. Telling sites apart from other calls is the
project phase's main work, so it is a room of its own.

The job timeout is ``job_timeout=`` on ``enqueue``/``enqueue_in``/``enqueue_at`` and ``timeout=``
on ``enqueue_call``/``prepare_data``/``Job.create``/``@job``; ``timeout=`` on ``enqueue`` is
passed to the function (recorded as a note, not a timeout). ``self.send`` / ``cls.handle`` /
``Mailer.send`` resolve to the method the class (or a project base class) defines, and the job
is located at that ``def``.

A wrapper's parameter P (see ``wrappers``) is not a job; each call of the wrapper in the project
(through imports and re-exports, ``self.x`` / ``cls.x`` methods, positional or keyword) is an
enqueue site of the function it passes as P. The wrapper's own options apply there; options the
wrapper forwards from its parameters take the call's argument, else the parameter's default,
else are unknown; a ``**spread`` in the wrapper makes the retry policy unknown, except the
wrapper's own ``**kwargs`` when the caller spreads nothing (it then holds exactly the caller's
extra keywords). One level: a wrapper of a wrapper is not followed, and a call passing its own
parameter on is no site.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from retrylint.facts import CallFact, CallShape, JobDef
from retrylint.frameworks.rq.records import (
    FRAMEWORK,
    QUEUE_METHODS,
    WRAPPER_CALLS_KEY,
    WRAPPERS_KEY,
    Binding,
    WrapperDef,
    data,
)
from retrylint.frameworks.rq.resolve import Resolver, is_rq_receiver, queue_default
from retrylint.model import SecondsValue, Sourced, Span
from retrylint.project import ModuleFacts
from retrylint.values import Located, Ref

# The keyword that sets the job timeout, per way of creating a job (frameworks.md 2.2).
TIMEOUT_KEYWORD = {
    "enqueue": "job_timeout",
    "enqueue_in": "job_timeout",
    "enqueue_at": "job_timeout",
    "enqueue_call": "timeout",
    "prepare_data": "timeout",
    "create": "timeout",
    "decorator": "timeout",
}


@dataclass
class Site:
    """One enqueue site, before it becomes a CallSite with a policy."""

    module: ModuleFacts
    call: CallFact
    options: dict[str, Located]  # the options that apply: the call's, or the decorator's
    options_module: ModuleFacts  # where those options are written
    timeout_keyword: str
    queue_default: Sourced[SecondsValue] | None = None
    decorator: CallShape | None = None
    # For a call through an enqueue wrapper: options given at the call (forwarded to a wrapper
    # parameter) are written in the calling module, the wrapper's own in the wrapper's.
    option_modules: dict[str, ModuleFacts] = field(default_factory=dict)
    wrapper: str | None = None

    def where(self, key: str) -> ModuleFacts:
        return self.option_modules.get(key, self.options_module)


@dataclass(frozen=True)
class _Wrapper:
    """An enqueue wrapper found in the project: its definition and the RQ call inside it."""

    key: str  # canonical name of the wrapper function
    module: ModuleFacts
    definition: WrapperDef
    call: CallFact
    binding: Binding | None


def site_of(
    resolver: Resolver,
    module: ModuleFacts,
    call: CallFact,
    decorated: dict[str, tuple[ModuleFacts, JobDef]],
    bindings: tuple[tuple[Span, Binding], ...],
) -> tuple[str, Site] | None:
    project = resolver.project
    method = call.method
    if method not in QUEUE_METHODS and method not in ("delay", "create"):
        return None
    if method in ("delay", "enqueue"):
        # f.delay(...) / f.enqueue(...) on an @job function: the receiver (or, when the first
        # argument was not a name, the target) is the function. A queue's enqueue(f, retry=...)
        # of a decorated f, on whatever expression gives the queue, is a queue call: its own
        # options apply.
        named = call.receiver if method == "enqueue" and call.receiver else call.target
        if method == "enqueue" and call.receiver is None and _first_argument_is(call, named):
            named = None
        if named is not None and call.framework is None:
            key = project.canonical(named, module)
            if key in decorated:
                def_module, job_def = decorated[key]
                return key, _decorated_site(module, call, def_module, job_def)
        if method == "delay":
            return None
    if call.target is None:
        return None
    binding: Binding | None = None
    if call.framework == FRAMEWORK:
        pass  # recorded by this adapter: Job.create(f), django_rq's plain enqueue(f)
    elif method == "create":
        return None
    else:
        binding = next((b for span, b in bindings if span == call.span), None)
        if call.receiver is None and binding is None:
            return None  # x.enqueue(<not a name>): x is the call's target, not a queue
        if not is_rq_receiver(resolver, module, call, binding):
            return None
    key = _job_key(resolver, module, call)
    options = dict(call.keywords)
    return key, Site(
        module,
        call,
        options,
        module,
        TIMEOUT_KEYWORD.get(method, "job_timeout"),
        queue_default=queue_default(resolver, module, call, binding),
    )


def _first_argument_is(call: CallFact, target: str | None) -> bool:
    first = call.args[0].value if call.args else None
    return isinstance(first, Ref) and first.name == target


def _decorated_site(
    module: ModuleFacts, call: CallFact, def_module: ModuleFacts, job_def: JobDef
) -> Site:
    return Site(
        module,
        call,
        dict(job_def.options),
        def_module,
        TIMEOUT_KEYWORD["decorator"],
        decorator=job_def.decorator,
    )


# -- enqueue wrappers ----------------------------------------------------------------------------


def find_wrappers(resolver: Resolver, bindings: dict[str, Any]) -> dict[str, list[_Wrapper]]:
    """Functions whose parameter is the job of an ``enqueue*`` call on an RQ queue."""
    found: dict[str, list[_Wrapper]] = {}
    for module in resolver.project:
        definitions = data(module, WRAPPERS_KEY)
        if not definitions:
            continue
        calls = {call.span: call for call in module.facts.calls if call.method in QUEUE_METHODS}
        for definition in definitions:
            call = calls.get(definition.call_span)
            if call is None:
                continue
            binding = next(
                (b for span, b in bindings.get(module.path) or () if span == call.span), None
            )
            if call.framework != FRAMEWORK:
                if call.receiver is None and binding is None:
                    continue
                if not is_rq_receiver(resolver, module, call, binding):
                    continue
            key = f"{module.module}.{definition.function}"
            found.setdefault(key, []).append(_Wrapper(key, module, definition, call, binding))
    return found


def wrapper_sites(
    resolver: Resolver, wrappers: dict[str, list[_Wrapper]]
) -> Iterator[tuple[str, Site]]:
    if not wrappers:
        return
    for module in resolver.project:
        for fact, parameters in data(module, WRAPPER_CALLS_KEY) or ():
            callee, shift = _wrapper_callee(resolver, module, fact)
            for wrapper in wrappers.get(callee or "", ()):
                try:
                    site = _wrapper_site(resolver, module, fact, parameters, wrapper, shift)
                except Exception:  # an odd shape in one call never stops the project phase
                    site = None
                if site is not None:
                    yield site


def _wrapper_callee(
    resolver: Resolver, module: ModuleFacts, fact: CallFact
) -> tuple[str | None, int]:
    """The canonical name of the function a call calls, and how many leading positional
    arguments bind ``self`` (1 for ``Class.method(obj, ...)``)."""
    name = fact.receiver or ""
    method = resolver.self_method(module, fact.function, name)
    if method is not None:
        return method, 0
    canonical = resolver.project.canonical(name, module)
    owner, _, _ = canonical.rpartition(".")
    return canonical, 1 if resolver.project_class(owner) is not None else 0


def _wrapper_site(
    resolver: Resolver,
    module: ModuleFacts,
    fact: CallFact,
    caller_parameters: tuple[str, ...],
    wrapper: _Wrapper,
    shift: int,
) -> tuple[str, Site] | None:
    definition = wrapper.definition
    if definition.kind != "method":
        shift = 0  # Class.method(f) binds self only for a plain method
    given = _bound_argument(fact, definition, definition.parameter, shift)
    if given is None:
        return None
    value = given.value
    if isinstance(value, str):
        target, is_string = value, True
    elif isinstance(value, Ref):
        target, is_string = value.name, False
        if target in caller_parameters:
            return None  # a wrapper of a wrapper: one level is followed
    else:
        return None
    options: dict[str, Located] = {}
    modules: dict[str, ModuleFacts] = {}
    parameters = set(definition.parameters)
    defaults = dict(definition.defaults)
    for name, located in wrapper.call.keywords:
        forwarded = located.value
        if name == "**" and isinstance(forwarded, Ref) and forwarded.name == definition.var_keyword:
            # **kwargs of the wrapper: exactly the keywords the caller gives beyond the
            # wrapper's own parameters (or unknown when the caller spreads a dict itself).
            for key, item in fact.keywords:
                if key not in parameters:
                    options.setdefault(key, item)
                    modules.setdefault(key, module)
            continue
        if name != "**" and isinstance(forwarded, Ref) and forwarded.name in parameters:
            argument = _bound_argument(fact, definition, forwarded.name, shift)
            if argument is not None:
                options[name], modules[name] = argument, module
                continue
            if forwarded.name in defaults:
                options[name], modules[name] = defaults[forwarded.name], wrapper.module
                continue
        options.setdefault(name, located)
        modules.setdefault(name, wrapper.module)
    call = CallFact(
        method=wrapper.call.method,
        target=target,
        span=fact.span,
        receiver=fact.receiver,
        args=fact.args,
        keywords=fact.keywords,
        shape=fact.shape,
        function=fact.function,
        framework=FRAMEWORK,
    )
    key = _job_key(resolver, module, call, is_string)
    return key, Site(
        module,
        call,
        options,
        wrapper.module,
        TIMEOUT_KEYWORD.get(wrapper.call.method, "job_timeout"),
        queue_default=queue_default(resolver, wrapper.module, wrapper.call, wrapper.binding),
        option_modules=modules,
        wrapper=wrapper.key,
    )


def _bound_argument(
    fact: CallFact, definition: WrapperDef, name: str, shift: int
) -> Located | None:
    """The argument a call gives for the wrapper parameter ``name``, as Python binds it."""
    located = fact.keyword(name)
    if located is not None:
        return located
    if name not in definition.parameters:
        return None
    index = definition.parameters.index(name)
    if index >= definition.positional:
        return None  # keyword-only
    index += shift
    return fact.args[index] if index < len(fact.args) else None


# -- the job a site enqueues ---------------------------------------------------------------------


def _job_key(
    resolver: Resolver, module: ModuleFacts, call: CallFact, is_string: bool | None = None
) -> str:
    project = resolver.project
    target = call.target or ""
    string = _target_is_string(call) if is_string is None else is_string
    if string or target.startswith(("$", ".")):
        return project.canonical(target, module)
    method = resolver.self_method(module, call.function, target)
    if method is not None:
        return method  # self.send / cls.handle: the method the class (or a base) defines
    head = target.split(".", 1)[0]
    roots = {value.split(".", 1)[0] for _, value in module.facts.imports}
    if head in roots:
        return project.canonical(target, module)
    # A local expression (self.process, a parameter) or a builtin: only meaningful in its module.
    return f"{module.module}:{target}"


def _target_is_string(call: CallFact) -> bool:
    located = [*call.args, *(value for name, value in call.keywords if name in ("f", "func"))]
    return any(isinstance(item.value, str) and item.value == call.target for item in located)
