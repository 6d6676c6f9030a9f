"""Where a secret leaks, by name: exception classes (their text reaches logs and result
backends) and logging calls. Plain constants: the prefilter reads them without the parser."""

from __future__ import annotations

# Last parts of a class name that make it an exception.
EXCEPTION_SUFFIXES = ("Error", "Exception", "Warning")
# Logging calls, and structlog / loguru context binding.
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log",
     "msg", "success", "trace"}
)  # fmt: skip
# structlog / loguru context: every later line of that logger carries these values.
CONTEXT_METHODS = frozenset({"bind", "new", "contextualize"})
CONTEXT_FUNCTIONS = frozenset({"structlog.contextvars.bind_contextvars"})
