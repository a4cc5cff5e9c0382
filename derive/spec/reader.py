"""Walking composed YAML nodes: typed values with positions, every error collected.

PyYAML's composer builds nodes and constructs no objects, so no tag can run code; each
node keeps its line and column. Scalars are converted here from the text as written.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

import yaml
from sympy import Expr

from derive.errors import DeriveError, ParseError, SpecError
from derive.spec.records import Place
from derive.values import exact_value

MAX_NODES = 200_000
"""YAML values read at most: aliases can multiply a small file (the 'billion laughs')."""

_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}


class Reader:
    """Converts nodes of one file, collecting a SpecError for every problem."""

    def __init__(self, path: str, text: str = "") -> None:
        self.path = path
        self.text = text
        """The file's text: positions inside values are found in it (the C loader's marks
        carry no buffer)."""
        self.errors: list[SpecError] = []
        self.seen = 0
        self.trusted = False
        """The file says `trusted: true`: its prose is not checked against the safe subset."""

    def fail(self, node: yaml.Node, message: str, column: int = 0) -> None:
        """Record an error at `node`; `column` (1-based) points inside a one-line scalar."""
        place = self.place(node)
        self.errors.append(SpecError(self.path, place.line, place.at(column), message))

    def place(self, node: yaml.Node) -> Place:
        """Where the node's value starts. Columns inside the value map onto the file only
        when its text stands there verbatim on one line: after a tag or an opening quote,
        but not through escapes (\\x78, '') or across folded lines."""
        start, end = node.start_mark, node.end_mark
        if not isinstance(node, yaml.ScalarNode) or start.line != end.line or not node.value:
            return Place(start.line + 1, start.column + 1)
        written = self.text[start.index : end.index]
        offset = written.find(node.value)
        if offset >= 0:
            return Place(start.line + 1, start.column + 1 + offset, inline=True)
        style = str(getattr(node, "style", None))
        body = written.rstrip()
        opening = body.find(style) if style in ("'", '"') else -1
        offsets = _unescaped(body[opening + 1 : -1], style, node.value) if opening >= 0 else None
        if offsets is None:
            return Place(start.line + 1, start.column + 1)
        return Place(start.line + 1, start.column + 2 + opening, True, offsets)

    def locate(self, node: yaml.Node, offset: int) -> tuple[int, int]:
        """The file's line and column of the character at `offset` (0-based) of a scalar's
        value: exact for one-line scalars and literal blocks (|), and for other styles
        wherever the text around it stands verbatim in the file; else the value's start."""
        place = self.place(node)
        if place.inline:
            return place.line, place.at(offset + 1)
        value, start = str(node.value), node.start_mark
        written = self.text[start.index : node.end_mark.index]
        if getattr(node, "style", None) == "|":
            lines = value[:offset].split("\n")
            body = [line for line in written.split("\n")[1:] if line.strip()]
            indent = len(body[0]) - len(body[0].lstrip(" ")) if body else 0
            return start.line + 1 + len(lines), indent + len(lines[-1]) + 1
        for size in (24, 12, 6, 3, 1):  # the longest piece that stands once in the file
            piece = value[offset : offset + size]
            if "\n" in piece or len(piece) < min(size, len(value) - offset) or not piece:
                continue
            if written.count(piece) == 1 and value.count(piece) == 1:
                before = self.text[: start.index + written.index(piece)]
                return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return place.line, place.column

    def count(self, values: int = 1) -> None:
        self.seen += values
        if self.seen > MAX_NODES:
            raise SpecError(self.path, 1, 1, f"the file has more than {MAX_NODES} values "
                                             "(aliases expanding too far?)")  # fmt: skip

    def mapping(self, node: yaml.Node, what: str, schema: Mapping[str, str] | None = None,
                required: tuple[str, ...] = (), values: str = "any") -> dict[str, yaml.Node] | None:
        """A mapping's value nodes by key. Keys outside `schema` are reported with the nearest
        valid key suggested (without a schema, every key is accepted with values of kind
        `values`); so are duplicate keys, mistyped values and missing required keys."""
        if not self.shape(node, "map", what):
            return None
        assert isinstance(node, yaml.MappingNode)
        found: dict[str, yaml.Node] = {}
        keys: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            self.count()
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _TAG + "str":
                self.fail(key_node, f"keys of {what} must be names")
                continue
            key = str(key_node.value)
            if key in keys:
                line = keys[key].start_mark.line + 1
                self.fail(key_node, f"duplicate key {key!r} in {what} (first on line {line})")
                continue
            keys[key] = key_node
            if schema is not None and key not in schema:
                self.fail(key_node, f"unknown key {key!r} in {what}{_suggest(key, schema)}")
                continue
            if self.shape(value_node, schema[key] if schema else values, repr(key)):
                found[key] = value_node
        for key in required:
            if key not in keys:
                self.fail(node, f"{what} needs {key!r}")
        return found

    def shape(self, node: yaml.Node, kind: str, what: str) -> bool:
        """Whether `node` is of `kind` ("map", "list", "text", "int", "bool", "scalar": a
        number or text, "any"); reports the mismatch otherwise."""
        self.count()
        if node.tag not in _ALLOWED_TAGS:  # pointing at the tag itself, where the value starts
            mark = node.start_mark
            self.errors.append(SpecError(self.path, mark.line + 1, mark.column + 1,
                                         f"the tag {node.tag!r} is not allowed"))  # fmt: skip
            return False
        actual = ("map" if isinstance(node, yaml.MappingNode) else
                  "list" if isinstance(node, yaml.SequenceNode) else "scalar")  # fmt: skip
        expected = {"map": "a mapping (key: value)", "list": "a list", "text": "text",
                    "int": "a whole number", "bool": "true or false",
                    "scalar": "a single value"}  # fmt: skip
        if kind == "any" and node.tag != _TAG + "null":
            return True
        problem = None
        if kind in ("map", "list"):
            problem = None if actual == kind else expected[kind]
        elif actual != "scalar" or node.tag == _TAG + "null":
            problem = expected[kind] if kind != "any" else "given a value"
        elif kind in ("text", "int", "bool"):
            tag = {"text": "str", "int": "int", "bool": "bool"}[kind]
            problem = None if node.tag == _TAG + tag else expected[kind]
            if problem and kind == "text":
                problem = "text (quote it)"
        if problem:
            self.fail(node, f"{what} must be {problem}")
        return problem is None

    def texts(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
        """A list of text items (a single text counts as a list of one)."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        return [(str(item.value), item) for item in items if self.shape(item, "text", what)]

    def number(self, node: yaml.Node, what: str) -> Expr | None:
        """An exact number from an int, a float or a text such as pi/2, read from the text
        as written (0.1 is 1/10)."""
        if not self.shape(node, "scalar", what) or node.tag == _TAG + "bool":
            if node.tag == _TAG + "bool":
                self.fail(node, f"{what} must be a number, not {node.value}")
            return None
        raw = str(node.value)
        if node.tag == _TAG + "float" and raw.lower().lstrip("+-") in (".nan", ".inf"):
            self.fail(node, f"{what}: {raw} is not a finite number")
            return None
        if node.tag != _TAG + "str":
            raw = raw.replace("_", "")
        try:
            return exact_value(raw, what)
        except DeriveError as exc:
            self.fail(node, str(exc))
            return None

    def expression(self, node: yaml.Node, parse: Callable[[str], object]) -> str | None:
        """Expression text, parsed once to report a syntax error at its column."""
        text = str(node.value)
        try:
            parse(text)
        except ParseError as exc:
            self.fail(node, str(exc), exc.column)
            return None
        return text


def _unescaped(written: str, style: str, value: str) -> tuple[int, ...] | None:
    """For each character of a quoted scalar's value, its offset in the written text:
    '' stands for ' in single quotes, and \\x41, \\u0041, \\n... for one character in
    double quotes. None when the text does not read back as the value."""
    offsets, i = [], 0
    while i < len(written):
        offsets.append(i)
        if style == "'" and written.startswith("''", i):
            i += 2
        elif style == '"' and written[i] == "\\" and i + 1 < len(written):
            i += {"x": 4, "u": 6, "U": 10}.get(written[i + 1], 2)
        else:
            i += 1
    return tuple(offsets) if len(offsets) == len(value) else None


def _suggest(key: str, schema: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return "; valid keys: " + ", ".join(schema)
