"""A student's pages: their exercises (no solutions) and their worked solutions, as MyST
Markdown (the site's renderer) and as LaTeX for a PDF.

Formatting only: the statements and solutions come from render.myst and render.latex,
assembled per student. The PDF is one article per page, compiled with pdflatex.
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
from derive.render.latex import document, escape
from derive.solution import Solution

PDFLATEX_SECONDS = 120


def _heading(level: int, title: str) -> str:
    return myst.section(level + 1, title)


_PIECES: dict[tuple[str, str, str], str] = {}
"""Rendered sections by (kind, exercise id, point): exercises that do not vary are the
same for every student and rendered once per process."""


def _piece(kind: str, v: Variant, render: Callable[[Solution], str]) -> str:
    key = (kind, v.exercise.id, point_text(v.exercise))
    if key not in _PIECES:
        _PIECES[key] = render(v.solution)
    return _PIECES[key]


def _statement(s: Solution) -> str:
    names = ", ".join(f"`{q.name}`" for q in quantities(s))
    return "\n".join([f"## {s.exercise.title}", "", myst.statement(s),
                      f"Answers (`{s.exercise.id}` in the answer sheet): {names}.", ""])


def _solution(s: Solution) -> str:
    return "\n".join([f"## {s.exercise.title}", "", myst.statement(s),
                      myst.solution_body(s, _heading, {}), ""])


def exercises_page(student: str, title: str, variants: Sequence[Variant]) -> str:
    """Every exercise's statement at the student's point, and the names of the answers."""
    return "\n".join([f"# {title}: exercises for {student}", "",
                      *(_piece("exercise", v, _statement) for v in variants)])


def solutions_page(student: str, title: str, variants: Sequence[Variant]) -> str:
    """The worked solution of every exercise at the student's point."""
    return "\n".join([f"# {title}: solutions for {student}", "",
                      *(_piece("solution", v, _solution) for v in variants)])


def latex(student: str, title: str, variants: Sequence[Variant], solutions: bool) -> str:
    """One LaTeX article: each exercise's document (render.latex) as a section."""
    head: list[str] = []
    bodies: list[str] = []
    for v in variants:
        text = _piece(f"latex-{solutions}", v, lambda s: document(s, solutions))
        preamble, _, rest = text.partition(r"\begin{document}")
        body = rest.rsplit(r"\end{document}", 1)[0].replace(r"\maketitle", "")
        head = head or [line for line in preamble.splitlines() if not line.startswith(
            (r"\title", r"\date"))]  # fmt: skip
        bodies.append(rf"\section*{{{escape(v.solution.exercise.title)}}}" + body)
    what = "solutions" if solutions else "exercises"
    return "\n".join([*head, rf"\title{{{escape(title)}: {what} for {escape(student)}}}",
                      r"\date{}", r"\begin{document}", r"\maketitle", *bodies,
                      r"\end{document}", ""])  # fmt: skip


def pdf(tex: str, target: Path) -> None:
    """Compile `tex` with pdflatex into `target`; a DeriveError names the first LaTeX error."""
    with tempfile.TemporaryDirectory(prefix="derive-pdf-") as work:
        source = Path(work) / "page.tex"
        source.write_text(tex, encoding="utf-8")
        try:
            done = subprocess.run(
                ["pdflatex", "-interaction=batchmode", "-halt-on-error", "-no-shell-escape",
                 "page.tex"], cwd=work, capture_output=True, timeout=PDFLATEX_SECONDS,
                check=False)  # fmt: skip
        except FileNotFoundError:
            raise DeriveError("derive assign writes PDFs with pdflatex, which is not installed "
                              "(sudo apt-get install texlive-latex-extra), or pass "
                              "--no-pdf") from None  # fmt: skip
        except subprocess.TimeoutExpired:
            raise DeriveError(f"pdflatex took more than {PDFLATEX_SECONDS} s on "
                              f"{target.name}") from None  # fmt: skip
        produced = Path(work) / "page.pdf"
        if done.returncode != 0 or not produced.is_file():
            log = (Path(work) / "page.log").read_text("utf-8", "replace").splitlines()
            first = next((line for line in log if line.startswith("!")), "no PDF written")
            raise DeriveError(f"pdflatex failed on {target.name}: {first}")
        target.write_bytes(produced.read_bytes())
