"""The circuit drawing as SVG (inline in the page, or standalone for the PDF), and as PDF.

The SVG is written from derive's own placed drawing (derive/render/drawing.py); every text
in it is escaped. The page contract (documented in docs/reference.md): each node's group
has `data-node`, each wire's label group `data-edge="SRC->DST"` with a `text.value` above
the wire and a `text.grad` below it, each carrying the float64 number in `data-number`
while the visible text is rounded; the output's value carries `data-derive-output` and
each input's total gradient `data-derive-total="INPUT"`. Colours come from CSS variables
on the page (dark mode), and from a style sheet of fixed colours in the standalone SVG.
"""

from __future__ import annotations

import math
import subprocess
from html import escape

from derive.derivation import Derivation
from derive.errors import DeriveError
from derive.render.drawing import (
    INPUT_SIZE,
    LABEL_SIZE,
    LINE,
    NAME_SIZE,
    OUT,
    SYMBOL_SIZE,
    Drawing,
    Label,
    Rect,
    Shape,
    drawing,
)

VALUE, GRADIENT, GATE_FILL, GATE_LINE, INK, MUTED, WIRE = (
    "#1b7a3a", "#b3261e", "#eef3fb", "#4a6fa5", "#222222", "#666666", "#8a8a8a")  # fmt: skip
FONT = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace'
CONVERT_TIMEOUT = 60.0

STANDALONE_STYLE = (
    f"text{{font-family:{FONT.replace('&', '')};}}"
    f".value{{fill:{VALUE};}}.grad,.total{{fill:{GRADIENT};}}"
    f".symbol,.name{{fill:{INK};}}.const{{fill:{MUTED};}}"
    f"ellipse{{fill:{GATE_FILL};stroke:{GATE_LINE};stroke-width:1.2;}}"
    f".derive-box{{fill:none;stroke:none;}}"
    f".derive-wire path{{fill:none;stroke:{WIRE};stroke-width:1.2;}}"
    f".derive-wire path.derive-arrow{{fill:{WIRE};stroke:none;}}"
)


def number(value: float | None) -> str:
    """A float64 exactly, as Python's repr writes it."""
    return "nan" if value is None else repr(float(value))


def circuit_svg(d: Derivation, digits: int = 4, name: str = "circuit",
                standalone: bool = False, given: tuple[str, ...] = ()) -> str:
    """The circuit of `d` as SVG text; `standalone` adds fixed colours and fonts (for files
    and the PDF), otherwise the page's style sheet colours it."""
    return svg(drawing(d, digits, name, given), standalone, _title(d))


