"""The analysis of the shipped exercises, and the answers phrased from it.

Every test asserts on the computed facts (exact SymPy values, classifications) and on the
sentence a reader sees (`sentences.plain`). Limits run under a time budget: a limit SymPy
cannot settle is reported as unsettled, and nothing hangs. The hang guard below (a
SIGUSR1 sent by a timer thread; SIGALRM belongs to the limit budget) only turns a hang
into a failure; no test asserts on timings.
"""

from __future__ import annotations

import math
import threading
import time

import pytest
import sympy
from conftest import HANG_GUARD_SECONDS

import derive.passes.analysis as analysis_module
from derive import backprop
from derive.passes.analysis import Analysis, LimitResult, analyse
from derive.pipeline import load, solve
from derive.render import sentences
from derive.render.sentences.saturation import passes as saturation_passes
from derive.solution import Solution, Workbook
from derive.spec import Limit, parse_spec

pytestmark = pytest.mark.usefixtures("hang_guard")


@pytest.fixture(scope="module")
def shipped() -> Workbook:
    return load("exercises.yaml")


def solution_of(shipped: Workbook, exercise_id: str) -> Solution:
    return next(s for s in shipped.solutions if s.exercise.id == exercise_id)


def solved(function: str, at: str, extra: str = "") -> Solution:
    text = f"exercises:\n  - id: t\n    title: T\n    function: {function}\n    at: {at}\n{extra}"
    return solve(parse_spec(text, "t.yaml").exercises[0])


def said(items: list[sentences.Sentence], digits: int = 4) -> list[str]:
    return [sentences.plain(s, digits) for s in items]


def answers(solution: Solution, question_start: str) -> list[str]:
    question = next(q for q in solution.exercise.questions if q.text.startswith(question_start))
    return said(sentences.answer(solution, question), solution.exercise.digits)


def limit_of(solution: Solution, text: str, of: str) -> LimitResult:
    return next(r for r in solution.analysis.limits if r.limit.text == text and r.of == of)


# --------------------------------------------------------------------------------------
# (x + y) / z at (3, 2, 1): z -> 0
# --------------------------------------------------------------------------------------


def test_quotient_dz_goes_to_minus_infinity_from_both_sides(shipped: Workbook) -> None:
    solution = solution_of(shipped, "quotient")
    z = solution.derivation.graph.symbol("z")
    result = limit_of(solution, "z -> 0", "z")
    # df/dz = -(x + y)/z^2 with x + y = 5
    assert sympy.simplify(result.expression - (-5 / z**2)) == 0
    assert result.sides == (("+", -sympy.oo), ("-", -sympy.oo))
    assert result.behaviour == "exploding"
    closed = next(g.closed_form for g in solution.derivation.gradients if g.input == "z")
    x, y = (solution.derivation.graph.symbol(n) for n in "xy")
    assert sympy.simplify(closed + (x + y) / z**2) == 0


def test_quotient_f_goes_to_plus_infinity_from_the_right_and_minus_from_the_left(
    shipped: Workbook,
) -> None:
    solution = solution_of(shipped, "quotient")
    result = limit_of(solution, "z -> 0", "")
    assert result.sides == (("+", sympy.oo), ("-", -sympy.oo))
    assert result.behaviours == ("exploding", "exploding")
    for name in "xy":  # df/dx = df/dy = 1/z
        partial = limit_of(solution, "z -> 0", name)
        assert partial.sides == (("+", sympy.oo), ("-", -sympy.oo))


def test_quotient_answers_how_gradients_behave_near_zero(shipped: Workbook) -> None:
    solution = solution_of(shipped, "quotient")
    # the answer concludes (the per-quantity limits are in the analysis); "exploding" is
    # said of the gradient only, f itself grows without bound
    assert answers(solution, "How do gradients behave as z approaches zero?") == [
        "As z -> 0, df/dx, df/dy, df/dz are exploding; f itself grows without bound."]
    assert said(sentences.limits(solution)) == [
        "As z -> 0 (x = 3, y = 2 fixed), f = 5/z -> ∞ from the right and to -∞ from the left: "
        "grows without bound.",
        "As z -> 0 (x = 3, y = 2 fixed), df/dx = 1/z -> ∞ from the right and to -∞ from the "
        "left: exploding.",
        "As z -> 0 (x = 3, y = 2 fixed), df/dy = 1/z -> ∞ from the right and to -∞ from the "
        "left: exploding.",
        "As z -> 0 (x = 3, y = 2 fixed), df/dz = -5/z^2 -> -∞ from both sides: exploding.",
    ]


