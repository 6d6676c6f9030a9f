"""Jobs from their sites: every site's policy, the worst of them, and where the job is.

``build_jobs`` groups the sites by job key; this module turns each group into one ``Job``.

``Job.policies`` lists every site; ``Job.policy`` is the worst site (most attempts; UNBOUNDED,
then UNKNOWN, rank worst). A job whose function is not defined in the project (a dotted string
into a library, ``obj.method`` of a local object) is still reported, located at its first
enqueue site. A site through an enqueue wrapper has the ``method``
``"<method> (enqueued through <wrapper>)"``, and ``Job.details["wrappers"]`` lists the wrappers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from retrylint.facts import CallShape, JobDef
from retrylint.frameworks.defaults import RQ_FAILURE_TTL
from retrylint.frameworks.factories import factory_job_defs
from retrylint.frameworks.rq.facts import JOB_DECORATORS
from retrylint.frameworks.rq.policy import (
    failed_job_ttl,
    failure_hooks,
    interval_notes,
    job_timeout,
    retry_policy,
    sourced,
    spread_policy,
)
from retrylint.frameworks.rq.records import (
    BINDINGS_KEY,
    DISABLE_DEFAULT_HANDLER,
    FRAMEWORK,
    FUNCTIONS_KEY,
    RetryShape,
    data,
)
from retrylint.frameworks.rq.resolve import Resolver
from retrylint.frameworks.rq.sites import Site, find_wrappers, site_of, wrapper_sites
from retrylint.model import (
    UNBOUNDED,
    UNKNOWN,
    CallSite,
    DeadLetter,
    FailureHook,
    Job,
    RetryPolicy,
    SecondsValue,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import Located


@dataclass(frozen=True)
class EnqueueSite:
    """Job.details["sites"] entry: what a fix or rule needs about one enqueue site."""

    path: str
    span: Span
    method: str
    shape: CallShape | None  # the enqueue call, or the @job decorator for .delay/.enqueue
    retry: Located | None  # the retry= value that applies (decorator's for .delay sites)
    timeout_passed_to_function: Located | None = None  # `timeout=` on enqueue (2.2 gotcha)
    notes: tuple[str, ...] = ()
    retry_shape: RetryShape | None = None  # where the Retry(...) call's arguments are
    wrapper: str | None = None  # the enqueue wrapper this site goes through


@dataclass
class _JobGroup:
    key: str
    sites: list[Site] = field(default_factory=list)
    job_def: tuple[ModuleFacts, JobDef] | None = None


def _factory_job_defs(project: ProjectIndex) -> Iterator[tuple[ModuleFacts, JobDef]]:
    """``@job("queries")`` where the project's ``job`` is ``partial(<rq job subclass>, ...)``
    or a function applying ``rq.decorators.job``: an RQ job decorated as with ``@job``."""

    def accepts(name: str, where: ModuleFacts) -> bool:
        if name in JOB_DECORATORS:
            return True
        found = project.split(name)
        if found is None or (found[0].path, found[1]) not in project.classes:
            return False
        return any(
            project.canonical(base, owner) in JOB_DECORATORS
            for owner, cls in project.lineage(*found)
            for base in project.classes[(owner.path, cls)].bases
        )

    for made in factory_job_defs(project, accepts, "rq-job", FRAMEWORK):
        options = dict(made.job_def.options)
        if made.positional and "queue" not in options:
            options["queue"] = made.positional[0]
        data = (*made.job_def.data, ("variant", "rq"), ("bare", False))
        yield made.module, replace(made.job_def, options=tuple(options.items()), data=data)


def build_jobs(project: ProjectIndex) -> Iterator[Job]:
    resolver = Resolver(project)
    groups: dict[str, _JobGroup] = {}
    decorated: dict[str, tuple[ModuleFacts, JobDef]] = {}
    for module, job_def in (*project.job_defs(), *_factory_job_defs(project)):
        if job_def.framework == FRAMEWORK and job_def.kind == "rq-job":
            key = f"{module.module}.{job_def.function}"
            decorated[key] = (module, job_def)
            groups.setdefault(key, _JobGroup(key)).job_def = (module, job_def)
    bindings = {module.path: data(module, BINDINGS_KEY) for module in project}
    wrappers = find_wrappers(resolver, bindings)
    # The enqueue inside a wrapper enqueues its parameter, not a job; a call of a wrapper is
    # that wrapper's site, whatever frameworks.calls made of it.
    handled = {(w.module.path, w.call.span) for found in wrappers.values() for w in found}
    for key, found in wrapper_sites(resolver, wrappers):
        groups.setdefault(key, _JobGroup(key)).sites.append(found)
        handled.add((found.module.path, found.call.span))
    for module, call in project.calls():
        if (module.path, call.span) in handled:
            continue
        try:
            site = site_of(resolver, module, call, decorated, bindings.get(module.path) or ())
        except Exception:  # an odd shape in one call never stops the project phase
            site = None
        if site is None:
            continue
        key, found = site
        groups.setdefault(key, _JobGroup(key)).sites.append(found)
    handlers = [
        FailureHook("exception_handler", hook.target, hook.span, True, module.path)
        for module, hook in project.hooks(FRAMEWORK)
        if hook.kind == "exception_handler"
    ]
    discarded = _registry_disabled(project)
    for group in groups.values():
        if group.sites or group.job_def is not None:
            yield _job(resolver, group, handlers, discarded)


def _registry_disabled(project: ProjectIndex) -> Sourced[SecondsValue] | None:
    """A worker started with ``disable_default_exception_handler=True``: RQ then skips the step
    that moves a failed job to the FailedJobRegistry (``Worker.handle_job_failure``, 3.0)."""
    for module, config in project.configs(FRAMEWORK):
        if config.key == DISABLE_DEFAULT_HANDLER and config.value.value is True:
            origin = f"{DISABLE_DEFAULT_HANDLER}=True on the worker: a failed job is not kept"
            return Sourced(0, "app-config", origin, config.value.span, module.path)
    return None


def _dead_letter(
    limits: list[Sourced[SecondsValue]], discarded: Sourced[SecondsValue] | None
) -> DeadLetter:
    """The FailedJobRegistry with the shortest ``failure_ttl`` of the job's sites (0 at one site
    loses that site's failures); nothing when the workers do not keep failed jobs at all."""
    if discarded is not None:
        return DeadLetter("FailedJobRegistry", discarded)

    def forever(value: SecondsValue) -> bool:
        return value is None or (isinstance(value, int | float) and value < 0)  # -1: forever

    def rank(limit: Sourced[SecondsValue]) -> float:
        if forever(limit.value):
            return float("inf")
        if isinstance(limit.value, int | float):
            return float(limit.value)
        return 1e300  # unknown: worse than any number, better than forever

    fallback: Sourced[SecondsValue] = default(RQ_FAILURE_TTL, "failure_ttl=1 year (RQ default)")
    shortest = min(limits, key=rank) if limits else fallback
    if forever(shortest.value):
        shortest = replace(shortest, value=None)
    return DeadLetter("FailedJobRegistry", shortest)