def circuit_pdf(d: Derivation, digits: int = 4, name: str = "circuit",
                given: tuple[str, ...] = ()) -> bytes:
    """The same drawing as a PDF (rsvg-convert), for the LaTeX documents."""
    text = circuit_svg(d, digits, name, standalone=True, given=given)
    try:
        done = subprocess.run(["rsvg-convert", "-f", "pdf"], input=text.encode("utf-8"),
                              capture_output=True, timeout=CONVERT_TIMEOUT, check=False)  # fmt: skip
    except FileNotFoundError:
        raise DeriveError(f"{name}: rsvg-convert is not installed, so the circuit cannot be "
                          "converted to PDF (apt-get install librsvg2-bin)") from None  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DeriveError(f"{name}: rsvg-convert took more than {CONVERT_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[0]
        raise DeriveError(f"{name}: rsvg-convert failed on the circuit: {first}")
    return done.stdout


def _title(d: Derivation) -> str:
    return f"Circuit of {d.graph.function.text}"


def _f(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def _text(x: float, centre: float, size: int, cls: str, text: str, extra: str = "") -> str:
    baseline = centre + 0.36 * size
    return (f'<text class="{cls}" x="{_f(x)}" y="{_f(baseline)}" font-size="{size}" '
            f'text-anchor="middle"{extra}>{escape(text)}</text>')  # fmt: skip


def svg(dr: Drawing, standalone: bool, title: str) -> str:
    w, h = math.ceil(dr.width), math.ceil(dr.height)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="derive-circuit-svg" width="{w}" '
            f'height="{h}" viewBox="0 0 {w} {h}" role="img" font-family="{escape(FONT)}">'
            f"<title>{escape(title)}</title>")  # fmt: skip
    out = [head]
    if standalone:
        out.append(f"<style>{STANDALONE_STYLE}</style>")
    out.append('<g class="derive-wires">')
    out += [_wire(key, line) for key, line in dr.wires.items()]
    out.append('</g><g class="derive-nodes">')
    out += [_shape(s) for s in dr.shapes if s.id != OUT]
    out.append('</g><g class="derive-labels">')
    out += [_label(lb) for lb in dr.labels]
    out.append("</g></svg>")
    return "\n".join(out)


def _wire(key: tuple[str, str], line: list[tuple[float, float]]) -> str:
    *points, tip = line
    d = f"M{_f(points[0][0])},{_f(points[0][1])}"
    for i in range(1, len(points) - 2, 3):
        d += "C" + " ".join(f"{_f(x)},{_f(y)}" for x, y in points[i : i + 3])
    (bx, by), (tx, ty) = points[-1], tip
    length = math.hypot(tx - bx, ty - by) or 1.0
    nx, ny = -(ty - by) / length * 3.5, (tx - bx) / length * 3.5
    arrow = (f"M{_f(tx)},{_f(ty)}L{_f(bx + nx)},{_f(by + ny)}L{_f(bx - nx)},{_f(by - ny)}Z")
    attr = escape(f"{key[0]}->{key[1]}") if key[1] != OUT else escape(f"{key[0]}->")
    return (f'<g class="derive-wire" data-wire="{attr}"><path d="{d}"/>'
            f'<path class="derive-arrow" d="{arrow}"/></g>')


def _shape(s: Shape) -> str:
    b = s.box
    cx, cy = b.left + b.width / 2, b.top + b.height / 2
    box = (f'<rect class="derive-box" x="{_f(b.left)}" y="{_f(b.top)}" width="{_f(b.width)}" '
           f'height="{_f(b.height)}"/>')  # fmt: skip
    node = escape(s.id)
    if s.kind == "gate":
        return (f'<g class="derive-node derive-gate" data-node="{node}">{box}'
                f'<ellipse cx="{_f(cx)}" cy="{_f(cy)}" rx="{_f(b.width / 2)}" ry="{_f(b.height / 2)}"/>'
                + _text(cx, cy - 7, SYMBOL_SIZE, "symbol", s.symbol)
                + _text(cx, cy + 11, NAME_SIZE, "name", s.id) + "</g>")  # fmt: skip
    if s.kind == "const":
        return (f'<g class="derive-node derive-const" data-node="{node}">{box}'
                + _text(cx, cy, LABEL_SIZE, "const", s.symbol) + "</g>")
    if s.total is None:
        return (f'<g class="derive-node derive-input" data-node="{node}">{box}'
                + _text(cx, cy, INPUT_SIZE, "name", s.id, ' font-weight="bold"') + "</g>")
    if s.given:
        return (f'<g class="derive-node derive-input derive-given" data-node="{node}">{box}'
                + _text(cx, cy - 9, INPUT_SIZE, "name", s.id, ' font-weight="bold"')
                + _text(cx, cy + 10, LABEL_SIZE, "const", s.total,
                        f' data-derive-given="{node}" data-number="{number(s.total_number)}"')
                + "</g>")  # fmt: skip
    total = (f' data-derive-total="{node}" data-number="{number(s.total_number)}"'
             + (f' data-asked="grad:{node}"' if s.asked else ""))
    return (f'<g class="derive-node derive-input" data-node="{node}">{box}'
            + _text(cx, cy - 9, INPUT_SIZE, "name", s.id, ' font-weight="bold"')
            + _text(cx, cy + 10, LABEL_SIZE, "total", s.total, total) + "</g>")


def _centre(r: Rect) -> tuple[float, float]:
    return r.left + r.width / 2, r.top + LINE / 2


def _label(lb: Label) -> str:
    vx, vy = _centre(lb.value_box)
    out = lb.target == OUT
    value_extra = f' data-number="{number(lb.value_number)}"'
    if out:
        value_extra += ' data-derive-output=""'
    if lb.value_asked:
        value_extra += f' data-asked="value:{escape(lb.source)}"'
    parts = [_text(vx, vy, LABEL_SIZE, "value", lb.value, value_extra)]
    if lb.grad is not None:
        gx, gy = _centre(lb.grad_box)
        grad_extra = f' data-number="{number(lb.grad_number)}"'
        if lb.grad_asked:
            grad_extra += f' data-asked="grad:{escape(lb.source)}->{escape(lb.target)}"'
        parts.append(_text(gx, gy, LABEL_SIZE, "grad", lb.grad, grad_extra))
    edge = (' class="derive-label derive-out"' if out else
            f' class="derive-label" data-edge="{escape(lb.source)}->{escape(lb.target)}"')  # fmt: skip
    return f"<g{edge}>{''.join(parts)}</g>"
