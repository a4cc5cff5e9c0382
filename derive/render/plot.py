"""Descent table -> an SVG plot of the objective over the steps (matplotlib).

Written deterministically: a fixed hash salt for SVG ids and no date in the metadata, so
two builds give the same bytes.
"""

from __future__ import annotations

import io

from derive.passes.descent import Descent


def objective_plot(table: Descent, title: str) -> str:
    """The SVG text of the objective before the first step and after each step."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to a file
    from matplotlib.figure import Figure

    values = [float(table.steps[0].objective.approx)]
    values += [float(s.objective_after.approx) for s in table.steps if s.objective_after is not None]
    figure = Figure(figsize=(5.2, 2.8), dpi=100)
    figure.subplots_adjust(left=0.15, right=0.97, bottom=0.18, top=0.88)  # fixed: a layout
    axes = figure.add_subplot()  # engine would double the time of every plot
    axes.plot(range(len(values)), values, marker="o", color="#4a6fa5", linewidth=1.6)
    axes.set_xlabel("step")
    axes.set_ylabel(f"${table.output}$" if table.output.isidentifier() else table.output)
    axes.set_title(title, fontsize=10)
    axes.set_xticks(range(len(values)))
    axes.grid(True, color="#dddddd", linewidth=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "derive", "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
