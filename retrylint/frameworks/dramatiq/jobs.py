"""The project half: one ``Job`` per Dramatiq actor, with its effective policy.

``build_jobs`` resolves actor classes through their bases and computes the effective policy:
message options, then actor options, then broker middleware, then defaults. The other side of
the engine's seam from ``facts``: it reads every file's facts, never a syntax tree.

Facts from the installed sources (dramatiq 2.2.1, ``middleware/retries.py``): the message option
wins over the actor option, which wins over the middleware's (``options.get(key, fallback)``, so
an explicit 0 or None counts); ``retry_when`` is read from the actor or the middleware only, and
when set it replaces ``max_retries``; ``throws`` is checked first; ``max_backoff`` is clamped to
7 days; ``Retries(min_backoff=0)`` falls back to the default (``min_backoff or DEFAULT``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from retrylint.facts import CallFact, HookFact, JobDef
from retrylint.frameworks.common import retries_flag
from retrylint.frameworks.defaults import (
    DRAMATIQ_DEAD_MESSAGE_TTL,
    DRAMATIQ_MAX_BACKOFF,
    DRAMATIQ_MAX_RETRIES,
    DRAMATIQ_MIN_BACKOFF,
    DRAMATIQ_MS,
    DRAMATIQ_TIME_LIMIT,
)
from retrylint.frameworks.dramatiq.brokers import (
    Broker,
    Setting,
    actor_broker,
    all_brokers,
    default_broker,
    local_brokers,
)
from retrylint.frameworks.dramatiq.facts import (
    RetryRaise,
    hook_target,
)
from retrylint.frameworks.dramatiq.from_declarations import literal_name
from retrylint.frameworks.dramatiq.names import (
    ACTOR_DECORATORS,
    FRAMEWORK,
    GENERIC_ACTORS,
    RETRY_RAISES_DATA,
    SUBCLASS_DATA,
)
from retrylint.frameworks.dramatiq.retry_when import RETRY_WHEN_DATA, RetryWhen
from retrylint.frameworks.factories import factory_job_defs
from retrylint.linking import call_site
from retrylint.model import (
    UNBOUNDED,
    UNKNOWN,
    CallSite,
    DeadLetter,
    Delay,
    FailureHook,
    Job,
    Marker,
    RetryPolicy,
    SecondsValue,
    Sourced,
    Span,
    default,
)
from retrylint.project import ModuleFacts, ProjectIndex
from retrylint.values import (
    CallValue,
    Located,
    OpValue,
    Ref,
    as_seconds,
    exception_names,
    is_number,
)

# Middleware from other packages that reports every failed message.
REPORTING_MIDDLEWARE = {"sentry_sdk.integrations.dramatiq.SentryMiddleware": "sentry"}
# Options that a message may override with send_with_options / message_with_options.
MESSAGE_OPTIONS = ("max_retries", "min_backoff", "max_backoff", "throws", "time_limit", "max_age")


def build_jobs(project: ProjectIndex) -> Iterable[Job]:
    brokers = all_brokers(project)
    chosen = default_broker(project, brokers)
    local = local_brokers(project)
    retry_whens: dict[tuple[str, Span], RetryWhen] = {}
    raises: dict[tuple[str, str], tuple[RetryRaise, ...]] = {}
    # A class is an actor only by way of dramatiq's GenericActor: with dramatiq imported nowhere,
    # none of a large project's classes (5,920 with bases in 5,559 files) needs resolving.
    generic = FRAMEWORK in project.frameworks_imported
    subclasses: list[tuple[ModuleFacts, JobDef]] = []
    for module in project:
        for key, value in module.facts.data:
            if key == RETRY_WHEN_DATA:
                span, analysis = value
                retry_whens[(module.path, span)] = analysis
            elif key == RETRY_RAISES_DATA:
                function, found = value
                raises[(module.path, function)] = found
            elif key == SUBCLASS_DATA and generic:
                subclasses.append((module, value))
    hooks: dict[str, tuple[ModuleFacts, HookFact]] = {}
    for module, hook in project.hooks(FRAMEWORK):
        if hook.kind.startswith("middleware."):
            hooks.setdefault(project.canonical(hook.target, module), (module, hook))
    candidates = [
        (module, job_def)
        for module, job_def in project.job_defs()
        if job_def.framework == FRAMEWORK and job_def.kind in ("actor", "actor-class")
    ]
    candidates.extend(subclasses)
    candidates.extend(
        (made.module, made.job_def)
        for made in factory_job_defs(
            project, lambda name, _: name in ACTOR_DECORATORS, "actor", FRAMEWORK
        )
    )
    classes = {
        f"{module.module}.{job_def.function}": (module, job_def)
        for module, job_def in candidates
        if job_def.kind == "actor-class"
    }
    overrides = _message_overrides(project)
    for module, job_def in candidates:
        if job_def.kind == "actor-class":
            resolved = _resolve_actor_class(project, module, job_def, classes)
            if resolved is None:
                continue
            job_def = resolved
        elif job_def.kind != "actor":
            continue
        broker = actor_broker(project, module, job_def, brokers, chosen, local)
        actor_raises = raises.get((module.path, job_def.function), ())
        yield _build_actor(
            project, module, job_def, broker, retry_whens, hooks, overrides, actor_raises
        )


def _resolve_actor_class(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    classes: dict[str, tuple[ModuleFacts, JobDef]],
) -> JobDef | None:
    """A concrete GenericActor subclass with its effective Meta options, or None.

    Dramatiq resets ``abstract`` to False on an abstract base's Meta once the base is created, so
    a subclass without its own Meta is concrete and inherits the base's options; a subclass with
    its own Meta uses only that one.
    """
    if job_def.datum("abstract"):
        return None
    is_actor = False
    options = job_def.options if job_def.datum("has_meta") else None
    options_path = module.path
    seen: set[str] = set()
    pending = [(module, base) for base in job_def.datum("bases", ())]
    while pending:
        owner, base = pending.pop(0)
        name = project.canonical(base, owner)
        if name in GENERIC_ACTORS:
            is_actor = True
            continue
        if name in seen or name not in classes:
            continue
        seen.add(name)
        base_module, base_def = classes[name]
        if options is None and base_def.datum("has_meta"):
            options, options_path = base_def.options, base_module.path
        pending.extend((base_module, b) for b in base_def.datum("bases", ()))
    if not is_actor:
        return None
    options = options or ()
    data = (*job_def.data, ("options_path", options_path))
    return replace(job_def, options=options, name=literal_name(options, "actor_name"), data=data)


def _message_overrides(project: ProjectIndex) -> dict[str, list[tuple[ModuleFacts, CallFact]]]:
    found: dict[str, list[tuple[ModuleFacts, CallFact]]] = {}
    for module, call in project.calls():
        if call.method not in ("send_with_options", "message_with_options") or not call.target:
            continue
        if any(call.keyword(key) is not None for key in MESSAGE_OPTIONS):
            found.setdefault(project.canonical(call.target, module), []).append((module, call))
    return found


def _build_actor(
    project: ProjectIndex,
    module: ModuleFacts,
    job_def: JobDef,
    broker: Broker | Marker | None,
    retry_whens: dict[tuple[str, Span], RetryWhen],
    hooks: dict[str, tuple[ModuleFacts, HookFact]],
    overrides: dict[str, list[tuple[ModuleFacts, CallFact]]],
    raises: tuple[RetryRaise, ...] = (),
) -> Job:
    qualname = f"{module.module}.{job_def.function}"
    function = job_def.function
    if job_def.kind == "actor-class":
        function = job_def.datum("perform") or function
    actor = {name: located for name, located in job_def.options}
    options_path = job_def.datum("options_path", module.path)
    resolver = _Resolver(
        project, module, actor, broker, retry_whens, options_path=options_path, raises=raises
    )
    policy = resolver.policy({})
    policies: list[tuple[CallSite, RetryPolicy]] = []
    for call_module, call in overrides.get(qualname, ()):
        message = {name: located for name, located in call.keywords if name in MESSAGE_OPTIONS}
        site_policy = _Resolver(
            project, module, actor, broker, retry_whens, call_module.path, options_path, raises
        ).policy(message)
        site = replace(call_site(call_module, call), policy=site_policy)
        policies.append((site, site_policy))
    details: list[tuple[str, object]] = [
        ("broker", broker.name if isinstance(broker, Broker) else broker),
        ("retries_middleware", resolver.retries_middleware()),
        ("options", job_def.options),
        # Where the message id is readable in the actor (a stable id for idempotency keys).
        (
            "current_message",
            isinstance(broker, Broker)
            and any(name.rsplit(".", 1)[-1] == "CurrentMessage" for name, _ in broker.middleware),
        ),
    ]
    if job_def.decorator is not None:
        details.insert(0, ("decorator", job_def.decorator))
    if job_def.kind == "actor-class":
        details.append(("actor_class", True))
    for key in ("retry_when", "throws", "queue_name"):
        if key in actor:
            details.append((key, actor[key]))
    steady = resolver.steady_retry()
    if steady is not None:
        details.append(("delay_retry_on", _handled(steady.handled)))
    when = resolver.retry_when()
    if when is not None and when[1].function is not None:
        details.append(("retry_when_function", when[1].function))
    if job_def.name is None and "actor_name" in actor:
        details.append(("actor_name_unknown", actor["actor_name"]))
    return Job(
        name=job_def.name or job_def.function.rsplit(".", 1)[-1],
        qualname=qualname,
        framework=FRAMEWORK,
        kind="actor",
        path=module.path,
        span=job_def.span,
        policy=policy,
        policies=tuple(policies),
        failure_hooks=_failure_hooks(actor, options_path, broker, hooks),
        time_limit=resolver.time_limit({}),
        dead_letter=_dead_letter(broker, resolver),
        function=function,
        details=tuple(details),
    )


def _handled(handled: object) -> object:
    """The failures a retry path retries: its ``except`` clause's, or none (a condition)."""
    return () if handled is None else handled


