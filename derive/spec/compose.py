"""An exercise file -> its text -> YAML nodes with positions, bounded at every step.

The file is read only if it is a regular file, and never past a size limit.

PyYAML's own composer recurses once per nesting level (a file nested a thousand levels
deep raised RecursionError); this one keeps its own stack and refuses nesting deeper than
MAX_DEPTH with the position of the value that goes too deep. Events come from libyaml
(PyYAML's C parser, about 8x faster) where it is installed, else from the pure-Python
parser; both give the same nodes and marks (and for invalid YAML, the pure-Python
parser's plainer message). An alias may only name a finished node, so
no structure refers to itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from derive.errors import SpecError

MAX_DEPTH = 64
"""Nesting levels allowed in an exercise file (a valid file needs about six)."""

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader where PyYAML was built with it (only its parser is used)."""


def compose(text: str, path: str) -> yaml.Node | None:
    """The single document of `text` as nodes (None for an empty file). Raises
    yaml.MarkedYAMLError for invalid YAML and SpecError for nesting past MAX_DEPTH."""
    loader = Loader(text)
    try:
        return _document(loader, path)
    except yaml.MarkedYAMLError:
        if Loader is yaml.SafeLoader:
            raise
    finally:
        loader.dispose()
    # Invalid YAML: the pure-Python parser says what is wrong in plainer words
    loader = yaml.SafeLoader(text)
    try:
        return _document(loader, path)
    finally:
        loader.dispose()


def _document(loader: Any, path: str) -> yaml.Node | None:
    loader.get_event()  # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # DocumentStart
    anchors: dict[str, yaml.Node] = {}
    stack: list[tuple[yaml.CollectionNode, str | None, list[yaml.Node]]] = []
    root: yaml.Node | None = None
    while not loader.check_event(yaml.DocumentEndEvent):
        event: Any = loader.get_event()
        start: Any = event.start_mark
        end: Any = event.end_mark
        node: yaml.Node
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", start)
            node = anchors[event.anchor]
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
            if event.anchor is not None:
                anchors[event.anchor] = node
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(stack) >= MAX_DEPTH:
                raise SpecError(path, start.line + 1, start.column + 1,
                                f"the file is nested more than {MAX_DEPTH} levels deep")
            kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else (
                yaml.MappingNode)
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(kind, None, event.implicit)
            stack.append((kind(tag, [], start, None, flow_style=event.flow_style),
                          event.anchor, []))
            continue
        else:  # SequenceEnd or MappingEnd: the collection is complete
            collection, anchor, _ = stack.pop()
            collection.end_mark = end
            if anchor is not None:
                anchors[anchor] = collection
            node = collection
        if not stack:
            root = node
            continue
        parent, _, pending = stack[-1]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif pending:
            parent.value.append((pending.pop(), node))
        else:
            pending.append(node)
    loader.get_event()  # DocumentEnd
    if not loader.check_event(yaml.StreamEndEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                          "but found another document", event.start_mark)
    return root


def read_text(path: Path, limit: int) -> str:
    """The file's text: only a regular file, never more than `limit` bytes read (a FIFO
    would block, /dev/zero never ends); opened without blocking, checked once open."""
    name = str(path)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SpecError(name, 1, 1, f"cannot read the file: {exc.strerror}") from None
    try:
        kind = _kind(os.fstat(handle).st_mode)
        if kind is not None:
            raise SpecError(name, 1, 1, f"not a regular file but {kind}; give an exercise file")
        with os.fdopen(handle, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise SpecError(name, 1, 1, f"cannot read the file: {exc.strerror}") from None
    finally:
        os.close(handle)
    if len(data) > limit:
        raise SpecError(name, 1, 1, f"the file is larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(name, line, column, f"the file is not UTF-8 ({exc.reason})") from None


def _kind(mode: int) -> str | None:
    """What a file that is not a regular one is, in words; None for a regular file."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"
