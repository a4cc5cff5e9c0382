"""`derive check` and the shipped exercises.yaml.

The shipped file must load and derive without error and hold every worked example and
proposed exercise of the notebook (shared/seed) with the notebook's numbers; `derive check`
prints one line per exercise and a summary, and reports bad input as FILE:LINE:COLUMN lines
on stderr with exit status 2 and no traceback.
"""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import derive.pipeline
from derive.cli import main
from derive.pipeline import load
from derive.render import sentences
from derive.solution import Solution, Workbook

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "exercises.yaml"
IDS = ["linear-combination", "weight-update", "sigmoid-neuron", "activation-functions",
       "quotient", "exponential-and-sine", "logarithm", "cs231n-staged",
       "training-a-neuron", "mazur-network"]  # fmt: skip
"""Every worked example and proposed exercise of the notebook, and the two added ones."""

LINE = re.compile(r"^(ok|!!|xx) (\S+)\s+(agree|DISAGREE|invalid)\s+\d+\.\d\d s  (.+)$")
SUMMARY = re.compile(r"^(\d+) exercises? checked in (.+): (\d+) agree, (\d+) disagree, "
                     r"(\d+) failed to derive; (\d+) problems? in the file "
                     r"\(\d+\.\d s\)$")  # fmt: skip
POSITION = re.compile(r"^(\S+):(\d+):(\d+): ")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def shipped() -> Workbook:
    return load(SHIPPED)


def solution_of(shipped: Workbook, exercise_id: str) -> Solution:
    return next(s for s in shipped.solutions if s.exercise.id == exercise_id)


# --------------------------------------------------------------------------------------
# derive check on the shipped file
# --------------------------------------------------------------------------------------


def test_check_on_the_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", str(SHIPPED)], capsys)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == len(IDS) + 1
    rows = [LINE.match(line) for line in lines[:-1]]
    assert all(rows), lines
    assert [(m[1], m[2], m[3]) for m in rows if m] == [("ok", i, "agree") for i in IDS]
    functions = {m[2]: m[4] for m in rows if m}
    assert functions["linear-combination"] == "f(x, y, z) = (x + y) * z"
    assert functions["quotient"] == "f(x, y, z) = (x + y) / z"
    summary = SUMMARY.match(lines[-1])
    assert summary, lines[-1]
    assert summary.groups() == ("10", str(SHIPPED), "10", "0", "0", "0")


