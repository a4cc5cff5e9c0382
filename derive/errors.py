"""Every exception derive raises, in one place.

    ValueError
     └── DeriveError            anything wrong with what the user gave us
          ├── ParseError        expression text outside the language (keeps text and column)
          ├── InputError        values for the inputs: missing, extra, wrong shape or kind
          ├── DomainError       the point lies outside the domain of a node or its derivative
          └── SpecError         one problem in an exercise file (keeps file, line, column)
               └── SpecErrors   several SpecErrors found in one file, reported together

Messages are one line, say what and where, and never carry a traceback to the user.
"""

from __future__ import annotations

from collections.abc import Sequence

_WINDOW = 60  # characters of a long expression quoted in a message


class DeriveError(ValueError):
    """Base class: bad input of any kind. Subclasses ValueError so callers can catch either."""


def excerpt(text: str, column: int = 1) -> str:
    """The part of `text` around `column` (1-based), short enough to quote in one line."""
    return window(text, column)[0]


def window(text: str, column: int) -> tuple[str, int]:
    """`excerpt(text, column)` and the 0-based position of `column` inside it (for a caret)."""
    text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
    if len(text) <= _WINDOW:
        return text, column - 1
    start = max(0, min(column - 1 - _WINDOW // 2, len(text) - _WINDOW))
    head = "..." if start > 0 else ""
    tail = "..." if start + _WINDOW < len(text) else ""
    return head + text[start : start + _WINDOW] + tail, len(head) + column - 1 - start


class ParseError(DeriveError):
    """Expression text that is not in the language; `column` is 1-based."""

    def __init__(self, text: str, column: int, reason: str, hint: str | None = None) -> None:
        message = f"{reason} at column {column} of {excerpt(text, column)!r}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)
        self.text, self.column, self.reason, self.hint = text, column, reason, hint


class InputError(DeriveError):
    """A value given for an input (or a parameter such as a learning rate) is unusable."""


class DomainError(DeriveError):
    """The function or a derivative the backward pass needs is undefined at the point."""

    def __init__(self, node: str, source: str, reason: str) -> None:
        where = f"node {node}" if source in ("", node) else f"node {node} = {excerpt(source)}"
        super().__init__(f"{where}: {reason}")
        self.node, self.source, self.reason = node, source, reason


class SpecError(DeriveError):
    """A problem at one place of an exercise file; the message starts FILE:LINE:COLUMN:."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path, self.line, self.column, self.detail = path, line, column, message


class SpecErrors(SpecError):
    """All problems found in one file; `str()` gives one line per problem, in file order."""

    def __init__(self, errors: Sequence[SpecError]) -> None:
        first = errors[0]
        super().__init__(first.path, first.line, first.column, first.detail)
        self.errors = tuple(errors)
        self.args = ("\n".join(str(error) for error in self.errors),)

    def __str__(self) -> str:
        return str(self.args[0])