def test_quotient_division_by_zero_is_possible_where_z_is_zero(shipped: Workbook) -> None:
    solution = solution_of(shipped, "quotient")
    [restriction] = solution.analysis.restrictions
    assert restriction.node == "f"
    assert restriction.expression == solution.derivation.graph.symbol("z")
    assert (restriction.relation, restriction.affects, restriction.possible) == (
        "zero", "function", True)  # fmt: skip
    assert said(sentences.domain(solution)) == [
        "f is undefined where z = 0 (node f = (x + y) / z), and so is its gradient."]
    [hazard] = solution.analysis.hazards
    assert (hazard.kind, hazard.node, hazard.detail) == ("division", "f", restriction.expression)
    assert hazard.argument is not None and hazard.argument.exact == 1


def test_quotient_answers_the_stability_question(shipped: Workbook) -> None:
    solution = solution_of(shipped, "quotient")
    # every symbol is the exercise's own (no undefined a and b)
    assert answers(solution, "What implications") == [
        "As z -> 0, df/dx, df/dy, df/dz explode, so a step there overshoots without bound.",
        "f itself is undefined where z = 0: a step must not land there.",
        "Guard the denominator of (x + y) / z: its local derivative (-x - y)/z^2 grows like one "
        "over z^2; add a small ε to z or clip the gradient.",
    ]


def test_one_sided_limits() -> None:
    solution = solved("f(x, y, z) = (x + y) / z", "{x: 3, y: 2, z: 1}",
                      "    limits: [z -> 0+, z -> 0-]\n")  # fmt: skip
    right, left = limit_of(solution, "z -> 0+", ""), limit_of(solution, "z -> 0-", "")
    assert right.sides == (("+", sympy.oo),)
    assert left.sides == (("-", -sympy.oo),)
    assert said(sentences.limits(solution))[0] == (
        "As z -> 0+ (x = 3, y = 2 fixed), f = 5/z -> ∞ from the right: grows without bound.")


# --------------------------------------------------------------------------------------
# x e^y + sin z at (1.5, -1, pi/2)
# --------------------------------------------------------------------------------------


def test_exponential_and_sine_ranking_is_y_then_x_then_z(shipped: Workbook) -> None:
    solution = solution_of(shipped, "exponential-and-sine")
    ranking = solution.analysis.ranking
    assert [(r.input, r.rank) for r in ranking] == [("y", 1), ("x", 2), ("z", 3)]
    gradient = {r.input: r.gradient.exact for r in ranking}
    assert gradient["x"] == sympy.exp(-1)
    assert gradient["y"] == sympy.Rational(3, 2) * sympy.exp(-1)
    assert gradient["z"] is sympy.S.Zero  # cos(pi/2) is exactly 0, not 6e-17
    dz = next(g for g in solution.derivation.gradients if g.input == "z")
    assert dz.value.exact == 0
    assert dz.value.approx == 0


def test_exponential_and_sine_answers_which_input_matters_most(shipped: Workbook) -> None:
    solution = solution_of(shipped, "exponential-and-sine")
    assert answers(solution, "Which input has the greatest effect") == [
        "y has the greatest effect on f: |df/dy| = 0.5518, against 0.3679 for the next, x."]
    assert said(sentences.sensitivity(solution))[2] == (
        "A small change in z does not change f to first order: df/dz = 0 here: the sine (node "
        "v3) has local derivative 0 at its input pi/2 ≈ 1.571, a maximum of sin, where its curve "
        "is flat, so no gradient reaches z and gradient descent never moves it.")


def test_exponential_and_sine_exp_overflow_hazard(shipped: Workbook) -> None:
    solution = solution_of(shipped, "exponential-and-sine")
    kinds = [(h.kind, h.node) for h in solution.analysis.hazards]
    assert kinds == [("exp-overflow", "v1"), ("bounded-trig", "v3")]
    exp_hazard = solution.analysis.hazards[0]
    assert exp_hazard.argument is not None and exp_hazard.argument.exact == -1
    assert pytest.approx(math.log(1.7976931348623157e308)) == analysis_module.EXP_OVERFLOW
    stability = answers(solution, "How do exponential and trigonometric")
    assert stability == [
        "As y -> ∞, df/dx, df/dy explode, so a step there overshoots without bound.",
        "As y -> -∞, df/dx, df/dy vanish, so the steps stall there.",
        "The exponential e^y is its own derivative, so the gradient through it grows and shrinks "
        "exponentially with its argument (see the limits above); it is safe here, its argument "
        "-1 being far from float64's limits.",
        "The derivative of sin(z), cos(z), is at most 1 in size, so it never makes the gradient "
        "explode; here it is exactly 0, since z sits at a maximum of sin: no gradient reaches "
        "z, so gradient descent never moves it.",
    ]


