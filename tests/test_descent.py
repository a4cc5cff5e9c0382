"""Gradient-descent tables against numbers checked by hand.

Expected values are computed in the tests themselves, independently of derive: with
fractions.Fraction where the function is rational (every step stays exact), with plain
float arithmetic (math.exp) for the sigmoid neuron, to 1e-12.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from derive import backprop, symbolic
from derive.passes.descent import EXACT_OPS, ROUNDED_DIGITS, Descent, fewest_ops
from derive.pipeline import load, solve
from derive.render import sentences
from derive.render.tables import descent_table
from derive.solution import Solution, Workbook
from derive.spec import parse_spec


@pytest.fixture(scope="module")
def shipped() -> Workbook:
    return load("exercises.yaml")


def solution_of(shipped: Workbook, exercise_id: str) -> Solution:
    return next(s for s in shipped.solutions if s.exercise.id == exercise_id)


def solved(function: str, at: str, descent: str, extra: str = "") -> Solution:
    """Solve a one-exercise file written here."""
    text = (f"exercises:\n  - id: t\n    title: T\n    function: {function}\n"
            f"    at: {at}\n    descent: {descent}\n{extra}")  # fmt: skip
    return solve(parse_spec(text, "t.yaml").exercises[0])


def table_of(solution: Solution) -> Descent:
    assert solution.descent is not None
    return solution.descent


def R(value: Fraction | int) -> sympy.Rational:  # noqa: N802
    value = Fraction(value)
    return sympy.Rational(value.numerator, value.denominator)


def exact_rows(table: Descent) -> list[list[tuple[str, sympy.Expr, sympy.Expr, sympy.Expr]]]:
    """Per step: (parameter, current, gradient, new) as exact values."""
    return [[(u.parameter, u.current.exact, u.gradient.exact, u.new.exact) for u in step.updates]
            for step in table.steps]  # fmt: skip


def assert_decimals_match(table: Descent) -> None:
    """Every decimal is the exact value's, to the working precision."""
    for step in table.steps:
        for u in step.updates:
            for value in (u.current, u.gradient, u.new):
                exact = sympy.N(value.exact, 40)
                assert abs(float(value.approx) - float(exact)) <= 1e-12 * max(1, abs(float(exact)))


# --------------------------------------------------------------------------------------
# The notebook's update example, done right
# --------------------------------------------------------------------------------------


def test_weight_update_at_2_5_minus_4(shipped: Workbook) -> None:
    table = table_of(solution_of(shipped, "weight-update"))
    assert table.parameters == ("x", "y", "z")
    assert table.learning_rate == sympy.Rational(1, 10)
    assert table.rate is not None and table.rate.exact == sympy.Rational(1, 10)
    assert float(table.rate.approx) == 0.1
    assert not table.ascent
    assert table.stopped is None
    [step] = table.steps
    assert {k: v.exact for k, v in step.point.items()} == {"x": 2, "y": 5, "z": -4}
    # the gradient at (2, 5, -4): (z, z, x + y) = (-4, -4, 7), not the notebook's (-4, -4, 3)
    assert exact_rows(table) == [[
        ("x", 2, -4, R(Fraction(12, 5))),
        ("y", 5, -4, R(Fraction(27, 5))),
        ("z", -4, 7, R(Fraction(-47, 10))),
    ]]  # fmt: skip
    assert [float(u.new.approx) for u in step.updates] == [2.4, 5.4, -4.7]
    # f before and after: (2 + 5)(-4) = -28, then (12/5 + 27/5)(-47/10) = -1833/50
    assert step.objective.exact == -28
    assert step.objective_after is not None
    assert step.objective_after.exact == R(Fraction(-1833, 50))
    assert all(u.new.exact.is_Rational and not u.rounded for u in step.updates)


def test_weight_update_keeps_the_notebooks_numbers_where_they_are_right(shipped: Workbook) -> None:
    step = table_of(solution_of(shipped, "weight-update")).steps[0]
    new = {u.parameter: u.new.exact for u in step.updates}
    # the notebook's w_x = 2.4 and w_y = 5.4 are right (their gradient z = -4 is the same at
    # both points); its w_z = -4.3 used the gradient 3 of the point (-2, 5, -4)
    assert new["x"] == sympy.Rational("2.4")
    assert new["y"] == sympy.Rational("5.4")
    assert new["z"] != sympy.Rational("-4.3")
    assert new["z"] == sympy.Rational("-4.7")
    statement = solution_of(shipped, "weight-update").exercise.statement
    assert "-4.7" in statement
    assert "-4.3" in statement


