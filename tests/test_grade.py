"""`derive grade`: carry-forward marks against each student's variant (derive.marking).

Must show: all-correct answers score full marks; each recognised mistake planted in an
otherwise correct sheet is named; one wrong upstream gradient with consistent downstream
answers marks them carried; blanks and non-numbers are handled without a traceback.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from derive.assign.batch import key_rows, student_variants
from derive.assign.grading import parse_number
from derive.cli import main
from derive.spec import read_spec

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises.yaml"
SPEC = read_spec(EXERCISES)
SEED = 41
Row = tuple[str, str, str, str]


def _key(student: str, spec_path: Path = EXERCISES) -> list[Row]:
    return key_rows(student, student_variants(read_spec(spec_path), SEED, student))


def _grade(tmp_path: Path, rows: list[Row], spec: Path = EXERCISES,
           extra: tuple[str, ...] = ()) -> tuple[dict[tuple[str, str, str], dict[str, str]],
                                                 list[dict[str, str]]]:
    answers = tmp_path / "answers.csv"
    with answers.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "exercise", "quantity", "value"])
        writer.writerows(rows)
    out = tmp_path / "grades.csv"
    assert main(["grade", str(spec), "--answers", str(answers), "--seed", str(SEED),
                 "--out", str(out), *extra]) == 0
    with out.open(encoding="utf-8") as handle:
        graded = list(csv.DictReader(handle))
    assert list(graded[0]) == ["student", "exercise", "quantity", "answer", "expected", "mark",
                               "feedback"]  # fmt: skip
    with (tmp_path / "grades-scores.csv").open(encoding="utf-8") as handle:
        scores = list(csv.DictReader(handle))
    return {(g["student"], g["exercise"], g["quantity"]): g for g in graded}, scores


def _replace(rows: list[Row], exercise: str, changes: dict[str, str]) -> list[Row]:
    return [(s, e, q, changes.get(q, v) if e == exercise else v) for s, e, q, v in rows]


def _value(rows: list[Row], exercise: str, quantity: str) -> float:
    return float(next(v for _, e, q, v in rows if e == exercise and q == quantity))


def test_all_correct_answers_score_full_marks(tmp_path: Path) -> None:
    rows = _key("ann") + _key("bo")
    marks, scores = _grade(tmp_path, rows)
    assert len(marks) == len(rows)
    assert {m["mark"] for m in marks.values()} == {"right"}
    assert {m["feedback"] for m in marks.values()} == {"right"}
    assert [(s["student"], s["exercise"], s["score"]) for s in scores if s["exercise"] == "all"] == [
        ("ann", "all", "1.000"), ("bo", "all", "1.000")]
    assert all(s["score"] == "1.000" and s["wrong"] == "0" for s in scores)
    assert sum(int(s["total"]) for s in scores if s["exercise"] != "all") == len(rows)


def _planted(tmp_path: Path, student: str, exercise: str, changes: dict[str, str],
             spec: Path = EXERCISES) -> dict[str, dict[str, str]]:
    rows = [r for r in _key(student, spec) if r[1] == exercise]
    marks, _ = _grade(tmp_path, _replace(rows, exercise, changes), spec)
    return {q: m for (_, e, q), m in marks.items() if e == exercise}


def test_forgotten_fan_out_sum_is_named(tmp_path: Path) -> None:
    rows = _key("ann")
    one = next(v for _, e, q, v in rows if e == "cs231n-staged" and q == "grad:x->num")
    marks = _planted(tmp_path, "ann", "cs231n-staged", {"grad:x": one})
    wrong = {q: m for q, m in marks.items() if m["mark"] != "right"}
    assert list(wrong) == ["grad:x"]
    assert wrong["grad:x"]["feedback"] == (
        "wrong, and the first wrong step: the fan-out contributions are not added: x feeds 3 "
        "wires and its gradient is their sum, not the x -> num wire alone")


def test_sigma_instead_of_its_derivative_is_named(tmp_path: Path) -> None:
    f = next(v for _, e, q, v in _key("ann") if e == "sigmoid-neuron" and q == "f")
    marks = _planted(tmp_path, "ann", "sigmoid-neuron", {"grad:z->f": f})
    assert marks["grad:z->f"]["mark"] == "wrong"
    assert marks["grad:z->f"]["feedback"] == (
        "wrong, and the first wrong step: sigma(z) was used as the local derivative instead "
        "of sigma(z)(1 - sigma(z))")


def test_sign_of_a_subtraction_is_named(tmp_path: Path) -> None:
    spec = tmp_path / "sub.yaml"
    spec.write_text("exercises:\n  - id: difference\n    title: D\n"
                    "    function: f(x, y, z) = (x - y) * z\n    where: {d: x - y}\n"
                    "    at: {x: 1, y: 3, z: 2}\n"
                    "    vary: {x: {from: -5, to: 5}, y: {from: -5, to: 5}, z: {from: 2, to: 5}}\n",
                    encoding="utf-8")  # fmt: skip
    true = _value(_key("ann", spec), "difference", "grad:y->d")
    marks = _planted(tmp_path, "ann", "difference", {"grad:y->d": str(-true)}, spec)
    assert marks["grad:y->d"]["feedback"] == (
        "wrong, and the first wrong step: the sign of the subtraction in d is lost")
    value = _value(_key("ann", spec), "difference", "value:x") + _value(
        _key("ann", spec), "difference", "value:y")
    marks = _planted(tmp_path, "ann", "difference", {"value:d": str(value)}, spec)
    assert marks["value:d"]["feedback"].endswith("the sign of the subtraction in d is lost")


def test_dropped_upstream_gradient_is_named(tmp_path: Path) -> None:
    student = next(s for s in (f"s{i}" for i in range(50))
                   if abs(_value(_key(s), "linear-combination", "value:z")) > 1)
    marks = _planted(tmp_path, student, "linear-combination", {"grad:x->q": "1"})
    assert marks["grad:x->q"]["feedback"] == (
        "wrong, and the first wrong step: the upstream gradient (the gradient of q) is "
        "dropped: this is the local derivative alone")


def test_descent_with_the_gradient_of_another_point_is_named(tmp_path: Path) -> None:
    s = next(v.solution for v in student_variants(SPEC, SEED, "ann")
             if v.exercise.id == "training-a-neuron")  # 8 steps
    assert s.exercise.id == "training-a-neuron" and s.descent is not None
    first, second = s.descent.steps[:2]
    rate = float(s.descent.learning_rate)
    wrong = float(second.updates[0].current.approx) - rate * float(first.updates[0].gradient.approx)
    marks = _planted(tmp_path, "ann", "training-a-neuron", {"step2:w0": repr(wrong)})
    assert marks["step2:w0"]["mark"] == "wrong"
    assert marks["step2:w0"]["feedback"] == (
        "wrong, and the first wrong step: step 2 used the gradient at another point (the one "
        "of step 1); recompute it at the current point")


def test_step_with_the_worked_examples_gradient_is_named(tmp_path: Path) -> None:
    """The seed notebook's error as a student makes it: the update of their own point
    taken with the gradient of the published worked example's point (-2, 5, -4)."""
    student = next(s for s in (f"s{i}" for i in range(50))
                   if _value(_key(s), "linear-combination", "value:x")
                   + _value(_key(s), "linear-combination", "value:y") != 3)
    z = _value(_key(student), "linear-combination", "value:z")
    copied = z - 0.1 * 3  # dz at the worked example's point is x + y = 3
    marks = _planted(tmp_path, student, "linear-combination", {"step1:z": repr(copied)})
    assert marks["step1:z"]["mark"] == "wrong"
    assert marks["step1:z"]["feedback"] == (
        "wrong, and the first wrong step: step 1 used the gradient at another point (the "
        "worked example's, x=-2, y=5, z=-4); recompute it at your point")


