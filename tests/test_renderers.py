"""Snapshots of every renderer's output for the seed notebook's exercises, and the rule
that renderers only format.

The snapshot files under tests/test_renderers/ were generated once and then read line by
line against the notebook (seed/*.txt): any change to a number, a label or the wording
on a page fails here and shows the diff. After an intended change, review the new output
and regenerate with `pytest tests/test_renderers.py --force-regen`.
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import subprocess
import tokenize
from collections.abc import Callable
from pathlib import Path

import pytest

from derive import backprop
from derive.pipeline import load
from derive.render.code import cells, program
from derive.render.dot import circuit
from derive.render.myst import page
from derive.render.notebook import notebook
from derive.solution import Solution, Workbook

ROOT = Path(__file__).resolve().parent.parent
RENDER = ROOT / "derive" / "render"

# The seed notebook's two worked examples (the linear combination and the sigmoid
# neuron) and its three proposed exercises.
SEED = ["linear-combination", "sigmoid-neuron", "quotient", "exponential-and-sine", "logarithm"]


@pytest.fixture(scope="module")
def workbook() -> Workbook:
    return load(ROOT / "exercises.yaml")


def solution(workbook: Workbook, exercise_id: str) -> Solution:
    return next(s for s in workbook.solutions if s.exercise.id == exercise_id)


def latex(s: Solution, solutions: bool = True) -> str:
    """The exercise's LaTeX download, as its page offers it."""
    return page(s, solutions=solutions, downloads=True).files[f"{s.exercise.id}.tex"]


RENDERERS: dict[str, tuple[str, Callable[[Solution], str]]] = {
    # name: (snapshot extension, renderer)
    "page": (".md", lambda s: page(s, solutions=True, downloads=True).text),
    "circuit": (".dot", lambda s: circuit(s.derivation, s.exercise.digits, s.exercise.id)),
    # not .py: the snapshot is data, not a module for pytest or ruff to pick up
    "code": (".py.txt", lambda s: program(s.derivation, s.descent, s.objective)),
    "latex": (".tex", lambda s: latex(s)),
    "notebook": (".ipynb", lambda s: notebook(s)),
}


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("exercise_id", SEED)
def test_renderer_output_matches_the_reviewed_snapshot(workbook, file_regression, exercise_id,
                                                       renderer) -> None:  # fmt: skip
    extension, render = RENDERERS[renderer]
    text = render(solution(workbook, exercise_id))
    file_regression.check(text, basename=exercise_id, extension=extension, newline="\n")


def test_unpublished_solution_page_matches_the_reviewed_snapshot(workbook, file_regression) -> None:
    rendered = page(solution(workbook, "quotient"), solutions=False, downloads=True)
    file_regression.check(rendered.text, basename="quotient-no-solutions", extension=".md",
                          newline="\n")  # fmt: skip
    for name in ("quotient.ipynb", "quotient.tex"):
        assert "Backward pass" not in rendered.files[name], f"{name} leaks the solution"


def test_renderers_are_deterministic(workbook) -> None:
    """The same solution renders to the same bytes every time (snapshots and byte-identical
    builds depend on it)."""
    for exercise_id in SEED:
        s = solution(workbook, exercise_id)
        for _, render in RENDERERS.values():
            assert render(s) == render(s)


# --------------------------------------------------------------------------------------
# The notebook's numbers, on the pages. The snapshots hold them too; these name them.
# --------------------------------------------------------------------------------------

