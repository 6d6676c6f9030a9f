"""RL301 bare-except-in-job: ``except:`` in job code also catches shutdown, cancellation and
time limits (Dramatiq's ``TimeLimitExceeded`` and asyncio's ``CancelledError`` are
``BaseException``s on purpose) and the framework's retry signal.

A bare ``except:`` whose body re-raises the caught exception with a bare ``raise`` is the
cleanup-and-re-raise idiom: it lets shutdown through, and ``except Exception`` would skip the
cleanup on it. It is not reported.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from retrylint.checks import job_code_finding
from retrylint.checks.handlers import ReportingCheck, analyse, except_keyword
from retrylint.context import FileContext
from retrylint.findings import Edit, Fix


class FileCheck(ReportingCheck):
    def handlers(self) -> dict[type, Callable[[cst.ExceptHandler, FileContext], None]]:
        return {cst.ExceptHandler: self.on_handler}

    def on_handler(self, handler: cst.ExceptHandler, ctx: FileContext) -> None:
        if handler.type is not None or analyse(ctx, handler).bare_raise:
            return
        keyword = except_keyword(ctx, handler)
        fix = Fix("safe", "catch `Exception` instead", (Edit(keyword, "except Exception"),))
        function = ctx.enclosing[-1].qualname if ctx.enclosing else "?"
        message = (
            f"bare `except:` in `{function}` also catches SystemExit, KeyboardInterrupt, "
            "time limits and the framework's retry signal: a worker's shutdown or a job's time "
            "limit is handled as an ordinary error"
        )
        self.add(job_code_finding("RL301", message, ctx, keyword, fix=fix))