def test_one_wrong_upstream_gradient_carries_forward(tmp_path: Path) -> None:
    rows = _key("ann")
    up = _value(rows, "linear-combination", "grad:q->f")
    wrong = str(up + 3)
    changes = {"grad:q->f": wrong, "grad:q": wrong, "grad:x->q": wrong, "grad:y->q": wrong,
               "grad:x": wrong, "grad:y": wrong}  # fmt: skip
    marks = _planted(tmp_path, "ann", "linear-combination", changes)
    assert {q: m["mark"] for q, m in marks.items() if m["mark"] != "right"} == {
        "grad:q->f": "wrong", "grad:q": "carried", "grad:x->q": "carried",
        "grad:y->q": "carried", "grad:x": "carried", "grad:y": "carried"}
    assert marks["grad:x->q"]["feedback"] == (
        "carried forward: right from your own earlier answers; the first wrong step is the "
        "gradient on wire q -> f")
    _, scores = _grade(tmp_path, _replace([r for r in rows if r[1] == "linear-combination"],
                                          "linear-combination", changes))
    row = next(s for s in scores if s["exercise"] == "linear-combination")
    assert (row["right"], row["carried"], row["wrong"], row["blank"], row["score"]) == (
        "10", "5", "1", "0", "0.938")


def test_blanks_and_non_numbers_without_a_traceback(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r for r in _key("ann") if r[1] == "quotient"]
    f = _value(rows, "quotient", "f")
    odd = {"value:q": "", "f": "abc", "grad:x": "nan", "grad:y": "1/0", "grad:z": "\u221e"}
    answers = [(s, e, q, odd.get(q, v)) for s, e, q, v in rows if q != "step1:z"]
    answers.append(("ann", "quotient", "grad:nothing", "1"))
    marks, scores = _grade(tmp_path, answers, extra=("--students", str(_roster(tmp_path))))
    mine = {q: m for (s, e, q), m in marks.items() if s == "ann" and e == "quotient"}
    assert mine["f"]["mark"] == "wrong" and mine["f"]["feedback"] == "not a number: 'abc'"
    assert mine["grad:x"]["feedback"] == "not a number: 'nan'"
    assert mine["grad:y"]["feedback"] == "not a number: '1/0'"
    assert mine["step1:z"]["mark"] == "blank" and mine["step1:z"]["answer"] == ""
    assert mine["grad:nothing"]["feedback"].startswith("unknown quantity 'grad:nothing'")
    assert float(mine["f"]["expected"]) == f
    assert "Traceback" not in capsys.readouterr().err
    # bo is in the roster and answered nothing: every quantity blank, score 0
    bo = [s for s in scores if s["student"] == "bo"]
    assert bo[-1]["exercise"] == "all" and bo[-1]["score"] == "0.000"
    assert int(bo[-1]["blank"]) == int(bo[-1]["total"]) > 100


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text("id\nann\nbo\n", encoding="utf-8")
    return path


