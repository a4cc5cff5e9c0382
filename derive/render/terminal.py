"""Lines for a terminal, coloured where colour shows, without importing rich: rich takes a
tenth of the time of a whole `derive check`. Colour follows the usual conventions (rich's
too): only on a terminal, never with NO_COLOR or TERM=dumb, always with FORCE_COLOR."""

from __future__ import annotations

import os
import sys
from typing import TextIO

STYLES = {"green": "32", "red": "31", "bold red": "1;31"}


class Terminal:
    """Prints whole lines on `stream` (stdout by default) and flushes each, so that they show
    as the work goes. `terminal` overrides the stream's own answer (tests)."""

    def __init__(self, stream: TextIO | None = None, terminal: bool | None = None) -> None:
        self.stream = sys.stdout if stream is None else stream
        forced = os.environ.get("FORCE_COLOR", "") != ""
        self.is_terminal = terminal if terminal is not None else forced or _isatty(self.stream)
        self.colour = self.is_terminal and os.environ.get("NO_COLOR", "") == "" and (
            os.environ.get("TERM", "").lower() not in ("dumb", "unknown")) and (
            os.name != "nt" or forced)  # fmt: skip - Windows consoles may show raw escapes

    def style(self, text: str, style: str) -> str:
        """`text` in one of STYLES, or as it is where colour does not show."""
        return f"\x1b[{STYLES[style]}m{text}\x1b[0m" if self.colour else text

    def print(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
