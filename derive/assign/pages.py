"""A student's pages: their exercises (no solutions) and their worked solutions, as MyST
Markdown (the site's renderer) and as PDF (the workbook's LaTeX, render.latex).

Formatting only: the statements and solutions come from render.statement, render.myst and
render.latex, assembled per student. Sections of exercises that do not vary are the same
for every student and are rendered once per process; so are the circuit figures (drawn
as for `derive pdf`, converted with rsvg-convert). The PDF is typeset in one pdflatex
pass (no table of contents: the exercises follow in file order), which keeps a class of
hundreds of students within minutes.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from derive.assign.key import quantities
from derive.assign.variants import Variant, point_text
from derive.errors import DeriveError
from derive.render import myst
from derive.render.latex import Figures, workbook
from derive.render.prose import plain
from derive.render.statement import statement
from derive.solution import Solution

PDFLATEX_SECONDS = 120
CIRCUIT_DIGITS = 4

_PIECES: dict[tuple[str, str, str], str] = {}
"""Rendered sections by (kind, exercise id, point)."""
_FIGURES: dict[tuple[str, str], bytes] = {}
"""Circuit PDFs by (exercise id, point)."""


def _piece(kind: str, v: Variant, render: Callable[[Solution], str]) -> str:
    key = (kind, v.exercise.id, point_text(v.exercise))
    if key not in _PIECES:
        _PIECES[key] = render(v.solution)
    return _PIECES[key]


def _heading(level: int, title: str) -> str:
    return myst.section(level + 1, title)


def _statement(s: Solution) -> str:
    names = ", ".join(f"`{q.name}`" for q in quantities(s))
    return "\n".join([f"## {plain(s.exercise.title)}", "", statement(s),
                      f"Answers (`{s.exercise.id}` in the answer sheet): {names}.", ""])


def _solution(s: Solution) -> str:
    return "\n".join([f"## {plain(s.exercise.title)}", "", statement(s),
                      myst.solution_body(s, _heading, {}), ""])


def exercises_page(student: str, title: str, variants: Sequence[Variant]) -> str:
    """Every exercise's statement at the student's point, and the names of the answers."""
    return "\n".join([f"# {plain(title)}: exercises for {plain(student)}", "",
                      *(_piece("exercise", v, _statement) for v in variants)])


def solutions_page(student: str, title: str, variants: Sequence[Variant]) -> str:
    """The worked solution of every exercise at the student's point."""
    return "\n".join([f"# {plain(title)}: solutions for {plain(student)}", "",
                      *(_piece("solution", v, _solution) for v in variants)])


def latex(student: str, title: str, variants: Sequence[Variant], solutions: bool) -> str:
    """The student's exercises (or solutions) as one LaTeX document, one section each;
    the circuits are the files `ID-circuit.pdf` (see `pdf`)."""
    exercises = [(v.exercise.id,
                  _piece("tex-statement", v, lambda s: f"# {s.exercise.title}\n\n{statement(s)}"),
                  _piece("tex-solution", v, lambda s: myst.solution_body(s, myst.section, {}))
                  if solutions else None,
                  Figures(f"{v.exercise.id}-circuit.pdf") if solutions else Figures())
                 for v in variants]  # fmt: skip
    what = "solutions" if solutions else "exercises"
    text = workbook(f"{title}: {what} for {student}", exercises)
    return text.replace("\\tableofcontents\n", "", 1)


def pdf(student: str, title: str, variants: Sequence[Variant], solutions: bool,
        target: Path) -> None:
    """Typeset `latex(...)` into `target`; a DeriveError names the first LaTeX error."""
    with tempfile.TemporaryDirectory(prefix="derive-assign-") as work:
        folder = Path(work)
        if solutions:
            for v in variants:
                (folder / f"{v.exercise.id}-circuit.pdf").write_bytes(_circuit(v))
        (folder / "page.tex").write_text(latex(student, title, variants, solutions),
                                         encoding="utf-8")  # fmt: skip
        _run(["pdflatex", "-interaction=batchmode", "-halt-on-error", "-no-shell-escape",
              "page.tex"], folder, target.name)  # fmt: skip
        produced = folder / "page.pdf"
        if not produced.is_file():
            log = (folder / "page.log").read_text("utf-8", "replace").splitlines()
            first = next((line for line in log if line.startswith("!")), "no PDF written")
            raise DeriveError(f"pdflatex failed on {target.name}: {first}")
        target.write_bytes(produced.read_bytes())


def _circuit(v: Variant) -> bytes:
    """The circuit of the variant as PDF (Graphviz's drawing, as `derive pdf` has it)."""
    from derive.pdf import circuit_svg

    key = (v.exercise.id, point_text(v.exercise))
    if key not in _FIGURES:
        svg = circuit_svg(v.solution.derivation, min(v.exercise.digits, CIRCUIT_DIGITS),
                          v.exercise.id)  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="derive-assign-") as work:
            source, made = Path(work) / "circuit.svg", Path(work) / "circuit.pdf"
            source.write_text(svg, encoding="utf-8")
            _run(["rsvg-convert", "-f", "pdf", "-o", str(made), str(source)], Path(work),
                 "a circuit")  # fmt: skip
            _FIGURES[key] = made.read_bytes()
    return _FIGURES[key]


def _run(command: list[str], folder: Path, what: str) -> None:
    try:
        subprocess.run(command, cwd=folder, capture_output=True, timeout=PDFLATEX_SECONDS,
                       check=False, stdin=subprocess.DEVNULL)  # fmt: skip
    except FileNotFoundError:
        raise DeriveError(f"derive assign writes PDFs with {command[0]}, which is not "
                          "installed (sudo apt-get install texlive-latex-extra librsvg2-bin), "
                          "or pass --no-pdf") from None  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DeriveError(f"{command[0]} took more than {PDFLATEX_SECONDS} s on {what}") from None
