"""The derivation engine: the seed notebook's numbers exactly, the graph's structure, exact
values, closed forms, the three-way check and the kink convention."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import mpmath
import pytest
import sympy
from sympy import Rational

from derive import DeriveError, backprop
from derive.symbolic import sigmoid


def sym(name: str) -> sympy.Symbol:
    """The symbol derive uses for an input (inputs are real)."""
    return sympy.Symbol(name, real=True)


def ops(d) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(n.id, n.op, n.inputs) for n in d.graph.nodes]


# --------------------------------------------------------------------------------------
# Example 1 of the notebook: f(x, y, z) = (x + y) * z at (-2, 5, -4)
# --------------------------------------------------------------------------------------

SEED_POINT = {"x": -2, "y": 5, "z": -4}


@pytest.fixture(scope="module")
def linear() -> object:
    return backprop("(x + y) * z", at=SEED_POINT, names={"q": "x + y"})


def test_linear_combination_forward_values(linear) -> None:
    values = linear.forward.values
    assert values["q"].exact == 3
    assert values["f"].exact == -12
    assert linear.value == -12
    assert isinstance(linear.value, sympy.Integer)
    assert float(values["q"].approx) == 3.0
    assert float(values["f"].approx) == -12.0


def test_linear_combination_gradients_are_exact_integers(linear) -> None:
    assert linear.gradient == {"x": -4, "y": -4, "z": 3}
    assert list(linear.gradient) == ["x", "y", "z"]
    for value in linear.gradient.values():
        assert isinstance(value, sympy.Integer)
    assert [float(v) for v in linear.gradient.values()] == [-4.0, -4.0, 3.0]


def test_linear_combination_graph_names_q(linear) -> None:
    assert ops(linear) == [
        ("x", "input", ()),
        ("y", "input", ()),
        ("z", "input", ()),
        ("q", "add", ("x", "y")),
        ("f", "mul", ("q", "z")),
    ]
    assert linear.graph.output == "f"
    assert linear.graph.inputs == ("x", "y", "z")
    assert linear.graph.node("q").named is True


def test_linear_combination_backward_steps(linear) -> None:
    steps = [
        (s.node, s.input, s.rule, s.local_value.exact, s.upstream.exact, s.downstream.exact)
        for s in linear.backward.steps
    ]
    assert steps == [
        ("f", "q", "product rule", -4, 1, -4),
        ("f", "z", "product rule", 3, 1, 3),
        ("q", "x", "sum rule", 1, -4, -4),
        ("q", "y", "sum rule", 1, -4, -4),
    ]
    assert linear.backward.steps[0].local == sym("z")  # df/dq = z
    assert linear.backward.steps[1].local == sym("q")  # df/dz = q
    assert linear.backward.gathers == ()
    grads = {k: v.exact for k, v in linear.backward.gradients.items()}
    assert grads == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}


def test_q_as_let_binding_gives_the_same_numbers_and_graph(linear) -> None:
    d = backprop("q * z", at=SEED_POINT, names={"q": "x + y"})
    assert d.forward.values["q"].exact == 3
    assert d.value == -12
    assert d.gradient == {"x": -4, "y": -4, "z": 3}
    assert [(i, op, args) for i, op, args in ops(d)] == ops(linear)


def test_linear_combination_symbolic_gradient(linear) -> None:
    x, y, z = sym("x"), sym("y"), sym("z")
    assert linear.symbolic_gradient == {"x": z, "y": z, "z": x + y}


def test_linear_combination_check_agrees(linear) -> None:
    check = linear.check
    assert check.agree is True
    assert check.verdict == "agree"
    assert check.method == "per input"
    assert check.largest_error < 1e-30
    assert [row.label for row in check.rows] == ["x", "y", "z"]
    for row, expected in zip(check.rows, (-4, -4, 3), strict=True):
        assert float(row.backward) == expected
        assert float(row.symbolic) == expected
        assert float(row.finite_difference) == pytest.approx(expected, rel=1e-20)


# --------------------------------------------------------------------------------------
# Example 2 of the notebook: the sigmoid neuron
# --------------------------------------------------------------------------------------

W, X = [2, -3, -3], [-1, -2, 1]


@pytest.fixture(scope="module")
def neuron() -> object:
    return backprop("f(w, x) = sigmoid(dot(w, x))", at={"w": W, "x": X})


def test_sigmoid_neuron_value_matches_the_notebook_exactly(neuron) -> None:
    assert float(neuron.value) == 0.7310585786300049
    # dot(w, x) = 1 exactly, and the value stays exact: sigmoid(1)
    assert neuron.forward.values["v1"].exact == 1
    assert neuron.value == sigmoid(1)
    assert abs(sympy.N(neuron.value - 1 / (1 + sympy.exp(-1)), 60)) < 1e-55


def test_sigmoid_neuron_dw_matches_the_notebook(neuron) -> None:
    dw = [float(neuron.gradient[f"w{i}"]) for i in range(3)]
    assert [round(v, 8) for v in dw] == [-0.19661193, -0.39322387, 0.19661193]


def test_sigmoid_neuron_dx(neuron) -> None:
    s = 1 / (1 + math.exp(-1.0))
    expected = [s * (1 - s) * w for w in W]  # df/dx_i = f (1 - f) w_i
    dx = [float(neuron.gradient[f"x{i}"]) for i in range(3)]
    assert dx == pytest.approx(expected, rel=1e-15)
    assert [round(v, 8) for v in dx] == [0.39322387, -0.5898358, -0.5898358]


def test_sigmoid_neuron_components_are_named_like_the_seed(neuron) -> None:
    assert list(neuron.gradient) == ["w0", "w1", "w2", "x0", "x1", "x2"]
    assert neuron.graph.inputs == ("w0", "w1", "w2", "x0", "x1", "x2")
    assert neuron.graph.vectors == (("w", ("w0", "w1", "w2")), ("x", ("x0", "x1", "x2")))
    assert ops(neuron)[6:] == [
        ("v1", "dot", ("w0", "w1", "w2", "x0", "x1", "x2")),
        ("f", "sigmoid", ("v1",)),
    ]
    assert neuron.point == {"w0": 2, "w1": -3, "w2": -3, "x0": -1, "x1": -2, "x2": 1}


def test_sigmoid_neuron_gradient_is_exact(neuron) -> None:
    s = sigmoid(1)
    for i in range(3):
        assert sympy.simplify(neuron.gradient[f"w{i}"] - X[i] * s * (1 - s)) == 0
        assert sympy.simplify(neuron.gradient[f"x{i}"] - W[i] * s * (1 - s)) == 0


def test_sigmoid_derivative_stays_in_sigmoid_form(neuron) -> None:
    a = sum(sym(f"w{i}") * sym(f"x{i}") for i in range(3))
    for i in range(3):
        form = neuron.symbolic_gradient[f"w{i}"]
        assert not form.has(sympy.cosh)
        assert not form.has(sympy.exp)
        assert form.has(sigmoid)
        assert form == sym(f"x{i}") * sigmoid(a) * (1 - sigmoid(a))
    local = neuron.backward.steps[0]
    assert (local.node, local.input, local.rule) == ("f", "v1", "sigmoid rule")
    assert local.local == sigmoid(sym("v1")) * (1 - sigmoid(sym("v1")))


def test_sigmoid_neuron_backward_steps(neuron) -> None:
    rules = [(s.node, s.input, s.rule) for s in neuron.backward.steps]
    assert rules == [("f", "v1", "sigmoid rule")] + [
        ("v1", c, "dot product") for c in ("w0", "w1", "w2", "x0", "x1", "x2")
    ]
    upstream = neuron.backward.steps[0].downstream
    assert float(upstream.approx) == pytest.approx(0.19661193324148185, rel=1e-15)
    for step in neuron.backward.steps[1:]:
        assert step.upstream == upstream
        assert step.downstream.exact == step.local_value.exact * upstream.exact


def test_sigmoid_neuron_check_agrees(neuron) -> None:
    assert neuron.check.agree is True
    assert neuron.check.largest_error < 1e-30


# --------------------------------------------------------------------------------------
# The notebook's proposed exercises
# --------------------------------------------------------------------------------------


def test_quotient_at_3_2_1() -> None:
    d = backprop("(x + y) / z", at={"x": 3, "y": 2, "z": 1})
    assert d.value == 5
    assert d.gradient == {"x": 1, "y": 1, "z": -5}
    assert sympy.simplify(d.symbolic_gradient["z"] + (sym("x") + sym("y")) / sym("z") ** 2) == 0
    assert d.check.agree is True


@pytest.fixture(scope="module")
def exp_sin() -> object:
    return backprop("x*e^y + sin(z)", at={"x": 1.5, "y": -1, "z": "pi/2"})


def test_exp_sin_value_and_gradient_are_exact(exp_sin) -> None:
    e1 = sympy.exp(-1)
    assert exp_sin.value == Rational(3, 2) * e1 + 1
    assert exp_sin.gradient["x"] == e1
    assert exp_sin.gradient["y"] == Rational(3, 2) * e1
    assert float(exp_sin.value) == pytest.approx(1.5 * math.exp(-1) + 1, rel=1e-15)


def test_exp_sin_dz_is_exactly_zero(exp_sin) -> None:
    dz = exp_sin.gradient["z"]
    assert dz == 0
    assert dz.is_zero is True
    assert dz is sympy.S.Zero
    assert float(dz) == 0.0
    assert exp_sin.backward.gradients["z"].approx == 0  # not 6.1e-17
    assert exp_sin.symbolic_gradient["z"] == sympy.cos(sym("z"))


def test_exp_sin_keeps_pi_over_2_symbolic(exp_sin) -> None:
    assert exp_sin.point["z"] == sympy.pi / 2
    assert exp_sin.forward.values["z"].exact == sympy.pi / 2
    assert exp_sin.forward.values["v3"].exact == 1  # sin(pi/2)
    assert exp_sin.point["x"] == Rational(3, 2)


def test_e_to_the_y_is_an_exp_node(exp_sin) -> None:
    assert ops(exp_sin) == [
        ("x", "input", ()),
        ("y", "input", ()),
        ("z", "input", ()),
        ("v1", "exp", ("y",)),
        ("v2", "mul", ("x", "v1")),
        ("v3", "sin", ("z",)),
        ("f", "add", ("v2", "v3")),
    ]


def test_log_of_sum_of_squares_gives_exact_thirds() -> None:
    d = backprop("log(x^2 + y^2 + 1)", at={"x": 2, "y": 1})
    assert d.value == sympy.log(6)
    assert d.gradient["x"] == Rational(2, 3)
    assert d.gradient["y"] == Rational(1, 3)
    assert isinstance(d.gradient["x"], sympy.Rational)
    assert isinstance(d.gradient["y"], sympy.Rational)
    assert d.check.agree is True
    assert d.check.largest_error < 1e-30


# --------------------------------------------------------------------------------------
# Graph structure
# --------------------------------------------------------------------------------------


def test_division_is_a_div_node_not_a_power() -> None:
    d = backprop("(x + y) / z", at={"x": 3, "y": 2, "z": 1})
    assert ops(d)[3:] == [("v1", "add", ("x", "y")), ("f", "div", ("v1", "z"))]
    assert {n.op for n in d.graph.nodes} == {"input", "add", "div"}


def test_subtraction_is_a_sub_node() -> None:
    d = backprop("x - y", at={"x": 3, "y": 1})
    assert ops(d)[2:] == [("f", "sub", ("x", "y"))]
    assert [(s.rule, s.local_value.exact) for s in d.backward.steps] == [
        ("difference rule", 1),
        ("difference rule", -1),
    ]
    assert d.gradient == {"x": 1, "y": -1}


def test_unary_minus_is_a_neg_node() -> None:
    d = backprop("-x", at={"x": 3})
    assert ops(d) == [("x", "input", ()), ("f", "neg", ("x",))]
    assert d.value == -3
    assert d.gradient == {"x": -1}
    assert d.backward.steps[0].rule == "negation"


def test_unary_plus_adds_no_node() -> None:
    d = backprop("+x * 2", at={"x": 3})
    assert [n.op for n in d.graph.nodes] == ["input", "const", "mul"]


def test_numbers_and_constants_are_const_nodes_not_inputs() -> None:
    d = backprop("2*x + 3 + pi", at={"x": 1})
    assert d.graph.inputs == ("x",)
    consts = {n.id: n.expr for n in d.graph.nodes if n.op == "const"}
    assert consts == {"2": 2, "3": 3, "pi": sympy.pi}
    assert list(d.gradient) == ["x"]
    assert d.gradient["x"] == 2
    assert d.value == 5 + sympy.pi
    assert all(s.input != "2" and s.input != "3" for s in d.backward.steps)
    assert "2" not in d.backward.gradients  # constants get no gradient


def test_named_intermediate_used_twice_is_one_node_with_fan_out() -> None:
    d = backprop("q*q + q", at={"x": 2, "y": 3}, names={"q": "x * y"})
    q_nodes = [n for n in d.graph.nodes if n.op == "mul" and n.inputs == ("x", "y")]
    assert [n.id for n in q_nodes] == ["q"]
    assert ops(d) == [
        ("x", "input", ()),
        ("y", "input", ()),
        ("q", "mul", ("x", "y")),
        ("v1", "mul", ("q", "q")),
        ("f", "add", ("v1", "q")),
    ]
    assert d.graph.consumers("q") == ("v1", "f")
    # q = 6, f = q^2 + q: df/dq = 2q + 1 = 13 gathered from three contributions
    (gather,) = d.backward.gathers
    assert gather.node == "q"
    parts = [d.backward.steps[i] for i in gather.steps]
    assert [(s.node, s.input, s.position) for s in parts] == [
        ("f", "q", 1),
        ("v1", "q", 0),
        ("v1", "q", 1),
    ]
    assert [s.downstream.exact for s in parts] == [1, 6, 6]
    assert gather.total.exact == 13 == sum(s.downstream.exact for s in parts)
    assert d.backward.gradients["q"].exact == 13
    assert d.gradient == {"x": 39, "y": 26}


def test_identical_written_subexpressions_share_a_node() -> None:
    d = backprop("sin(x) + sin(x)", at={"x": 0})
    assert [n.op for n in d.graph.nodes].count("sin") == 1
    assert ops(d)[-1] == ("f", "add", ("v1", "v1"))
    assert d.gradient == {"x": 2}
    assert [g.node for g in d.backward.gathers] == ["v1"]


def test_a_variable_used_twice_gathers_its_gradient() -> None:
    d = backprop("x * x", at={"x": 3})
    assert ops(d) == [("x", "input", ()), ("f", "mul", ("x", "x"))]
    (gather,) = d.backward.gathers
    assert gather.node == "x"
    assert gather.total.exact == 6
    assert d.gradient == {"x": 6}


def test_generated_names_follow_evaluation_order() -> None:
    d = backprop("(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)", at={"x": 3, "y": -4})
    assert [n.id for n in d.graph.nodes] == [
        "x", "y", "v1", "v2", "v3", "v4", "2", "v5", "v6", "f"
    ]  # fmt: skip


_IDS_SCRIPT = (
    "from derive import backprop;"
    "d = backprop('x*e^y + sin(z) + (x - y)/(z + 1)', at={'x': 1, 'y': 2, 'z': 3});"
    "print(' '.join(n.id for n in d.graph.nodes))"
)


def test_generated_names_are_stable_across_runs() -> None:
    d = backprop("x*e^y + sin(z) + (x - y)/(z + 1)", at={"x": 1, "y": 2, "z": 3})
    here = " ".join(n.id for n in d.graph.nodes)
    assert here == "x y z v1 v2 v3 v4 v5 1 v6 v7 f"
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", _IDS_SCRIPT], capture_output=True,
                             text=True, env=env, check=True, timeout=120)  # fmt: skip
        assert out.stdout.strip() == here


def test_signature_fixes_input_order_and_output_name() -> None:
    d = backprop("g(z, y, x) = x*y*z", at={"x": 1, "y": 2, "z": 3})
    assert d.graph.inputs == ("z", "y", "x")
    assert list(d.gradient) == ["z", "y", "x"]
    assert d.gradient == {"z": 2, "y": 3, "x": 6}
    assert d.graph.output == "g"


def test_inputs_without_signature_are_in_order_of_appearance() -> None:
    d = backprop("z * y + x", at={"x": 1, "y": 2, "z": 3})
    assert d.graph.inputs == ("z", "y", "x")


def test_identifiers_sympy_would_misread_are_plain_variables() -> None:
    at = {"I": 1, "N": 2, "S": 3, "E1": 4, "gamma": 5, "beta": 6}
    d = backprop("I*N + S*E1 + gamma*beta", at=at)
    assert d.value == 1 * 2 + 3 * 4 + 5 * 6
    assert d.gradient == {"I": 2, "N": 1, "S": 4, "E1": 3, "gamma": 6, "beta": 5}
    assert d.graph.inputs == ("I", "N", "S", "E1", "gamma", "beta")
    d = backprop("E * I + Q + O", at={"E": 2, "I": 3, "Q": 4, "O": 5})
    assert d.value == 15  # E is not Euler's number, I is not the imaginary unit
    assert d.gradient == {"E": 3, "I": 2, "Q": 1, "O": 1}


def test_dot_with_a_written_list() -> None:
    d = backprop("dot(w, [x, y, 1])", at={"w": [1, 2, 3], "x": 4, "y": 5})
    assert d.value == 17
    assert d.gradient == {"w0": 4, "w1": 5, "w2": 1, "x": 1, "y": 2}


# --------------------------------------------------------------------------------------
# Exact values and the values a caller may give
# --------------------------------------------------------------------------------------


def test_cos_of_pi_over_2_is_exactly_zero() -> None:
    d = backprop("cos(z)", at={"z": "pi/2"})
    assert d.value == 0
    assert d.value.is_zero is True
    assert d.forward.values["f"].approx == 0
    assert d.gradient == {"z": -1}


@pytest.mark.parametrize(
    ("given", "exact"),
    [
        (3, sympy.Integer(3)),
        (-2, sympy.Integer(-2)),
        (0.1, Rational(1, 10)),
        (1.5, Rational(3, 2)),
        (1e-3, Rational(1, 1000)),
        ("1/3", Rational(1, 3)),
        ("-1/3", Rational(-1, 3)),
        ("pi/2", sympy.pi / 2),
        ("2*pi", 2 * sympy.pi),
        ("e", sympy.E),
        ("sqrt(2)", sympy.sqrt(2)),
        (" 3 ", sympy.Integer(3)),
        (Fraction(2, 7), Rational(2, 7)),
        (Decimal("0.25"), Rational(1, 4)),
        (sympy.Rational(5, 3), Rational(5, 3)),
    ],
)
def test_values_are_read_exactly(given, exact) -> None:
    d = backprop("x", at={"x": given})
    assert d.point["x"] == exact
    assert d.value == exact


def test_float_inputs_are_the_decimals_they_print_as() -> None:
    d = backprop("x * y", at={"x": 0.1, "y": 0.2})
    assert d.value == Rational(1, 50)  # not 0.020000000000000004
    assert d.gradient == {"x": Rational(1, 5), "y": Rational(1, 10)}


def test_vectors_as_lists_or_tuples() -> None:
    a = backprop("dot(w, x)", at={"w": [1, 2], "x": [3, 4]})
    b = backprop("dot(w, x)", at={"w": (1, 2), "x": ("3", "4")})
    assert a.value == b.value == 11
    assert a.gradient == b.gradient == {"w0": 3, "w1": 4, "x0": 1, "x1": 2}


def test_one_third_stays_rational_through_the_passes() -> None:
    d = backprop("x^2 / (1 + x)", at={"x": "1/3"})
    assert d.value == Rational(1, 12)
    # d/dx x^2/(1+x) = (x^2 + 2x)/(1+x)^2 = (1/9 + 2/3)/(16/9) = 7/16
    assert d.gradient == {"x": Rational(7, 16)}


# --------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("(x + y) * z", SEED_POINT),
        ("(x + y) / z", {"x": 3, "y": 2, "z": 1}),
        ("x*e^y + sin(z)", {"x": 1.5, "y": -1, "z": "pi/2"}),
        ("log(x^2 + y^2 + 1)", {"x": 2, "y": 1}),
        ("tanh(x*y) - sqrt(1 + x^2) + tan(y)", {"x": "1/2", "y": "1/3"}),
    ],
)
def test_closed_forms_match_sympy_diff_and_the_exact_values(text, at) -> None:
    d = backprop(text, at=at)
    f = d.graph.node(d.graph.output).expr
    point = {sym(k): v for k, v in d.point.items()}
    for name, form in d.symbolic_gradient.items():
        assert sympy.simplify(form - sympy.diff(f, sym(name))) == 0
        assert abs(sympy.N(form.xreplace(point) - d.gradient[name], 50)) < 1e-45


def test_closed_form_of_log_of_sum_of_squares() -> None:
    d = backprop("log(x^2 + y^2 + 1)", at={"x": 2, "y": 1})
    x, y = sym("x"), sym("y")
    assert sympy.simplify(d.symbolic_gradient["x"] - 2 * x / (x**2 + y**2 + 1)) == 0
    assert sympy.simplify(d.symbolic_gradient["y"] - 2 * y / (x**2 + y**2 + 1)) == 0


# --------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("(x + y) * z", SEED_POINT),
        ("f(w, x) = sigmoid(dot(w, x))", {"w": W, "x": X}),
        ("(x + y) / z", {"x": 3, "y": 2, "z": 1}),
        ("x*e^y + sin(z)", {"x": 1.5, "y": -1, "z": "pi/2"}),
        ("log(x^2 + y^2 + 1)", {"x": 2, "y": 1}),
        ("cos(x) * tanh(y) / (1 + exp(-x*y))", {"x": "0.7", "y": "-1.3"}),
    ],
)
def test_three_routes_agree(text, at) -> None:
    d = backprop(text, at=at)
    check = d.check
    assert check.agree is True
    assert check.verdict == "agree"
    assert check.largest_error < 1e-30
    assert check.notes == ()
    assert [row.label for row in check.rows] == list(d.gradient)
    for row in check.rows:
        assert row.symbolic is not None
        assert row.finite_difference is not None
        assert float(row.backward) == pytest.approx(float(d.gradient[row.label]), rel=1e-15)


def test_many_inputs_are_checked_along_a_random_direction() -> None:
    w, x = list(range(1, 11)), [(-1) ** i for i in range(10)]
    d = backprop("sigmoid(dot(w, x))", at={"w": w, "x": x})
    assert d.check.method == "random direction"
    (row,) = d.check.rows
    assert row.label == "v . grad"
    v = d.check.direction
    assert len(v) == 20
    expected = sum(
        float(vi) * float(d.gradient[i]) for vi, i in zip(v, d.graph.inputs, strict=True)
    )
    assert float(row.backward) == pytest.approx(expected, rel=1e-12)
    assert d.check.agree is True
    assert d.check.largest_error < 1e-30


def test_check_agrees_when_the_gradient_exceeds_float_range() -> None:
    d = backprop("exp(exp(x))", at={"x": 8})  # gradient ~ 1.2e1298, exact and correct
    assert d.check.largest_error < 1e-15
    assert d.check.agree is True


def test_forward_mode_gives_an_exact_zero_not_its_rounding_error() -> None:
    """cos(pi/2) is 0; at 60 digits it evaluates to about 4.6e-67, which the check table
    would print. The forward-mode route reports the 0, as the backward pass does."""
    d = backprop("x*e^y + sin(z)", at={"x": 1, "y": 0, "z": "pi/2"})
    row = d.check.rows[2]
    assert (row.label, row.backward, row.symbolic, row.finite_difference) == ("z", 0, 0, 0)
    assert d.check.largest_error == 0


def test_forward_mode_keeps_a_tiny_true_derivative() -> None:
    """sigmoid'(-200) = e^-200 / (1 + e^-200)^2 is about 1.38e-87: tiny, and a value."""
    d = backprop("cos(x) * sigmoid(y)", at={"x": "pi/2", "y": -200})
    dx, dy = d.check.rows
    assert mpmath.nstr(dx.symbolic, 12) == "-1.38389652674e-87"
    assert dx.symbolic == dx.backward
    assert dy.symbolic == 0  # cos(pi/2) * sigmoid'(-200): a zero, below any rounding error
    assert dy.finite_difference == 0  # was 8.7e-174: cos of pi/2 rounded, at 80 digits
    assert dx.finite_difference == dx.backward
    assert d.check.agree is True