NUMBERS = {
    # exercise: strings that must appear in the MyST page (tables are pipe tables)
    "linear-combination": [
        "| 1 | $q$ | $q = x + y$ | $-2 + 5$ | $3$ | $3$ |",  # q = 3
        "| 2 | $f$ | $f = q \\cdot z$ | $3 \\cdot \\left(-4\\right)$ | $-12$ | $-12$ |",
        "| $\\frac{\\partial f}{\\partial x}$ | $z$ | $-4$ | $-4$ |",
        "| $\\frac{\\partial f}{\\partial y}$ | $z$ | $-4$ | $-4$ |",
        "| $\\frac{\\partial f}{\\partial z}$ | $x + y$ | $3$ | $3$ |",
        "$-2 - 0.1 \\cdot \\left(-4\\right)$ $= -1.6$",  # the update at the point it is taken
        "$5 - 0.1 \\cdot \\left(-4\\right)$ $= 5.4$",
        "$-4 - 0.1 \\cdot 3$ $= -4.3$",
    ],
    "sigmoid-neuron": [
        "$0.73105858$",  # f = 0.7310585786300049, to the exercise's 8 digits
        "$-0.19661193$", "$-0.39322387$", "$0.19661193$",  # df/dw
        "$0.39322387$", "$-0.58983580$",  # df/dx = f (1 - f) w, 8 digits with its zero
    ],
    "quotient": [
        "| 2 | $f$ | $f = \\frac{q}{z}$ | $\\frac{5}{1}$ | $5$ | $5$ |",
        "| $\\frac{\\partial f}{\\partial z}$ | $- \\frac{x + y}{z^{2}}$ | $-5$ | $-5$ |",
    ],
    "exponential-and-sine": [
        "| $\\frac{\\partial f}{\\partial z}$ | $\\cos{\\left(z \\right)}$ | $0$ | $0$ |",  # not 6e-17
        "| $\\frac{\\partial f}{\\partial x}$ | $e^{y}$ | $e^{-1}$ | $0.3679$ |",
        "$1.552$",  # 1.5 / e + 1
    ],
    "logarithm": [
        "| $\\frac{\\partial f}{\\partial x}$ | $\\frac{2 x}{x^{2} + y^{2} + 1}$ | $\\frac{2}{3}$ | $0.6667$ |",
        "| $\\frac{\\partial f}{\\partial y}$ | $\\frac{2 y}{x^{2} + y^{2} + 1}$ | $\\frac{1}{3}$ | $0.3333$ |",
        "$\\log{\\left(6 \\right)}$", "$1.792$",  # f = log 6
    ],
}  # fmt: skip

WIRES = {
    # exercise: DOT edge statements (source -> target, forward value, gradient along it)
    "linear-combination": ['"q" -> "f" [label=<<FONT COLOR="#1b7a3a">3</FONT><BR/>'
                           '<FONT COLOR="#b3261e">-4</FONT>>];',
                           '"z" -> "f" [label=<<FONT COLOR="#1b7a3a">-4</FONT><BR/>'
                           '<FONT COLOR="#b3261e">3</FONT>>];'],
    "sigmoid-neuron": ['"z" -> "f" [label=<<FONT COLOR="#1b7a3a">1</FONT><BR/>'
                       '<FONT COLOR="#b3261e">0.19661193</FONT>>];'],
}  # fmt: skip


@pytest.mark.parametrize("exercise_id", SEED)
def test_the_notebooks_numbers_are_on_the_page(workbook, exercise_id) -> None:
    text = page(solution(workbook, exercise_id)).text
    missing = [n for n in NUMBERS[exercise_id] if n not in text]
    assert not missing


@pytest.mark.parametrize("exercise_id", sorted(WIRES))
def test_the_circuit_wires_carry_value_and_gradient(workbook, exercise_id) -> None:
    s = solution(workbook, exercise_id)
    dot = circuit(s.derivation, s.exercise.digits, s.exercise.id)
    missing = [w for w in WIRES[exercise_id] if w not in dot]
    assert not missing


def test_the_notebook_download_is_valid_and_runs_the_same_code(workbook) -> None:
    s = solution(workbook, "sigmoid-neuron")
    nb = json.loads(notebook(s))
    assert nb["nbformat"] == 4
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    expected = cells(s.derivation, s.descent, s.objective)
    assert ["".join(c["source"]) for c in code] == expected  # the page's program, in cells
    assert "\n\n\n".join(expected) + "\n" == program(s.derivation, s.descent, s.objective)
    assert [c["id"] for c in nb["cells"]] == [f"derive-{i}" for i in range(len(nb["cells"]))]


# --------------------------------------------------------------------------------------
# Renderers only format
# --------------------------------------------------------------------------------------

MODULES = sorted(p.name for p in RENDER.glob("*.py"))
FORBIDDEN = [".diff(", ".subs(", ".evalf(", "sympy.diff", "sympy.N("]
FORBIDDEN_NAMES = {"diff", "subs", "evalf", "N", "integrate", "limit", "solve", "simplify",
                   "nsimplify", "lambdify", "sympify", "xreplace"}  # fmt: skip
