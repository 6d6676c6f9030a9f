"""A progress bar for long runs, on stderr, for people only.

It appears once the per-file phase has taken ``DELAY`` seconds (a pre-commit run on a few files
never flickers one), only when stderr is a terminal, and never for machine formats: the CLI
decides that and passes ``enabled``. It is transient: the bar is erased when the run ends.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

DELAY = 2.0  # seconds before a bar is worth showing


def wanted(machine_output_on_stdout: bool) -> bool:
    """A bar only for a person watching a terminal, and never mixed with a machine format."""
    return not machine_output_on_stdout and sys.stderr.isatty()


class ProgressBar:
    """Called with (files done, files in all); a context manager that clears the bar at exit."""

    def __init__(self, enabled: bool, delay: float = DELAY) -> None:
        self.enabled = enabled
        self.delay = delay
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task: object = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._started < self.delay or done >= total:
                return
            # rich is imported only for a bar that shows: a cached run never pays for it.
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("analysing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("files", total=total)
        self._bar.update(self._task, completed=done)  # type: ignore[arg-type]

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