def test_exponential_and_sine_limits_in_y(shipped: Workbook) -> None:
    solution = solution_of(shipped, "exponential-and-sine")
    assert limit_of(solution, "y -> oo", "x").sides == (("-", sympy.oo),)
    assert limit_of(solution, "y -> -oo", "x").sides == (("+", 0),)
    assert limit_of(solution, "y -> -oo", "").sides == (("+", 1),)  # sin(pi/2) = 1 remains
    assert limit_of(solution, "y -> -oo", "").behaviour == "bounded"
    assert limit_of(solution, "y -> oo", "z").behaviour == "vanishing"  # cos(pi/2) = 0


def test_exp_overflow_at_a_point_past_the_threshold() -> None:
    solution = solved("f(x) = exp(2*x)", "{x: 400}")
    [hazard] = solution.analysis.hazards
    assert (hazard.kind, hazard.node) == ("exp-overflow", "f")
    assert hazard.argument is not None and hazard.argument.exact == 800
    assert hazard.argument.exact > analysis_module.EXP_OVERFLOW
    assert said(sentences.stability(solution))[0] == (
        "The exponential exp(2*x) (node f) takes 800: it overflows float64 past 709.78; clip "
        "its input or work with logarithms.")


# --------------------------------------------------------------------------------------
# log(x^2 + y^2 + 1)
# --------------------------------------------------------------------------------------


def test_logarithm_gradient_vanishes_as_inputs_grow(shipped: Workbook) -> None:
    solution = solution_of(shipped, "logarithm")
    for text in ("x -> oo", "x -> -oo", "y -> oo"):
        for name in "xy":
            result = limit_of(solution, text, name)
            assert [value for _, value in result.sides] == [0], (text, name)
            assert result.behaviour == "vanishing"
        assert limit_of(solution, text, "").behaviour == "exploding"  # f itself grows like log,
        # which the page says as "grows without bound": exploding is for gradients
    x = solution.derivation.graph.symbol("x")
    assert sympy.simplify(limit_of(solution, "x -> oo", "x").expression - 2 * x / (x**2 + 2)) == 0


def test_logarithm_gradient_vanishes_as_y_goes_to_minus_infinity() -> None:
    solution = solved("f(x, y) = log(x^2 + y^2 + 1)", "{x: 2, y: 1}", "    limits: [y -> -oo]\n")
    assert [limit_of(solution, "y -> -oo", n).sides for n in "xy"] == [(("+", 0),), (("+", 0),)]
    assert said(sentences.limits(solution)) == [
        "As y -> -∞ (x = 2 fixed), f = log(y^2 + 5) -> ∞: grows without bound.",
        "As y -> -∞ (x = 2 fixed), df/dx = 4/(y^2 + 5) -> 0: vanishing.",
        "As y -> -∞ (x = 2 fixed), df/dy = 2*y/(y^2 + 5) -> 0: vanishing.",
    ]


def test_logarithm_origin_is_the_stationary_point(shipped: Workbook) -> None:
    solution = solution_of(shipped, "logarithm")
    stationary = solution.analysis.stationary
    assert stationary is not None
    assert stationary.points == ((("x", 0), ("y", 0)),)
    assert said(sentences.stationary(solution)) == [
        "The whole gradient is zero where x = 0 and y = 0: a stationary point."]
    at_origin = backprop("log(x^2 + y^2 + 1)", at={"x": 0, "y": 0})
    assert at_origin.gradient == {"x": 0, "y": 0}


