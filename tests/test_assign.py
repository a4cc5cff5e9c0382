"""Assignments: per-student variants with clean numbers, the answer key, `derive assign`.

Must show: 200 students' variants of each shipped polynomial/rational exercise are all
clean, well posed and spread over the space; the same seed and id give the same variant;
every key number equals `backprop` at that variant's point.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from derive import DeriveError, backprop
from derive.assign.key import blanks, number, quantities
from derive.assign.variants import Variant, clean_decimal, judge, variant
from derive.cli import main
from derive.spec import Exercise, parse_spec, read_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC = read_spec(ROOT / "exercises.yaml")
BY_ID = {e.id: e for e in SPEC.exercises}
STUDENTS = [f"s{i:03d}" for i in range(200)]
SEED = 2026


def _polynomial() -> list[Exercise]:
    """The shipped polynomial and rational exercises; weight-update ships without vary:
    it gets linear-combination's ranges (its statement is about its own numbers)."""
    shipped = BY_ID["linear-combination"]
    assert shipped.vary and BY_ID["quotient"].vary
    return [shipped, replace(BY_ID["weight-update"], vary=shipped.vary), BY_ID["quotient"]]


@pytest.fixture(scope="module")
def drawn() -> dict[str, list[Variant]]:
    return {e.id: [variant(e, SEED, s) for s in STUDENTS] for e in _polynomial()}


def _terminating(value: Fraction, digits: int) -> bool:
    """Independent of derive: value * 10**digits is an integer, with <= digits digits."""
    scaled = value * 10**digits
    if scaled.denominator != 1:
        return False
    return len(str(abs(scaled.numerator)).strip("0")) <= digits


def test_every_variant_is_clean_and_well_posed(drawn: dict[str, list[Variant]]) -> None:
    for exercise_id, variants in drawn.items():
        for v in variants:
            s, digits = v.solution, v.exercise.digits
            d = s.derivation
            assert d.check.agree and not d.forward.kinks, (exercise_id, v.exercise.at)
            assert s.descent is not None and s.descent.stopped is None
            for q in quantities(s):
                exact = q.value.exact
                assert exact.is_Rational, (exercise_id, q.name)
                assert _terminating(Fraction(int(exact.p), int(exact.q)), digits), (
                    exercise_id, dict(v.exercise.at), q.name, exact)
            for step in s.descent.steps:
                for u in step.updates:
                    assert clean_decimal(u.gradient.exact, digits)
            grads = [abs(g.value.exact) for g in d.gradients]
            assert all(grads), (exercise_id, v.exercise.at)
            if exercise_id == "quotient":  # no two inputs tie unless their formulas do
                assert len({grads[0], grads[2]}) == 2


def test_variants_spread_over_the_space(drawn: dict[str, list[Variant]]) -> None:
    for exercise_id, variants in drawn.items():
        points = [tuple(sorted((k, str(x)) for k, x in v.exercise.at.items())) for v in variants]
        assert len(set(points)) >= 150, exercise_id  # not one draw repeated
        for name in ("x", "y", "z"):
            assert len({dict(p)[name] for p in points}) >= 8, (exercise_id, name)
        assert all(-5 <= float(x) <= 5 for v in variants for x in v.exercise.at.values())


def test_same_seed_and_id_give_the_same_variant(drawn: dict[str, list[Variant]]) -> None:
    exercise = BY_ID["linear-combination"]
    for student, v in zip(STUDENTS[:20], drawn["linear-combination"][:20], strict=True):
        assert variant(exercise, SEED, student).exercise.at == v.exercise.at
    others = [variant(exercise, SEED + 1, s).exercise.at for s in STUDENTS[:20]]
    assert others != [v.exercise.at for v in drawn["linear-combination"][:20]]


