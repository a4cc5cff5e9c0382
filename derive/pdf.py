"""The PDF workbook, as `derive pdf` builds it: every exercise of a file (statement,
circuit, tables, interpretation, descent with its plot, analysis, answers, code) in one
PDF, typeset by Debian's TeX Live.

Everything happens in a private temporary folder: the figures are converted from SVG to
PDF with `rsvg-convert`, the LaTeX (render.latex, from the pages' own MyST) is compiled
by `latexmk -pdf` with shell escape off, rc files ignored, file access kept to that
folder (TeX's paranoid openin/openout) and a time limit; the output is replaced
atomically, only when the build succeeded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from derive.derivation import Derivation
from derive.errors import DeriveError
from derive.render.latex import Figures
from derive.solution import Solution, Workbook

TIMEOUT = 240
"""Seconds for the whole LaTeX run (latexmk reruns pdflatex until references settle)."""
FIGURE_TIMEOUT = 60
REPRODUCIBLE = {"SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
"""No build date in the PDF or its figures: the same exercises give the same bytes."""
CIRCUIT_DIGITS = 4


@dataclass
class PdfResult:
    out: Path
    pages: int
    exercises: int
    overfull: list[str] = field(default_factory=list)
    """Overfull box warnings from the log (none expected)."""
    figures: list[str] = field(default_factory=list)
    """The figure files typeset (circuits and plots, converted to PDF)."""
    log: str = ""
    """The LaTeX log."""


def circuit_svg(d: Derivation, digits: int, name: str) -> str:
    """The circuit of `d` as standalone SVG text: derive's own drawing
    (derive.render.circuit) where it exists, else Graphviz's drawing of the DOT circuit."""
    try:
        drawn = import_module("derive.render.circuit")
    except ImportError:
        from derive.render.dot import circuit

        return _run(["dot", "-Tsvg"], input=circuit(d, digits, name), timeout=FIGURE_TIMEOUT,
                    what="dot (the circuit)")  # fmt: skip
    given = tuple(getattr(d, "given", ()))
    return str(drawn.circuit_svg(d, digits, name, standalone=True, given=given))


def build_pdf(workbook: Workbook, out: Path, solutions: bool = True,
              circuit: Callable[[Derivation, int, str], str] = circuit_svg) -> PdfResult:
    """Write the workbook of every exercise to `out`; raises DeriveError on a problem."""
    from derive.render.latex import workbook as latex_workbook
    from derive.render.myst import section, solution_body
    from derive.render.plot import objective_plot
    from derive.render.statement import statement

    require_tools()
    out = out.resolve()
    if out.is_dir():
        raise DeriveError(f"--out: {out} is a folder; give the PDF's file name")
    if not out.parent.is_dir():
        raise DeriveError(f"--out: the folder {out.parent} does not exist")
    with tempfile.TemporaryDirectory(prefix="derive-pdf-") as temporary:
        folder = Path(temporary)
        exercises, included = [], []
        for s in workbook.solutions:
            ex = s.exercise
            figures, files = Figures(), dict[str, str]()
            if solutions:
                figures, files = _figures(s, folder, circuit, objective_plot)
            included += [f for f in (figures.circuit, figures.plot) if f]
            body = solution_body(s, section, files) if solutions else None
            exercises.append((ex.id, f"# {ex.title}\n\n{statement(s)}", body, figures))
        title = workbook.spec.title or "Exercises"
        (folder / "workbook.tex").write_text(latex_workbook(title, exercises), encoding="utf-8")
        log = _latexmk(folder)
        pdf = folder / "workbook.pdf"
        if not pdf.is_file():
            raise DeriveError(f"LaTeX wrote no PDF: {_first_error(log)}")
        partial = out.with_name(f".{out.name}.partial")
        try:
            shutil.copyfile(pdf, partial)
            partial.replace(out)  # atomic: readers see the old PDF or the new one
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise DeriveError(f"--out: cannot write {out}: {exc.strerror}") from None
        pages = re.findall(r"Output written on workbook\.pdf \((\d+) pages?", log)
        overfull = [line for line in log.splitlines() if line.startswith("Overfull")]
        return PdfResult(out, int(pages[-1]) if pages else 0, len(exercises), overfull,
                         included, log)  # fmt: skip


def _figures(s: Solution, folder: Path, circuit: Callable[[Derivation, int, str], str],
             plot: Callable[..., str]) -> tuple[Figures, dict[str, str]]:  # fmt: skip
    """The exercise's circuit and plot as PDF files in `folder`, and the page files the
    solution body should refer to (the plot, when there is one)."""
    ex = s.exercise
    name = f"{ex.id}-circuit"
    _to_pdf(circuit(s.derivation, min(ex.digits, CIRCUIT_DIGITS), ex.id), folder / name)
    files, plot_pdf = {}, None
    if s.descent is not None and len(s.descent.steps) > 1:
        plot_pdf = f"{ex.id}-descent"
        _to_pdf(plot(s.descent, ex.title), folder / plot_pdf)
        files[f"{ex.id}-descent.svg"] = ""
    return Figures(f"{name}.pdf", f"{plot_pdf}.pdf" if plot_pdf else None), files


def _to_pdf(svg: str, stem: Path) -> None:
    stem.with_suffix(".svg").write_text(svg, encoding="utf-8")
    _run(["rsvg-convert", "-f", "pdf", "-o", str(stem.with_suffix(".pdf")),
          str(stem.with_suffix(".svg"))], timeout=FIGURE_TIMEOUT, what="rsvg-convert")  # fmt: skip


def _latexmk(folder: Path) -> str:
    command = ["latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
               "-pdflatex=pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error "
               "%O %S", "workbook.tex"]  # fmt: skip
    environment = {**os.environ, **REPRODUCIBLE, "openin_any": "p", "openout_any": "p",
                   "shell_escape": "f", "TEXMFOUTPUT": str(folder)}  # fmt: skip
    try:
        subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True,
                       timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DeriveError(f"LaTeX took longer than {TIMEOUT} s; no PDF written") from None
    log_file = folder / "workbook.log"
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.is_file() else ""
    if "! " in log or "Fatal error" in log:
        raise DeriveError(f"LaTeX failed: {_first_error(log)}; no PDF written")
    return log


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if line.startswith("! "):
            return line[2:].strip()
    return "see the LaTeX log"


def _run(command: list[str], timeout: int, what: str, input: str | None = None) -> str:
    try:
        done = subprocess.run(command, input=input, capture_output=True, text=True,
                              timeout=timeout, check=False,
                              env={**os.environ, **REPRODUCIBLE})  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DeriveError(f"{what} took longer than {timeout} s") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise DeriveError(f"{what} failed: {message}")
    return done.stdout


def require_tools() -> None:
    missing = [tool for tool in ("latexmk", "pdflatex", "rsvg-convert", "dot")
               if shutil.which(tool) is None]  # fmt: skip
    if missing:
        raise DeriveError(f"derive pdf needs {', '.join(missing)}: sudo apt-get install "
                          "latexmk texlive-latex-extra texlive-fonts-recommended lmodern "
                          "librsvg2-bin graphviz (Debian, Ubuntu)")  # fmt: skip
