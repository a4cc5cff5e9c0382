"""Solution -> a Jupyter notebook: the statement, the generated forward and backward code
and the worked tables, with stable cell ids so the same input gives the same file."""

from __future__ import annotations

from derive.render import sentences, tables
from derive.render.code import program
from derive.render.myst import statement
from derive.render.prose import inline, plain
from derive.solution import Solution


def notebook(s: Solution, solutions: bool = True) -> str:
    """The notebook's JSON text."""
    import nbformat
    from nbformat import v4

    ex, d = s.exercise, s.derivation
    digits = ex.digits
    cells = [("markdown", f"# {plain(ex.title)}\n\n{statement(s)}")]
    if solutions:
        cells += [
            ("markdown", "## Forward and backward pass in plain Python\n\nRun the cell: it "
                         "computes every node, then applies the chain rule in reverse order."),
            ("code", program(d).rstrip()),
            ("markdown", "## Forward pass\n\n" + tables.forward_table(d, digits)),
            ("markdown", "## Backward pass\n\n" + tables.backward_table(d, digits)),
            ("markdown", "## Gradient\n\n" + tables.gradient_table(d, digits)),
        ]  # fmt: skip
        if s.descent is not None:
            cells.append(("markdown", "## Gradient descent\n\n"
                          + tables.descent_table(s.descent, digits)))  # fmt: skip
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
