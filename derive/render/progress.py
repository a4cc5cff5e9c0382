"""A progress bar that appears only when the work takes more than a moment."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

DELAY = 0.5
"""Seconds of work before the bar shows; quick runs print their lines only."""


class Steps:
    """Counts steps; prints lines above a bar that starts after DELAY seconds on a terminal.
    The bar is made only then: rich.progress is not imported for a quick run or a pipe."""

    def __init__(self, console: Console, total: int, label: str) -> None:
        self.console, self.total, self.label = console, total, label
        self.started = time.perf_counter()
        self.done = 0
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()

    def print(self, line: str) -> None:
        self.console.print(line)

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)
        elif time.perf_counter() - self.started > DELAY and self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=self.console, transient=True)  # fmt: skip
            self.task = self.bar.add_task(self.label, total=self.total, completed=self.done)
            self.bar.start()
