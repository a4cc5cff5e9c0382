"""Carry-forward marking (derive/marking.py): exact verdicts and the named mistakes."""

from __future__ import annotations

import pytest

from derive import DeriveError, backprop
from derive.marking import Mark, mark, tolerance
from derive.model import exact_passes, model, run

LINEAR = backprop("(x + y) * z", at={"x": -2, "y": 5, "z": -4}, names={"q": "x + y"})
NEURON = backprop("f(w, x) = sigmoid(dot(w, x))", at={"w": [2, -3, -3], "x": [-1, -2, 1]})
FANOUT = backprop("x * y + x", at={"x": 3, "y": 2})
SUB = backprop("(x - y) * z", at={"x": 1, "y": 3, "z": 2}, names={"d": "x - y"})


def verdicts(marks: tuple[Mark, ...]) -> dict[str, str]:
    return {m.quantity: m.verdict for m in marks}


def by(marks: tuple[Mark, ...], quantity: str) -> Mark:
    return next(m for m in marks if m.quantity == quantity)


def test_tolerance_follows_digits() -> None:
    assert tolerance(0.7310585786, 4) == pytest.approx(0.7310585786e-3)
    assert tolerance(-12, 2) == pytest.approx(1.2)
    assert tolerance(0, 4) == 1e-12
    assert tolerance(1, 30) == pytest.approx(1e-14)  # capped at float precision


def test_all_right_including_rounded_answers() -> None:
    answers = {"value:q": 3.0, "f": -12.0, "grad:q->f": -4.0, "grad:z->f": 3.0,
               "grad:x->q": -4.0, "grad:y->q": -4.0, "grad:x": -4.0, "grad:q": -4.0}
    marks = mark(LINEAR, answers, digits=4)
    assert set(verdicts(marks).values()) == {"right"}
    assert [m.feedback for m in marks] == ["right"] * len(answers)
    # the neuron at 4 digits: rounded answers are right
    answers = {"f": 0.7311, "grad:v1->f": 0.1966, "grad:w0->v1": -0.1966,
               "grad:x1->v1": -0.5898}
    assert set(verdicts(mark(NEURON, answers, digits=4)).values()) == {"right"}


def test_order_follows_the_computation() -> None:
    answers = {"grad:x->q": -4.0, "f": -12.0, "grad:q->f": -4.0, "value:q": 3.0}
    assert [m.quantity for m in mark(LINEAR, answers, 4)] == [
        "value:q", "f", "grad:q->f", "grad:x->q"]  # fmt: skip


def test_wrong_upstream_carries_forward() -> None:
    answers = {"grad:q->f": 4.0, "grad:x->q": 4.0, "grad:y->q": 4.0, "grad:z->f": 3.0}
    marks = mark(LINEAR, answers, 4)
    assert verdicts(marks) == {"grad:q->f": "wrong", "grad:z->f": "right",
                               "grad:x->q": "carried", "grad:y->q": "carried"}
    assert by(marks, "grad:q->f").feedback.startswith("wrong, and the first wrong step")
    assert by(marks, "grad:x->q").feedback == (
        "carried forward: right from your own earlier answers; the first wrong step is "
        "the gradient on wire q -> f")
    assert by(marks, "grad:q->f").expected == -4.0
    assert by(marks, "grad:x->q").answer == 4.0


def test_wrong_value_carries_forward_to_values_and_gradients() -> None:
    answers = {"value:q": 7.0, "f": -28.0, "grad:z->f": 7.0}
    assert verdicts(mark(LINEAR, answers, 4)) == {
        "value:q": "wrong", "f": "carried", "grad:z->f": "carried"}  # fmt: skip
    # an answer neither right nor consistent is wrong, and names the first wrong step
    marks = mark(LINEAR, {"value:q": 7.0, "f": -30.0}, 4)
    assert verdicts(marks) == {"value:q": "wrong", "f": "wrong"}
    assert by(marks, "f").feedback == "wrong; the first wrong step is the value of q"


def test_forgotten_fan_out_sum_is_named() -> None:
    # x feeds x*y (wire gradient y = 2) and the sum (1): its gradient is 3
    marks = mark(FANOUT, {"grad:x->v1": 2.0, "grad:x->f": 1.0, "grad:x": 2.0}, 4)
    assert verdicts(marks) == {"grad:x": "wrong", "grad:x->f": "right", "grad:x->v1": "right"}
    assert by(marks, "grad:x").feedback == (
        "wrong, and the first wrong step: the fan-out contributions are not added: x feeds "
        "2 wires and its gradient is their sum, not the x -> v1 wire alone")
    # a total consistent with the student's own wrong wire is carried
    marks = mark(FANOUT, {"grad:x->v1": 5.0, "grad:x": 6.0}, 4)
    assert verdicts(marks) == {"grad:x->v1": "wrong", "grad:x": "carried"}


