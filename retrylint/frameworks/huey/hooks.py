"""Each task's failure hooks. ``@huey.signal(SIGNAL_ERROR)`` (or no signal: every signal) and
``SIGNAL_TIMEOUT`` handlers fire on every attempt; ``task.s(...).error(handler)`` runs on every
failed attempt while ``store_intermediate_errors`` is on (3.x default), else only on the final
one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from retrylint.frameworks.huey.receivers import resolve_receiver
from retrylint.frameworks.huey.records import DJHUEY, ON_ERROR_KEY, SIGNALS_KEY
from retrylint.model import FailureHook
from retrylint.project import ProjectIndex
from retrylint.values import CallValue, Value


@dataclass(frozen=True)
class SignalHook:
    instance: str | None  # None: the receiver could not be resolved
    strong: bool
    hook: FailureHook


def signal_hooks(project: ProjectIndex) -> Iterator[SignalHook]:
    for module in project:
        entries = next((v for k, v in module.facts.data if k == SIGNALS_KEY), ())
        hooked = {(h.kind, h.target, h.span) for h in module.facts.hooks}
        for receiver_kind, receiver, kind, handler, span in entries:
            strong = (kind, handler, span) in hooked
            if receiver_kind == "djhuey":
                instance: str | None = DJHUEY
            elif receiver_kind == "shadow":
                instance = f"{module.module}.huey"
            else:
                resolved = resolve_receiver(project, module, receiver, None)
                if resolved is False:
                    continue  # another framework's .signal()
                instance = resolved[0] if isinstance(resolved, tuple) else None
                strong = strong or instance is not None
            target = f"{module.module}.{handler}"
            hook = FailureHook(kind, target, span, True, module.path)
            yield SignalHook(instance, strong, hook)


def on_error_hooks(project: ProjectIndex) -> dict[str, list[FailureHook]]:
    hooks: dict[str, list[FailureHook]] = {}
    for module in project:
        entries = next((v for k, v in module.facts.data if k == ON_ERROR_KEY), ())
        for task, handler, span in entries:
            key = project.canonical(task, module)
            target = project.canonical(handler, module) if "(" not in handler else handler
            origin = "on the pipeline started at this call only"
            hook = FailureHook("on_error", target, span, path=module.path, origin=origin)
            hooks.setdefault(key, []).append(hook)
    return hooks


def job_hooks(
    qualname: str,
    instance: str | None,
    constructor: Value,
    signals: list[SignalHook],
    on_error: dict[str, list[FailureHook]],
) -> tuple[FailureHook, ...]:
    hooks = [
        s.hook
        for s in signals
        if s.strong and (s.instance is None or instance is None or s.instance == instance)
    ]
    # 3.x default store_intermediate_errors=True: on_error runs after every failed attempt.
    intermediate = True
    if isinstance(constructor, CallValue) and constructor.has("store_intermediate_errors"):
        intermediate = constructor.kwarg("store_intermediate_errors") is not False
    hooks.extend(replace(h, every_attempt=intermediate) for h in on_error.get(qualname, ()))
    return tuple(dict.fromkeys(hooks))
