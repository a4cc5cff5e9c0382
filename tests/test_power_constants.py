"""Issue 9, item 1: a constant exponent is a constant however it is written (a unary minus,
parentheses, a constant sub-expression): the power rule applies, only the base is
differentiated, and a negative base is fine, as it is for 1/x."""

from __future__ import annotations

import pytest
import sympy

from derive import DeriveError, backprop

x, w = sympy.Symbol("x", real=True), sympy.Symbol("w", real=True)
R = sympy.Rational


@pytest.mark.parametrize(
    ("text", "at", "value", "gradient", "closed_form"),
    [
        # x^-1 written five ways, at a negative and a positive base
        ("x^-1", {"x": -2}, R(-1, 2), R(-1, 4), -1 / x**2),
        ("x^-1", {"x": 2}, R(1, 2), R(-1, 4), -1 / x**2),
        ("x^(-1)", {"x": -2}, R(-1, 2), R(-1, 4), -1 / x**2),
        ("x^(0-1)", {"x": -2}, R(-1, 2), R(-1, 4), -1 / x**2),
        ("x^(0-1)", {"x": 4}, R(1, 4), R(-1, 16), -1 / x**2),
        ("x^-(1)", {"x": -3}, R(-1, 3), R(-1, 9), -1 / x**2),
        ("x**-1", {"x": -2}, R(-1, 2), R(-1, 4), -1 / x**2),
        # x^-2 and x^-3
        ("x^(-2)", {"x": -2}, R(1, 4), R(1, 4), -2 / x**3),
        ("x^(-2)", {"x": 2}, R(1, 4), R(-1, 4), -2 / x**3),
        ("x^-(2)", {"x": -1}, 1, 2, -2 / x**3),
        ("x^(1-3)", {"x": -2}, R(1, 4), R(1, 4), -2 / x**3),
        ("x^(-(1+2))", {"x": -2}, R(-1, 8), R(-3, 16), -3 / x**4),
        # a negative base written with a unary minus
        ("(-w)^(-1)", {"w": 2}, R(-1, 2), R(1, 4), 1 / w**2),
        ("(-w)^(-1)", {"w": -2}, R(1, 2), R(1, 4), 1 / w**2),
        ("(-w)^-2", {"w": 3}, R(1, 9), R(-2, 27), -2 / w**3),
        # positive constant exponents written as sub-expressions
        ("x^(1+1)", {"x": -3}, 9, -6, 2 * x),
        ("x^(-(-3))", {"x": -2}, -8, 12, 3 * x**2),
        ("x^(2*3)", {"x": -1}, 1, -6, 6 * x**5),
    ],
)  # fmt: skip
def test_constant_exponent_forms(text: str, at: dict[str, int], value: object,
                                 gradient: object, closed_form: sympy.Expr) -> None:
    d = backprop(text, at=at)
    ((name, exact),) = d.gradient.items()
    assert d.value == value
    assert exact == gradient
    assert sympy.simplify(d.symbolic_gradient[name] - closed_form) == 0
    assert d.check.agree, d.check.to_dict()
    # only the base is differentiated: one chain-rule step into the power, by the power rule
    power = d.graph.node(d.graph.output)
    steps = [s for s in d.backward.steps if s.node == power.id]
    assert [(s.position, s.rule) for s in steps] == [(0, "power rule")]


def test_the_constant_part_of_an_exponent_has_no_gradient() -> None:
    d = backprop("x^(0-1)", at={"x": -2})
    exponent = d.graph.node(d.graph.output).inputs[1]
    assert d.graph.node(exponent).op == "sub" and d.graph.is_constant(exponent)
    assert exponent not in d.backward.gradients
    assert d.forward.values[exponent].exact == -1


def test_a_constant_exponent_inside_a_larger_function() -> None:
    d = backprop("f(x, y) = (x*y)^-1 + y", at={"x": -2, "y": 3})
    assert d.value == R(-1, 6) + 3
    assert d.gradient == {"x": R(-1, 12), "y": R(1, 18) + 1}


def test_a_named_constant_exponent() -> None:
    d = backprop("x^k", at={"x": -2}, names={"k": "0 - 2"})
    assert (d.value, d.gradient) == (R(1, 4), {"x": R(1, 4)})


@pytest.mark.parametrize(
    ("text", "at", "message"),
    [
        # a variable exponent still needs log(base)
        ("x^y", {"x": -2, "y": -1},
         "node f = x^y: the derivative with respect to the exponent needs log(base), and base <= 0"),
        # a constant exponent that is not an integer still has no real power of a negative base
        ("x^(0-1/2)", {"x": -4},
         "node f = x^(0-1/2): a real power of a negative base is not a real number"),
        ("x^-1", {"x": 0}, "node f = x^-1: zero raised to a negative power (division by zero)"),
    ],
)  # fmt: skip
def test_what_stays_undefined(text: str, at: dict[str, int], message: str) -> None:
    with pytest.raises(DeriveError) as caught:
        backprop(text, at=at)
    assert str(caught.value) == message
