"""YAML text -> nodes with positions, without recursion and without running any tag.

PyYAML's own composer recurses once per nesting level (a file nested a thousand levels
deep raised RecursionError); this one keeps its own stack and refuses nesting deeper than
MAX_DEPTH with the position of the value that goes too deep. Events come from libyaml
(PyYAML's C parser, about 8x faster) where it is installed, else from the pure-Python
parser; both give the same nodes and marks (and for invalid YAML, the pure-Python
parser's plainer message). An alias may only name a finished node, so
no structure refers to itself.
"""

from __future__ import annotations

import yaml

from derive.errors import SpecError

MAX_DEPTH = 64
"""Nesting levels allowed in an exercise file (a valid file needs about six)."""

Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[assignment]


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


def _document(loader: yaml.SafeLoader, path: str) -> yaml.Node | None:
    loader.get_event()  # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # DocumentStart
    anchors: dict[str, yaml.Node] = {}
    stack: list[tuple[yaml.CollectionNode, str | None, list[yaml.Node]]] = []
    root: yaml.Node | None = None
    while not loader.check_event(yaml.DocumentEndEvent):
        event = loader.get_event()
        node: yaml.Node
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            node = anchors[event.anchor]
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                   style=event.style)
            if event.anchor is not None:
                anchors[event.anchor] = node
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(stack) >= MAX_DEPTH:
                mark = event.start_mark
                raise SpecError(path, mark.line + 1, mark.column + 1,
                                f"the file is nested more than {MAX_DEPTH} levels deep")
            kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else (
                yaml.MappingNode)
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(kind, None, event.implicit)
            stack.append((kind(tag, [], event.start_mark, None, flow_style=event.flow_style),
                          event.anchor, []))
            continue
        else:  # SequenceEnd or MappingEnd: the collection is complete
            collection, anchor, _ = stack.pop()
            collection.end_mark = event.end_mark
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
