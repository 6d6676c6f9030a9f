"""Every framework default the adapters use, in one place.

These numbers decide what retrylint says about code that configures nothing, so they are tested
against the real installed packages (``tests/test_defaults.py`` reads ``inspect.signature`` and
class attributes): a framework release that changes a default breaks a test instead of silently
breaking the analysis. Source references are in ``shared/frameworks.md`` of the design notes.
Durations are in seconds here, whatever unit the framework uses.
"""

from __future__ import annotations

from typing import Final

# Celery 5.x: celery/app/task.py, celery/app/autoretry.py, celery/app/defaults.py
CELERY_MAX_RETRIES: Final = 3  # retries after the first run: 4 attempts
CELERY_DEFAULT_RETRY_DELAY: Final = 180.0  # also used by autoretry when retry_backoff is off
CELERY_RETRY_BACKOFF: Final = False
CELERY_RETRY_BACKOFF_MAX: Final = 600.0
CELERY_RETRY_JITTER: Final = True  # only inside the autoretry wrapper, not a Task attribute
CELERY_ACKS_LATE: Final = False  # task_acks_late
CELERY_TIME_LIMIT: Final = None  # task_time_limit / task_soft_time_limit: no limit
CELERY_RESULT_EXPIRES: Final = 86400.0  # result_expires: stored results (failures too) kept 1 day

# RQ 2.x / 3.0: rq/queue.py, rq/job.py, rq/defaults.py
RQ_RETRY_INTERVAL: Final = 0.0  # Retry(max, interval=0): immediate
RQ_JOB_TIMEOUT: Final = 180.0  # Queue.DEFAULT_TIMEOUT
RQ_FAILURE_TTL: Final = 31536000.0  # one year in FailedJobRegistry

# Dramatiq 1.x / 2.x: dramatiq/middleware/retries.py, time_limit.py (milliseconds there)
DRAMATIQ_MAX_RETRIES: Final = 20  # 21 attempts
DRAMATIQ_MIN_BACKOFF: Final = 15.0  # 15 000 ms
DRAMATIQ_MAX_BACKOFF: Final = 604800.0  # 604 800 000 ms = 7 days
DRAMATIQ_TIME_LIMIT: Final = 600.0  # 600 000 ms = 10 minutes
DRAMATIQ_MS: Final = 0.001  # Dramatiq options are in milliseconds
# Dramatiq 2.x compute_backoff draws each wait from 1x to 2x of min_backoff * 2**k before capping
# (1.x only shortened it): the worst case is this many times the nominal wait.
DRAMATIQ_BACKOFF_STRETCH: Final = 2.0
DRAMATIQ_DEAD_MESSAGE_TTL: Final = 604800.0  # brokers' dead_message_ttl: 7 days in <queue>.XQ

# Huey 2.x / 3.x: huey/api.py Huey.task
HUEY_RETRIES: Final = 0
HUEY_RETRY_DELAY: Final = 0.0

# arq 0.2x: arq/worker.py, arq/cron.py
ARQ_MAX_TRIES: Final = 5  # total attempts (for Retry and cancellation only)
ARQ_CRON_MAX_TRIES: Final = 1
ARQ_JOB_TIMEOUT: Final = 300.0
ARQ_EXPIRES_EXTRA: Final = 86400.0  # arq/constants.py expires_extra_ms: not started/retried after

# taskiq 0.11+: SimpleRetryMiddleware / SmartRetryMiddleware
TASKIQ_DEFAULT_RETRY_COUNT: Final = 3  # max_retries label counts attempts: 3 attempts
TASKIQ_SMART_DEFAULT_DELAY: Final = 5.0
TASKIQ_SMART_MAX_DELAY_EXPONENT: Final = 60.0

# tenacity 8/9: tenacity/__init__.py BaseRetrying.__init__
TENACITY_STOP: Final = "stop_never"
TENACITY_WAIT: Final = "wait_none"
TENACITY_EXPONENTIAL_MULTIPLIER: Final = 1.0
TENACITY_EXPONENTIAL_BASE: Final = 2.0
TENACITY_WAIT_RANDOM: Final = (0.0, 1.0)  # tenacity/wait.py wait_random(min=0, max=1)
# tenacity/wait.py wait_incrementing(start=0, increment=100)
TENACITY_INCREMENTING: Final = (0.0, 100.0)
TENACITY_EXPONENTIAL_JITTER: Final = 1.0  # tenacity/wait.py wait_exponential_jitter(jitter=1)

# backoff 2.x: backoff/_decorator.py, backoff/_wait_gen.py
BACKOFF_EXPO_BASE: Final = 2.0
BACKOFF_EXPO_FACTOR: Final = 1.0
BACKOFF_CONSTANT_INTERVAL: Final = 1.0
BACKOFF_JITTER: Final = "full_jitter"

# stamina 24+: stamina/_core.py retry()
STAMINA_ATTEMPTS: Final = 10
STAMINA_TIMEOUT: Final = 45.0
STAMINA_WAIT_INITIAL: Final = 0.1
STAMINA_WAIT_MAX: Final = 5.0
STAMINA_WAIT_JITTER: Final = 1.0
STAMINA_WAIT_EXP_BASE: Final = 2.0

# retrying 1.3+: retrying.Retrying.__init__ (milliseconds there)
RETRYING_MS: Final = 0.001
RETRYING_STOP_MAX_ATTEMPT_NUMBER: Final = 5  # retrying.py: used only by stop="stop_after_attempt"
RETRYING_STOP_MAX_DELAY: Final = 0.1  # retrying.py: 100 ms, only by stop="stop_after_delay"
RETRYING_WAIT_FIXED: Final = 1.0  # retrying.py: 1000 ms, only by wait="fixed_sleep"
RETRYING_WAIT_RANDOM: Final = (0.0, 1.0)  # retrying.py: wait_random_min=0, wait_random_max=1000 ms
RETRYING_WAIT_INCREMENTING: Final = (0.0, 0.1)  # retrying.py: start=0, increment=100 ms
RETRYING_WAIT_EXPONENTIAL_MULTIPLIER: Final = 0.001  # retrying.py: 1 ms; first wait 2 * multiplier
RETRYING_MAX_WAIT: Final = 1073741.823  # retrying.MAX_WAIT ms: the 'no max' sentinel, ~12.4 days

# sentry-sdk 2.x / 3.0: sentry_sdk/integrations/__init__.py. The job-framework integrations, those
# switched on by init() without being listed (_AUTO_ENABLING_INTEGRATIONS, when the framework is
# installed), and those that report every failed attempt rather than the final failure only.
SENTRY_INTEGRATIONS: Final = {
    "celery": "sentry_sdk.integrations.celery.CeleryIntegration",
    "rq": "sentry_sdk.integrations.rq.RqIntegration",
    "dramatiq": "sentry_sdk.integrations.dramatiq.DramatiqIntegration",
    "huey": "sentry_sdk.integrations.huey.HueyIntegration",
    "arq": "sentry_sdk.integrations.arq.ArqIntegration",
}
SENTRY_AUTO_ENABLED: Final = frozenset({"celery", "rq", "huey", "arq"})
SENTRY_EVERY_ATTEMPT: Final = frozenset({"dramatiq", "huey"})