def _job(
    resolver: Resolver,
    group: _JobGroup,
    handlers: list[FailureHook],
    discarded: Sourced[SecondsValue] | None,
) -> Job:
    project = resolver.project
    definition = _definition(project, group)
    if definition is not None:
        path, span, function = definition
        defined = True
    else:
        first = min(group.sites, key=lambda s: (s.module.path, s.call.span))
        path, span, function = first.module.path, first.call.span, None
        defined = False
    name = (function or group.key.rsplit(":", 1)[-1]).rsplit(".", 1)[-1]
    sites = sorted(group.sites, key=lambda s: (s.module.path, s.call.span))
    policies: list[tuple[CallSite, RetryPolicy]] = []
    limits: list[Sourced[SecondsValue]] = []
    kept: list[Sourced[SecondsValue]] = []
    hooks: list[FailureHook] = []
    details: list[EnqueueSite] = []
    for site in sites:
        call_site, policy, limit, site_hooks, detail = _call_site(resolver, site, path)
        policies.append((call_site, policy))
        limits.append(limit)
        if call_site.failure_ttl is not None:
            kept.append(call_site.failure_ttl)
        hooks.extend(site_hooks)
        details.append(detail)
    job_def = group.job_def[1] if group.job_def else None
    if policies:
        policy = _worst(policies)
        time_limit: Sourced[SecondsValue] | None = _longest(limits)
    else:  # an @job function that is never enqueued in the project
        assert group.job_def is not None
        def_module, _ = group.job_def
        options = dict(job_def.options) if job_def else {}
        policy = retry_policy(project, def_module, options.get("retry"), None)
        time_limit = job_timeout(project, def_module, "timeout", options.get("timeout"), None, None)
        kept.append(failed_job_ttl(project, def_module, options.get("failure_ttl"), None))
        hooks.extend(
            failure_hooks(project, def_module, options.get("on_failure"), "on the @job decorator")
        )
    unique_hooks = tuple(dict.fromkeys([*hooks, *handlers]))
    job_details: list[tuple[str, Any]] = [("defined_in_project", defined)]
    if job_def is not None and group.job_def is not None:
        job_details.append(("decorator", job_def.decorator))
        job_details.append(("variant", job_def.datum("variant")))
        retry_shape = resolver.retry_shape(group.job_def[0], job_def.option("retry"))
        job_details.append(("decorator_retry", retry_shape))
    job_details.append(("sites", tuple(details)))
    wrappers = tuple(dict.fromkeys(site.wrapper for site in sites if site.wrapper))
    if wrappers:
        job_details.append(("wrappers", wrappers))
    return Job(
        name=name,
        qualname=group.key,
        framework=FRAMEWORK,
        kind="rq-job",
        path=path,
        span=span,
        policy=policy,
        policies=tuple(policies),
        failure_hooks=unique_hooks,
        time_limit=time_limit,
        dead_letter=_dead_letter(kept, discarded),
        call_sites=tuple(site for site, _ in policies),
        function=function,
        details=tuple(job_details),
    )


