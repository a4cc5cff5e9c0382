"""Solution -> a Jupyter notebook: the statement, the generated forward and backward code
(and the descent loop that reproduces the descent table), and the worked tables, with
stable cell ids so the same input gives the same file."""

from __future__ import annotations

import json

from derive.render import sentences, tables
from derive.render.code import cells as program_cells
from derive.render.prose import inline, plain
from derive.render.statement import statement
from derive.solution import Solution


def notebook(s: Solution, solutions: bool = True) -> str:
    """The notebook's JSON text (nbformat 4.5), written as nbformat writes it: sorted keys,
    one-space indent, sources split into lines. Written here rather than through nbformat,
    whose import and schema validation cost a third of a second in each `derive build`
    that renders a page; the tests validate the result against nbformat's schema."""
    ex, d = s.exercise, s.derivation
    digits = ex.digits
    cells = [("markdown", f"# {plain(ex.title)}\n\n{statement(s)}")]
    if solutions:
        code = program_cells(d, s.descent, s.objective)
        cells += [
            ("markdown", "## Forward and backward pass in plain Python\n\nThe first cell "
                         "computes every node, then applies the chain rule in reverse order; "
                         "the next runs both at the exercise's point."),
            ("code", code[0]),
            ("code", code[1]),
        ]  # fmt: skip
        if len(code) > 2:
            cells += [("markdown", "Gradient descent, step by step: each step recomputes the "
                                   "gradient at the current point (the table below)."),
                      ("code", code[2])]  # fmt: skip
        cells += [
            ("markdown", "## Forward pass\n\n" + tables.forward_table(d, digits)),
            ("markdown", "## Backward pass\n\n" + tables.backward_table(d, digits)),
            ("markdown", "## Gradient\n\n" + tables.gradient_table(d, digits)),
        ]  # fmt: skip
        if s.descent is not None:
            cells.append(("markdown", "## Gradient descent\n\n"
                          + tables.descent_table(s.descent, digits) + "\n"
                          + tables.objective_table(s.descent, digits)))  # fmt: skip
        for question in ex.questions:
            answer = "\n".join(f"- {sentences.markdown(x, digits)}"
                               for x in sentences.answer(s, question))  # fmt: skip
            cells.append(("markdown", f"**{inline(question.text)}**\n\n{answer}"))
    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                      "name": "python3"},
                       "language_info": {"name": "python"}},
          "cells": [_cell(kind, source, f"derive-{i}")
                    for i, (kind, source) in enumerate(cells)]}  # fmt: skip
    return json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)


def _cell(kind: str, source: str, cell_id: str) -> dict[str, object]:
    cell: dict[str, object] = {"cell_type": kind, "id": cell_id, "metadata": {},
                               "source": source.splitlines(True)}  # fmt: skip
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    return cell
