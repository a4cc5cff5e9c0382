"""Solution -> a MyST Markdown page, with every section of a worked solution in order:
statement, circuit, forward pass, backward pass, gradient and its check, interpretation,
gradient descent, analysis and answers, code, downloads.

Formatting only: the numbers come from the Solution, the LaTeX from render.math, the
wording of facts from render.sentences. Files the page links to (the descent plot, the
notebook and LaTeX downloads) are returned beside the text for the caller to write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from derive.derivation import Derivation
from derive.render import math, prose, sentences, tables
from derive.render.code import program
from derive.render.drawing import Drawing, drawing
from derive.render.interactive import circuit_block
from derive.render.statement import statement
from derive.solution import Solution

Heading = Callable[[int, str], str]
CIRCUIT_DIGITS = 4
"""Digits on a circuit's wires: the tables carry the rest; long labels widen the drawing."""


@dataclass(frozen=True, slots=True)
class Page:
    """A page's MyST text and the files it refers to, by file name."""

    text: str
    files: dict[str, str] = field(default_factory=dict)


def section(level: int, title: str) -> str:
    return f"{'#' * level} {title}\n"


def rubric(level: int, title: str) -> str:
    """A heading inside a directive (collapsed solutions, embedded derivations), where
    document sections are not allowed."""
    return f"```{{rubric}} {title}\n:class: derive-level-{level}\n```\n"


def page(s: Solution, solutions: bool = True, downloads: bool = False) -> Page:
    """The page of one exercise; `solutions=False` leaves the solution out entirely;
    `downloads` adds the exercise as a notebook and as LaTeX."""
    ex = s.exercise
    out = [f"(exercise-{ex.id})=", f"# {prose.plain(ex.title)}", "", statement(s)]
    files = _plots(s) if solutions else {}
    body = solution_body(s, section, files) if solutions else None  # no downloads yet
    if downloads:  # the LaTeX document takes the same body
        files.update(_downloads_files(s, solutions, body))
    links = _downloads(ex.id, files, section)
    if body is None:
        out.append(":::{note}\nThe solution to this exercise is not published yet.\n:::\n")
        out += links
        return Page("\n".join(out), files)
    if ex.solution == "collapsed":  # the sections that follow, folded (real sections:
        out += ["```{derive-solution} Show the worked solution", "```", ""]  # anchors, contents)
    out.append("\n".join([body, *links]))
    return Page("\n".join(out), files)


def solution_body(s: Solution, heading: Heading, files: dict[str, str]) -> str:
    ex, d = s.exercise, s.derivation
    digits = ex.digits
    out = [derivation_body(d, digits, heading, ex.id, getattr(ex, "circuit", "fused"))]
    out += [heading(2, "Interpretation"), *_paragraphs(sentences.sensitivity(s), digits),
            sentences.markdown(sentences.ranking(s), digits), ""]  # fmt: skip
    if s.variants:
        out += [heading(2, "Comparing the variants"), tables.variants_table(s.variants, digits),
                *_paragraphs(sentences.activations(s), digits)]  # fmt: skip
    if s.descent is not None:
        out += [heading(2, "Gradient descent"), _descent_intro(s), "",
                tables.descent_table(s.descent, digits), tables.objective_table(s.descent, digits)]
        plot = f"{ex.id}-descent.svg"
        if plot in files:
            out += [f"```{{figure}} {plot}\n:alt: The objective over the descent steps\n"
                    ":width: 480px\n\nThe objective after each step.\n```", ""]  # fmt: skip
        out += _paragraphs(sentences.descent(s), digits)
    out += [heading(2, "Analysis"), *_analysis(s, heading, digits)]
    if ex.questions:
        out.append(heading(2, "Answers"))
        for i, question in enumerate(ex.questions, 1):
            out.append(f"**{i}. {prose.inline(question.text, ex.trusted)}**\n")
            out += [f"- {sentences.markdown(x, digits)}" for x in sentences.answer(s, question)]
            out.append("")
    if ex.notes:
        out += [heading(2, "Notes"), prose.block(ex.notes, ex.trusted), ""]
    out += [heading(2, "Code"), "A plain Python version of both passes, node by node "
            "(only the `math` module); running it prints the numbers above" + (
                ", then takes the descent steps of the table" if s.descent else "") + ".", "",
            f"```python\n{program(d, s.descent, s.objective)}```", ""]  # fmt: skip
    out += _downloads(ex.id, files, heading)
    return "\n".join(out)


def _downloads(exercise_id: str, files: dict[str, str], heading: Heading) -> list[str]:
    links = [f"{{download}}`{label} <{name}>`" for label, name in
             (("Jupyter notebook", f"{exercise_id}.ipynb"), ("LaTeX", f"{exercise_id}.tex"))
             if name in files]  # fmt: skip
    return [heading(2, "Downloads"), " · ".join(links), ""] if links else []