"""Calls that differentiate, substitute, evaluate or solve: the passes' work."""

MATH_IN_RENDERER: dict[str, str] = {}


def _code_lines(source: str) -> list[tuple[int, str]]:
    """The code of each line with strings and comments left out and no spaces, for the
    grep: "sympy.diff" in a message is not a call."""
    lines: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.STRING, tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE):
            lines[token.start[0]] = lines.get(token.start[0], "") + token.string
    return sorted(lines.items())


def _calls(source: str) -> list[str]:
    """Calls in `source` whose function is a forbidden name: diff(...), sympy.N(...),
    expr.subs(...), and names imported from sympy under those names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


@pytest.mark.parametrize("module", [
    pytest.param(m, marks=pytest.mark.xfail(reason=MATH_IN_RENDERER[m], strict=True))
    if m in MATH_IN_RENDERER else m for m in MODULES])  # fmt: skip
def test_renderers_do_no_mathematics(module) -> None:
    """No diff, subs or evalf in derive/render: every number is read from the passes'
    records (DESIGN.md: renderers never differentiate, substitute or evaluate)."""
    source = (RENDER / module).read_text(encoding="utf-8")
    grepped = [f"line {i}: {line}" for i, line in _code_lines(source)
               for pattern in FORBIDDEN if pattern in line]  # fmt: skip
    assert not grepped
    assert not _calls(source)


def test_the_forbidden_call_finder_finds_forbidden_calls() -> None:
    """The check above can fail."""
    code = _code_lines('x = sympy.N(y, 30)  # .subs(\nprint("a.evalf(b)")\n')
    assert [(i, line) for i, line in code if any(p in line for p in FORBIDDEN)] == [
        (1, "x=sympy.N(y,30)")
    ]
    assert _calls("import sympy\nsympy.N(x, 30)\ne.subs({x: 1})\ndiff(f, x)\n") == [
        "line 2: sympy.N(x, 30)",
        "line 3: e.subs({x: 1})",
        "line 4: diff(f, x)",
    ]


def _string_literals(source: str) -> list[tuple[int, str]]:
    """String constants (f-string parts included), docstrings left out."""
    tree = ast.parse(source)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}  # fmt: skip
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


@pytest.mark.parametrize("module", [m for m in MODULES if m not in ("math.py", "notation.py")])
def test_fractions_are_written_only_by_the_latex_module(module) -> None:
    """All LaTeX of expressions comes from derive/render/math.py (built on sympy.latex);
    its notation table, notation.py, is the one other place that spells operations."""
    source = (RENDER / module).read_text(encoding="utf-8")
    fractions = [(line, s) for line, s in _string_literals(source) if re.search(r"\\frac\b", s)]
    assert not fractions


def test_the_latex_module_builds_on_sympys_printer() -> None:
    from sympy.printing.latex import LatexPrinter

    from derive.render import math

    assert isinstance(math._PRINTER, LatexPrinter)
    assert "\\frac" in (RENDER / "notation.py").read_text(encoding="utf-8")  # the exception


def test_remembered_latex_is_the_latex_of_that_very_form() -> None:
    """tex() remembers what it printed; forms that look alike but print differently (the
    order of an unevaluated product, a Float's precision) each get their own LaTeX, in
    any order, and a form printed twice is printed once."""
    import mpmath
    import sympy

    from derive.render import math

    x, y = sympy.symbols("x y")
    forms = [
        sympy.Mul(2, x, evaluate=False), sympy.Mul(x, 2, evaluate=False), 2 * x,
        sympy.Float(0.1, 15) * x, sympy.Float(mpmath.mpf(0.1), 30) * x,
        sympy.Rational(1, 10) * x, sympy.Symbol("x", positive=True) / y, x / y,
    ]  # fmt: skip
    fresh = [str(math.DeriveLatex().doprint(f)) for f in forms]
    assert fresh[3] != fresh[4]  # 0.1 against 0.1000...05551: the precision shows
    math._remembered.cache_clear()
    for order in (forms, forms[::-1], forms):
        for form in order:
            assert math.tex(form) == fresh[forms.index(form)], form
    assert math._remembered.cache_info().hits >= 2 * 6  # the six without a Float, again

# --------------------------------------------------------------------------------------
# The LaTeX download compiles
# --------------------------------------------------------------------------------------

PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")


def compile_latex(text: str, folder: Path) -> str:
    """Run pdflatex on `text`; return its log."""
    (folder / "exercise.tex").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [str(PDFLATEX), "-interaction=nonstopmode", "-halt-on-error", "exercise.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = (folder / "exercise.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, log[-3000:]
    assert (folder / "exercise.pdf").stat().st_size > 1000
    return log


@needs_pdflatex
@pytest.mark.parametrize("solutions", [True, False], ids=["solution", "statement"])
def test_every_latex_download_compiles(workbook, tmp_path, solutions) -> None:
    for s in workbook.solutions:
        folder = tmp_path / s.exercise.id
        folder.mkdir()
        log = compile_latex(latex(s, solutions=solutions), folder)
        assert "Missing character" not in log, s.exercise.id
        assert "Undefined control sequence" not in log, s.exercise.id


@needs_pdflatex
def test_nothing_in_the_latex_downloads_runs_off_the_page(workbook, tmp_path) -> None:
    wide = {}
    for s in workbook.solutions:
        folder = tmp_path / s.exercise.id
        folder.mkdir()
        log = compile_latex(latex(s), folder)
        boxes = [float(pt) for pt in re.findall(r"Overfull \\hbox \((\d+\.\d+)pt too wide", log)]
        if any(pt > 10 for pt in boxes):
            wide[s.exercise.id] = max(boxes)
    assert not wide, "points past the margin"


# --------------------------------------------------------------------------------------
# The circuit's structure
# --------------------------------------------------------------------------------------

NODE = re.compile(r'^\s*(?:\{ rank=(?:sink|source); )?"((?:[^"\\]|\\.)*)" \[', re.MULTILINE)
EDGE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)" \[', re.MULTILINE)


def structure(dot: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The node statements (ids, in order, repeats kept) and the edges of a DOT text."""
    nodes = [m.group(1) for m in NODE.finditer(dot) if "->" not in m.group(0)]
    return nodes, [(m.group(1), m.group(2)) for m in EDGE.finditer(dot)]


def check_circuit(d, dot: str) -> None:
    nodes, edges = structure(dot)
    repeated = sorted({n for n in nodes if nodes.count(n) > 1})
    assert not repeated, "each node is declared once"
    graph_nodes = {n.id for n in d.graph.nodes}
    assert graph_nodes <= set(nodes), "every node of the graph is drawn"
    assert len(nodes) == len(graph_nodes) + 2, "plus the output label and the legend"
    wires = {(source, node.id) for node in d.graph.nodes for source in node.inputs}
    assert wires <= set(edges), "every wire is drawn"
    assert len(edges) == len(wires) + 1, "plus the wire to the output label"


@pytest.mark.parametrize("exercise_id", SEED)
def test_the_circuit_draws_every_node_and_wire_once(workbook, exercise_id) -> None:
    s = solution(workbook, exercise_id)
    check_circuit(s.derivation, circuit(s.derivation, s.exercise.digits, s.exercise.id))


def test_the_circuit_check_finds_a_repeated_node() -> None:
    nodes, edges = structure('digraph "c" {\n  "x" [label=<x>];\n  "x" [label=<y>];\n'
                             '  "x" -> "f" [label=<1>];\n}\n')  # fmt: skip
    assert nodes == ["x", "x"] and edges == [("x", "f")]


def test_input_names_do_not_collide_with_the_circuits_own_nodes() -> None:
    d = backprop("legend * output", at={"legend": 2, "output": 3})
    check_circuit(d, circuit(d))


def test_the_latex_download_draws_the_descent_plot(workbook) -> None:
    """A single .tex has no image files: its plot is TikZ, one mark per objective value
    (and its circuit is TikZ too: tests/test_tikz.py)."""
    s = solution(workbook, "training-a-neuron")
    text = latex(s)
    assert text.count("\\begin{tikzpicture}") == 2
    assert text.count("\\begin{tikzpicture}[font=\\small]") == 1  # the plot's
    assert text.count("circle (1.6pt)") == len(s.descent.steps) + 1 == 9
    assert "The objective after each step." in text
    assert "{$0.03616$}" in text  # the first value, on the axis, to 4 digits
