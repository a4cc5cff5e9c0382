"""Graphviz as a layout engine only: where the boxes go and how the wires run.

derive draws the circuit itself (derive/render/circuit.py); `dot -Tjson0` only computes
the positions of boxes of given sizes and the routes of the wires between them. The
coordinates come back in points, which the drawing uses as CSS pixels one for one: text
is never scaled. A missing `dot`, a failure or a layout past DOT_TIMEOUT seconds is a
DeriveError naming the circuit.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import subprocess
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from derive.errors import DeriveError

DOT_TIMEOUT = 60.0
"""Seconds `dot` may take for one layout (a 1000-node network takes a few)."""
LARGE = 80
"""Graphs with more boxes than this are laid out with bounded effort."""


@dataclass(frozen=True, slots=True)
class Box:
    """A box to place: its id and size in pixels; `shape` is "ellipse" or "box"."""

    id: str
    width: float
    height: float
    shape: str = "box"


@dataclass(frozen=True, slots=True)
class Placed:
    """A placed box: its centre and size, y growing downwards."""

    x: float
    y: float
    width: float
    height: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2


@dataclass(frozen=True, slots=True)
class Route:
    """A wire's cubic Bezier control points (3n + 1) and the tip of its arrowhead."""

    points: tuple[tuple[float, float], ...]
    tip: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    boxes: dict[str, Placed]
    routes: dict[tuple[str, str], Route]


def layout(boxes: Sequence[Box], wires: Sequence[tuple[str, str]], ranksep: float,
           nodesep: float, name: str) -> Layout:
    """Boxes laid out left to right with `ranksep` pixels between columns and `nodesep`
    between boxes of a column. Raises DeriveError naming `name` when dot fails."""
    index = {box.id: f"n{i}" for i, box in enumerate(boxes)}
    bounded = ' mclimit="0.3" nslimit="3" nslimit1="3"' if len(boxes) > LARGE else ""
    lines = [
        "digraph L {",
        f'  graph [rankdir="LR" ranksep="{ranksep / 72:.4f}" nodesep="{nodesep / 72:.4f}" '
        f'margin="0" pad="0" splines="spline" outputorder="edgesfirst"{bounded}];',
        '  node [fixedsize="true" label=""];',
        '  edge [arrowsize="0.7"];',
    ]
    for box in boxes:
        lines.append(f'  {index[box.id]} [shape="{box.shape}" width="{box.width / 72:.4f}" '
                     f'height="{box.height / 72:.4f}"];')  # fmt: skip
    lines += [f"  {index[s]} -> {index[t]};" for s, t in wires]
    lines.append("}")
    try:
        return _run("\n".join(lines) + "\n", tuple(box.id for box in boxes), tuple(wires))
    except DeriveError as exc:  # the name is not part of the cached layout
        raise DeriveError(f"{name}: {exc}") from None


@functools.lru_cache(maxsize=64)
def _run(text: str, ids: tuple[str, ...], wires: tuple[tuple[str, str], ...]) -> Layout:
    try:
        done = subprocess.run(["dot", "-Tjson0"], input=text, capture_output=True, text=True,
                              timeout=DOT_TIMEOUT, check=False)  # fmt: skip
    except FileNotFoundError:
        raise DeriveError("Graphviz's dot is not installed, so the circuit cannot be "
                          "laid out (apt-get install graphviz)") from None  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DeriveError(f"Graphviz's dot took more than {DOT_TIMEOUT:.0f} s to lay "
                          "out the circuit") from None  # fmt: skip
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise DeriveError(f"Graphviz's dot failed to lay out the circuit: {first}")
    try:
        return _parse(json.loads(done.stdout), ids, wires)
    except (ValueError, KeyError, IndexError) as exc:
        raise DeriveError(f"Graphviz's dot gave a layout derive cannot read ({exc})") from None