def test_fan_out_forgotten_inside_the_circuit() -> None:
    d = backprop("(a + b) * (a + b) + (a + b)", at={"a": 1, "b": 2}, names={"s": "a + b"})
    true = exact_passes(d).wires
    wire = true[("s", "v1")]  # s*s: 2s = 6; s feeds v1 and f: grad s = 7
    marks = mark(d, {"grad:a->s": wire}, 4)
    assert by(marks, "grad:a->s").verdict == "wrong"
    assert "fan-out contributions are not added" in by(marks, "grad:a->s").feedback
    assert "only s -> v1 was used" in by(marks, "grad:a->s").feedback


def test_sigma_instead_of_its_derivative() -> None:
    f = float(NEURON.forward.values["f"].approx)
    marks = mark(NEURON, {"grad:v1->f": f}, 4)
    assert by(marks, "grad:v1->f").feedback == (
        "wrong, and the first wrong step: sigma(z) was used as the local derivative "
        "instead of sigma(z)(1 - sigma(z))")


def test_sign_lost_and_upstream_dropped() -> None:
    marks = mark(SUB, {"grad:y->d": 2.0}, 4)  # true: upstream z = 2 times -1
    assert by(marks, "grad:y->d").feedback.endswith("the sign of the subtraction in d is lost")
    marks = mark(SUB, {"value:d": 4.0}, 4)
    assert by(marks, "value:d").feedback.endswith("the sign of the subtraction in d is lost")
    marks = mark(LINEAR, {"grad:x->q": 1.0}, 4)
    assert by(marks, "grad:x->q").feedback.endswith(
        "the upstream gradient (the gradient of q) is dropped: this is the local derivative "
        "alone")


def test_blank_and_non_numbers() -> None:
    marks = mark(LINEAR, {"value:q": None, "f": float("nan")}, 4)
    assert verdicts(marks) == {"value:q": "blank", "f": "blank"}
    assert by(marks, "f").feedback == "no answer"


def test_unknown_quantity_is_a_derive_error() -> None:
    with pytest.raises(DeriveError, match="unknown quantity 'grad:q->x'"):
        mark(LINEAR, {"grad:q->x": 1.0}, 4)


def test_descent_steps() -> None:
    from derive import load

    book = load("exercises.yaml")
    s = next(s for s in book.solutions if s.exercise.id == "weight-update")
    assert s.descent is not None
    # at (2, 5, -4): gradient (-4, -4, 7), new values 2.4, 5.4, -4.7; the notebook's -4.3
    # used the gradient of the point (-2, 5, -4)
    marks = mark(s.derivation, {"step1:x": 2.4, "step1:z": -4.7}, 4, s.descent)
    assert verdicts(marks) == {"step1:x": "right", "step1:z": "right"}
    marks = mark(s.derivation, {"step1:z": -4.0 + 0.1 * 7.0}, 4, s.descent)
    assert by(marks, "step1:z").feedback.endswith(
        "the step goes with the gradient instead of against it (sign lost)")
    t = next(s for s in book.solutions if s.exercise.id == "training-a-neuron")
    assert t.descent is not None
    first, second = t.descent.steps[0], t.descent.steps[1]
    p = first.updates[0].parameter
    wrong = float(second.updates[0].current.approx) - float(t.descent.rate.approx) * float(
        first.updates[0].gradient.approx)  # step 2 with step 1's gradient
    marks = mark(t.derivation, {f"step2:{p}": wrong}, 6, t.descent)
    assert "used the gradient at another point (the one of step 1)" in marks[0].feedback
    # a step carried from the student's own wrong previous step
    g2 = float(second.updates[0].gradient.approx)
    rate = float(t.descent.rate.approx)
    marks = mark(t.derivation, {f"step1:{p}": 1.5, f"step2:{p}": 1.5 - rate * g2}, 6, t.descent)
    assert verdicts(marks) == {f"step1:{p}": "wrong", f"step2:{p}": "carried"}


def test_float_passes_match_the_exact_ones() -> None:
    for d in (LINEAR, NEURON, FANOUT, SUB):
        m = model(d)
        passes = run(m, m["at"])
        exact = exact_passes(d)
        assert not isinstance(passes, str) and hasattr(passes, "values")
        for key, value in exact.values.items():
            assert passes.values[key] == pytest.approx(value, rel=1e-12, abs=1e-15)
        for key, value in exact.wires.items():
            assert passes.wires[key] == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_float_pass_names_the_undefined_node() -> None:
    d = backprop("log(x - y) * z", at={"x": 3, "y": 1, "z": 2})
    failure = run(model(d), {"x": 1.0, "y": 3.0, "z": 2.0})
    assert str(failure) == "node v2: log of a negative number is not real"