def test_key_equals_backprop_at_each_variants_point(drawn: dict[str, list[Variant]]) -> None:
    for exercise_id, variants in drawn.items():
        exercise = BY_ID[exercise_id]
        for v in variants:
            at = {k: str(x) for k, x in v.exercise.at.items()}
            d = backprop(exercise.function, at=at, names=exercise.where)
            key = {q.name: float(number(q.value)) for q in quantities(v.solution)}
            assert key["f"] == float(d.value)
            for node in d.graph.nodes:
                if node.op != "const" and node.id != d.graph.output:
                    assert key[f"value:{node.id}"] == float(d.forward.exact(node.id))
                    assert key[f"grad:{node.id}"] == float(d.backward.gradients[node.id].exact)
            for step in d.backward.steps:
                wire = f"grad:{step.input}->{step.node}"
                assert key[wire] == float(step.downstream.exact)
            rate = 0.1  # one step of learning rate 0.1 in all three exercises
            for name, g in d.gradient.items():
                assert key[f"step1:{name}"] == pytest.approx(
                    float(d.forward.exact(name)) - rate * float(g), abs=1e-12)


def test_a_fixed_exercise_keeps_its_point() -> None:
    v = variant(BY_ID["sigmoid-neuron"], SEED, "anyone")
    assert v.attempts == 0 and v.exercise.at == BY_ID["sigmoid-neuron"].at


def _one(text: str) -> Exercise:
    spec = parse_spec("exercises:\n" + text, "fixture.yaml")
    return spec.exercises[0]


def test_no_clean_draw_names_the_first_constraint_and_the_vary_key() -> None:
    exercise = _one("""\
  - id: thirds
    title: Thirds
    function: f(x, y) = x / y
    at: {x: 1, y: 3}
    vary: {x: [1, 2], y: [3, 0]}
""")
    with pytest.raises(DeriveError) as caught:
        variant(exercise, 1, "s1")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("fixture.yaml:6:11: no clean draw among 4 tried: the first "
                              "constraint that failed: ")
    assert "not a decimal of at most 4 digits" in message or "division by zero" in message
    assert "most often: " in message


def test_kinks_zero_gradients_and_accidental_ties_are_rejected() -> None:
    relu = _one("""\
  - id: kink
    title: Kink
    function: f(x, y) = relu(x) * y
    at: {x: 1, y: 2}
    vary: {x: [-1, 0, 1, 2], y: [2, 3]}
""")
    assert judge(replace(relu, at={**relu.at, "x": 0}))[0] == "kink: node v1 is at its kink"
    assert judge(replace(relu, at={**relu.at, "x": -1}))[0] == "zero gradient: grad:x = 0"
    assert {str(variant(relu, 5, s).exercise.at["x"]) for s in STUDENTS[:30]} == {"1", "2"}
    product = _one("""\
  - id: tie
    title: Tie
    function: f(x, y) = x * y
    at: {x: 1, y: 2}
    vary: {x: {from: 1, to: 3}, y: {from: 1, to: 3}}
""")
    reason, _ = judge(replace(product, at={"x": 2, "y": 2}))
    assert reason == "tie: |grad:x| = |grad:y| = 2"
    assert all(v.exercise.at["x"] != v.exercise.at["y"]
               for v in (variant(product, 5, s) for s in STUDENTS[:30]))
    # x and y of (x + y) * z always tie: a tie of the formulas is allowed
    assert judge(BY_ID["linear-combination"])[0] is None


def test_transcendental_clean_means_moderate_sizes() -> None:
    neuron = _one("""\
  - id: neuron
    title: Neuron
    function: f(w, x) = sigmoid(dot(w, x))
    at: {w: [1, 1], x: [1, 1]}
    vary: {w: {from: -9, to: 9}, x: {from: -9, to: 9}}
""")
    for student in STUDENTS[:20]:
        s = variant(neuron, 3, student).solution
        sizes = [abs(float(q.value.approx)) for q in quantities(s)]
        assert all(size == 0 or 1e-4 <= size <= 1e4 for size in sizes)
    far = {"w": (9, 7), "x": (8, 6)}  # sigma(114): its gradient near 1e-50
    assert judge(replace(neuron, clean=False, at=far))[0] is None  # clean: false: well posed
    assert judge(replace(neuron, at=far))[0].startswith("size: grad:v1->f = 0 is outside")


