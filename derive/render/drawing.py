"""Derivation -> the circuit drawing: boxes, wires and labels placed, text never scaled.

Graphviz lays out boxes of the sizes derive asks for (derive/render/layout.py); derive
then places every wire's label itself: the forward value above the wire, the gradient
below it (CS231n's convention), at a point of the wire where neither text touches another
label or a box. Where no such point exists, the columns and rows are spread further apart
and laid out again. Sizes are in CSS pixels and fonts are monospace, so the boxes derive
computes are the boxes the browser draws.

Constants are folded into their gate's symbol where that reads better ("+1", "1/x",
"x²", "×2"), as CS231n draws its neuron; every other node is drawn with its operation's
symbol and its name; each input shows its total gradient (the sum over its wires).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from derive.derivation import Derivation
from derive.model import Passes, exact_passes
from derive.render.layout import Box, Grid, Layout, Placed, Route, Wire, layout, sample
from derive.render.notation import NOTATION
from derive.render.text import decimal

LABEL_SIZE, NAME_SIZE, SYMBOL_SIZE, INPUT_SIZE = 13, 12, 16, 14
"""Font sizes in CSS pixels; nothing on a circuit is smaller than 12 px."""
CHAR = 0.62
"""Advance of a monospace character, in ems (DejaVu Sans Mono, Menlo, Consolas: 0.6)."""
LINE = 17.0
"""Height of a label's line box."""
GAP = 3.0
"""Between a wire and its label."""
ANSWER_WIDTH = 58.0
"""The check-yourself answer boxes, placed where the numbers they replace are drawn."""
NEAR = 16.0
"""Labels of different wires closer than this are avoided where another place is free."""
ATTEMPTS = 5
"""Layouts tried, each with more room, before the best placement found is kept."""
OUT = "#out"
"""The output's terminal: no node id starts with #."""


def width(text: str, size: float) -> float:
    return len(text) * size * CHAR


@dataclass(frozen=True, slots=True)
class Rect:
    left: float
    top: float
    width: float
    height: float

    def overlaps(self, other: Rect, margin: float = 0.0) -> bool:
        return (self.left < other.left + other.width + margin
                and other.left < self.left + self.width + margin
                and self.top < other.top + other.height + margin
                and other.top < self.top + self.height + margin)  # fmt: skip

    def shifted(self, dx: float, dy: float) -> Rect:
        return Rect(self.left + dx, self.top + dy, self.width, self.height)


@dataclass(slots=True)
class Shape:
    """A node as drawn: its kind (gate, input, const, out), texts and placed box."""

    id: str
    kind: str
    symbol: str
    total: str | None = None
    total_number: float | None = None
    asked: bool = False
    given: bool = False
    """A data input: it shows its value ("= 0.05"), not a gradient."""
    box: Rect = field(default_factory=lambda: Rect(0, 0, 0, 0))


@dataclass(slots=True)
class Label:
    """One wire's label: the value above, the gradient below (None on a constant's wire)."""

    source: str
    target: str
    value: str
    value_number: float
    grad: str | None
    grad_number: float | None
    value_asked: bool
    grad_asked: bool
    value_width: float
    grad_width: float
    value_box: Rect = field(default_factory=lambda: Rect(0, 0, 0, 0))
    grad_box: Rect = field(default_factory=lambda: Rect(0, 0, 0, 0))


@dataclass(slots=True)
class Drawing:
    name: str
    width: float
    height: float
    shapes: list[Shape]
    labels: list[Label]
    wires: dict[tuple[str, str], list[tuple[float, float]]]
    """Each wire's route as Bezier control points, then its arrowhead's tip."""
    overlaps: int
    """Label boxes that touch another label or a box (0 unless every attempt failed)."""


_SUPERSCRIPTS = {"2": "\u00b2", "3": "\u00b3"}


