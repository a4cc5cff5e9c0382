"""The circuit drawing as TikZ, for the standalone LaTeX download (one .tex, no files).

Formatting only: every position comes from derive's placed drawing (derive/render/
drawing.py), the same one the page's SVG is written from (derive/render/circuit.py), with
the same colours (values green above the wires, gradients red below them). One CSS pixel
is 0.75 pt; the picture is shrunk to the text width (and 45% of the page height) when it
is larger. Every text goes through render.math's `text` escaping.
"""

from __future__ import annotations

import math as geometry

from derive.render import escape
from derive.render.circuit import GATE_FILL, GATE_LINE, GRADIENT, INK, MUTED, VALUE, WIRE
from derive.render.drawing import (
    INPUT_SIZE,
    LABEL_SIZE,
    LINE,
    NAME_SIZE,
    OUT,
    SYMBOL_SIZE,
    Drawing,
    Label,
    Shape,
)

PT = 0.75
"""Points per CSS pixel."""
COLOURS = {"derivevalue": VALUE, "derivegrad": GRADIENT, "derivegatefill": GATE_FILL,
           "derivegateline": GATE_LINE, "deriveink": INK, "derivemuted": MUTED,
           "derivewire": WIRE}  # fmt: skip


def _n(v: float) -> str:
    """A length in points, fixed to two decimals (never "-0.00")."""
    printed = f"{v * PT:.2f}"
    return "0.00" if printed == "-0.00" else printed


def _at(x: float, y: float) -> str:
    return f"({_n(x)},{_n(-y)})"


def _text(x: float, centre: float, size: int, colour: str, text: str,
          bold: bool = False) -> str:
    """A text centred on x with its baseline where the SVG puts it."""
    series = "\\fontseries{b}" if bold else ""  # Latin Modern Mono has b, not bx
    font = f"\\ttfamily{series}\\fontsize{{{size * PT:.2f}}}{{{size * PT * 1.2:.2f}}}\\selectfont"
    return (f"\\node[anchor=base, inner sep=0pt, text={colour}, font={{{font}}}] at "
            f"{_at(x, centre + 0.36 * size)} {{{escape.text(text)}}};")  # fmt: skip


def circuit_tikz(dr: Drawing) -> str:
    """The drawing as a centred tikzpicture, shrunk to fit the text width."""
    out = [r"\begin{center}"]
    out += [f"\\definecolor{{{name}}}{{HTML}}{{{value.lstrip('#').upper()}}}"
            for name, value in COLOURS.items()]  # fmt: skip
    out += [r"\begin{adjustbox}{max width=\linewidth, max totalheight=0.45\textheight}",
            r"\begin{tikzpicture}[x=1pt, y=1pt]",
            f"\\path[use as bounding box] {_at(0, 0)} rectangle {_at(dr.width, dr.height)};"]
    for line in dr.wires.values():
        out += _wire(line)
    for shape in dr.shapes:
        if shape.id != OUT:
            out += _shape(shape)
    for label in dr.labels:
        out += _label(label)
    out += [r"\end{tikzpicture}", r"\end{adjustbox}", r"\end{center}"]
    return "\n".join(out)


def _wire(line: list[tuple[float, float]]) -> list[str]:
    *points, tip = line
    path = _at(*points[0])
    for i in range(1, len(points) - 2, 3):
        first, second, end = points[i : i + 3]
        path += f" .. controls {_at(*first)} and {_at(*second)} .. {_at(*end)}"
    (bx, by), (tx, ty) = points[-1], tip
    length = geometry.hypot(tx - bx, ty - by) or 1.0
    nx, ny = -(ty - by) / length * 3.5, (tx - bx) / length * 3.5
    arrow = f"{_at(tx, ty)} -- {_at(bx + nx, by + ny)} -- {_at(bx - nx, by - ny)} -- cycle"
    return [f"\\draw[derivewire, line width=0.9pt] {path};",
            f"\\fill[derivewire] {arrow};"]


def _shape(s: Shape) -> list[str]:
    b = s.box
    cx, cy = b.left + b.width / 2, b.top + b.height / 2
    if s.kind == "gate":
        return [f"\\filldraw[fill=derivegatefill, draw=derivegateline, line width=0.9pt] "
                f"{_at(cx, cy)} ellipse [x radius={_n(b.width / 2)}pt, "
                f"y radius={_n(b.height / 2)}pt];",
                _text(cx, cy - 7, SYMBOL_SIZE, "deriveink", s.symbol),
                _text(cx, cy + 11, NAME_SIZE, "deriveink", s.id)]  # fmt: skip
    if s.kind == "const":
        return [_text(cx, cy, LABEL_SIZE, "derivemuted", s.symbol)]
    if s.total is None:
        return [_text(cx, cy, INPUT_SIZE, "deriveink", s.id, bold=True)]
    colour = "derivemuted" if s.given else "derivegrad"
    return [_text(cx, cy - 9, INPUT_SIZE, "deriveink", s.id, bold=True),
            _text(cx, cy + 10, LABEL_SIZE, colour, s.total)]


def _label(lb: Label) -> list[str]:
    box = lb.value_box
    out = [_text(box.left + box.width / 2, box.top + LINE / 2, LABEL_SIZE, "derivevalue",
                 lb.value)]  # fmt: skip
    if lb.grad is not None:
        box = lb.grad_box
        out.append(_text(box.left + box.width / 2, box.top + LINE / 2, LABEL_SIZE,
                         "derivegrad", lb.grad))  # fmt: skip
    return out
