"""Solution -> a Jupyter notebook: the statement, the generated forward and backward code
(and the descent loop that reproduces the descent table), and the worked tables, with
stable cell ids so the same input gives the same file."""

from __future__ import annotations

from derive.render import sentences, tables
from derive.render.code import cells as program_cells
from derive.render.prose import inline, plain
from derive.render.statement import statement
from derive.solution import Solution


def notebook(s: Solution, solutions: bool = True) -> str:
    """The notebook's JSON text."""
    import nbformat
    from nbformat import v4

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
    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}  # fmt: skip
    for i, (kind, source) in enumerate(cells):
        make = v4.new_markdown_cell if kind == "markdown" else v4.new_code_cell
        nb.cells.append(make(source, id=f"derive-{i}"))
    return str(nbformat.writes(nb))