def fold(d: Derivation, node_id: str) -> str | None:
    """The symbol of a gate with its constant operand folded in ("+1", "1/x"), or None."""
    graph = d.graph
    node = graph.node(node_id)
    if len(node.inputs) != 2 or node.op not in ("add", "sub", "mul", "div", "pow"):
        return None
    consts = [i for i, s in enumerate(node.inputs) if graph.node(s).op == "const"]
    if len(consts) != 1:
        return None
    position = consts[0]
    c = graph.node(node.inputs[position]).source.strip()
    if len(c) > 6:
        return None
    c = c.replace("-", "\u2212")
    if node.op == "add":
        return f"+{c}"
    if node.op == "mul":
        return f"\u00d7{c}"
    first = position == 0
    return {"sub": f"{c}\u2212x" if first else f"\u2212{c}",
            "div": f"{c}/x" if first else f"\u00f7{c}",
            "pow": f"{c}^x" if first else f"x{_SUPERSCRIPTS.get(c, '^' + c)}"}[node.op]  # fmt: skip


_RECENT: dict[tuple[int, int, tuple[str, ...]], tuple[Derivation, Drawing]] = {}
"""The last few drawings, by derivation (held, so that its id stays its own), digits and
given inputs: a page draws the same circuit for its SVG and for its LaTeX download."""
RECENT = 8


def drawing(d: Derivation, digits: int = 4, name: str = "circuit",
            given: tuple[str, ...] = ()) -> Drawing:
    """Every node, wire and label of `d`'s circuit, placed. Raises DeriveError naming
    `name` when Graphviz fails. Drawings are only read once made, so one is shared."""
    key = (id(d), digits, tuple(given))
    found = _RECENT.get(key)
    if found is None or found[0] is not d:
        if len(_RECENT) >= RECENT:
            del _RECENT[next(iter(_RECENT))]
        found = _RECENT[key] = (d, _draw(d, digits, name, given))
    return replace(found[1], name=name)


def _draw(d: Derivation, digits: int, name: str, given: tuple[str, ...]) -> Drawing:
    graph, passes = d.graph, exact_passes(d)
    folded = {n.id: fold(d, n.id) for n in graph.operations}
    drawn = [n for n in graph.nodes if n.op != "const" or any(
        folded.get(c) is None for c in graph.consumers(n.id))]  # fmt: skip
    ids = {n.id for n in drawn}
    shapes: list[Shape] = []
    data = {*given, *getattr(d, "given", ())}
    for n in drawn:
        if n.op == "input" and n.id in data:
            value = passes.values[n.id]
            shapes.append(Shape(n.id, "input", n.id, f"= {decimal_of(value, digits)}", value,
                                given=True))  # fmt: skip
        elif n.op == "input":
            total = passes.totals[n.id]
            shapes.append(Shape(n.id, "input", n.id, decimal_of(total, digits), total, True))
        elif n.op == "const":
            shapes.append(Shape(n.id, "const", n.source))
        else:
            shapes.append(Shape(n.id, "gate", folded[n.id] or NOTATION[n.op].symbol))
    shapes.append(Shape(OUT, "out", ""))
    labels: list[Label] = []
    asked_value: set[str] = set()
    for n in drawn:
        for source in dict.fromkeys(n.inputs):
            if source in ids:
                labels.append(_label(d, passes, source, n.id, digits, asked_value))
    labels.append(_label(d, passes, graph.output, OUT, digits, asked_value))
    return _place(name, shapes, labels)


def decimal_of(number: float, digits: int) -> str:
    from mpmath import mpf

    return decimal(mpf(number), digits)


def _label(d: Derivation, passes: Passes, source: str, target: str, digits: int,
           asked_value: set[str]) -> Label:
    value = passes.values[source]
    if target == OUT:
        grad: float | None = 1.0
    else:
        grad = passes.wires.get((source, target))
    kind = d.graph.node(source).op
    value_asked = kind not in ("input", "const") and source not in asked_value
    asked_value.add(source)
    texts = [decimal_of(value, digits), None if grad is None else decimal_of(grad, digits)]
    grad_asked = grad is not None and target != OUT
    widths = [width(t, LABEL_SIZE) + 8 if t is not None else 8.0 for t in texts]
    return Label(source, target, texts[0] or "", value, texts[1], grad, value_asked,
                 grad_asked, widths[0], widths[1])  # fmt: skip


def _size(shape: Shape) -> tuple[float, float]:
    if shape.kind == "gate":
        wide = max(width(shape.symbol, SYMBOL_SIZE), width(shape.id, NAME_SIZE))
        return max(46.0, 1.25 * wide + 14), 46.0
    if shape.kind == "input":
        wide = max(width(shape.id, INPUT_SIZE), width(shape.total or "", LABEL_SIZE))
        return max(wide, 30.0) + 10, 44.0 if shape.total is not None else 26.0
    if shape.kind == "const":
        return width(shape.symbol, LABEL_SIZE) + 10, 24.0
    return 6.0, 6.0