def test_weight_update_table_writes_each_update_out(shipped: Workbook) -> None:
    text = descent_table(table_of(solution_of(shipped, "weight-update")), 4)
    assert "$2 - 0.1 \\cdot \\left(-4\\right)$ $= 2.4$" in text
    assert "$5 - 0.1 \\cdot \\left(-4\\right)$ $= 5.4$" in text
    assert "$-4 - 0.1 \\cdot 7$ $= -4.7$" in text


def test_linear_combination_at_minus_2_5_minus_4(shipped: Workbook) -> None:
    table = table_of(solution_of(shipped, "linear-combination"))
    [step] = table.steps
    assert {k: v.exact for k, v in step.point.items()} == {"x": -2, "y": 5, "z": -4}
    assert exact_rows(table) == [[
        ("x", -2, -4, R(Fraction(-8, 5))),
        ("y", 5, -4, R(Fraction(27, 5))),
        ("z", -4, 3, R(Fraction(-43, 10))),
    ]]  # fmt: skip
    # the notebook's 5.4 and -4.3 belong to this point
    assert [float(u.new.approx) for u in step.updates] == [-1.6, 5.4, -4.3]
    assert step.objective.exact == -12
    assert step.objective_after is not None
    assert step.objective_after.exact == R(Fraction(-817, 50))  # (19/5)(-43/10)
    text = descent_table(table, 4)
    assert "$-4 - 0.1 \\cdot 3$ $= -4.3$" in text


def test_the_answer_says_why_the_gradient_is_recomputed(shipped: Workbook) -> None:
    solution = solution_of(shipped, "weight-update")
    [question] = solution.exercise.questions
    text = [sentences.plain(s, 4) for s in sentences.answer(solution, question)]
    assert question.about == ("recompute",)  # not how much f fell: the question is why
    assert text == [
        "The gradient must be recomputed because it changes with the point: (-4, -4, 7) where "
        "the step starts, (-4.7, -4.7, 7.8) after it; reusing the old one would step in a "
        "direction that no longer holds.",
    ]


# --------------------------------------------------------------------------------------
# Several steps stay exact for rational functions
# --------------------------------------------------------------------------------------


def hand_descent(start: Sequence[Fraction], gradient: Callable[..., Sequence[Fraction]],
                 rate: Fraction, steps: int, sign: int = -1) -> list[list[tuple[Fraction, ...]]]:
    """Per step, for each parameter: (current, gradient, new), in Fractions."""
    point = list(start)
    rows = []
    for _ in range(steps):
        grads = gradient(*point)
        new = [p + sign * rate * g for p, g in zip(point, grads, strict=True)]
        rows.append([(p, g, n) for p, g, n in zip(point, grads, new, strict=True)])
        point = new
    return rows


def test_polynomial_descent_is_exact_over_five_steps() -> None:
    table = table_of(solved("f(x, y) = x^2 + x*y + 2*y^2", "{x: 1, y: -2}",
                            "{learning_rate: 0.1, steps: 5}"))  # fmt: skip
    expected = hand_descent([Fraction(1), Fraction(-2)], lambda x, y: (2 * x + y, x + 4 * y),
                            Fraction(1, 10), 5)  # fmt: skip
    assert len(table.steps) == 5
    for step, rows in zip(table.steps, expected, strict=True):
        assert [(u.current.exact, u.gradient.exact, u.new.exact) for u in step.updates] == [
            tuple(R(v) for v in row) for row in rows]
        x, y = rows[0][0], rows[1][0]
        assert step.objective.exact == R(x * x + x * y + 2 * y * y)
        assert all(not u.rounded for u in step.updates)
    # first step by hand: gradient (0, -7); new (1, -2 + 0.7) = (1, -13/10)
    first = table.steps[0].updates
    assert (first[0].gradient.exact, first[1].gradient.exact) == (0, -7)
    assert (first[0].new.exact, first[1].new.exact) == (1, sympy.Rational(-13, 10))
    assert not table.rounded
    assert_decimals_match(table)