def _failure_hooks(
    actor: dict[str, Located],
    options_path: str,
    broker: Broker | Marker | None,
    hooks: dict[str, tuple[ModuleFacts, HookFact]],
) -> tuple[FailureHook, ...]:
    """The actor's ``on_failure`` / ``on_retry_exhausted`` options, and the middleware of its
    broker that sees failed messages (a project middleware, or Sentry's ``SentryMiddleware``
    added by hand)."""
    found: list[FailureHook] = []
    for key, every_attempt in (("on_failure", True), ("on_retry_exhausted", False)):
        if key in actor:
            located = actor[key]
            target = hook_target(located)
            found.append(FailureHook(key, target, located.span, every_attempt, options_path))
    if isinstance(broker, Broker):
        origin = f"middleware of broker {broker.name}"
        for class_name, setting in broker.middleware:
            if class_name in hooks:
                module, hook = hooks[class_name]
                found.append(
                    FailureHook(hook.kind, class_name, hook.span, True, module.path, origin)
                )
            elif class_name in REPORTING_MIDDLEWARE:
                found.append(
                    FailureHook(
                        REPORTING_MIDDLEWARE[class_name],
                        class_name,
                        setting.span,
                        True,
                        setting.path,
                        f"added to broker {broker.name}",
                    )
                )
    return tuple(found)