def test_clean_decimal() -> None:
    from sympy import Rational, sqrt

    assert clean_decimal(Rational(-16, 10), 4) and clean_decimal(Rational(1, 8), 4)
    assert not clean_decimal(Rational(1, 3), 4)
    assert not clean_decimal(Rational(1, 32), 4)  # 0.03125: five decimals
    assert not clean_decimal(Rational(123456), 4)  # six significant digits
    assert not clean_decimal(sqrt(2), 4)


@pytest.mark.parametrize(("vary", "message"), [
    ("{q: [1]}", "fixture.yaml:6:12: vary: 'q' is not an input given in 'at'"),
    ("{x: {from: 3, to: 1}}", "fixture.yaml:6:15: vary.x: needs from <= to and a positive step"),
    ("{x: {from: 1, to: 3, step: 0}}", "vary.x: needs from <= to and a positive step"),
    ("{x: {from: 0, to: 100000}}", "vary.x: 100001 values, more than 10000"),
    ("{x: {form: 1, to: 3}}", "unknown key 'form' in vary.x; did you mean 'from'?"),
    ("{x: 3}", "vary.x must be a range {from: -5, to: 5} or a list of values"),
    ("{x: [a]}", "vary.x[0]"),
    ("[x]", "'vary' must be a mapping"),
])  # fmt: skip
def test_bad_vary_is_a_one_line_error_with_its_place(vary: str, message: str) -> None:
    with pytest.raises(DeriveError) as caught:
        _one(f"""\
  - id: bad
    title: Bad
    function: f(x) = 2 * x
    at: {{x: 1}}
    vary: {vary}
""")
    assert message in str(caught.value)
    assert str(caught.value).startswith("fixture.yaml:6:")


def test_step_and_lists_and_clean_key() -> None:
    exercise = _one("""\
  - id: halves
    title: Halves
    function: f(x, y) = x * y
    at: {x: 1, y: 2}
    vary: {x: {from: -1, to: 1, step: 0.5}, y: [1/4, 2, 1/4]}
    clean: no
""")
    assert [str(v) for v in exercise.vary[0].values] == ["-1", "-1/2", "0", "1/2", "1"]
    assert [str(v) for v in exercise.vary[1].values] == ["1/4", "2"]
    assert exercise.clean is False


def test_blanks_are_values_wires_totals_and_steps() -> None:
    s = variant(BY_ID["linear-combination"], SEED, "s000").solution
    names = [q.name for q in blanks(quantities(s), s.derivation.graph)]
    assert names == ["f", "value:q", "grad:q->f", "grad:z->f", "grad:x->q", "grad:y->q",
                     "grad:z", "grad:y", "grad:x", "step1:x", "step1:y", "step1:z"]


# --- the command --------------------------------------------------------------------------