def test_rational_function_descent_is_exact_and_never_rounded() -> None:
    # f = x / (1 + y^2), only y descends: df/dy = -2 x y / (1 + y^2)^2
    table = table_of(solved("f(x, y) = x / (1 + y^2)", "{x: 1, y: 2}",
                            "{learning_rate: 0.5, steps: 3, parameters: [y]}"))  # fmt: skip
    assert table.parameters == ("y",)

    def gradient(y: Fraction) -> tuple[Fraction]:
        return (-2 * y / (1 + y * y) ** 2,)

    expected = hand_descent([Fraction(2)], gradient, Fraction(1, 2), 3)
    for step, rows in zip(table.steps, expected, strict=True):
        [u] = step.updates
        assert (u.current.exact, u.gradient.exact, u.new.exact) == tuple(R(v) for v in rows[0])
        assert u.new.exact.is_Rational
        assert step.point["x"].exact == 1  # x is not a parameter: it stays put
    # by hand: y = 2, gradient -4/25, new 2 + 2/25 = 52/25
    assert table.steps[0].updates[0].gradient.exact == sympy.Rational(-4, 25)
    assert table.steps[0].updates[0].new.exact == sympy.Rational(52, 25)
    # exact rationals keep growing (170-digit numerators by the end) and stay exact
    assert not table.rounded
    assert_decimals_match(table)


def test_ascent_climbs_to_the_maximum() -> None:
    # f = -(x - 3)^2, df/dx = -2(x - 3); ascent with rate 1/4 halves the distance to 3
    solution = solved("f(x) = -(x - 3)^2", "{x: 0}", "{learning_rate: 0.25, steps: 4, "
                                                     "ascent: true}")  # fmt: skip
    table = table_of(solution)
    assert table.ascent
    expected = hand_descent([Fraction(0)], lambda x: (-2 * (x - 3),), Fraction(1, 4), 4, sign=1)
    assert [[(u.current.exact, u.gradient.exact, u.new.exact) for u in s.updates]
            for s in table.steps] == [[tuple(R(v) for v in row[0])]
                                      for row in expected]  # fmt: skip
    assert [u.new.exact for s in table.steps for u in s.updates] == [
        sympy.Rational(3, 2), sympy.Rational(9, 4), sympy.Rational(21, 8), sympy.Rational(45, 16)]
    objectives = [s.objective.exact for s in table.steps]
    assert objectives == [-9, sympy.Rational(-9, 4), sympy.Rational(-9, 16),
                          sympy.Rational(-9, 64)]  # fmt: skip
    last = table.steps[-1].objective_after
    assert last is not None and last.exact == sympy.Rational(-9, 256)
    assert table.final_gradient is not None
    assert table.final_gradient["x"].exact == sympy.Rational(3, 8)
    text = sentences.plain(sentences.descent(solution)[0], 4)
    assert text == ("Over 4 steps with learning rate 0.25, the objective f rose from -9 to "
                    "-9/256 ≈ -0.03516.")  # fmt: skip
    plain = descent_table(table, 4)
    assert "$0 + 0.25 \\cdot 6$ $= 1.5$" in plain


# --------------------------------------------------------------------------------------
# Parameter subsets
# --------------------------------------------------------------------------------------


def test_a_vector_name_selects_all_its_components(shipped: Workbook) -> None:
    table = table_of(solution_of(shipped, "sigmoid-neuron"))
    assert table.parameters == ("w0", "w1", "w2")
    [step] = table.steps
    assert [u.parameter for u in step.updates] == ["w0", "w1", "w2"]
    # df/dw_i = s (1 - s) x_i with s = sigmoid(1), x = (-1, -2, 1)
    s = sympy.Symbol("s")
    local = (s * (1 - s)).subs(s, 1 / (1 + sympy.exp(-1)))
    for u, x_i, w_i in zip(step.updates, (-1, -2, 1), (2, -3, -3), strict=True):
        assert sympy.simplify((u.gradient.exact - local * x_i).rewrite(sympy.exp)) == 0
        assert u.current.exact == w_i
        assert float(u.new.approx) == pytest.approx(w_i - 0.1 * float(local) * x_i, abs=1e-15)
    # the notebook's gradients
    assert [float(u.gradient.approx) for u in step.updates] == pytest.approx(
        [-0.19661193, -0.39322387, 0.19661193], abs=5e-9)


