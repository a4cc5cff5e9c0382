"""The standalone LaTeX download draws the circuit in TikZ (derive/render/tikz.py) from the
page's own drawing: it compiles with pdflatex (no shell escape), its text has the nodes
and every wire's numbers, nothing overflows, and no label can inject LaTeX.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derive.pipeline import load
from derive.render.drawing import OUT, Drawing, Label, Rect, Shape, drawing
from derive.render.latex import Figures, document
from derive.render.myst import page
from derive.render.tikz import circuit_tikz
from derive.solution import Solution, Workbook

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("pdflatex", "pdftotext")
needs_tex = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                               reason=f"needs {', '.join(TOOLS)} (scripts/setup.sh)")  # fmt: skip
NOTE = "The circuit diagram is on the exercise"


@pytest.fixture(scope="module")
def workbook() -> Workbook:
    return load(ROOT / "exercises.yaml")


def solution(workbook: Workbook, exercise_id: str) -> Solution:
    return next(s for s in workbook.solutions if s.exercise.id == exercise_id)


def tex_of(s: Solution) -> str:
    return page(s, solutions=True, downloads=True).files[f"{s.exercise.id}.tex"]


def compile_tex(tex: str, folder: Path) -> tuple[str, str]:
    """pdflatex (no shell escape) on `tex` in `folder`: the PDF's text and the log."""
    (folder / "doc.tex").write_text(tex, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode",
                           "-halt-on-error", "doc.tex"], cwd=folder, capture_output=True,
                          text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
                          env={"PATH": "/usr/bin:/bin", "openin_any": "p", "openout_any": "p",
                               "shell_escape": "f", "HOME": str(folder)})  # fmt: skip
    log = (folder / "doc.log").read_text(encoding="latin-1")
    assert done.returncode == 0, log[-2000:]
    text = subprocess.run(["pdftotext", "-layout", "doc.pdf", "-"], cwd=folder, timeout=60,
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    return re.sub(r"[ \t]+", " ", text.replace("\u2212", "-")), log


def graph_part(text: str) -> str:
    return text.split("The computational graph", 1)[1].split("Forward pass", 1)[0]


@needs_tex
def test_linear_combination_compiles_with_the_circuit_drawn(workbook, tmp_path) -> None:
    tex = tex_of(solution(workbook, "linear-combination"))
    assert NOTE not in tex and tex.count(r"\begin{tikzpicture}") == 1  # one step: no plot
    text, log = compile_tex(tex, tmp_path)
    assert "Overfull" not in log and "Missing character" not in log
    missing = re.findall(r"Font shape `([^']*)' in size <([\d.]+)> not available", log)
    assert ("T1/lmtt/bx/n", "10.5") not in missing  # the inputs' bold names: b, not bx
    drawn = graph_part(text)
    tokens = drawn.split()
    for name in ("x", "y", "z", "q", "f", "+", "\u00d7"):
        assert name in tokens, name
    # x = -2, y = 5, z = -4 forward; q = 3, f = -12; gradients -4, -4, 3 (q: -4), 1 at f.
    numbers = sorted(t for t in tokens if re.fullmatch(r"-?\d+", t))
    assert numbers == sorted(["-2", "5", "-4", "3", "-12",  # values above the wires
                              "-4", "-4", "-4", "3", "1",  # gradients below them
                              "-4", "-4", "3"])  # fmt: skip  # the inputs' totals


def test_values_green_gradients_red_as_on_the_page(workbook) -> None:
    s = solution(workbook, "linear-combination")
    tex = circuit_tikz(drawing(s.derivation, 4, "linear-combination"))
    assert r"\definecolor{derivevalue}{HTML}{1B7A3A}" in tex
    assert r"\definecolor{derivegrad}{HTML}{B3261E}" in tex
    nodes = re.findall(r"text=(\w+), font=\{.*?\}\] at \S+ \{(.*)\};", tex)
    assert ("derivevalue", "-12") in nodes  # f's value on the output wire
    assert ("derivegrad", "1") in nodes  # and its gradient
    assert ("derivegrad", "3") in nodes  # z's total gradient
    assert r"max width=\linewidth" in tex


def test_every_download_draws_its_circuit_and_the_workbook_keeps_its_file(workbook) -> None:
    for s in workbook.solutions:
        tex = tex_of(s)
        assert NOTE not in tex and r"\begin{tikzpicture}[x=1pt, y=1pt]" in tex, s.exercise.id
    figures = Figures(circuit="c.pdf", circuit_tikz="TIKZ")
    tex = document("T", "```{raw} html\n<svg></svg>\n```", None, figures)
    assert r"\derivefigure{c.pdf}" in tex and "TIKZ" not in tex


def test_coordinates_are_fixed_and_the_output_deterministic(workbook) -> None:
    s = solution(workbook, "mazur-network")
    first = circuit_tikz(drawing(s.derivation, 4, "m", tuple(s.derivation.given)))
    assert first == circuit_tikz(drawing(s.derivation, 4, "m", tuple(s.derivation.given)))
    coordinates = re.findall(r"\(([^()]*)\)", first.split(r"\begin{tikzpicture}", 1)[1])
    assert coordinates and all(re.fullmatch(r"-?\d+\.\d\d,-?\d+\.\d\d", c) for c in coordinates)
    assert "-0.00" not in first


HOSTILE = r"\input{/etc/passwd}\write18{touch pwned}$x^^5c$#&%~_{}\catcode`\@=0"


def hostile_drawing() -> Drawing:
    box = Rect(10, 10, 60, 46)
    shapes = [Shape(HOSTILE, "input", HOSTILE, HOSTILE, 1.0, box=box),
              Shape("g", "gate", HOSTILE, box=Rect(120, 10, 60, 46)),
              Shape("c", "const", HOSTILE, box=Rect(10, 80, 60, 24)), Shape(OUT, "out", "")]
    label = Label(HOSTILE, "g", HOSTILE, 1.0, HOSTILE, 2.0, False, False, 40, 40,
                  Rect(80, 0, 40, 17), Rect(80, 40, 40, 17))  # fmt: skip
    wires = {(HOSTILE, "g"): [(70.0, 33.0), (90.0, 33.0), (100.0, 33.0), (112.0, 33.0),
                              (120.0, 33.0)]}  # fmt: skip
    return Drawing("h", 200, 120, shapes, [label], wires, 0)


def test_labels_cannot_inject_latex() -> None:
    tex = circuit_tikz(hostile_drawing())
    for command in (r"\input", r"\write18", r"\catcode", "^^5c"):
        assert command not in tex, command
    assert re.search(r"(?<!\\)[$#&%~_^]", tex.replace(r"\textasciitilde{}", "")
                     .replace(r"\textasciicircum{}", "")) is None  # fmt: skip


@needs_tex
def test_a_hostile_title_and_labels_compile_as_text(tmp_path) -> None:
    tex = document(HOSTILE, "```{raw} html\n<svg></svg>\n```", None,
                   Figures(circuit_tikz=circuit_tikz(hostile_drawing())))
    text, _ = compile_tex(tex, tmp_path)
    assert not (tmp_path / "pwned").exists() and "root:" not in text
    assert text.count("input{/etc/passwd}") >= 6  # the title and five labels, as text
