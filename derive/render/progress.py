"""A progress bar that appears only when the work takes more than a moment."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Self

from derive.render.terminal import Terminal

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

DELAY = 0.5
"""Seconds of work before the bar shows; quick runs print their lines only."""


class Steps:
    """Counts steps; prints lines above a bar that starts after DELAY seconds on a terminal.
    The bar is made only then: rich is not imported for a quick run or a pipe."""

    def __init__(self, terminal: Terminal, total: int, label: str) -> None:
        self.terminal, self.total, self.label = terminal, total, label
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
        """A line above the bar (with its colour codes, if any, as colours)."""
        if self.bar is None:
            self.terminal.print(line)
        else:
            from rich.text import Text

            self.bar.console.print(Text.from_ansi(line), soft_wrap=True)

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)
        elif time.perf_counter() - self.started > DELAY and self.terminal.is_terminal:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(file=self.terminal.stream, force_terminal=True,
                              no_color=not self.terminal.colour, highlight=False)  # fmt: skip
            self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=console, transient=True)  # fmt: skip
            self.task = self.bar.add_task(self.label, total=self.total, completed=self.done)
            self.bar.start()