def test_check_agrees_at_large_inputs() -> None:
    d = backprop("x", at={"x": 10**40})
    assert d.gradient == {"x": 1}
    assert d.check.agree is True


# --------------------------------------------------------------------------------------
# Kinks: relu and abs at 0 take the subgradient 0, and say so
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["relu", "abs"])
def test_kink_gives_subgradient_zero_with_a_note(fn) -> None:
    d = backprop(f"{fn}(x)", at={"x": 0})
    assert d.value == 0
    assert d.gradient == {"x": 0}
    assert d.gradient["x"].is_zero is True
    assert d.forward.kinks == ("f",)
    assert d.check.agree is True
    assert len(d.check.notes) == 1
    note = d.check.notes[0]
    assert "kink" in note
    assert "subgradient 0" in note
    assert f"{fn}(x)" in note
    assert d.check.rows[0].finite_difference is None


def test_kink_of_an_inner_node_is_named() -> None:
    d = backprop("relu(x - y) + abs(y)", at={"x": 2, "y": 2})
    assert d.gradient == {"x": 0, "y": 1}
    assert d.forward.kinks == ("v2",)
    assert "relu(x - y) = 0" in d.check.notes[0]


@pytest.mark.parametrize(
    ("text", "x", "value", "grad"),
    [
        ("relu(x)", -2, 0, 0),
        ("relu(x)", 3, 3, 1),
        ("abs(x)", -2, 2, -1),
        ("abs(x)", "1/2", Rational(1, 2), 1),
    ],
)
def test_relu_and_abs_away_from_the_kink(text, x, value, grad) -> None:
    d = backprop(text, at={"x": x})
    assert d.value == value
    assert d.gradient == {"x": grad}
    assert d.forward.kinks == ()
    assert d.check.notes == ()
    assert d.check.agree is True


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