def test_parse_number() -> None:
    assert parse_number(" -1.6 ") == -1.6 and parse_number("1,5") == 1.5
    assert parse_number("1/8") == 0.125 and parse_number("\u22122") == -2
    assert parse_number("") is None and parse_number("1e999") is None
    assert parse_number("x") is None and parse_number("1,000.5") is None


@pytest.mark.parametrize(("text", "message"), [
    ("student,exercise,quantity,value\nann,nope,f,1\n",
     "answers.csv:2: unknown exercise 'nope'"),
    ("student,exercise,quantity,value\ncy,quotient,f,1\n",
     "answers.csv:2: student 'cy' is not in the roster"),
    ("student,exercise,quantity,value\nann,quotient,f,1\nann,quotient,f,2\n",
     "answers.csv:3: 'f' of 'quotient' for 'ann' is answered twice (first on line 2)"),
    ("student,exercise,value\nann,quotient,1\n",
     "answers.csv:1: the answer sheet needs the columns student, exercise, quantity, value "
     "(missing: quantity)"),
    ("student,exercise,quantity,value\nann,quotient,f,1,2,3\n",
     "answers.csv:2: expected 4 columns, got 6"),
])  # fmt: skip
def test_bad_answer_sheet_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      text: str, message: str) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(text, encoding="utf-8")
    code = main(["grade", str(EXERCISES), "--answers", str(answers), "--seed", "1",
                 "--students", str(_roster(tmp_path)), "--out", str(tmp_path / "g.csv")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g.csv").exists()