def _place(name: str, shapes: list[Shape], labels: list[Label]) -> Drawing:
    sizes = {s.id: _size(s) for s in shapes}
    boxes = [Box(s.id, *sizes[s.id], "ellipse" if s.kind == "gate" else "box") for s in shapes]
    wires = [(label.source, label.target) for label in labels]
    widest = max(max(lb.value_width, lb.grad_width) for lb in labels)
    ranksep, nodesep = max(widest + 40, 110.0), 2 * (LINE + GAP) + 20
    best: tuple[int, Layout, list[tuple[Rect, Rect]]] | None = None
    stub = next(lb for lb in labels if lb.target == OUT)
    inner = [b for b in boxes if b.id != OUT], [w for w in wires if w[1] != OUT]
    for _attempt in range(ATTEMPTS):
        placed = _with_stub(layout(*inner, ranksep, nodesep, name), stub)
        slots, failures = _labels(placed, labels)
        if best is None or failures < best[0]:
            best = (failures, placed, slots)
        if failures == 0:
            break
        ranksep, nodesep = ranksep * 1.25, nodesep * 1.4
    assert best is not None
    failures, placed, slots = best
    for label, (value_box, grad_box) in zip(labels, slots, strict=True):
        label.value_box, label.grad_box = value_box, grad_box
    for shape in shapes:
        p = placed.boxes[shape.id]
        shape.box = Rect(p.left, p.top, p.width, p.height)
    routes = {k: [*r.points, r.tip] for k, r in placed.routes.items()}
    return _framed(Drawing(name, placed.width, placed.height, shapes, labels, routes, failures))


def _with_stub(placed: Layout, stub: Label) -> Layout:
    """The layout with the output's short wire to the right, only as long as its label
    needs (Graphviz would give it a whole column)."""
    out = placed.boxes[stub.source]
    x0, y = out.x + out.width / 2, out.y
    run = max(stub.value_width, stub.grad_width) + 28
    tip = (x0 + run, y)
    base = tip[0] - 7
    points = ((x0, y), (x0 + (base - x0) / 3, y), (x0 + 2 * (base - x0) / 3, y), (base, y))
    boxes = {**placed.boxes, OUT: Placed(tip[0] + 3, y, 6, 6)}
    routes = {**placed.routes, (stub.source, OUT): Route(points, tip)}
    return Layout(max(placed.width, tip[0] + 6), placed.height, boxes, routes)


def _labels(placed: Layout, labels: list[Label]) -> tuple[list[tuple[Rect, Rect]], int]:
    """A value box and a gradient box per label, and how many could not be placed clear."""
    obstacles, points = Grid(), Grid()
    for p in placed.boxes.values():
        obstacles.add(p.left, p.top, p.left + p.width, p.top + p.height,
                      ("node", Rect(p.left, p.top, p.width, p.height)))  # fmt: skip
    polylines = {key: sample(route) for key, route in placed.routes.items()}
    for key, line in polylines.items():
        for x, y in line:
            points.add(x, y, x, y, key)

    def around(box: Rect, margin: float, kinds: tuple[str, ...] = ("node", "label")) -> int:
        found = obstacles.near(box.left - margin, box.top - margin, box.left + box.width + margin,
                               box.top + box.height + margin)  # fmt: skip
        return sum(kind in kinds and box.overlaps(other, margin) for kind, other in found)

    out: list[tuple[Rect, Rect]] = []
    failures = 0
    for label in labels:
        key = (label.source, label.target)
        best: tuple[float, Rect, Rect] | None = None
        fallback: tuple[float, Rect, Rect] | None = None
        wire = Wire(polylines[key])
        for fraction in (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.1, 0.9):
            # scores add up terms >= 0 (the distance too, on a left-to-right wire), and the
            # fractions come in order of their term: once it reaches the best, none can win
            if best is not None and wire.increasing and best[0] <= abs(fraction - 0.5) * 20:
                break
            boxes = _slot(wire, fraction, label.value_width, label.grad_width)
            if boxes is None:
                continue
            value_box, grad_box, steep = boxes
            clashes = sum(around(b, 2) for b in (value_box, grad_box))
            # a clashing slot only matters as the fallback, when no slot is clear, and
            # then only if it could beat the fallback found (scores are >= 0)
            if clashes and (best is not None or (fallback is not None
                                                 and clashes * 1000 >= fallback[0])):
                continue
            crowded = sum(around(_widened(b), 1) for b in (value_box, grad_box))
            crossings = len({k for b in (value_box, grad_box) for k in points.near(
                b.left - 4, b.top - 4, b.left + b.width + 4, b.top + b.height + 4) if k != key})
            # labels of different wires close together read as one column of numbers
            near = sum(around(b, NEAR, ("label",)) for b in (value_box, grad_box))
            score = (crossings * 60 + crowded * 12 + near * 40 + steep
                     + abs(fraction - 0.5) * 20)  # fmt: skip
            if clashes == 0 and (best is None or score < best[0]):
                best = (score, value_box, grad_box)
            if fallback is None or clashes * 1000 + score < fallback[0]:
                fallback = (clashes * 1000 + score, value_box, grad_box)
        if best is None:
            failures += 1
            best = fallback
        assert best is not None
        for box in best[1:]:
            obstacles.add(box.left, box.top, box.left + box.width, box.top + box.height,
                          ("label", box))  # fmt: skip
        out.append((best[1], best[2]))
    return out, failures


