"""How RL501 / RL502 / RL503 messages name a secret and where a job's payload is kept.

Messages name what matched (the variable, the key, the label) and never the value itself.
"""

from __future__ import annotations

from retrylint.secrets.names import Category

# A credential is high; a URL that may embed a password, or personal data, one step lower.
SEVERITY: dict[Category, str] = {"secret": "high", "connection": "medium", "personal": "medium"}

# Where each framework keeps a job's arguments in plain text (frameworks.md sections 1-6).
PAYLOAD_STORE: dict[str, str] = {
    "celery": "the broker, the result backend and Flower keep job arguments in plain text",
    "rq": "RQ keeps the arguments in the job's Redis hash (failed jobs for a year by default) "
    "and rq-dashboard shows them",
    "dramatiq": "Dramatiq keeps the message in the broker and its dead-letter copy for 7 days",
    "huey": "Huey keeps the message, arguments included, in its storage",
    "arq": "arq keeps the pickled job, arguments included, in Redis",
    "taskiq": "the broker keeps the message, arguments included",
}
CELERY_REPR = " (`argsrepr`/`kwargsrepr` hide it from logs and monitors only)"
LOG_ADVICE = "log an id or a masked prefix instead"


def what(category: Category, phrase: str) -> str:
    """``a secret`` / ``a connection string that may embed a password`` / ``personal data
    (card number)``."""
    if category == "personal":
        return f"personal data ({phrase})"
    if category == "connection":
        return "a connection URL that may embed a password"
    return "a secret"


def written_by(kind: str, shown: str) -> str:
    """What happens to the value at a sink: ``is written to the log by `log.info(...)```."""
    match kind:
        case "print":
            return f"is printed by `{shown}`"
        case "warning":
            return f"goes into a warning (`{shown}`)"
        case "raise":
            return f"goes into the exception message of `{shown}`"
    return f"is written to the log by `{shown}`"


def why_leaked(kind: str) -> str:
    """Why writing a secret there leaks it."""
    match kind:
        case "print" | "warning":
            return "it ends up in the logs, kept for months and read by many"
        case "raise":
            return "exception messages end up in logs, error trackers and job result backends"
    return "logs are kept for months and read by far more people than the secret store"


def job_kind(framework: str, kind: str) -> str:
    """``Celery task``, ``Dramatiq actor``, ``RQ job``: how other rules name a job."""
    from retrylint.explain import FRAMEWORK_DISPLAY_NAMES

    noun = {"actor": "actor", "rq-job": "job"}.get(kind, "task")
    return f"{FRAMEWORK_DISPLAY_NAMES.get(framework, framework)} {noun}"