def _roster(folder: Path, text: str) -> Path:
    path = folder / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_assign_writes_pages_pdfs_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = _roster(tmp_path, "id,name\nann,Ann\nbo,Bo\n")
    out = tmp_path / "out"
    argv = ["assign", str(ROOT / "exercises.yaml"), "--students", str(roster), "--seed", "7",
            "--out", str(out)]
    assert main(argv) == 0
    assert f"assigned 2 students x {len(SPEC.exercises)} exercises" in capsys.readouterr().out
    rows = list(csv.reader((out / "key.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["student", "exercise", "quantity", "value"]
    ann = {(e, q): v for s, e, q, v in rows[1:] if s == "ann"}
    v = variant(BY_ID["linear-combination"], 7, "ann")
    assert ann[("linear-combination", "value:x")] == str(v.exercise.at["x"])
    assert ann[("linear-combination", "f")] == str(v.solution.derivation.value)
    assert {q for (e, q) in ann if e == "training-a-neuron"} >= {"step8:w0", "grad:w0", "f"}
    folder = out / "students" / "ann"
    exercises = (folder / "exercises.md").read_text(encoding="utf-8")
    solutions = (folder / "solutions.md").read_text(encoding="utf-8")
    assert f"$x = {v.exercise.at['x']}$" in exercises and "Backward pass" not in exercises
    assert "Backward pass" in solutions
    assert (folder / "exercises.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / "solutions.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "roster.csv").read_text() == "id,name,folder\nann,Ann,students/ann\nbo,Bo,students/bo\n"
    first = (out / "key.csv").read_bytes()
    assert main([*argv, "--no-pdf", "--jobs", "1"]) == 0  # a rerun replaces its own output
    assert (out / "key.csv").read_bytes() == first  # deterministic, pool or not
    assert not (out / "students" / "ann" / "exercises.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "roster.csv"]


@pytest.mark.parametrize(("text", "message"), [
    ("name\nann\n", "roster.csv:1: the roster needs a column 'id' (found: name)"),
    ("id,name\nann,Ann\nbo\n", "roster.csv:3: expected 2 columns, got 1"),
    ("id\nann\nbo\nann\n", "roster.csv:4: duplicate id 'ann' (first on line 2)"),
    ("id\n../x\n", "roster.csv:2: student id '../x' must be letters"),
    ("id\n", "roster.csv: the roster lists no students"),
    ("", "the roster is empty"),
])  # fmt: skip
def test_bad_roster_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                message: str) -> None:
    roster = _roster(tmp_path, text)
    code = main(["assign", str(ROOT / "exercises.yaml"), "--students", str(roster), "--seed",
                 "1", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_failed_assign_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "ex.yaml"
    spec.write_text("exercises:\n  - id: thirds\n    title: T\n    function: f(x) = x / 3\n"
                    "    at: {x: 1}\n    vary: {x: [1, 2]}\n", encoding="utf-8")
    roster = _roster(tmp_path, "id\nann\nbo\ncy\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("not derive's")
    argv = ["assign", str(spec), "--students", str(roster), "--seed", "1", "--out", str(out)]
    assert main(argv) == 2
    assert "the folder is not empty and was not written by derive assign" in capsys.readouterr().err
    (out / "mine.txt").unlink()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{spec}:6:11: no clean draw among 2 tried: the first constraint that failed: clean: " in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ex.yaml", "out", "roster.csv"]
    assert list(out.iterdir()) == []


def test_variants_do_not_depend_on_the_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("from derive.spec import read_spec; from derive.assign.variants import variant; "
            "e = read_spec('exercises.yaml').exercises[4]; "
            "print([str(variant(e, 9, s).exercise.at) for s in ('a', 'b', 'c')])")
    outs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                           env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}, check=True).stdout
            for seed in ("1", "2")}  # fmt: skip
    assert len(outs) == 1
    assert outs.pop().strip() == str([str(variant(BY_ID["quotient"], 9, s).exercise.at)
                                      for s in ("a", "b", "c")])


def test_itertools_space_is_shuffled_not_ordered() -> None:
    exercise = _one("""\
  - id: small
    title: Small
    function: f(x, y) = x * y + x
    at: {x: 1, y: 2}
    vary: {x: {from: 1, to: 4}, y: {from: 1, to: 4}}
""")
    firsts = {str(variant(exercise, 1, s).exercise.at) for s in STUDENTS[:40]}
    assert len(firsts) > 4
    assert len(list(itertools.islice(firsts, 10))) > 4


def test_terminating_assign_stops_the_workers_and_leaves_nothing(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    roster = _roster(tmp_path, "id\n" + "".join(f"s{i}\n" for i in range(200)))
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "derive.cli", "assign", str(ROOT / "exercises.yaml"),
         "--students", str(roster), "--seed", "3", "--out", str(out), "--no-pdf"],
        cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    time.sleep(1.5)  # the workers are busy
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and err.strip() == "derive: terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                             check=True).stdout
    assert str(out) not in listing  # no worker left behind