def test_vectors_and_scalars_as_parameters() -> None:
    table = table_of(solved("f(w, x, b) = dot(w, x) + b", "{w: [1, 2], x: [3, 4], b: 1}",
                            "{parameters: [w, b], learning_rate: 0.5}"))  # fmt: skip
    assert table.parameters == ("w0", "w1", "b")
    assert exact_rows(table) == [[
        ("w0", 1, 3, sympy.Rational(-1, 2)), ("w1", 2, 4, 0), ("b", 1, 1, sympy.Rational(1, 2))]]
    step = table.steps[0]
    assert step.objective.exact == 12
    assert step.objective_after is not None
    assert step.objective_after.exact == -1  # -3/2 + 0 + 1/2


def test_one_component_of_a_vector_as_a_parameter() -> None:
    table = table_of(solved("f(w, x, b) = dot(w, x) + b", "{w: [1, 2], x: [3, 4], b: 1}",
                            "{parameters: [w1], learning_rate: 0.5, steps: 2}"))  # fmt: skip
    assert table.parameters == ("w1",)
    assert [[u.new.exact for u in s.updates] for s in table.steps] == [[0], [-2]]
    assert [s.point["w0"].exact for s in table.steps] == [1, 1]


def test_parameters_default_to_every_input() -> None:
    table = table_of(solved("f(w, x) = dot(w, x)", "{w: [1, 2], x: [3, 4]}", "{}"))
    assert table.parameters == ("w0", "w1", "x0", "x1")


# --------------------------------------------------------------------------------------
# An objective other than f: the chain rule checked by hand
# --------------------------------------------------------------------------------------


def sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def test_squared_error_objective_follows_the_chain_rule(shipped: Workbook) -> None:
    solution = solution_of(shipped, "training-a-neuron")
    table = table_of(solution)
    assert table.objective == "(f - 1)^2 / 2"
    assert table.output == "E"
    assert str(table.form) == "(f - 1)**2/2"
    assert table.parameters == ("w0", "w1", "w2")
    assert table.learning_rate == 2
    assert len(table.steps) == 8
    assert table.stopped is None
    # the whole trajectory in floats, independently: dE/dw_i = (f - 1) f (1 - f) x_i
    w, x, rate = [2.0, -3.0, -3.0], [-1.0, -2.0, 1.0], 2.0
    for step in table.steps:
        f = sigmoid(sum(wi * xi for wi, xi in zip(w, x, strict=True)))
        assert [float(step.point[f"w{i}"].approx) for i in range(3)] == pytest.approx(w, abs=1e-12)
        assert [float(step.point[f"x{i}"].approx) for i in range(3)] == x
        assert float(step.objective.approx) == pytest.approx((f - 1) ** 2 / 2, abs=1e-12)
        grads = [(f - 1) * f * (1 - f) * xi for xi in x]
        for u, g in zip(step.updates, grads, strict=True):
            assert float(u.gradient.approx) == pytest.approx(g, abs=1e-12)
        w = [wi - rate * g for wi, g in zip(w, grads, strict=True)]
        assert [float(u.new.approx) for u in step.updates] == pytest.approx(w, abs=1e-12)
        after = sigmoid(sum(wi * xi for wi, xi in zip(w, x, strict=True)))
        assert step.objective_after is not None
        assert float(step.objective_after.approx) == pytest.approx((after - 1) ** 2 / 2, abs=1e-12)
        assert step.objective_after.approx < step.objective.approx  # the error falls every step
    # the first step exactly: E = (sigmoid(1) - 1)^2 / 2
    s = 1 / (1 + sympy.exp(-1))
    first = table.steps[0]
    assert abs(sympy.N(first.objective.exact - (s - 1) ** 2 / 2, 50)) < 1e-45
    assert float(first.objective.approx) == pytest.approx(0.03616474406425663, abs=1e-15)