def _dead_letter(broker: Broker | Marker | None, resolver: _Resolver) -> DeadLetter:
    """A failed message goes to ``<queue>.XQ`` for ``dead_message_ttl`` (7 days by default);
    without the Retries middleware nothing calls ``message.fail()``, so the worker acks a failed
    message and it is gone (dramatiq 2.2 ``worker.py`` ``post_process_message``)."""
    state, listed = resolver.middleware_state("Retries")
    if state == "absent" and listed is not None:
        why = f"{listed.origin} without Retries: a failed message is acked, not dead-lettered"
        return DeadLetter("", listed.sourced(0, why))
    setting = broker.dead_message_ttl if isinstance(broker, Broker) else None
    if setting is None:
        return DeadLetter(
            "dead-letter queue",
            default(DRAMATIQ_DEAD_MESSAGE_TTL, "dead_message_ttl=7 days (Dramatiq default)"),
        )
    assert isinstance(broker, Broker)
    module = resolver.project.by_path.get(setting.path or "", broker.module)
    seconds = as_seconds(resolver.project.literal(setting.value, module), DRAMATIQ_MS)
    origin = f"dead_message_ttl={setting.origin}"
    return DeadLetter("dead-letter queue", setting.sourced(seconds, origin))


class _Resolver:
    """One actor's options in precedence order: message, actor, broker middleware, default."""

    def __init__(
        self,
        project: ProjectIndex,
        module: ModuleFacts,
        actor: dict[str, Located],
        broker: Broker | Marker | None,
        retry_whens: dict[tuple[str, Span], RetryWhen],
        message_path: str | None = None,
        options_path: str | None = None,
        raises: tuple[RetryRaise, ...] = (),
    ) -> None:
        self.project = project
        self.raises = raises
        self.module = module
        self.actor = actor
        self.broker = broker
        self.retry_whens = retry_whens
        self.message_path = message_path
        # Options inherited from a base class's Meta live in the base's file.
        self.options_path = None if options_path == module.path else options_path

    def setting(
        self, key: str, middleware: str | None, message: dict[str, Located]
    ) -> Setting | None:
        """The setting that decides ``key``, its value read through the project's constants
        and settings (``max_retries=settings.WORKER_MAX_RETRIES``)."""
        found = self._setting(key, middleware, message)
        if found is None or not isinstance(found.value, Ref | OpValue):
            return found
        module = self.project.by_path.get(found.path) if found.path else self.module
        value = self.project.literal(found.value, module or self.module)
        if value is UNKNOWN:
            return found
        return replace(found, value=value, origin=f"{found.origin} (= {value!r})")

    def _setting(
        self, key: str, middleware: str | None, message: dict[str, Located]
    ) -> Setting | None:
        if key in message:
            located = message[key]
            return Setting(
                located.value, "explicit", f"{key}={located.code}", located.span, self.message_path
            )
        if key in self.actor:
            located = self.actor[key]
            origin = f"{key}={located.code}"
            return Setting(located.value, "explicit", origin, located.span, self.options_path)
        if middleware is not None and isinstance(self.broker, Broker):
            return self.broker.settings.get(f"{middleware}.{key}")
        if middleware is not None and self.broker is UNKNOWN:
            return Setting(UNKNOWN, "app-config", f"{key} (the actor's broker is not known)")
        return None

    def middleware_state(self, kind: str) -> tuple[str, Setting | None]:
        """ "default", "configured", "absent" (a middleware list without it) or "unknown"."""
        broker = self.broker
        if not isinstance(broker, Broker):
            return ("unknown" if broker is UNKNOWN else "default"), None
        listed = broker.middleware_list
        if listed is not None:
            if not isinstance(listed.value, tuple):
                return "unknown", listed
            names = [i.last for i in listed.value if isinstance(i, CallValue)]
            if len(names) != len(listed.value):
                return "unknown", listed
            if kind not in names:
                return "absent", listed
            return "configured", listed
        if f"{kind}()" in broker.config_calls:
            # add_middleware() on a broker that already has the default one: two of them.
            return "added", None
        return "default", None

    def retries_middleware(self) -> str:
        return self.middleware_state("Retries")[0]

    def retry_when(self) -> tuple[Setting, RetryWhen] | None:
        setting = self.setting("retry_when", "Retries", {})
        if setting is None or setting.value is None:
            return None
        if setting.span is None:
            return setting, RetryWhen(UNKNOWN, UNKNOWN)
        path = setting.path or self.options_path or self.module.path
        analysis = self.retry_whens.get((path, setting.span), RetryWhen(UNKNOWN, UNKNOWN))
        return setting, analysis

    def policy(self, message: dict[str, Located]) -> RetryPolicy:
        state, listed = self.middleware_state("Retries")
        redelivery: Sourced[bool | Marker] = default(
            True, "Dramatiq acks a message after processing it: a worker crash redelivers it"
        )
        permanent = self.permanent(message)
        if state == "absent" and listed is not None:
            origin = f"{listed.origin} without Retries (failures are not retried)"
            off = listed.sourced(False, origin)
            return RetryPolicy(
                retries=off,
                max_attempts=listed.sourced(1, origin),
                delay=listed.sourced(Delay("none", 0.0, None, False), origin),
                deadline=listed.sourced(None, origin),
                retry_on=listed.sourced((), origin),
                permanent=permanent,
                redelivery=redelivery,
            )
        attempts, retry_on = self.attempts(message)
        if state == "unknown" and listed is not None:
            unknown = f"{listed.origin} (Retries may be missing)"
            if attempts.source == "default":
                attempts = listed.sourced(UNKNOWN, unknown)
        if isinstance(attempts.value, int) and attempts.value <= 1:
            # max_retries=0 (or a retry_when that always says no): one run, nothing retried.
            def same(value: object) -> Sourced:
                return Sourced(
                    value, attempts.source, attempts.origin, attempts.span, attempts.path
                )

            return RetryPolicy(
                retries=same(False),
                max_attempts=attempts,
                delay=same(Delay("none", 0.0, None, False)),
                deadline=same(None),
                retry_on=same(()),
                permanent=permanent,
                redelivery=redelivery,
            )
        return RetryPolicy(
            retries=retries_flag(attempts),
            max_attempts=attempts,
            delay=self.delay(message),
            deadline=self.deadline(message),
            retry_on=retry_on,
            permanent=permanent,
            redelivery=redelivery,
        )

    def attempts(self, message: dict[str, Located]) -> tuple[Sourced, Sourced]:
        every = default("all", "every exception, BaseException included (Dramatiq default)")
        when = self.retry_when()
        if when is not None:
            # retry_when replaces max_retries entirely, message options included.
            setting, analysis = when
            if analysis.retry_on == "all":
                retry_on = every
            elif isinstance(analysis.retry_on, tuple):
                retry_on = setting.sourced(self.names(setting, analysis.retry_on))
            else:
                retry_on = setting.sourced(analysis.retry_on)
            return setting.sourced(analysis.attempts), retry_on
        found = self.setting("max_retries", "Retries", message)
        if found is None:
            origin = f"max_retries={DRAMATIQ_MAX_RETRIES} (Dramatiq default)"
            return default(DRAMATIQ_MAX_RETRIES + 1, origin), every
        value = found.value
        if value is None:
            attempts: int | Marker = UNBOUNDED
        elif isinstance(value, int) and not isinstance(value, bool):
            attempts = max(value, 0) + 1
        else:
            attempts = UNKNOWN
        return found.sourced(attempts), every

    def permanent(self, message: dict[str, Located]) -> Sourced:
        setting = self.setting("throws", None, message)
        when = self.retry_when()
        excluded = self.names(when[0], when[1].permanent) if when is not None else ()
        if setting is None or setting.value is None:
            if when is not None and excluded:
                return when[0].sourced(excluded)
            return default((), "no throws= (Dramatiq retries every exception)")
        names = exception_names(setting.value)
        if isinstance(names, tuple):
            names = tuple(dict.fromkeys(self.names(setting, names) + excluded))
        return setting.sourced(names)

    def names(self, setting: Setting, names: tuple[str, ...]) -> tuple[str, ...]:
        """Exception names qualified in the module the setting was written in."""
        path = setting.path or self.options_path or self.module.path
        owner = self.project.by_path.get(path, self.module)
        return tuple(self.project.canonical(name, owner) for name in names)

    def steady_retry(self) -> RetryRaise | None:
        """The first ``raise Retry(delay=<constant>)``: Dramatiq then waits that long, not its
        backoff. A delay computed at run time (a server's Retry-After) is not steady."""
        for found in self.raises:
            if found.delay is not None and self._delay_ms(found.delay) is not None:
                return found
        return None

    def _delay_ms(self, located: Located) -> float | None:
        value = self.project.literal(located.value, self.module)
        return float(value) if is_number(value) else None  # type: ignore[arg-type]

    def delay(self, message: dict[str, Located]) -> Sourced:
        """Backoff from min_backoff to max_backoff; a steady ``raise Retry(delay=...)`` is the
        weakest path and stands for the actor (as Celery's weakest retry path does)."""
        steady = self.steady_retry()
        if steady is not None and steady.delay is not None:
            milliseconds = self._delay_ms(steady.delay) or 0.0
            wait = Delay("constant", milliseconds / 1000, None, False)
            if milliseconds <= 0:
                wait = Delay("none", 0.0, None, False)
            return Sourced(wait, "explicit", steady.code, steady.delay.span)
        low = self.setting("min_backoff", "Retries", message)
        high = self.setting("max_backoff", "Retries", message)
        base = _milliseconds(low, DRAMATIQ_MIN_BACKOFF, middleware_or_default=True)
        cap = _milliseconds(high, DRAMATIQ_MAX_BACKOFF, middleware_or_default=True)
        # Dramatiq clamps max_backoff to 7 days, so an unknown cap is still at most that.
        cap = DRAMATIQ_MAX_BACKOFF if cap is None else min(cap, DRAMATIQ_MAX_BACKOFF)
        if base == 0.0:
            delay = Delay("none", 0.0, None, False)
        else:
            # 1.x: min(min_backoff * 2**k, max_backoff), jittered down to [d/2, d];
            # 2.x: min_backoff * 2**k * U(1, 2), over the cap -> max_backoff * U(0.5, 1).
            # Either way min_backoff is the scale of the first delay: base = min_backoff.
            delay = Delay("exponential", base, cap, True)
        sources = [s for s in (low, high) if s is not None]
        if not sources:
            return default(
                delay,
                "exponential backoff from min_backoff=15000 to max_backoff=604800000 ms "
                "with jitter (Dramatiq default)",
            )
        first = sources[0]
        origins = [s.origin for s in sources]
        if len(sources) == 2 and all(o.startswith("Retries(") for o in origins):
            origins = [f"Retries({origins[0][8:-1]}, {origins[1][8:-1]})"]
        return first.sourced(delay, ", ".join(origins))

    def deadline(self, message: dict[str, Located]) -> Sourced:
        setting = self.setting("max_age", "AgeLimit", message)
        if setting is not None and setting.value not in (None, 0):
            # A message older than max_age is failed before it runs, retries included (they
            # keep the first message's timestamp): a total cap on the retry window.
            return setting.sourced(as_seconds(setting.value, DRAMATIQ_MS))
        return default(None, "no max_age (Dramatiq has no total retry deadline)")

    def time_limit(self, message: dict[str, Located]) -> Sourced[SecondsValue]:
        state, listed = self.middleware_state("TimeLimit")
        if state == "absent" and listed is not None:
            return listed.sourced(None, f"{listed.origin} without TimeLimit")
        setting = self.setting("time_limit", "TimeLimit", message)
        if setting is None:
            return default(DRAMATIQ_TIME_LIMIT, "time_limit=600000 ms (Dramatiq default)")
        value = setting.value
        seconds: SecondsValue = None if value in (None, 0) else as_seconds(value, DRAMATIQ_MS)
        return setting.sourced(seconds)


def _milliseconds(
    setting: Setting | None, fallback: float, *, middleware_or_default: bool
) -> float | None:
    """Seconds from a millisecond option; None when unknown.

    ``Retries(min_backoff=0)`` means the default (the middleware does ``value or DEFAULT``); an
    actor or message option of 0 is used as is.
    """
    if setting is None:
        return fallback
    if setting.source == "app-config" and middleware_or_default and not setting.value:
        return fallback if setting.value in (0, None) else None
    seconds = as_seconds(setting.value, DRAMATIQ_MS)
    return None if isinstance(seconds, Marker) else seconds