def test_logarithm_answers_how_gradients_behave(shipped: Workbook) -> None:
    solution = solution_of(shipped, "logarithm")
    text = answers(solution, "How do gradients behave as inputs become very large")
    assert text == [
        "As x -> ∞, x -> -∞ and y -> ∞, df/dx, df/dy are vanishing; f itself grows without "
        "bound.",
        "As x -> 0, df/dx is vanishing; df/dy is bounded; f itself has a finite limit.",
        "As y -> 0, df/dx is bounded; df/dy is vanishing; f itself has a finite limit.",
        "The gradient is zero only at x = 0, y = 0: only there can gradient descent come to rest.",
    ]  # one conclusion for the three limits that do the same, not the analysis's nine bullets
    # the stability answer keeps only the limits at infinity: near 0 descent comes to rest
    assert answers(solution, "Discuss techniques for maintaining numerical stability")[0] == (
        "As x -> ∞, x -> -∞ and y -> ∞, df/dx, df/dy vanish, so the steps stall there.")


def test_logarithm_argument_is_proven_positive(shipped: Workbook) -> None:
    solution = solution_of(shipped, "logarithm")
    [restriction] = solution.analysis.restrictions
    assert (restriction.relation, restriction.possible) == ("nonpositive", False)
    assert said(sentences.domain(solution)) == [
        "The condition x^2 + y^2 + 1 <= 0 never holds for real inputs (node f = "
        "log(x^2 + y^2 + 1)), so this node is always defined.",
        "So f and its gradient are defined for every real input.",
    ]


def test_logarithm_log1p_hazard(shipped: Workbook) -> None:
    solution = solution_of(shipped, "logarithm")
    [hazard] = solution.analysis.hazards
    x, y = (solution.derivation.graph.symbol(n) for n in "xy")
    assert (hazard.kind, hazard.node, hazard.detail) == ("log1p", "f", x**2 + y**2)
    assert answers(solution, "Discuss techniques")[-1] == (
        "Write log(x^2 + y^2 + 1) with log1p(u), u = x^2 + y^2, which stays accurate when u is "
        "tiny.")


def test_log1p_only_for_log_of_one_plus_something() -> None:
    assert [h.kind for h in solved("f(x) = log(x^2 + 2)", "{x: 1}").analysis.hazards] == []
    assert [h.kind for h in solved("f(x) = log(1 + x^2)", "{x: 1}").analysis.hazards] == [
        "log1p"]


# --------------------------------------------------------------------------------------
# Saturation
# --------------------------------------------------------------------------------------


def test_sigmoid_neuron_is_not_saturated_at_1(shipped: Workbook) -> None:
    solution = solution_of(shipped, "sigmoid-neuron")
    [item] = solution.analysis.saturation
    s = 1 / (1 + math.exp(-1))
    assert (item.op, item.node, item.maximum) == ("sigmoid", "f", sympy.Rational(1, 4))
    assert item.argument.exact == 1
    assert item.ratio == pytest.approx(4 * s * (1 - s), abs=1e-15)
    assert item.ratio == pytest.approx(0.7864, abs=5e-5)
    assert not item.saturated
    assert answers(solution, "How much of the gradient") == [
        "Sigmoid node f multiplies the gradient flowing back by sigmoid'(1) = 0.19661193, so 20% "
        "of that gradient goes on: 79% of the most a sigmoid ever passes (1/4), not saturated. "
        "Every gradient that flows back through it, to w0, w1, w2, x0 and x1, carries this "
        "factor."]  # x2 = 1 is given data
    assert item.around == ()  # every path from an input to f runs through f


def test_an_input_with_a_path_around_a_saturated_sigmoid_is_told_apart() -> None:
    """y reaches f through sigmoid(y) and through x*y: only the first path carries the
    saturated sigmoid's factor, so y's gradient (1 + sigma'(-4) = 1.0177) is not small."""
    solution = solved("f(x, y) = sigmoid(y) + x*y", "{x: 1, y: -4}")
    [item] = solution.analysis.saturation
    assert (item.behind, item.around, item.saturated) == (("y",), ("y",), True)
    gradient = {g.input: g.value.approx for g in solution.derivation.gradients}["y"]
    s = 1 / (1 + math.exp(4))
    assert float(gradient) == pytest.approx(1 + s * (1 - s), rel=1e-12)
    [text] = said(saturation_passes(solution))
    assert text == (
        "Sigmoid node v1 multiplies the gradient flowing back by sigmoid'(-4) = 0.01766, so "
        "1.8% of that gradient goes on: 7.1% of the most a sigmoid ever passes (1/4), "
        "saturated. Every gradient that flows back through it, to y, carries this factor; y "
        "also reaches the output by a path around it, and the gradient along that path does "
        "not carry it.")
    both = solved("f(x, y) = sigmoid(x*y) + x*y", "{x: 1, y: -4}").analysis.saturation[0]
    assert (both.behind, both.around) == (("x", "y"), ("x", "y"))


