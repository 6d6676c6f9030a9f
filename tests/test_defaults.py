"""Every constant in ``retrylint.frameworks.defaults`` checked against the installed framework.

A framework release that changes a default must break a test here, not silently change what
retrylint says. Values are read by introspection (``inspect.signature``, class and module
attributes, a default-constructed object); where a default exists only inside a function body
(Celery's autoretry wrapper) the installed source is parsed and the literal read. Durations in
``defaults`` are seconds; the frameworks' own units are converted in the assertions.

The frameworks are imported here (they are the reference); the code retrylint analyses never is.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from retrylint.frameworks import defaults

CHECKS: dict[str, Callable[[], None]] = {}


def checks(*names: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a check as the one covering ``names`` (for the completeness test)."""

    def register(function: Callable[[], None]) -> Callable[[], None]:
        for name in names:
            assert name in vars(defaults), f"{name} is not in retrylint.frameworks.defaults"
            CHECKS[name] = function
        return function

    return register


def parameter_default(function: Callable[..., Any], name: str) -> Any:
    parameter = inspect.signature(function).parameters[name]
    assert parameter.default is not inspect.Parameter.empty, f"{name} has no default"
    return parameter.default


def getattr_default_in_source(function: Callable[..., Any], attribute: str) -> Any:
    """The literal fallback of ``getattr(<obj>, "<attribute>", <literal>)`` in the source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) == 3
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == attribute
        ):
            return ast.literal_eval(node.args[2])
    raise AssertionError(f"no getattr(..., {attribute!r}, default) in {function.__qualname__}")


def public_constants() -> list[str]:
    return sorted(name for name in vars(defaults) if name.isupper() and not name.startswith("_"))


# =============================================================================================
# Celery 5.x
# =============================================================================================


@checks("CELERY_MAX_RETRIES")
def check_celery_max_retries() -> None:
    from celery.app.task import Task

    assert Task.max_retries == defaults.CELERY_MAX_RETRIES, "CELERY_MAX_RETRIES"


@checks("CELERY_DEFAULT_RETRY_DELAY")
def check_celery_default_retry_delay() -> None:
    from celery.app.task import Task

    assert Task.default_retry_delay == defaults.CELERY_DEFAULT_RETRY_DELAY, (
        "CELERY_DEFAULT_RETRY_DELAY"
    )


@checks("CELERY_RETRY_BACKOFF", "CELERY_RETRY_BACKOFF_MAX", "CELERY_RETRY_JITTER")
def check_celery_autoretry_wrapper_defaults() -> None:
    """These live only inside the autoretry wrapper, as ``getattr(task, name, default)``."""
    from celery.app.autoretry import add_autoretry_behaviour
    from celery.app.task import Task

    for attribute in ("retry_backoff", "retry_backoff_max", "retry_jitter"):
        assert not hasattr(Task, attribute), f"Task.{attribute} exists now: read it from there"
    wrapper = add_autoretry_behaviour
    assert getattr_default_in_source(wrapper, "retry_backoff") == defaults.CELERY_RETRY_BACKOFF, (
        "CELERY_RETRY_BACKOFF"
    )
    assert (
        getattr_default_in_source(wrapper, "retry_backoff_max") == defaults.CELERY_RETRY_BACKOFF_MAX
    ), "CELERY_RETRY_BACKOFF_MAX"
    assert getattr_default_in_source(wrapper, "retry_jitter") is defaults.CELERY_RETRY_JITTER, (
        "CELERY_RETRY_JITTER"
    )


@checks("CELERY_ACKS_LATE")
def check_celery_acks_late() -> None:
    from celery.app.defaults import NAMESPACES
    from celery.app.task import Task

    assert Task.acks_late is None  # None on the class means "use task_acks_late"
    assert NAMESPACES["task"]["acks_late"].default is defaults.CELERY_ACKS_LATE, "CELERY_ACKS_LATE"


@checks("CELERY_TIME_LIMIT")
def check_celery_time_limit() -> None:
    from celery.app.defaults import NAMESPACES
    from celery.app.task import Task

    assert Task.time_limit is defaults.CELERY_TIME_LIMIT, "CELERY_TIME_LIMIT"
    assert Task.soft_time_limit is defaults.CELERY_TIME_LIMIT, "CELERY_TIME_LIMIT (soft)"
    assert NAMESPACES["task"]["time_limit"].default is defaults.CELERY_TIME_LIMIT, (
        "CELERY_TIME_LIMIT (task_time_limit)"
    )
    assert NAMESPACES["task"]["soft_time_limit"].default is defaults.CELERY_TIME_LIMIT, (
        "CELERY_TIME_LIMIT (task_soft_time_limit)"
    )


@checks("CELERY_RESULT_EXPIRES")
def check_celery_result_expires() -> None:
    from celery.app.defaults import NAMESPACES

    expires = NAMESPACES["result"]["expires"].default
    assert expires.total_seconds() == defaults.CELERY_RESULT_EXPIRES, "CELERY_RESULT_EXPIRES"


# =============================================================================================
# RQ
# =============================================================================================


@checks("RQ_RETRY_INTERVAL")
def check_rq_retry_interval() -> None:
    from rq import Retry

    assert parameter_default(Retry.__init__, "interval") == defaults.RQ_RETRY_INTERVAL, (
        "RQ_RETRY_INTERVAL"
    )


@checks("RQ_JOB_TIMEOUT")
def check_rq_job_timeout() -> None:
    from rq import Queue

    assert Queue.DEFAULT_TIMEOUT == defaults.RQ_JOB_TIMEOUT, "RQ_JOB_TIMEOUT"


@checks("RQ_FAILURE_TTL")
def check_rq_failure_ttl() -> None:
    from rq import defaults as rq_defaults

    assert rq_defaults.DEFAULT_FAILURE_TTL == defaults.RQ_FAILURE_TTL, "RQ_FAILURE_TTL"


# =============================================================================================
# Dramatiq (milliseconds in the framework)
# =============================================================================================


@checks("DRAMATIQ_MAX_RETRIES")
def check_dramatiq_max_retries() -> None:
    from dramatiq.middleware.retries import Retries

    assert parameter_default(Retries.__init__, "max_retries") == defaults.DRAMATIQ_MAX_RETRIES, (
        "DRAMATIQ_MAX_RETRIES"
    )


@checks("DRAMATIQ_MIN_BACKOFF", "DRAMATIQ_MAX_BACKOFF", "DRAMATIQ_MS")
def check_dramatiq_backoff() -> None:
    from dramatiq.middleware import retries

    assert defaults.DRAMATIQ_MS == 0.001, "DRAMATIQ_MS"
    assert "milliseconds" in (inspect.getdoc(retries.Retries) or ""), "DRAMATIQ_MS (unit)"
    assert retries.DEFAULT_MIN_BACKOFF * defaults.DRAMATIQ_MS == defaults.DRAMATIQ_MIN_BACKOFF, (
        "DRAMATIQ_MIN_BACKOFF"
    )
    assert retries.DEFAULT_MAX_BACKOFF * defaults.DRAMATIQ_MS == defaults.DRAMATIQ_MAX_BACKOFF, (
        "DRAMATIQ_MAX_BACKOFF"
    )


@checks("DRAMATIQ_BACKOFF_STRETCH")
def check_dramatiq_backoff_stretch() -> None:
    """The jitter of the installed Dramatiq lengthens waits up to the stretch, never more."""
    import random

    from dramatiq.common import compute_backoff

    random.seed(7)
    factor, cap = 1000, 10**9
    draws = [compute_backoff(3, factor=factor, max_backoff=cap)[1] for _ in range(2000)]
    nominal = factor * 2**3
    assert max(draws) <= nominal * defaults.DRAMATIQ_BACKOFF_STRETCH, "DRAMATIQ_BACKOFF_STRETCH"
    assert max(draws) > nominal * (defaults.DRAMATIQ_BACKOFF_STRETCH - 0.1), (
        "DRAMATIQ_BACKOFF_STRETCH (the installed Dramatiq stretches less)"
    )


@checks("DRAMATIQ_TIME_LIMIT")
def check_dramatiq_time_limit() -> None:
    from dramatiq.middleware.time_limit import TimeLimit

    limit = parameter_default(TimeLimit.__init__, "time_limit")
    assert limit * defaults.DRAMATIQ_MS == defaults.DRAMATIQ_TIME_LIMIT, "DRAMATIQ_TIME_LIMIT"


@checks("DRAMATIQ_DEAD_MESSAGE_TTL")
def check_dramatiq_dead_message_ttl() -> None:
    import importlib.util

    from dramatiq.brokers import redis

    ttl = parameter_default(redis.RedisBroker.__init__, "dead_message_ttl")
    assert ttl * defaults.DRAMATIQ_MS == defaults.DRAMATIQ_DEAD_MESSAGE_TTL, "Redis"
    # RabbitMQ's comes from the environment with a default in the source (pika may be absent):
    # DEAD_MESSAGE_TTL = int(os.getenv("dramatiq_dead_message_ttl", <default>))
    spec = importlib.util.find_spec("dramatiq.brokers.rabbitmq")
    assert spec is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    lookups = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "DEAD_MESSAGE_TTL" for t in node.targets)
    ]
    assert lookups, "RabbitMQ DEAD_MESSAGE_TTL"
    getenv = lookups[0].args[0]  # type: ignore[attr-defined]
    fallback = eval(compile(ast.Expression(getenv.args[1]), "<default>", "eval"))
    assert fallback * defaults.DRAMATIQ_MS == defaults.DRAMATIQ_DEAD_MESSAGE_TTL, "RabbitMQ"


# =============================================================================================
# Huey
# =============================================================================================


@checks("HUEY_RETRIES", "HUEY_RETRY_DELAY")
def check_huey_task() -> None:
    from huey import Huey

    assert parameter_default(Huey.task, "retries") == defaults.HUEY_RETRIES, "HUEY_RETRIES"
    assert parameter_default(Huey.task, "retry_delay") == defaults.HUEY_RETRY_DELAY, (
        "HUEY_RETRY_DELAY"
    )


# =============================================================================================
# arq
# =============================================================================================


@checks("ARQ_MAX_TRIES", "ARQ_JOB_TIMEOUT")
def check_arq_worker() -> None:
    from arq.worker import Worker

    assert parameter_default(Worker.__init__, "max_tries") == defaults.ARQ_MAX_TRIES, (
        "ARQ_MAX_TRIES"
    )
    assert parameter_default(Worker.__init__, "job_timeout") == defaults.ARQ_JOB_TIMEOUT, (
        "ARQ_JOB_TIMEOUT"
    )


@checks("ARQ_CRON_MAX_TRIES")
def check_arq_cron() -> None:
    from arq.cron import cron

    assert parameter_default(cron, "max_tries") == defaults.ARQ_CRON_MAX_TRIES, "ARQ_CRON_MAX_TRIES"


@checks("ARQ_EXPIRES_EXTRA")
def check_arq_expires_extra() -> None:
    from arq import constants

    assert constants.expires_extra_ms / 1000 == defaults.ARQ_EXPIRES_EXTRA, "ARQ_EXPIRES_EXTRA"


# =============================================================================================
# taskiq
# =============================================================================================


@checks("TASKIQ_DEFAULT_RETRY_COUNT")
def check_taskiq_retry_count() -> None:
    from taskiq.middlewares.simple_retry_middleware import SimpleRetryMiddleware
    from taskiq.middlewares.smart_retry_middleware import SmartRetryMiddleware

    for middleware in (SimpleRetryMiddleware, SmartRetryMiddleware):
        count = parameter_default(middleware.__init__, "default_retry_count")
        assert count == defaults.TASKIQ_DEFAULT_RETRY_COUNT, (
            f"TASKIQ_DEFAULT_RETRY_COUNT ({middleware.__name__})"
        )


@checks("TASKIQ_SMART_DEFAULT_DELAY", "TASKIQ_SMART_MAX_DELAY_EXPONENT")
def check_taskiq_smart_delays() -> None:
    from taskiq.middlewares.smart_retry_middleware import SmartRetryMiddleware

    init = SmartRetryMiddleware.__init__
    assert parameter_default(init, "default_delay") == defaults.TASKIQ_SMART_DEFAULT_DELAY, (
        "TASKIQ_SMART_DEFAULT_DELAY"
    )
    assert (
        parameter_default(init, "max_delay_exponent") == defaults.TASKIQ_SMART_MAX_DELAY_EXPONENT
    ), "TASKIQ_SMART_MAX_DELAY_EXPONENT"


# =============================================================================================
# tenacity
# =============================================================================================


@checks("TENACITY_STOP")
def check_tenacity_stop() -> None:
    import tenacity

    stop = parameter_default(tenacity.BaseRetrying.__init__, "stop")
    assert stop is getattr(tenacity, defaults.TENACITY_STOP), "TENACITY_STOP"
    assert stop(None) is False  # stop_never never stops: the bare decorator retries forever


@checks("TENACITY_WAIT")
def check_tenacity_wait() -> None:
    import tenacity

    wait = parameter_default(tenacity.BaseRetrying.__init__, "wait")
    assert type(wait) is getattr(tenacity, defaults.TENACITY_WAIT), "TENACITY_WAIT"
    assert wait(None) == 0  # no wait between attempts


@checks("TENACITY_EXPONENTIAL_MULTIPLIER", "TENACITY_EXPONENTIAL_BASE")
def check_tenacity_exponential() -> None:
    import tenacity

    for strategy in (tenacity.wait_exponential, tenacity.wait_random_exponential):
        init = strategy.__init__
        assert parameter_default(init, "multiplier") == defaults.TENACITY_EXPONENTIAL_MULTIPLIER, (
            f"TENACITY_EXPONENTIAL_MULTIPLIER ({strategy.__name__})"
        )
        assert parameter_default(init, "exp_base") == defaults.TENACITY_EXPONENTIAL_BASE, (
            f"TENACITY_EXPONENTIAL_BASE ({strategy.__name__})"
        )
    jitter_init = tenacity.wait_exponential_jitter.__init__
    for name in ("initial", "multiplier"):
        assert parameter_default(jitter_init, name) == defaults.TENACITY_EXPONENTIAL_MULTIPLIER, (
            f"TENACITY_EXPONENTIAL_MULTIPLIER (wait_exponential_jitter {name})"
        )
    assert parameter_default(jitter_init, "exp_base") == defaults.TENACITY_EXPONENTIAL_BASE, (
        "TENACITY_EXPONENTIAL_BASE (wait_exponential_jitter)"
    )


@checks("TENACITY_WAIT_RANDOM")
def check_tenacity_wait_random() -> None:
    import tenacity

    init = tenacity.wait_random.__init__
    found = (parameter_default(init, "min"), parameter_default(init, "max"))
    assert found == defaults.TENACITY_WAIT_RANDOM, "TENACITY_WAIT_RANDOM"


@checks("TENACITY_INCREMENTING")
def check_tenacity_incrementing() -> None:
    import tenacity

    init = tenacity.wait_incrementing.__init__
    found = (parameter_default(init, "start"), parameter_default(init, "increment"))
    assert found == defaults.TENACITY_INCREMENTING, "TENACITY_INCREMENTING"


@checks("TENACITY_EXPONENTIAL_JITTER")
def check_tenacity_exponential_jitter() -> None:
    import tenacity

    jitter = parameter_default(tenacity.wait_exponential_jitter.__init__, "jitter")
    assert jitter == defaults.TENACITY_EXPONENTIAL_JITTER, "TENACITY_EXPONENTIAL_JITTER"


# =============================================================================================
# backoff
# =============================================================================================


@checks("BACKOFF_EXPO_BASE", "BACKOFF_EXPO_FACTOR")
def check_backoff_expo() -> None:
    import backoff

    assert parameter_default(backoff.expo, "base") == defaults.BACKOFF_EXPO_BASE, (
        "BACKOFF_EXPO_BASE"
    )
    assert parameter_default(backoff.expo, "factor") == defaults.BACKOFF_EXPO_FACTOR, (
        "BACKOFF_EXPO_FACTOR"
    )
    assert parameter_default(backoff.expo, "max_value") is None  # uncapped unless told


@checks("BACKOFF_CONSTANT_INTERVAL")
def check_backoff_constant() -> None:
    import backoff

    interval = parameter_default(backoff.constant, "interval")
    assert interval == defaults.BACKOFF_CONSTANT_INTERVAL, "BACKOFF_CONSTANT_INTERVAL"


@checks("BACKOFF_JITTER")
def check_backoff_jitter() -> None:
    import backoff

    for decorator in (backoff.on_exception, backoff.on_predicate):
        jitter = parameter_default(decorator, "jitter")
        assert jitter is getattr(backoff, defaults.BACKOFF_JITTER), (
            f"BACKOFF_JITTER ({decorator.__name__})"
        )
        # Neither limit is set by default: retries forever.
        assert parameter_default(decorator, "max_tries") is None
        assert parameter_default(decorator, "max_time") is None


# =============================================================================================
# stamina
# =============================================================================================

STAMINA_PARAMETERS = {
    "STAMINA_ATTEMPTS": "attempts",
    "STAMINA_TIMEOUT": "timeout",
    "STAMINA_WAIT_INITIAL": "wait_initial",
    "STAMINA_WAIT_MAX": "wait_max",
    "STAMINA_WAIT_JITTER": "wait_jitter",
    "STAMINA_WAIT_EXP_BASE": "wait_exp_base",
}


@checks(*STAMINA_PARAMETERS)
def check_stamina() -> None:
    import stamina

    for function in (stamina.retry, stamina.retry_context):
        for constant, parameter in STAMINA_PARAMETERS.items():
            found = parameter_default(function, parameter)
            assert found == getattr(defaults, constant), f"{constant} ({function.__name__})"


# =============================================================================================
# retrying (milliseconds in the framework)
# =============================================================================================


@checks("RETRYING_MS")
def check_retrying_unit() -> None:
    import retrying

    assert defaults.RETRYING_MS == 0.001, "RETRYING_MS"
    source = inspect.getsource(retrying.Retrying.call)
    assert "sleep / 1000.0" in source, "RETRYING_MS: Retrying.call no longer sleeps ms / 1000"


@checks(
    "RETRYING_STOP_MAX_ATTEMPT_NUMBER",
    "RETRYING_STOP_MAX_DELAY",
    "RETRYING_WAIT_FIXED",
    "RETRYING_WAIT_RANDOM",
    "RETRYING_WAIT_INCREMENTING",
    "RETRYING_WAIT_EXPONENTIAL_MULTIPLIER",
)
def check_retrying_internal_defaults() -> None:
    """Numbers retrying fills in when a named strategy is chosen without its option."""
    import retrying

    engine = retrying.Retrying()
    ms = defaults.RETRYING_MS
    assert engine._stop_max_attempt_number == defaults.RETRYING_STOP_MAX_ATTEMPT_NUMBER, (
        "RETRYING_STOP_MAX_ATTEMPT_NUMBER"
    )
    assert engine._stop_max_delay * ms == defaults.RETRYING_STOP_MAX_DELAY, (
        "RETRYING_STOP_MAX_DELAY"
    )
    assert engine._wait_fixed * ms == defaults.RETRYING_WAIT_FIXED, "RETRYING_WAIT_FIXED"
    random_range = (engine._wait_random_min * ms, engine._wait_random_max * ms)
    assert random_range == defaults.RETRYING_WAIT_RANDOM, "RETRYING_WAIT_RANDOM"
    incrementing = (
        engine._wait_incrementing_start * ms,
        engine._wait_incrementing_increment * ms,
    )
    expected = defaults.RETRYING_WAIT_INCREMENTING
    assert all(abs(a - b) < 1e-9 for a, b in zip(incrementing, expected, strict=True)), (
        "RETRYING_WAIT_INCREMENTING"
    )
    multiplier = engine._wait_exponential_multiplier * ms
    assert multiplier == defaults.RETRYING_WAIT_EXPONENTIAL_MULTIPLIER, (
        "RETRYING_WAIT_EXPONENTIAL_MULTIPLIER"
    )
    # With no options at all: never stops, never waits (frameworks.md 7.4).
    assert engine.stop(10**6, 10**9) is False
    assert engine.wait(3, 0) == 0


@checks("RETRYING_MAX_WAIT")
def check_retrying_max_wait() -> None:
    import retrying

    max_wait = retrying.MAX_WAIT * defaults.RETRYING_MS
    assert abs(max_wait - defaults.RETRYING_MAX_WAIT) < 1e-6, "RETRYING_MAX_WAIT"
    assert retrying.Retrying()._wait_exponential_max == retrying.MAX_WAIT


# =============================================================================================


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_default_matches_installed_framework(name: str) -> None:
    CHECKS[name]()


def test_every_default_has_a_check() -> None:
    missing = [name for name in public_constants() if name not in CHECKS]
    assert not missing, (
        "constants in retrylint/frameworks/defaults.py with no check in tests/test_defaults.py "
        f"(add one that reads the installed framework): {missing}"
    )


# =============================================================================================
# Error trackers: sentry-sdk
# =============================================================================================


@checks("SENTRY_INTEGRATIONS", "SENTRY_AUTO_ENABLED")
def check_sentry_auto_enabled() -> None:
    """The job-framework integrations exist; init() switches on exactly the auto-enabling ones
    by itself, and none of them once default_integrations is False."""
    import importlib

    from sentry_sdk import integrations

    for framework, path in defaults.SENTRY_INTEGRATIONS.items():
        module, name = path.rsplit(".", 1)
        assert getattr(importlib.import_module(module), name).identifier == framework, path
    auto = {
        path
        for path in integrations._AUTO_ENABLING_INTEGRATIONS
        if path in defaults.SENTRY_INTEGRATIONS.values()
    }
    expected = {defaults.SENTRY_INTEGRATIONS[f] for f in defaults.SENTRY_AUTO_ENABLED}
    assert auto == expected, "SENTRY_AUTO_ENABLED"
    tree = ast.parse(textwrap.dedent(inspect.getsource(integrations.setup_integrations)))
    guarded = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "with_defaults"
        and "iter_default_integrations" in ast.unparse(node)
    ]
    assert guarded, "default_integrations=False no longer turns auto-enabling off"


@checks("SENTRY_EVERY_ATTEMPT")
def check_sentry_every_attempt() -> None:
    """Which integrations report attempts that will be retried, read from their source: Celery's
    and arq's ignore the retry signal (their control-flow exceptions hold ``Retry``), RQ's waits
    until no retries are left; Dramatiq's middleware reports in after_process_message, after
    every attempt, and Huey's wraps each execution."""
    from celery.exceptions import Retry as CeleryRetry
    from sentry_sdk.integrations import arq, celery, dramatiq, huey, rq

    every = set()
    if CeleryRetry not in celery.CELERY_CONTROL_FLOW_EXCEPTIONS:
        every.add("celery")
    if not any(e.__name__ == "Retry" for e in arq.ARQ_CONTROL_FLOW_EXCEPTIONS):
        every.add("arq")
    if "retries_left" not in inspect.getsource(rq):
        every.add("rq")
    if "after_process_message" in inspect.getsource(dramatiq.SentryMiddleware):
        every.add("dramatiq")
    if "_capture_exception" in inspect.getsource(huey._wrap_task_execute):
        every.add("huey")
    assert frozenset(every) == defaults.SENTRY_EVERY_ATTEMPT, "SENTRY_EVERY_ATTEMPT"