def test_squared_error_final_gradient_is_taken_at_the_last_point(shipped: Workbook) -> None:
    table = table_of(solution_of(shipped, "training-a-neuron"))
    assert table.final_gradient is not None
    last = table.steps[-1]
    w = [float(u.new.approx) for u in last.updates]
    x = [-1.0, -2.0, 1.0]
    f = sigmoid(sum(wi * xi for wi, xi in zip(w, x, strict=True)))
    expected = [(f - 1) * f * (1 - f) * xi for xi in x]
    assert [float(v.approx) for v in table.final_gradient.values()] == pytest.approx(
        expected, abs=1e-12)


def test_objective_with_the_inputs_in_it() -> None:
    # E = (f - t)^2 / 2 with f = w * x: dE/dw = (w x - t) x
    table = table_of(solved("f(w, x, t) = w * x", "{w: 1, x: 2, t: 5}",
                            "{objective: (f - t)^2 / 2, parameters: [w], learning_rate: 0.1, "
                            "steps: 3}"))  # fmt: skip
    expected = hand_descent([Fraction(1)], lambda w: ((w * 2 - 5) * 2,), Fraction(1, 10), 3)
    assert [[(u.current.exact, u.gradient.exact, u.new.exact) for u in s.updates]
            for s in table.steps] == [[tuple(R(v) for v in row[0])]
                                      for row in expected]  # fmt: skip
    assert [s.objective.exact for s in table.steps] == [
        R((row[0][0] * 2 - 5) ** 2 / 2) for row in expected]


# --------------------------------------------------------------------------------------
# Rounding when exact forms grow
# --------------------------------------------------------------------------------------


def test_growing_exact_forms_are_rounded_to_30_digits_and_flagged(shipped: Workbook) -> None:
    solution = solution_of(shipped, "training-a-neuron")
    table = table_of(solution)
    assert ROUNDED_DIGITS == 30
    assert table.rounded
    first = table.steps[0]
    assert not any(u.rounded for u in first.updates)  # sigmoid(1) forms are still small
    rounded = [u for s in table.steps for u in s.updates if u.rounded]
    assert rounded
    for u in rounded:
        assert u.new.exact.is_Rational
        # exactly the 30-significant-digit decimal of the precise value
        digits = mpmath.nstr(u.new.approx, 30, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)
        assert u.new.exact == R(Fraction(digits))
        assert len(digits.lstrip("-").replace(".", "").lstrip("0")) <= 30
        assert abs(float(u.new.exact) - float(u.new.approx)) <= 1e-28 * abs(float(u.new.approx))
    for u in (u for s in table.steps for u in s.updates if not u.rounded):
        assert u.new.exact.is_Rational or sympy.count_ops(u.new.exact) <= 40
    text = [sentences.plain(s, 4) for s in sentences.descent(solution)]
    # the note names both precisions: what is carried (30 digits) and what is shown (no one
    # precision lets every row add up, so each row its own, from 4)
    assert ("From step 2 on, the exact forms grow too long to carry: each new value is rounded "
            "to 30 significant digits before the next step (each row of the update table shows "
            "the fewest digits, at least 4, at which it adds up as printed).") in text


def test_exact_irrational_values_that_stay_small_are_not_rounded() -> None:
    # f = e^x: the gradient at x is e^x; one step keeps 1 - e/10 exact
    table = table_of(solved("f(x) = exp(x)", "{x: 1}", "{learning_rate: 0.1}"))
    [u] = table.steps[0].updates
    assert not u.rounded
    assert u.new.exact == 1 - sympy.E / 10


# --------------------------------------------------------------------------------------
# Leaving the domain stops the table
# --------------------------------------------------------------------------------------


def test_a_step_that_leaves_the_domain_stops_the_table() -> None:
    # f = log(x) at 1: gradient 1, new x = 1 - 10 * 1 = -9, where log is not real
    solution = solved("f(x) = log(x)", "{x: 1}", "{learning_rate: 10, steps: 3}")
    table = table_of(solution)
    assert len(table.steps) == 1
    [u] = table.steps[0].updates
    assert (u.current.exact, u.gradient.exact, u.new.exact) == (1, 1, -9)
    assert table.steps[0].objective.exact == 0
    assert table.steps[0].objective_after is None
    assert table.stopped == ("after step 1 the point leaves the domain: node f = log(x): log of "
                             "a negative number is not real")  # fmt: skip
    assert table.final_gradient is None
    text = [sentences.plain(s, 4) for s in sentences.descent(solution)]
    assert table.stopped + "." in text