@pytest.mark.parametrize("a", [10, -10, 40])
def test_sigmoid_saturates_at_large_arguments(a: int) -> None:
    solution = solved("f(a) = sigmoid(a)", f"{{a: {a}}}")
    [item] = solution.analysis.saturation
    s = 1 / (1 + math.exp(-a))
    assert item.ratio == pytest.approx(4 * s * (1 - s), rel=1e-9)
    assert item.ratio < analysis_module.SATURATED
    assert item.saturated
    rule, text = said(sentences.saturation(solution))
    assert rule.startswith("Saturated means here: the local derivative is below 10% of the ")
    assert text.startswith(f"Sigmoid node f: sigmoid'({a}) = ")
    assert text.endswith(" of its maximum 1/4: saturated.")


def test_sigmoid_saturation_threshold() -> None:
    # 4 s (1 - s) = 0.1 at a = 2 ln(sqrt(10) + 3) = 3.6369...; 3.6 is inside, 3.7 outside
    assert not solved("f(a) = sigmoid(a)", "{a: 3.6}").analysis.saturation[0].saturated
    assert solved("f(a) = sigmoid(a)", "{a: 3.7}").analysis.saturation[0].saturated


def test_tanh_saturation() -> None:
    solution = solved("f(a) = tanh(a)", "{a: 3}")
    [item] = solution.analysis.saturation
    assert item.maximum == 1
    assert item.ratio == pytest.approx(1 - math.tanh(3) ** 2, rel=1e-12)
    assert item.saturated
    assert said(sentences.saturation(solution))[1:] == [
        "Tanh node f: tanh'(3) = 0.009866, 0.99% of its maximum 1: saturated."]


def test_cs231n_sigmoid_of_minus_4_is_saturated(shipped: Workbook) -> None:
    solution = solution_of(shipped, "cs231n-staged")
    by_node = {s.node: s for s in solution.analysis.saturation}
    assert by_node["sigy"].saturated and not by_node["sigx"].saturated
    assert by_node["sigy"].ratio == pytest.approx(
        4 / (1 + math.exp(4)) * (1 - 1 / (1 + math.exp(4))), rel=1e-12)


def test_relu_active_and_inactive() -> None:
    active = solved("f(x) = relu(x)", "{x: 2}")
    inactive = solved("f(x) = relu(x)", "{x: -2}")
    assert (active.analysis.saturation[0].ratio, active.analysis.saturation[0].saturated) == (
        1.0, False)  # fmt: skip
    assert inactive.analysis.saturation[0].saturated
    assert said(sentences.saturation(active)) == ["ReLU node f: relu'(2) = 1: active (input > 0)."]
    assert said(sentences.saturation(inactive)) == [
        "ReLU node f: relu'(-2) = 0: inactive (input ≤ 0)."]


# --------------------------------------------------------------------------------------
# Kinks and restrictions
# --------------------------------------------------------------------------------------


def test_kink_at_the_point() -> None:
    solution = solved("f(x, y) = relu(x - 1) * y", "{x: 1, y: 2}")
    [kink] = solution.analysis.kinks
    x = solution.derivation.graph.symbol("x")
    assert (kink.op, kink.node, kink.expression, kink.at_point) == ("relu", "v2", x - 1, True)
    assert said(sentences.domain(solution)) == [
        "ReLU has a kink where x - 1 = 0 (node v2): its derivative jumps there, and derive takes "
        "the subgradient 0 at the kink, as PyTorch does. The point lies exactly on the kink."]


def test_kinks_away_from_the_point() -> None:
    solution = solved("f(x) = abs(x) + relu(x)", "{x: 2}")
    assert [(k.op, k.at_point) for k in solution.analysis.kinks] == [
        ("abs", False), ("relu", False)]
    assert said(sentences.domain(solution))[0] == (
        "The absolute value has a kink where x = 0 (node v1): its derivative jumps there, and "
        "derive takes the subgradient 0 at the kink, as PyTorch does.")


def test_smooth_everywhere() -> None:
    solution = solved("f(x, y) = x * exp(y)", "{x: 1, y: 0}")
    assert solution.analysis.restrictions == ()
    assert solution.analysis.kinks == ()
    assert said(sentences.domain(solution)) == [
        "f and its gradient are defined and smooth for every real input."]