def _definition(project: ProjectIndex, group: _JobGroup) -> tuple[str, Span, str] | None:
    if group.job_def is not None:
        module, job_def = group.job_def
        return module.path, job_def.span, job_def.function
    if ":" in group.key:
        return None
    found = project.split(group.key)
    if found is None:
        return None
    owner, attribute = found
    for name, span in data(owner, FUNCTIONS_KEY) or ():
        if name == attribute:
            return owner.path, span, name
    return None


def _call_site(
    resolver: Resolver, site: Site, job_path: str
) -> tuple[CallSite, RetryPolicy, Sourced[SecondsValue], list[FailureHook], EnqueueSite]:
    project, options = resolver.project, site.options

    def shown(key: str) -> str | None:
        path = site.where(key).path
        return path if path != job_path else None

    retry = options.get("retry")
    spread = options.get("**")
    if retry is None and spread is not None:
        policy = spread_policy(spread, shown("**"), site.wrapper)
    else:
        policy = retry_policy(project, site.where("retry"), retry, shown("retry"))
    keyword = site.timeout_keyword
    if options.get(keyword) is None and spread is not None:
        # the spread dict may set the timeout as well (ckan's wrapper does, from its config)
        limit: Sourced[SecondsValue] = sourced(
            UNKNOWN, f"**{spread.code} may carry {keyword}=", spread, shown("**")
        )
    else:
        limit = job_timeout(
            project,
            site.where(keyword),
            keyword,
            options.get(keyword),
            site.queue_default,
            shown(keyword),
        )
    failure_ttl = failed_job_ttl(
        project, site.where("failure_ttl"), options.get("failure_ttl"), shown("failure_ttl")
    )
    origin = (
        "on the @job decorator"
        if site.decorator is not None
        else f"at the {site.call.method}() at line {site.call.span.line} only"
    )
    hooks = failure_hooks(project, site.where("on_failure"), options.get("on_failure"), origin)
    call = site.call
    method = call.method
    if site.wrapper is not None:
        method = f"{method} (enqueued through {site.wrapper})"
    call_site = CallSite(
        path=site.module.path,
        span=call.span,
        method=method,
        target=call.target or "",
        keywords=tuple(options) if site.wrapper else tuple(name for name, _ in call.keywords),
        policy=policy,
        job_timeout=limit,
        failure_hooks=tuple(hook.target for hook in hooks),
        failure_ttl=failure_ttl,
    )
    misplaced = options.get("timeout") if keyword == "job_timeout" else None
    notes = list(interval_notes(project, site.where("retry"), retry))
    if misplaced is not None:
        notes.append(
            f"timeout= on {call.method}() is passed to the job function, not a job timeout "
            "(use job_timeout=)"
        )
    if site.wrapper is not None:
        notes.append(f"enqueued through {site.wrapper}")
    detail = EnqueueSite(
        path=site.module.path,
        span=call.span,
        method=method,
        shape=site.decorator if site.decorator is not None else call.shape,
        retry=retry,
        timeout_passed_to_function=misplaced,
        notes=tuple(notes),
        retry_shape=resolver.retry_shape(site.where("retry"), retry),
        wrapper=site.wrapper,
    )
    return call_site, policy, limit, hooks, detail


# -- worst cases ---------------------------------------------------------------------------------


def _attempts_rank(value: object) -> float:
    if value is UNBOUNDED:
        return float("inf")
    if value is UNKNOWN:
        return 1e300  # worse than any number, better than "forever"
    return float(value) if isinstance(value, int | float) else 0.0


def _worst(policies: Iterable[tuple[CallSite, RetryPolicy]]) -> RetryPolicy:
    best: RetryPolicy | None = None
    for _, policy in policies:
        if best is None or _attempts_rank(policy.max_attempts.value) > _attempts_rank(
            best.max_attempts.value
        ):
            best = policy
    assert best is not None
    return best


def _longest(limits: list[Sourced[SecondsValue]]) -> Sourced[SecondsValue] | None:
    """The weakest time limit among the sites: none, then unknown, then the largest."""

    def rank(limit: Sourced[SecondsValue]) -> float:
        if limit.value is None:
            return float("inf")
        if limit.value is UNKNOWN:
            return 1e300
        return float(limit.value)  # type: ignore[arg-type]

    return max(limits, key=rank) if limits else None