def test_the_table_keeps_the_steps_inside_the_domain() -> None:
    # x -> x - 2/x from 4: 7/2, 41/14, 1289/574, 1002569/739886, then below 0
    table = table_of(solved("f(x) = log(x)", "{x: 4}", "{learning_rate: 2, steps: 10}"))
    x, expected = Fraction(4), []
    while x > 0:
        expected.append((x, 1 / x, x - 2 / x))
        x = x - 2 / x
    assert len(expected) == 5
    assert [(u.current.exact, u.gradient.exact, u.new.exact)
            for s in table.steps for u in s.updates] == [tuple(R(v) for v in e) for e in expected]
    assert table.steps[-1].updates[0].new.exact < 0
    assert table.steps[-1].objective_after is None
    assert all(s.objective_after is not None for s in table.steps[:-1])
    assert table.stopped is not None
    assert table.stopped.startswith("after step 5 the point leaves the domain")


def test_leaving_the_domain_in_the_shipped_pipeline_is_not_an_error() -> None:
    # a stop is part of the result, not a SpecError
    solution = solved("f(x) = sqrt(x)", "{x: 1}", "{learning_rate: 4}")
    table = table_of(solution)
    assert table.steps[0].updates[0].new.exact == -1  # 1 - 4 * 1/2
    assert table.stopped is not None
    assert "square root" in table.stopped or "negative" in table.stopped


def test_the_sentence_does_not_claim_a_change_when_the_first_step_leaves_the_domain() -> None:
    solution = solved("f(x) = log(x)", "{x: 1}", "{learning_rate: 10, steps: 3}")
    first = sentences.plain(sentences.descent(solution)[0], 4)
    assert "fell from 0 to 0" not in first, first


def test_the_sentence_does_not_claim_a_constant_gradient_depends_on_the_point() -> None:
    solution = solved("f(w, x, b) = dot(w, x) + b", "{w: [1, 2], x: [3, 4], b: 1}",
                      "{parameters: [w, b], learning_rate: 0.5}")  # fmt: skip
    text = [sentences.plain(s, 4) for s in sentences.descent(solution)]
    assert not any(t.startswith("The gradient depends on the point") for t in text), text


# --------------------------------------------------------------------------------------
# The gradient is recomputed at every point
# --------------------------------------------------------------------------------------


def test_every_steps_gradient_is_the_gradient_at_its_own_point() -> None:
    function = "f(x, y) = x^2 * y + y^3 / 3"
    table = table_of(solved(function, "{x: 1, y: 2}", "{learning_rate: 0.05, steps: 4}"))
    previous = None
    for step in table.steps:
        point = {k: v.exact for k, v in step.point.items()}
        if previous is not None:
            assert point == {u.parameter: u.new.exact for u in previous.updates}
        fresh = backprop(function, at=point).gradient
        assert {u.parameter: u.gradient.exact for u in step.updates} == fresh
        # and by hand: (2xy, x^2 + y^2)
        x, y = point["x"], point["y"]
        assert [u.gradient.exact for u in step.updates] == [2 * x * y, x**2 + y**2]
        previous = step
    assert previous is not None
    final = {u.parameter: u.new.exact for u in previous.updates}
    assert table.final_gradient is not None
    assert {k: v.exact for k, v in table.final_gradient.items()} == backprop(
        function, at=final).gradient  # fmt: skip
    # the gradient changes from step to step
    gradients = [tuple(u.gradient.exact for u in s.updates) for s in table.steps]
    assert len(set(gradients)) == len(gradients)


def test_the_neurons_gradient_is_recomputed_at_the_updated_weights(shipped: Workbook) -> None:
    table = table_of(solution_of(shipped, "training-a-neuron"))
    function = "f(w, x) = (sigmoid(dot(w, x)) - 1)^2 / 2"
    for step in table.steps:
        w = [step.point[f"w{i}"].exact for i in range(3)]
        fresh = backprop(function, at={"w": w, "x": [-1, -2, 1]})
        for i, u in enumerate(step.updates):
            assert float(u.gradient.approx) == pytest.approx(
                float(fresh.gradient[f"w{i}"]), abs=1e-12)