def test_square_root_restricts_the_function_and_its_gradient() -> None:
    solution = solved("f(x, y) = sqrt(x) / (x - y)", "{x: 4, y: 1}")
    facts = [(r.node, r.relation, r.affects, r.possible) for r in solution.analysis.restrictions]
    assert facts == [("v1", "negative", "function", True), ("v1", "zero", "gradient", True),
                     ("f", "zero", "function", True)]  # fmt: skip
    assert said(sentences.domain(solution)) == [
        "f is undefined where x < 0 (node v1 = sqrt(x)), and so is its gradient.",
        "The gradient is undefined where x = 0 (node v1 = sqrt(x)): the local derivative there "
        "is infinite.",
        "f is undefined where x - y = 0 (node f = sqrt(x) / (x - y)), and so is its gradient.",
    ]
    assert [h.kind for h in solution.analysis.hazards] == ["sqrt-zero", "division"]


def test_denominator_proven_nonzero(shipped: Workbook) -> None:
    solution = solution_of(shipped, "cs231n-staged")
    [restriction] = solution.analysis.restrictions
    assert (restriction.node, restriction.relation, restriction.possible) == (
        "invden", "zero", False)  # fmt: skip
    assert not any(h.kind == "division" for h in solution.analysis.hazards)


def test_logsumexp_hazard() -> None:
    solution = solved("f(x) = log(exp(x) + exp(2*x))", "{x: 1}")
    assert [h.kind for h in solution.analysis.hazards] == [
        "exp-overflow", "exp-overflow", "logsumexp"]
    assert said(sentences.stability(solution))[-1] == (
        "The logarithm log(exp(x) + exp(2*x)) (node f) takes the log of a sum of exponentials, "
        "which overflows for large arguments; the log-sum-exp trick subtracts the largest "
        "argument first.")


# --------------------------------------------------------------------------------------
# Sensitivity and ranking
# --------------------------------------------------------------------------------------


def test_equal_gradients_share_a_rank(shipped: Workbook) -> None:
    solution = solution_of(shipped, "linear-combination")
    assert [(r.input, r.rank) for r in solution.analysis.ranking] == [
        ("x", 1), ("y", 1), ("z", 2)]
    assert said([sentences.ranking(solution)])[0] == (
        "Ranked by the size of their gradient: x (4) = y (4) > z (3).")
    assert said(sentences.sensitivity(solution)) == [
        "Increasing x by a small amount h decreases f by about 4h.",
        "Increasing y by a small amount h decreases f by about 4h.",
        "Increasing z by a small amount h increases f by about 3h.",
    ]


def test_weight_update_ranks_z_first(shipped: Workbook) -> None:
    solution = solution_of(shipped, "weight-update")
    assert [(r.input, r.gradient.exact, r.rank) for r in solution.analysis.ranking] == [
        ("z", 7, 1), ("x", -4, 2), ("y", -4, 2)]


# --------------------------------------------------------------------------------------
# Limits that cannot be settled: reported, never a hang
# --------------------------------------------------------------------------------------


