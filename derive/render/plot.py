"""Descent table -> an SVG plot of the objective over the steps, written by hand.

No plotting library: the figure is a line over a few points, and writing it directly
costs microseconds where matplotlib's start-up cost a second a build. The text is fixed
by the values alone (no ids, dates or fonts of the machine), so two builds give the same
bytes. Accessible: the image has a <title> and a <desc> (listing every value), axis labels,
and its text is at least 12 px at the width the page shows it (480 px of 520).
"""

from __future__ import annotations

import math
from html import escape

from derive.passes.descent import Descent

WIDTH, HEIGHT = 520, 300
LEFT, RIGHT, TOP, BOTTOM = 86, 20, 40, 56
"""Margins: room for the tick labels and the axis titles."""
FONT = 14
"""In the picture's own units; shown at 480/520 of that, 12.9 px."""
COLOUR = "#4a6fa5"


def objective_plot(table: Descent, title: str) -> str:
    """The SVG text of the objective before the first step and after each step."""
    values = [float(table.steps[0].objective.approx)]
    values += [float(s.objective_after.approx) for s in table.steps if s.objective_after is not None]
    low, high, ticks = _scale(values)
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    last = max(len(values) - 1, 1)

    def x(step: int) -> float:
        return LEFT + width * step / last

    def y(value: float) -> float:
        return TOP + height * (high - value) / (high - low)

    name = table.output
    listed = ", ".join(f"step {i}: {_number(v)}" for i, v in enumerate(values))
    text = escape(title)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="plot-title '
           f'plot-desc" font-family="sans-serif" font-size="{FONT}">',
           f'<title id="plot-title">{text}: {escape(name)} over the descent steps</title>',
           f'<desc id="plot-desc">The objective {escape(name)} before the first step and '
           f'after each step: {listed}.</desc>',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
           f'<text x="{WIDTH / 2:g}" y="22" text-anchor="middle">{text}</text>']  # fmt: skip
    for tick in ticks:
        at = _f(y(tick))
        out += [f'<line x1="{LEFT}" y1="{at}" x2="{LEFT + width}" y2="{at}" '
                'stroke="#dddddd" stroke-width="0.8"/>',
                f'<text x="{LEFT - 8}" y="{at}" text-anchor="end" '
                f'dominant-baseline="middle">{_number(tick)}</text>']  # fmt: skip
    for step in range(len(values)):
        at = _f(x(step))
        out += [f'<line x1="{at}" y1="{TOP + height}" x2="{at}" y2="{TOP + height + 5}" '
                'stroke="#333333"/>',
                f'<text x="{at}" y="{TOP + height + 20}" text-anchor="middle">{step}</text>']
    out += [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + height}" stroke="#333333"/>',
            f'<line x1="{LEFT}" y1="{TOP + height}" x2="{LEFT + width}" y2="{TOP + height}" '
            'stroke="#333333"/>',
            f'<text x="{LEFT + width / 2:g}" y="{HEIGHT - 10}" text-anchor="middle">step</text>',
            f'<text x="18" y="{TOP + height / 2:g}" text-anchor="middle" font-style="italic" '
            f'transform="rotate(-90 18 {TOP + height / 2:g})">{escape(name)}</text>']  # fmt: skip
    points = " ".join(f"{_f(x(i))},{_f(y(v))}" for i, v in enumerate(values))
    out.append(f'<polyline points="{points}" fill="none" stroke="{COLOUR}" stroke-width="2"/>')
    out += [f'<circle cx="{_f(x(i))}" cy="{_f(y(v))}" r="4" fill="{COLOUR}"/>'
            for i, v in enumerate(values)]
    return "\n".join([*out, "</svg>", ""])


def _scale(values: list[float]) -> tuple[float, float, list[float]]:
    """Axis limits that hold every value and 4 to 6 round ticks between them."""
    low, high = min(values), max(values)
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0, [0.0, 1.0]
    if high - low < 1e-12 * max(1.0, abs(high)):
        pad = max(abs(high) * 0.1, 1e-3)
        low, high = low - pad, high + pad
    raw = (high - low) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    count = round((last - first) / step)
    ticks = [first + i * step for i in range(count + 1)]
    return first, last, [0.0 if abs(t) < step * 1e-9 else t for t in ticks]


def _number(value: float) -> str:
    """A short label: 4 significant digits, no trailing zeros, no '-0'."""
    text = f"{value:.4g}"
    return "0" if text == "-0" else text.replace("-", "\u2212")


def _f(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