# --------------------------------------------------------------------------------------
# Exact forms that stay short but hold huge numbers
# --------------------------------------------------------------------------------------

RUNAWAY = """\
exercises:
  - id: runaway
    title: Three steps on exp, tanh and log
    function: f(z) = (tanh(3) - exp(tanh(z)) + log(1 + z^2))^2
    at: {z: 0}
    descent: {learning_rate: 0.05, steps: 3}
"""
CAPPED_CHECK = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
from derive.cli import main
sys.exit(main(["check", sys.argv[1]]))
"""


def test_three_steps_on_exp_tanh_and_log_finish(tmp_path: Path) -> None:
    # run in a child capped at 1 GB and 30 s, so the runaway cannot take the machine down
    path = tmp_path / "runaway.yaml"
    path.write_text(RUNAWAY)
    try:
        done = subprocess.run([sys.executable, "-c", CAPPED_CHECK, str(path)], timeout=30,
                              capture_output=True, text=True, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("derive check did not finish in 30 s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "runaway" in done.stdout and "agree" in done.stdout


# The rounding test's shortcut: a lower bound of SymPy's count of operations

_X, _Y = sympy.symbols("x y", real=True)
_FUNCTIONS = (symbolic.sigmoid, sympy.exp, sympy.log, sympy.sin, sympy.tanh, sympy.sqrt,
              symbolic.relu)  # fmt: skip


@st.composite
def _exact_forms(draw: st.DrawFn, depth: int = 4) -> sympy.Expr:
    """Exact forms like a descent's: rationals, x, y, functions, sums, products, powers."""
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from([
            _X, _Y, sympy.S.NegativeOne, sympy.Rational(1, 2), sympy.Rational(-3, 4),
            sympy.Integer(2), sympy.Integer(-5), sympy.Rational(151, 400), sympy.pi, sympy.E]))
    kind = draw(st.sampled_from(["function", "add", "sub", "mul", "div", "neg", "pow"]))
    left = draw(_exact_forms(depth - 1))
    if kind == "function":
        try:
            return draw(st.sampled_from(_FUNCTIONS))(left)
        except TypeError:  # relu of a complex number (sqrt(-5)) has no sign to compare
            return left
    if kind == "neg":
        return -left
    if kind == "pow":
        return left ** draw(st.sampled_from([2, 3, -1, -2, sympy.Rational(1, 2)]))
    right = draw(_exact_forms(depth - 1))
    return {"add": left + right, "sub": left - right, "mul": left * right,
            "div": left / right if right != 0 else left}[kind]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_exact_forms())
@example(2 * ((_X + _Y / 2) / _X))  # count_ops distributes the 2: (2x + y)/x, 3 operations
@example(_Y - _X)  # one SUB, though the sum holds the product -1*x
@example(-_X * _Y / 3 + sympy.exp(-_X) * _Y)
@example(2 / (_X * _Y) - symbolic.sigmoid(_X) ** -2)
def test_fewest_ops_never_exceeds_sympys_count(expr: sympy.Expr) -> None:
    """The descent rounds an exact form past EXACT_OPS operations; it skips SymPy's slow
    count when this bound already passes it, so the bound must never be above the count."""
    assert fewest_ops(expr) <= sympy.count_ops(expr), expr


def test_fewest_ops_passes_the_limit_on_a_network_value(shipped: Workbook) -> None:
    """On the Mazur network's first updated weight (95 operations), the bound alone passes
    EXACT_OPS: SymPy's count is not needed there."""
    solution = next(s for s in shipped.solutions if s.exercise.id == "mazur-network")
    assert solution.descent is not None
    update = solution.descent.steps[0].updates[0]  # rounded; its exact form was:
    form = update.current.exact - sympy.Rational(1, 2) * update.gradient.exact
    assert update.rounded and update.new.exact.is_Rational
    assert EXACT_OPS < fewest_ops(form) <= sympy.count_ops(form) == 95
