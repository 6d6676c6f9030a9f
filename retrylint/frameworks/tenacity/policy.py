"""The effective policy of a tenacity ``retry(...)`` / ``Retrying(...)`` call's options.

- An option not given takes tenacity's default: no ``stop=`` -> UNBOUNDED attempts; no ``wait=``
  -> none; no ``retry=`` -> ``"all"`` (every ``Exception``). The strategies given are read in
  ``combinators``.
- ``enabled=False`` -> no retries.
- Hooks: ``before_sleep`` and ``after`` (every failed attempt), ``retry_error_callback`` (once,
  on giving up). ``reraise`` goes into details with what is raised when retries run out.
"""

from __future__ import annotations

from typing import Any

from retrylint.context import FileContext
from retrylint.frameworks.common import make_policy
from retrylint.frameworks.defaults import TENACITY_STOP, TENACITY_WAIT
from retrylint.frameworks.retry_library.jobs import hook
from retrylint.frameworks.retry_library.options import Options
from retrylint.frameworks.tenacity.combinators import (
    RetryOn,
    retry_predicate,
    stop_bounds,
    wait_delay,
)
from retrylint.frameworks.tenacity.names import FRAMEWORK
from retrylint.model import (
    NO_DELAY,
    UNBOUNDED,
    UNKNOWN,
    UNKNOWN_DELAY,
    AttemptsValue,
    FailureHook,
    RetryPolicy,
    SecondsValue,
    Sourced,
    default,
)
from retrylint.values import Value

_STOP_DEFAULT = f"tenacity default: stop={TENACITY_STOP}"
_WAIT_DEFAULT = f"tenacity default: wait={TENACITY_WAIT}()"
_RETRY_DEFAULT = "tenacity default: retry=retry_if_exception_type() (every Exception)"
_NO_REDELIVERY = "in-process retries: no redelivery"
# What a caller sees when retries run out, by ``reraise=``.
_GIVES_UP_WITH: dict[Value, str] = {False: "tenacity.RetryError", True: "original"}


def tenacity_policy(
    options: Options, ctx: FileContext
) -> tuple[RetryPolicy, tuple[FailureHook, ...], tuple[tuple[str, Any], ...]]:
    """The effective policy of a ``retry(...)`` / ``Retrying(...)`` call's options."""
    stop = options.get("stop")
    if stop is None:
        attempts: Sourced[AttemptsValue] = options.unstated(UNBOUNDED, _STOP_DEFAULT)
        deadline: Sourced[SecondsValue] = options.unstated(None, _STOP_DEFAULT)
    else:
        bound, limit = stop_bounds(stop.value.value)
        attempts = options.stated("stop", bound)
        deadline = options.stated("stop", limit)

    if options.has("wait"):
        delay = options.stated("wait", wait_delay(options.value("wait")))
    else:
        delay = options.unstated(NO_DELAY, _WAIT_DEFAULT, UNKNOWN_DELAY)

    if options.has("retry"):
        predicate = retry_predicate(options.value("retry"), ctx)
        retry_on = options.stated("retry", predicate.exceptions)
        permanent = options.stated("retry", predicate.permanent)
        if predicate.never:
            attempts = options.stated("retry", 1)
    else:
        retry_on = options.unstated("all", _RETRY_DEFAULT)
        permanent = options.unstated((), _RETRY_DEFAULT, ())
        predicate = RetryOn("all")

    if options.value("enabled", True) is False:
        attempts = options.stated("enabled", 1)
    policy = make_policy(
        max_attempts=attempts,
        delay=delay,
        deadline=deadline,
        retry_on=retry_on,
        permanent=permanent,
        redelivery=default(False, _NO_REDELIVERY),
    )
    hooks = (
        *hook(options.get("before_sleep"), "before_sleep", True),
        *hook(options.get("after"), "after", True),
        *hook(options.get("retry_error_callback"), "retry_error_callback", False),
    )
    reraise = options.value("reraise", False)
    details: tuple[tuple[str, Any], ...] = (
        ("library", FRAMEWORK),
        ("options", options.located()),
        ("reraise", reraise if isinstance(reraise, bool) else UNKNOWN),
        ("gives_up_with", _GIVES_UP_WITH.get(reraise, UNKNOWN)),
        ("retry_on_result", predicate.on_result),
    )
    return policy, hooks, details