def test_check_defaults_to_exercises_yaml(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(ROOT)
    code, out, _ = run(["check"], capsys)
    assert code == 0
    assert out.splitlines()[-1].startswith(
        "10 exercises checked in exercises.yaml: 10 agree, 0 disagree, 0 failed to derive; "
        "0 problems")


def test_check_exits_1_when_a_check_disagrees(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:  # fmt: skip
    real = derive.pipeline.check

    def disagreeing(*args: object) -> object:
        return dataclasses.replace(real(*args), agree=False)  # type: ignore[arg-type]

    monkeypatch.setattr(derive.pipeline, "check", disagreeing)
    path = tmp_path / "one.yaml"
    path.write_text("exercises:\n  - id: a\n    title: A\n    function: x^2\n    at: {x: 1}\n")
    code, out, err = run(["check", str(path)], capsys)
    assert code == 1
    assert err == ""
    row = LINE.match(out.splitlines()[0])
    assert row is not None and row.group(1, 2, 3) == ("!!", "a", "DISAGREE")
    assert ": 0 agree, 1 disagree, 0 failed to derive; 0 problems in the file" in out


# --------------------------------------------------------------------------------------
# derive check on bad input
# --------------------------------------------------------------------------------------

INVALID = """\
exercises:
  - id: a
    title: A
    fucntion: f(x) = x
    at: {x: 1}
  - id: b
    title: B
    function: f(x) = x + $
    at: {x: one}
"""


def test_check_on_a_file_with_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(INVALID)
    code, out, err = run(["check", str(path)], capsys)
    assert code == 2
    assert "Traceback" not in err
    # one FILE:LINE:COLUMN: line per problem, in file order, as compilers print them
    assert err.splitlines() == [
        f"{path}:2:5: an exercise needs 'function'",
        f"{path}:4:5: unknown key 'fucntion' in an exercise; did you mean 'function'?",
        f"{path}:8:26: invalid syntax at column 12 of 'f(x) = x + $'; is an operator such as * "
        "missing?",
        f"{path}:9:13: input 'x': 'one' is not a number (it names 'one')",
    ]
    summary = SUMMARY.match(out.strip())
    assert summary is not None, out
    assert summary.groups() == ("0", str(path), "0", "0", "0", "4")


DOES_NOT_DERIVE = """\
exercises:
  - id: missing
    title: A missing value
    function: f(x, y) = x * y
    at: {x: 1}
  - id: fine
    title: Fine
    function: f(x) = log(x)
    at: {x: 2}
  - id: extra
    title: A value for a name that is not an input
    function: f(x) = x
    at: {x: 1, z: 2}
"""


def test_check_on_a_file_whose_exercises_fail_to_derive(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "bad.yaml"
    path.write_text(DOES_NOT_DERIVE)
    code, out, err = run(["check", str(path)], capsys)
    assert code == 2
    assert "Traceback" not in err
    rows = [LINE.match(line) for line in out.splitlines()[:-1]]
    assert [(m[1], m[2], m[3]) for m in rows if m] == [
        ("xx", "missing", "invalid"), ("ok", "fine", "agree"), ("xx", "extra", "invalid")]
    summary = SUMMARY.match(out.splitlines()[-1])
    assert summary is not None and summary.groups() == ("3", str(path), "1", "0", "2", "2")
    assert err.splitlines() == [
        f"{path}:5:9: missing value for input 'y'",
        f"{path}:13:19: value given for 'z', which is not an input (inputs: x)",
    ]


MIXED = """\
exercises:
  - id: schema
    title: 7
    function: f(x) = x
    at: {x: 1}
  - id: missing
    title: B
    function: f(x, y) = x * y
    at: {x: 2}
  - id: fine
    title: C
    function: f(x) = x^2
    at: {x: 3}
"""


def test_check_reports_schema_and_derivation_problems_together(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(MIXED)
    code, out, err = run(["check", str(path)], capsys)
    assert code == 2
    # the exercise with a schema error is left out; the others are still derived
    rows = [LINE.match(line) for line in out.splitlines()[:-1]]
    assert [(m[1], m[2], m[3]) for m in rows if m] == [
        ("xx", "missing", "invalid"), ("ok", "fine", "agree")]
    assert err.splitlines() == [
        f"{path}:3:12: 'title' must be text (quote it)",
        f"{path}:9:9: missing value for input 'y'",
    ]
    summary = SUMMARY.match(out.splitlines()[-1])
    assert summary is not None and summary.groups() == ("2", str(path), "1", "0", "1", "2")


def test_check_on_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    code, out, err = run(["check", str(path)], capsys)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{path}:1:1: cannot read the file: No such file or directory",
        f"derive: 1 problem in {path}",
    ]


def test_check_on_an_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    code, out, err = run(["check", str(path)], capsys)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{path}:1:1: the file is empty; it needs a list of exercises",
        f"derive: 1 problem in {path}",
    ]


def test_check_on_invalid_yaml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("exercises:\n  - id: a\n   title: b\n")
    code, out, err = run(["check", str(path)], capsys)
    assert code == 2
    assert out == ""
    assert err.splitlines()[0].startswith(f"{path}:3:4: invalid YAML: ")
    assert "Traceback" not in err


def test_check_as_a_command(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(INVALID)
    done = subprocess.run([sys.executable, "-m", "derive.cli", "check", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          check=False)  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 4
    assert lines[0] == f"{path}:2:5: an exercise needs 'function'"
    assert all(POSITION.match(line) for line in lines)
    assert SUMMARY.match(done.stdout.strip())


# --------------------------------------------------------------------------------------
# The shipped exercises.yaml: every exercise of the notebook, with its numbers
# --------------------------------------------------------------------------------------


def test_shipped_file_loads_and_derives_in_file_order(shipped: Workbook) -> None:
    assert [s.exercise.id for s in shipped.solutions] == IDS
    assert shipped.spec.title == "Neural networks and backpropagation"
    for solution in shipped.solutions:
        assert solution.derivation.check.agree, solution.exercise.id
        assert solution.exercise.title
        for question in solution.exercise.questions:
            answer = sentences.answer(solution, question)
            assert answer, (solution.exercise.id, question.text)
            assert answer != [("derive has no computed facts for this question.",)]
            for sentence in answer:
                assert sentences.plain(sentence, solution.exercise.digits)
                assert sentences.markdown(sentence, solution.exercise.digits)


def test_shipped_linear_combination_has_the_notebooks_numbers(shipped: Workbook) -> None:
    d = solution_of(shipped, "linear-combination").derivation
    values = {k: v.exact for k, v in d.forward.values.items()}
    assert values["f"] == -12  # "Forward propagation: f = -12"
    assert values["q"] == 3    # "Forward propagation: q = 3"
    assert {g.input: g.value.exact for g in d.gradients} == {"x": -4, "y": -4, "z": 3}
    assert dict(solution_of(shipped, "linear-combination").exercise.where) == {"q": "x + y"}


def test_shipped_sigmoid_neuron_has_the_notebooks_numbers(shipped: Workbook) -> None:
    solution = solution_of(shipped, "sigmoid-neuron")
    d = solution.derivation
    assert solution.exercise.at == {"w": (2, -3, -3), "x": (-1, -2, 1)}  # x2 = 1: the bias
    f = d.forward.values[d.graph.output]
    assert float(f.approx) == 0.7310585786300049  # the notebook's f, to the last digit
    dw = [float(g.value.approx) for g in d.gradients if g.input.startswith("w")]
    assert dw == pytest.approx([-0.19661193, -0.39322387, 0.19661193], abs=5e-9)
    assert solution.descent is not None and solution.descent.parameters == ("w0", "w1", "w2")


def test_shipped_weight_update_uses_the_gradient_of_its_own_point(shipped: Workbook) -> None:
    solution = solution_of(shipped, "weight-update")
    assert solution.exercise.at == {"x": 2, "y": 5, "z": -4}
    assert solution.descent is not None
    [step] = solution.descent.steps
    assert [float(u.new.approx) for u in step.updates] == [2.4, 5.4, -4.7]


def test_shipped_activation_functions_compare_four_activations(shipped: Workbook) -> None:
    solution = solution_of(shipped, "activation-functions")
    labels = [label for label, _ in solution.variants]
    assert labels == ["linear", "sigmoid", "ReLU", "tanh"]
    q = 3  # x + y at (-2, 5)
    grads = {label: {g.input: float(g.value.approx) for g in d.gradients}
             for label, d in solution.variants}  # fmt: skip
    s = 1 / (1 + math.exp(-q))
    assert grads["linear"] == {"x": -4, "y": -4, "z": 3}
    assert grads["sigmoid"]["x"] == pytest.approx(-4 * s * (1 - s), abs=1e-12)
    assert grads["ReLU"] == {"x": -4, "y": -4, "z": 3}
    assert grads["tanh"]["x"] == pytest.approx(-4 * (1 - math.tanh(q) ** 2), abs=1e-12)


def test_shipped_proposed_exercises_have_the_notebooks_inputs_and_questions(
    shipped: Workbook,
) -> None:
    quotient = solution_of(shipped, "quotient").exercise
    assert quotient.function == "f(x, y, z) = (x + y) / z"
    assert quotient.at == {"x": 3, "y": 2, "z": 1}
    assert quotient.solution == "collapsed"
    assert [q.text for q in quotient.questions] == [
        "How do gradients behave as z approaches zero?",
        "What implications do these gradient behaviours have on network stability during "
        "training?",
    ]
    assert [limit.text for limit in quotient.limits] == ["z -> 0"]

    exp_sin = solution_of(shipped, "exponential-and-sine").exercise
    assert exp_sin.at == {"x": sympy.Rational(3, 2), "y": -1, "z": sympy.pi / 2}
    assert [q.text for q in exp_sin.questions] == [
        "Which input has the greatest effect on the function's output based on gradient "
        "magnitudes?",
        "How do exponential and trigonometric functions impact gradient stability?",
    ]

    logarithm = solution_of(shipped, "logarithm").exercise
    assert logarithm.function == "f(x, y) = log(x^2 + y^2 + 1)"
    assert logarithm.at == {"x": 2, "y": 1}
    assert [q.text for q in logarithm.questions] == [
        "How do gradients behave as inputs become very large or approach zero?",
        "Discuss techniques for maintaining numerical stability during backpropagation with "
        "logarithmic functions.",
    ]
    for exercise in (quotient, exp_sin, logarithm):
        assert exercise.descent is not None  # "use these gradients to update ... with descent"
        assert len(exercise.instructions) == 3


def test_shipped_proposed_exercises_values(shipped: Workbook) -> None:
    def value(exercise_id: str) -> sympy.Expr:
        d = solution_of(shipped, exercise_id).derivation
        return d.forward.values[d.graph.output].exact

    assert value("quotient") == 5
    assert sympy.simplify(value("exponential-and-sine") - (sympy.Rational(3, 2) / sympy.E + 1)) == 0
    assert value("logarithm") == sympy.log(6)
    d = solution_of(shipped, "logarithm").derivation
    assert {g.input: g.value.exact for g in d.gradients} == {
        "x": sympy.Rational(2, 3), "y": sympy.Rational(1, 3)}


def test_shipped_cs231n_staged_example(shipped: Workbook) -> None:
    d = solution_of(shipped, "cs231n-staged").derivation
    x, y = 3.0, -4.0

    def sig(a: float) -> float:
        return 1 / (1 + math.exp(-a))

    f = (x + sig(y)) / (sig(x) + (x + y) ** 2)
    assert float(d.forward.values[d.graph.output].approx) == pytest.approx(f, abs=1e-12)
    assert {"sigy", "num", "sigx", "xpy", "xpysqr", "den", "invden"} <= set(d.forward.values)


def test_shipped_training_a_neuron(shipped: Workbook) -> None:
    solution = solution_of(shipped, "training-a-neuron")
    table = solution.descent
    assert table is not None
    assert (table.objective, table.learning_rate, len(table.steps)) == ("(f - 1)^2 / 2", 2, 8)
    first, last = table.steps[0], table.steps[-1]
    assert last.objective_after is not None
    assert last.objective_after.approx < first.objective.approx / 10