def derivation_body(d: Derivation, digits: int, heading: Heading, name: str = "circuit",
                    level: str = "fused") -> str:
    """The graph, both passes, the gradient and its check: the part a `derivation`
    directive embeds. `level` is the circuit shown first: "fused" or "expanded"."""
    out = d.graph.output
    text = [
        heading(2, "The computational graph"),
        "Each wire carries the value flowing forward (green) and, below it, the gradient of "
        f"${math.name(out)}$ flowing back (red); under each input, its total gradient.", "",
        _circuit(d, digits, name, level),
        "",
        heading(2, "Forward pass"), tables.forward_table(d, digits),
        heading(2, "Backward pass"),
        "In reverse order, each node passes back its upstream gradient (the gradient of "
        f"${math.name(out)}$ with respect to the node) times its local derivative: the chain "
        f"rule, starting from ${math.partial(out, out)} = 1$.", "",
        tables.backward_table(d, digits),
    ]  # fmt: skip
    fans = tables.fan_out(d, digits)
    if fans:
        text += ["Where a value feeds several nodes, its gradient is the sum of what flows "
                 "back along each wire:", "", *(f"- {line}" for line in fans), ""]
    text += [heading(2, "Gradient"), tables.gradient_table(d, digits), _check(d), "",
             tables.check_table(d, digits)]  # fmt: skip
    return "\n".join(text)


def _circuit(d: Derivation, digits: int, name: str, level: str) -> str:
    """The circuit as derive's own inline SVG with its controls (a raw HTML block)."""
    html = circuit_block(d, min(digits, CIRCUIT_DIGITS), name, digits, level,
                         tuple(getattr(d, "given", ())))  # fmt: skip
    return f"```{{raw}} html\n{html}\n```"


def _check(d: Derivation) -> str:
    check = d.check
    routes = ("the backward pass (reverse mode, with derive's rules), forward mode with SymPy's "
              "own derivative of each operation, and a central finite difference at 80 digits")
    if check.method == "random direction":
        routes += " (compared along one random direction, as the function has many inputs)"
    verdict = "agree" if check.agree else "**DISAGREE**"
    notes = "".join(f" Note: {n}." for n in check.notes)
    size = ("they are identical" if check.largest_error == 0 else
            f"the largest relative difference is {check.largest_error:.1e}")  # fmt: skip
    return f"**Check.** Three independent routes, {routes}, {verdict}: {size}.{notes}"


def _descent_intro(s: Solution) -> str:
    table = s.descent
    assert table is not None
    rule = "+" if table.ascent else "-"
    name = math.name(table.output)
    what = f"${name}$" if table.form is None else f"${name} = {math.tex(table.form)}$"
    return (f"Each step moves every parameter against the gradient of {what}, "
            f"${math.descent_rule(table.output, rule)}$, with learning rate "
            f"${math.learning_rate(math.short(table.learning_rate))}$; the gradient is recomputed at "
            "every point.")


def _analysis(s: Solution, heading: Heading, digits: int) -> list[str]:
    out: list[str] = []
    for title, facts in (("Where it is defined", sentences.domain(s)),
                         ("Limits", sentences.limits(s)),
                         ("Stationary points", sentences.stationary(s)),
                         ("Activations", sentences.saturation(s)),
                         ("Numerical stability", sentences.stability(s))):  # fmt: skip
        if facts:
            out += [heading(3, title), *_paragraphs(facts, digits)]
    return out


def _paragraphs(items: list[sentences.Sentence], digits: int) -> list[str]:
    return [f"- {sentences.markdown(item, digits)}" for item in items] + [""]


def _plots(s: Solution) -> dict[str, str]:
    from derive.render.plot import objective_plot

    if s.descent is None or len(s.descent.steps) < 2:
        return {}
    return {f"{s.exercise.id}-descent.svg": objective_plot(s.descent,
                                                           prose.plot_title(s.exercise.title))}


def _downloads_files(s: Solution, solutions: bool, body: str | None) -> dict[str, str]:
    """The exercise as a notebook and as a LaTeX document (with `body`, the page's
    solution without its download links)."""
    from derive.render.latex import Figures, document
    from derive.render.notebook import notebook
    from derive.render.tikz import circuit_tikz

    name = s.exercise.id
    return {f"{name}.ipynb": notebook(s, solutions),
            f"{name}.tex": document(s.exercise.title, statement(s), body,
                                    Figures(objective=_objective(s),
                                            circuit_tikz=circuit_tikz(_drawing(s))))}


def _drawing(s: Solution) -> Drawing:
    """The circuit as the workbook draws it (the solution's derivation, circuit digits)."""
    d = s.derivation
    return drawing(d, min(s.exercise.digits, CIRCUIT_DIGITS), s.exercise.id,
                   tuple(getattr(d, "given", ())))  # fmt: skip


def _objective(s: Solution) -> tuple[str, tuple[float, ...]] | None:
    """The descent objective's name and values (before the first step, after each)."""
    table = s.descent
    if table is None or len(table.steps) < 2:
        return None
    values = [float(table.steps[0].objective.approx)]
    values += [float(step.objective_after.approx) for step in table.steps
               if step.objective_after is not None]  # fmt: skip
    return table.output, tuple(values)