def test_a_limit_that_runs_out_of_time_is_unsettled(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []

    def slow_limit(*args: object, **kwargs: object) -> sympy.Expr:
        calls.append(args)
        time.sleep(HANG_GUARD_SECONDS * 2)  # far past the budget, and past the hang guard
        return sympy.S.Zero

    monkeypatch.setattr(analysis_module, "LIMIT_SECONDS", 0.05)
    monkeypatch.setattr(analysis_module.sympy, "limit", slow_limit)
    solution = solved("f(x, y, z) = (x + y) / z", "{x: 3, y: 2, z: 1}", "    limits: [z -> 0]\n")
    results = solution.analysis.limits
    assert len(calls) == 8  # f and 3 partials, 2 sides each: every one was tried
    assert [r.of for r in results] == ["", "x", "y", "z"]
    for result in results:
        assert result.sides == (("+", None), ("-", None))
        assert result.behaviour == "unsettled"
    assert said(sentences.limits(solution))[0] == (
        "As z -> 0 (x = 3, y = 2 fixed), f = 5/z: SymPy could not settle this limit within "
        "its time budget.")


def test_the_budget_also_holds_outside_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sphinx may derive in worker threads: there the limit runs in a child process
    def slow_limit(*args: object, **kwargs: object) -> sympy.Expr:
        time.sleep(HANG_GUARD_SECONDS * 2)
        return sympy.S.Zero

    monkeypatch.setattr(analysis_module, "LIMIT_SECONDS", 0.2)
    monkeypatch.setattr(analysis_module.sympy, "limit", slow_limit)
    derivation = backprop("1 / z", at={"z": 1})
    limit = Limit("z", sympy.S.Zero, "+", "z -> 0+")
    results: list[Analysis] = []
    worker = threading.Thread(target=lambda: results.append(analyse(derivation, [limit])))
    worker.start()
    worker.join(HANG_GUARD_SECONDS)
    assert not worker.is_alive(), "the analysis hung in a worker thread"
    [analysis] = results
    assert [r.sides for r in analysis.limits] == [(("+", None),), (("+", None),)]


# After hypothesis's tests its gc callback stays installed; a timer going off inside it is
# dropped by Python (and reported): derive.timebox still counts the budget as spent
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_slow_real_limit_with_a_tiny_budget_is_unsettled(monkeypatch: pytest.MonkeyPatch) -> None:
    # SymPy needs about half a second for this limit; give it a millisecond
    monkeypatch.setattr(analysis_module, "LIMIT_SECONDS", 0.001)
    solution = solved("f(x) = exp(exp(x)) / exp(exp(x - exp(-exp(x))))", "{x: 1}",
                      "    limits: [x -> oo]\n")  # fmt: skip
    assert [r.behaviour for r in solution.analysis.limits] == ["unsettled", "unsettled"]
    assert said(sentences.limits(solution))[0].endswith(
        ": SymPy could not settle this limit within its time budget.")


@pytest.fixture(scope="module")
def unevaluated() -> Solution:
    """A limit SymPy returns as an unevaluated Limit: tanh(e^x sin x) keeps oscillating."""
    return solved("f(x) = x * tanh(exp(x) * sin(x)) / (x^2 + 1)", "{x: 1}",
                  "    limits: [x -> oo]\n")  # fmt: skip


def test_a_limit_sympy_leaves_unevaluated_is_unsettled(unevaluated: Solution) -> None:
    assert [r.behaviour for r in unevaluated.analysis.limits] == ["unsettled", "unsettled"]


def test_a_limit_sympy_leaves_unevaluated_is_phrased_as_unsettled(unevaluated: Solution) -> None:
    text = said(sentences.limits(unevaluated))[0]
    assert "Limit(" not in text, text
    assert "could not settle this limit" in text, text


def test_limits_on_the_shipped_exercises_are_all_settled(shipped: Workbook) -> None:
    behaviours = {(s.exercise.id, r.limit.text, r.of): r.behaviour
                  for s in shipped.solutions for r in s.analysis.limits}  # fmt: skip
    assert behaviours
    assert "unsettled" not in behaviours.values()


def test_the_stability_answer_leaves_out_gradients_that_vanish_at_a_finite_point() -> None:
    """df/dx = 2x/(x^2 + 1) vanishes as x -> 0 (where descent comes to rest: the stationary
    answer) and as x -> oo (where steps stall): only the second is an instability. One
    partial takes a singular verb."""
    solution = solved("f(x) = log(x^2 + 1)", "{x: 2}", "    limits: [x -> 0, x -> oo]\n"
                      "    questions:\n      - ask: Is it numerically stable?\n"
                      "        about: [stability]\n")
    behaviours = {(r.limit.text, r.of): r.behaviour for r in solution.analysis.limits}
    assert behaviours[("x -> 0", "x")] == behaviours[("x -> oo", "x")] == "vanishing"
    assert answers(solution, "Is it numerically stable")[0] == (
        "As x -> ∞, df/dx vanishes, so the steps stall there.")
    assert not any("x -> 0" in line for line in answers(solution, "Is it numerically stable"))


def test_a_sigmoid_far_from_float64_limits_is_placed_between_both_of_them() -> None:
    """-4 is far from both ends of the range where 1/(1 + e^(-a)) computes well: the sentence
    names both, not only the 36.7 of the positive side."""
    [text] = [line for line in said(sentences.stability(solved("f(a) = sigmoid(a)", "{a: -4}")))
              if line.startswith("The sigmoid")]  # fmt: skip
    assert text == ("The sigmoid sigmoid(a) (node f) takes -4, inside the range where float64 "
                    "computes it well: from -709.78, below which e^(-a) overflows, to 36.7, "
                    "past which it rounds to exactly 1 and the derivative sigma (1 - sigma) to "
                    "0. No concern at this point.")