def test_to_dict_is_json_with_floats_and_exact_strings(linear) -> None:
    data = json.loads(json.dumps(linear.to_dict()))
    assert data["value"] == -12.0
    assert data["gradient"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert data["exact"] == {"value": "-12", "gradient": {"x": "-4", "y": "-4", "z": "3"}}
    assert data["point"] == {"x": "-2", "y": "5", "z": "-4"}
    assert data["check"]["verdict"] == "agree"
    assert [n["id"] for n in data["graph"]["nodes"]] == ["x", "y", "z", "q", "f"]
    assert len(data["backward"]["steps"]) == 4


def test_to_dict_keeps_exact_forms(exp_sin) -> None:
    data = exp_sin.to_dict()
    assert data["point"]["z"] == "pi/2"
    assert data["exact"]["gradient"]["z"] == "0"
    assert data["gradient"]["z"] == 0.0


def test_records_are_immutable(linear) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        linear.check.agree = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        linear.backward.steps[0].rule = "made up"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        linear.graph.nodes[0].op = "mul"  # type: ignore[misc]


def test_derive_error_is_a_value_error() -> None:
    assert issubclass(DeriveError, ValueError)
    with pytest.raises(ValueError, match="log"):
        backprop("log(x)", at={"x": 0})


# sigmoid's sign facts: true, and answered without evaluating the number


@pytest.mark.parametrize(("argument", "known"), [
    (sympy.Symbol("a", real=True), True),
    (Rational(151, 400), True),
    (sigmoid(Rational(1, 3)) / 2 - Rational(3, 5), True),
    (sympy.Symbol("a"), None),  # may be complex
    (sympy.Symbol("a", extended_real=True), False),  # may be -oo, where sigmoid is 0
])  # fmt: skip
def test_sigmoid_is_positive_and_finite_for_a_real_argument(argument: sympy.Expr,
                                                             known: bool | None) -> None:  # fmt: skip
    value = sigmoid(argument)
    facts = (value.is_positive, value.is_extended_positive, value.is_finite, value.is_zero,
             value.is_extended_negative)  # fmt: skip
    expected = {True: (True, True, True, False, False), None: (None,) * 5,
                False: (None, None, True, None, None)}  # in [0, 1] on the extended reals
    assert facts == expected[known]


def test_sigmoid_sign_questions_never_evaluate_the_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """SymPy's fallback for a fact it is not told is to evaluate the number: on a network's
    nested exact values that was half of the Mazur exercise's time. Building a squared error
    at a sigmoid's output asks whether each term is zero or infinite."""
    def refuse(self: sigmoid, prec: int) -> None:
        raise AssertionError("a sigmoid was evaluated")

    monkeypatch.setattr(sigmoid, "_eval_evalf", refuse)
    sympy.core.cache.clear_cache()
    inner = sigmoid(Rational(151, 400)) * Rational(2, 5) + sigmoid(Rational(157, 400)) / 3
    term = -2 * sigmoid(inner + Rational(3, 5))
    assert (term.is_zero, term.is_infinite, term.is_negative) == (False, False, True)
    assert (Rational(1, 100) + term).is_finite