def _slot(wire: Wire, fraction: float, value_width: float,
          grad_width: float) -> tuple[Rect, Rect, float] | None:
    """The value box above and the gradient box below the point `fraction` of the way
    along the wire, each clear of the wire over its whole width and as close to the point
    as the wire's slope allows (on a sloping wire they sit diagonally, hugging it), and
    how far they are from it in all."""
    line, lengths = wire.line, wire.lengths
    goal = lengths[-1] * fraction
    i = next((k for k in range(1, len(line)) if lengths[k] >= goal), len(line) - 1)
    span = lengths[i] - lengths[i - 1] or 1.0
    t = (goal - lengths[i - 1]) / span
    cx = line[i - 1][0] + t * (line[i][0] - line[i - 1][0])
    cy = line[i - 1][1] + t * (line[i][1] - line[i - 1][1])
    boxes: list[Rect] = []
    distance = 0.0
    for wide, above in ((value_width, True), (grad_width, False)):
        best: tuple[float, Rect] | None = None
        for left in (cx - wide / 2, cx - 4, cx + 4 - wide):
            if left < wire.low or left + wide > wire.high:
                continue
            ys = wire.ys_under(left, left + wide)
            box = (Rect(left, min(ys) - GAP - LINE, wide, LINE) if above else
                   Rect(left, max(ys) + GAP, wide, LINE))  # fmt: skip
            gap = (cy - min(ys)) if above else (max(ys) - cy)
            if best is None or gap < best[0] - 0.5:
                best = (gap, box)
        if best is None:
            return None
        distance += best[0]
        boxes.append(best[1])
    return boxes[0], boxes[1], distance


def _widened(box: Rect) -> Rect:
    """Where the check-yourself answer box goes: centred on the number it replaces."""
    wide = max(box.width, ANSWER_WIDTH)
    return Rect(box.left + (box.width - wide) / 2, box.top, wide, box.height)


PAD = 6.0


def _framed(dr: Drawing) -> Drawing:
    """Everything moved so that the drawing starts at (PAD, PAD), with its size updated."""
    rects = [s.box for s in dr.shapes] + [b for lb in dr.labels for b in (lb.value_box, lb.grad_box)]
    xs = [p[0] for line in dr.wires.values() for p in line]
    ys = [p[1] for line in dr.wires.values() for p in line]
    left = min([r.left for r in rects] + xs)
    top = min([r.top for r in rects] + ys)
    right = max([r.left + r.width for r in rects] + xs)
    bottom = max([r.top + r.height for r in rects] + ys)
    dx, dy = PAD - left, PAD - top
    for s in dr.shapes:
        s.box = s.box.shifted(dx, dy)
    for lb in dr.labels:
        lb.value_box, lb.grad_box = lb.value_box.shifted(dx, dy), lb.grad_box.shifted(dx, dy)
    dr.wires = {k: [(x + dx, y + dy) for x, y in line] for k, line in dr.wires.items()}
    dr.width, dr.height = right - left + 2 * PAD, bottom - top + 2 * PAD
    return dr