def _parse(data: dict[str, object], ids: tuple[str, ...],
           wires: tuple[tuple[str, str], ...]) -> Layout:
    left, bottom, right, top = (float(v) for v in str(data["bb"]).split(","))
    height = top - bottom

    def point(text: str) -> tuple[float, float]:
        x, y = text.split(",")[-2:]
        return float(x) - left, height - (float(y) - bottom)

    objects = data["objects"]
    assert isinstance(objects, list)
    boxes: dict[str, Placed] = {}
    for i, obj in enumerate(objects[: len(ids)]):
        x, y = point(obj["pos"])
        boxes[ids[i]] = Placed(x, y, float(obj["width"]) * 72, float(obj["height"]) * 72)
    routes: dict[tuple[str, str], Route] = {}
    edges = data.get("edges", [])
    assert isinstance(edges, list)
    for edge in edges:
        key = (ids[edge["tail"]], ids[edge["head"]])
        parts = str(edge["pos"]).split()
        tip = next((point(p) for p in parts if p.startswith("e,")), None)
        points = tuple(point(p) for p in parts if not p.startswith(("e,", "s,")))
        routes[key] = Route(points, tip if tip is not None else points[-1])
    missing = [w for w in wires if w not in routes]
    if missing:
        raise KeyError(f"no route for {missing[0]}")
    return Layout(right - left, height, boxes, routes)


def sample(route: Route, per_segment: int = 12) -> list[tuple[float, float]]:
    """Points along the wire, from its source to the tip of its arrowhead."""
    p = route.points
    out = [p[0]]
    for i in range(0, len(p) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = p[i : i + 4]
        for k in range(1, per_segment + 1):
            t = k / per_segment
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
            out.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    out.append(route.tip)
    return out


class Wire:
    """A wire's sampled points (from `sample`) with what placing labels along it needs: the
    length run up to each point, its horizontal extent, its height under a box."""

    def __init__(self, line: list[tuple[float, float]]) -> None:
        self.line = line
        self.lengths = [0.0]
        for a, b in itertools.pairwise(line):
            self.lengths.append(self.lengths[-1] + math.dist(a, b))
        self.xs = [x for x, _ in line]
        self.low, self.high = min(self.xs) - 1, max(self.xs) + 1
        # most wires run left to right: then the points under a box are found by bisection
        self.increasing = all(a <= b for a, b in itertools.pairwise(self.xs))

    def ys_under(self, left: float, right: float) -> list[float]:
        """The heights of the wire at the points between left and right, and at both."""
        line = self.line
        if self.increasing:
            inside = line[bisect_left(self.xs, left):bisect_right(self.xs, right)]
        else:
            inside = [p for p in line if left <= p[0] <= right]
        return [*(y for _, y in inside), self.y_at(left), self.y_at(right)]

    def y_at(self, x: float) -> float:
        """The wire's height at x: on the first segment that spans x, else at the nearest
        point. On an increasing wire no segment before the bisection point spans x."""
        line = self.line
        start = max(bisect_left(self.xs, x) - 1, 0) if self.increasing else 0
        for k in range(start, len(line) - 1):
            (x0, y0), (x1, y1) = line[k], line[k + 1]
            if (x0 <= x <= x1 or x1 <= x <= x0) and x0 != x1:
                return y0 + (x - x0) / (x1 - x0) * (y1 - y0)
        return min(line, key=lambda p: abs(p[0] - x))[1]


@dataclass
class Grid:
    """Items filed by the cells of a square grid, so that finding what lies near a box
    costs the box's cells rather than every item (label placement on a network of a
    thousand nodes)."""

    cell: float = 64.0
    cells: dict[tuple[int, int], list[tuple[float, float, float, float, Any]]] = field(
        default_factory=lambda: defaultdict(list))  # fmt: skip

    def _span(self, left: float, top: float, right: float,
              bottom: float) -> Iterator[tuple[int, int]]:  # fmt: skip
        c = self.cell
        for i in range(math.floor(left / c), math.floor(right / c) + 1):
            for j in range(math.floor(top / c), math.floor(bottom / c) + 1):
                yield i, j

    def add(self, left: float, top: float, right: float, bottom: float, item: Any) -> None:
        entry = (left, top, right, bottom, item)
        for key in self._span(left, top, right, bottom):
            self.cells[key].append(entry)

    def near(self, left: float, top: float, right: float, bottom: float) -> list[Any]:
        """The items whose bounds meet the box, each once."""
        found: dict[int, Any] = {}
        for key in self._span(left, top, right, bottom):
            for entry in self.cells.get(key, ()):
                if entry[0] <= right and left <= entry[2] and entry[1] <= bottom and top <= entry[3]:
                    found.setdefault(id(entry), entry[4])
        return list(found.values())
