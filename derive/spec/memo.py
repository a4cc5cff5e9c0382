"""The exercises of the last file read, kept by their text and place.

A rebuild after one exercise changed reads the whole file again: validating every exercise
again (expressions, numbers, prose) was a third of that rebuild at 500 exercises. A record
is immutable, and the same text at the same place, read with the same settings (defaults,
trust, prose checker, the document's directives), gives the same record; so only the
exercises that changed are read again. Exercises with a problem are always read again, for
their messages. Only files read by path are kept (a build's reads), not text handed to
parse_spec, whose callers get records of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import yaml

from derive.spec.reader import Reader
from derive.spec.records import Exercise

Remembered = dict[tuple[Any, ...], tuple[Exercise, int]]
"""(file, trust, settings, line, column, text) -> (the record, the values it holds)."""

_LAST: Remembered = {}


def remembered(r: Reader, item: yaml.Node, settings: Hashable, read: Remembered,
               build: Callable[[yaml.Node], Exercise | None]) -> Exercise | None:  # fmt: skip
    """build(item), or the same record from the last read; either way noted in `read`."""
    start, end = item.start_mark, item.end_mark
    if not _within(item, start.index, end.index):  # an alias: its value is written elsewhere
        return build(item)
    key = (r.path, r.trusted, settings, start.line, start.column, r.text[start.index : end.index])
    found = _LAST.get(key)
    if found is not None:
        r.count(found[1])  # the limit on a file's values counts them as if read again
    else:
        errors, seen = len(r.errors), r.seen
        exercise = build(item)
        if exercise is None or len(r.errors) > errors:
            return exercise
        found = (exercise, r.seen - seen)
    read[key] = found
    return found[0]


def keep(read: Remembered) -> None:
    """Keep the exercises of the file just read (and forget those of the one before)."""
    _LAST.clear()
    _LAST.update(read)


def _within(item: yaml.Node, start: int, end: int) -> bool:
    """Whether every node under `item` is written between `start` and `end`, once: an
    alias's node is where its anchor is, and is met again wherever the alias is used (a
    walk that followed aliases would take exponential time on nested ones)."""
    met: set[int] = set()
    stack = [item]
    while stack:
        node = stack.pop()
        if id(node) in met or not start <= node.start_mark.index <= node.end_mark.index <= end:
            return False
        met.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return True
