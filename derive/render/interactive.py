"""The circuit's block on a page: the inline SVG, a number field per scalar input, the
check-yourself answer boxes, a legend, and the graph as JSON for the page's script
(derive/sphinx/static/derive-circuit.js, which recomputes both passes in the browser).

Everything here is derive's own output; every text in it is escaped, and the JSON is
escaped so that it cannot close its <script> element. Without JavaScript the circuit is
still drawn; the controls stay hidden.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from derive.derivation import Derivation
from derive.expand import expand, expandable, paths
from derive.model import model
from derive.render.circuit import _title, svg
from derive.render.drawing import ANSWER_WIDTH, Drawing, Rect, drawing
from derive.render.text import decimal

LEVELS = {"fused": "Fused gates", "expanded": "Expanded into primitives"}


def circuit_block(d: Derivation, digits: int, name: str, marking_digits: int | None = None,
                  level: str = "fused", given: tuple[str, ...] = ()) -> str:
    """The HTML of the circuit of `d` (and of its expanded form, behind a switch, where
    expanding changes it); `level` is the one shown first. Raises DeriveError naming
    `name` when the layout fails."""
    marking = marking_digits if marking_digits is not None else digits
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "circuit"
    if not expandable(d):
        return _one(d, digits, marking, slug, name, "fused", given, hidden=False)
    e = expand(d)
    parts = ['<div class="derive-circuits">',
             '<div class="derive-level-switch" role="group" aria-label="Level of detail" hidden>']
    for key, label in LEVELS.items():
        pressed = "true" if key == level else "false"
        parts.append(f'<button type="button" data-derive-level="{key}" '
                     f'aria-pressed="{pressed}">{label}</button>')  # fmt: skip
    parts.append("</div>")
    for key, derivation in (("fused", d), ("expanded", e)):
        parts.append(_one(derivation, digits, marking, f"{slug}-{key}", f"{name} ({key})", key,
                          given, hidden=key != level))  # fmt: skip
    parts.append(_paths(d, e, digits))
    parts.append("</div>")
    return "\n".join(parts)


def _one(d: Derivation, digits: int, marking: int, slug: str, name: str, level: str,
         given: tuple[str, ...], hidden: bool) -> str:
    dr = drawing(d, digits, name, given)
    data = model(d, digits)
    data["marking"] = marking
    data["sources"] = {n.id: n.source for n in d.graph.nodes if n.op not in ("input", "const")}
    fields = "".join(
        f'<label class="derive-field"><span>{escape(i)}</span><input type="number" step="any" '
        f'data-derive-input="{escape(i)}" value="{_field(data["at"][i])}" '
        f'aria-label="input {escape(i)}"></label>'
        for i in d.graph.inputs)  # fmt: skip
    w, h = round(dr.width + 0.499), round(dr.height + 0.499)
    out = [
        f'<div class="derive-circuit" id="derive-{slug}" data-level="{level}"'
        + (" hidden" if hidden else "") + ">",
        '<div class="derive-circuit-controls" hidden>',  # shown by the script, which runs them
        '<p class="derive-circuit-help">Change an input to recompute both passes, or check '
        "yourself: fill in the numbers and have them marked.</p>",
        f'<div class="derive-circuit-inputs">{fields}'
        '<button type="button" data-derive-reset>Reset</button></div>',
        '<div class="derive-circuit-modes"><button type="button" data-derive-selfcheck '
        'aria-pressed="false">Check yourself</button> <button type="button" data-derive-check '
        "hidden>Check my answers</button></div>",
        "</div>",
        '<div class="derive-circuit-status" role="status" aria-live="polite"></div>',
        '<div class="derive-circuit-scroll" tabindex="0" role="group" '
        f'aria-label="{escape(_title(d))}, scrolls sideways when wide">',
        f'<div class="derive-circuit-canvas" style="width:{w}px;height:{h}px">',
        svg(dr, False, _title(d)),
        _answers(dr),
        "</div></div>",
        '<p class="derive-circuit-legend"><span class="derive-key-value">value (forward)'
        '</span> above each wire, <span class="derive-key-grad">gradient (backward)</span> '
        "below; under each input, its total gradient.</p>",
        '<script type="application/json" class="derive-circuit-model">' + _json(data) + "</script>",
        "</div>",
    ]
    return "\n".join(out)


def _field(x: float) -> str:
    """An input's value as the field shows it (and as the script's String() writes it)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _json(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _box(quantity: str, r: Rect, description: str, limit: float) -> str:
    wide = max(r.width, ANSWER_WIDTH)
    left = max(0.0, min(r.left + (r.width - wide) / 2, limit - wide))  # inside the canvas
    return (f'<span class="derive-answer" style="left:{left:.1f}px;top:{r.top:.1f}px;'
            f'width:{wide:.0f}px"><input type="text" inputmode="decimal" autocomplete="off" '
            f'spellcheck="false" data-derive-answer="{escape(quantity)}" '
            f'aria-label="{escape(description)}"></span>')  # fmt: skip


def _answers(dr: Drawing) -> str:
    """The answer boxes, each where the number it asks for is drawn."""
    boxes = []
    for lb in dr.labels:
        if lb.value_asked:
            boxes.append(_box(f"value:{lb.source}", lb.value_box, f"value of {lb.source}",
                              dr.width))  # fmt: skip
        if lb.grad_asked:
            boxes.append(_box(f"grad:{lb.source}->{lb.target}", lb.grad_box,
                              f"gradient on wire {lb.source} to {lb.target}", dr.width))  # fmt: skip
    for s in dr.shapes:
        if s.kind == "input" and s.asked:
            b = s.box
            slot = Rect(b.left, b.top + b.height - 20, b.width, 18)
            boxes.append(_box(f"grad:{s.id}", slot, f"total gradient of {s.id}", dr.width))
    return f'<div class="derive-answers" hidden>{"".join(boxes)}</div>'


def _paths(fused: Derivation, expanded: Derivation, digits: int) -> str:
    """Each sigmoid gate's local derivative, equal to the product along its expansion."""
    lines = []
    for p in paths(fused, expanded):
        factors = " \u00d7 ".join(f"({decimal(v.approx, digits)})" if v.approx < 0 else
                                  decimal(v.approx, digits) for *_, v in p.chain)  # fmt: skip
        hops = " \u2192 ".join([p.operand, *(f"{b} ({_symbol(op)})" for _, b, op, _ in p.chain)])
        lines.append(
            f"<li>The \u03c3 gate {escape(p.gate)}: its local derivative "
            f"\u03c3({escape(p.operand)})(1 \u2212 \u03c3({escape(p.operand)})) = "
            f"{escape(decimal(p.fused.approx, digits))} is the product of the local "
            f"derivatives along {escape(hops)}: {escape(factors)} = "
            f"{escape(decimal(p.product.approx, digits))}.</li>")  # fmt: skip
    return f'<ul class="derive-circuit-paths">{"".join(lines)}</ul>' if lines else ""


def _symbol(op: str) -> str:
    return {"neg": "\u2212x", "exp": "exp", "add": "+1", "div": "1/x"}.get(op, op)
