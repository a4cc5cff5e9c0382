"""A progress bar that appears only when the work takes more than a moment."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

DELAY = 0.5
"""Seconds of work before the bar shows; quick runs print their lines only."""


class Steps:
    """Counts steps; prints lines above a bar that starts after DELAY seconds on a terminal."""

    def __init__(self, console: Console, total: int, label: str) -> None:
        self.console, self.total = console, total
        self.started = time.perf_counter()
        self.bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console, transient=True)  # fmt: skip
        self.task = self.bar.add_task(label, total=total)
        self.shown = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.shown:
            self.bar.stop()

    def print(self, line: str) -> None:
        self.console.print(line)

    def advance(self) -> None:
        self.bar.advance(self.task)
        late = time.perf_counter() - self.started > DELAY
        if late and not self.shown and self.console.is_terminal:
            self.bar.start()
            self.shown = True
