"""`derive pdf`: the workbook of every shipped exercise, built with Debian's TeX Live and
read back with pdftotext. The seed's numbers, the rankings' ">" (an inverted question
mark without T1 fonts), every section of every exercise, the figures, Type 1 fonts, no
overfull boxes; statements only with --no-solutions; authors' LaTeX cannot run commands;
the output is replaced atomically and never half-written.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derive.cli import main
from derive.errors import DeriveError
from derive.pdf import PdfResult, build_pdf
from derive.pipeline import load

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises.yaml"
TOOLS = ("latexmk", "pdflatex", "rsvg-convert", "pdftotext", "pdffonts", "dot")
pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                                reason=f"needs {', '.join(TOOLS)} (scripts/setup.sh)")  # fmt: skip


def text_of(pdf: Path) -> str:
    """The PDF's text, minus signs as ASCII hyphens, spaces collapsed."""
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    return re.sub(r"[ \t]+", " ", done.stdout.replace("\u2212", "-"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[PdfResult, str]:
    out = tmp_path_factory.mktemp("pdf") / "workbook.pdf"
    result = build_pdf(load(EXERCISES), out)
    return result, text_of(out)


def test_the_workbook_has_every_exercise_and_every_section(built) -> None:
    result, text = built
    workbook = load(EXERCISES)
    assert result.exercises == len(workbook.solutions) >= 10
    assert result.pages > result.exercises
    for s in workbook.solutions:  # a non-breaking hyphen (2-2-2) comes back as a hyphen
        assert s.exercise.title.replace("\u2011", "-") in text
    for heading in ("The computational graph", "Forward pass", "Backward pass", "Gradient",
                    "Interpretation", "Analysis", "Code"):  # fmt: skip
        assert text.count(heading) >= result.exercises, heading
    with_descent = [s for s in workbook.solutions if s.descent]
    assert text.count("Gradient descent") >= len(with_descent)
    assert text.count("Answers") >= sum(1 for s in workbook.solutions if s.exercise.questions)


def part(text: str, title: str, end: str | None = None) -> str:
    """The text of the section titled `title` (its second occurrence: the first is in the
    contents), up to `end`."""
    start = text.index(title, text.index(title) + 1)
    rest = text[start:]
    return rest[: rest.index(end)] if end else rest


def test_the_seeds_numbers_are_in_the_pdf(built) -> None:
    _, text = built
    linear = part(text, "Worked example 1: a linear combination", "Worked example 2")
    for row in ("1 q q = x + y -2 + 5 3 3", "2 f f = q · z 3 · (-4) -12 -12",
                "-2 - 0.1 · (-4) = -1.6", "5 - 0.1 · (-4) = 5.4", "-4 - 0.1 · 3 = -4.3"):
        assert row.replace(" ", "") in linear.replace(" ", ""), row  # pdftotext drops some
    assert "Ranked by the size of their gradient: x (4) = y (4) > z (3)." in linear
    neuron = part(text, "Worked example 3: a sigmoid neuron", "Worked example 4")
    for number in ("0.73105858", "-0.19661193", "-0.39322387", "0.19661193"):
        assert number in neuron, number
    training = part(text, "Further practice: training a neuron", "Further practice: a 2")
    assert "0.7311" in training and "0.1966" in training
    mazur = part(text, "Further practice: a 2")  # Mazur's published figures, computed
    for number in ("0.298371109", "0.082167041", "0.000438568", "0.35891648", "0.149780716"):
        assert number in mazur, number


def test_every_ranking_prints_greater_than_not_an_inverted_question_mark(built) -> None:
    _, text = built
    rankings = [line for line in text.splitlines() if "Ranked by the size" in line]
    assert len(rankings) >= 9
    assert all("¡" not in line and "¿" not in line for line in rankings)
    assert sum(">" in line for line in rankings) >= 8
    assert "¡" not in text and "¿" not in text


def test_the_workbook_has_the_circuits_and_the_plot(built) -> None:
    result, text = built
    circuits = [f for f in result.figures if f.endswith("-circuit.pdf")]
    assert len(circuits) == result.exercises
    assert result.figures.count("training-a-neuron-descent.pdf") == 1
    assert "The objective after each step." in text


def test_no_overfull_boxes_no_missing_characters(built) -> None:
    result, _ = built
    assert "Overfull" not in result.log
    assert not result.overfull
    assert "Missing character" not in result.log
    assert "LaTeX Warning: Reference" not in result.log


def test_fonts_are_type_1_t1_encoded(built) -> None:
    result, _ = built
    fonts = subprocess.run(["pdffonts", str(result.out)], capture_output=True, text=True,
                           timeout=60, check=True).stdout  # fmt: skip
    text = [row for row in fonts.splitlines()[2:] if "+LM" in row]  # the circuits bring
    assert len(text) > 10 and all(" Type 1 " in row for row in text), fonts  # their own
    assert any("LMRoman10-Regular" in row for row in text)
    assert "Type 3" not in fonts  # bitmap fonts: what missing T1 fonts fall back to
    assert "lm-ec.enc" in result.log  # Latin Modern in T1 (Cork) encoding: text-mode < > |


def test_the_same_exercises_give_the_same_bytes_in_any_folder(built, tmp_path) -> None:
    """No build date, no file identifier, no temporary folder name in the PDF."""
    result, _ = built
    again = build_pdf(load(EXERCISES), tmp_path / "elsewhere.pdf")
    assert again.out.read_bytes() == result.out.read_bytes()


def test_statements_only_with_no_solutions(tmp_path, capsys) -> None:
    out = tmp_path / "statements.pdf"
    assert main(["pdf", str(EXERCISES), "--out", str(out), "--no-solutions"]) == 0
    assert "wrote" in capsys.readouterr().out
    text = text_of(out)
    assert "Worked example 1: a linear combination" in text
    assert "Which input has the greatest effect on the output?" in text
    for solution_only in ("Backward pass", "Ranked by", "Interpretation", "def forward"):
        assert solution_only not in text


HOSTILE = r"""title: Hostile
exercises:
  - id: hostile
    title: "A title with \\input{/etc/passwd} & 100% #1 ~ ^ _ $"
    function: f(x) = x * x
    at: {x: 3}
    statement: |
      Text \input{/etc/passwd} \write18{touch pwned} and math
      $\input{/etc/passwd} \immediate\write18{touch pwned} ^^5cinput x_{1} \csname input\endcsname$
      then $\catcode`\^^M=13 x$ and {unbalanced $x}$ and **bold** and `code \def`.
    questions:
      - ask: Is \openout{x} > 1?
        about: [ranking]
"""


def test_authors_latex_cannot_run_commands_or_read_files(tmp_path, monkeypatch) -> None:
    """The checker refuses `^^` and `\\catcode` in math; with it switched off (as if it
    missed them) the workbook still shows every command as written and runs none."""
    from derive.spec import prose as checker

    source = tmp_path / "hostile.yaml"
    source.write_text(HOSTILE, encoding="utf-8")
    with pytest.raises(DeriveError, match=r"hostile.yaml:9:\d+: statement: '\^\^'"):
        load(source)
    monkeypatch.setattr(checker, "problems", lambda text, inline=False: [])
    monkeypatch.setattr(checker, "text_problem", lambda text: None)  # a title's check
    out = tmp_path / "hostile.pdf"
    result = build_pdf(load(source), out)
    text = text_of(out)
    assert "root:" not in text  # /etc/passwd was not read
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert "\\input{/etc/passwd}" in text  # shown as written
    assert "100% #1" in text and "> 1?" in text
    assert result.pages >= 2


def test_the_output_is_replaced_atomically_and_kept_on_failure(tmp_path, capsys) -> None:
    out = tmp_path / "workbook.pdf"
    out.write_bytes(b"old")
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Bad\nexercises:\n  - id: x\n    function: f(x) = (x\n    at: {x: 1}\n",
                   encoding="utf-8")  # fmt: skip
    assert main(["pdf", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "Traceback" not in err
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "workbook.pdf"]


def test_out_must_be_a_file_in_an_existing_folder(tmp_path) -> None:
    workbook = load(EXERCISES)
    with pytest.raises(DeriveError, match="is a folder"):
        build_pdf(workbook, tmp_path)
    with pytest.raises(DeriveError, match="does not exist"):
        build_pdf(workbook, tmp_path / "missing" / "w.pdf")


def test_an_unwritable_output_is_one_line(tmp_path, capsys) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code = main(["pdf", str(EXERCISES), "--out", str(folder / "w.pdf"), "--no-solutions"])
    finally:
        folder.chmod(0o700)
    err = capsys.readouterr().err
    if code == 0:  # root writes anywhere: nothing to check on this machine
        assert (folder / "w.pdf").is_file()
        return
    assert code == 2 and err.startswith("derive: --out: cannot write") and "Traceback" not in err
    assert list(folder.iterdir()) == []
