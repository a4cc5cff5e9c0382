"""Independent references: micrograd's two engine tests (figures from karpathy/micrograd,
test/test_engine.py, checked there against PyTorch) and the staged backprop example of the
CS231n notes ("Backprop in practice: staged computation"), recomputed here in floats."""

from __future__ import annotations

import math

import pytest
import sympy

from derive import backprop


def close(actual: object, expected: float, rel: float = 1e-12) -> bool:
    return float(actual) == pytest.approx(expected, rel=rel)  # type: ignore[arg-type]


def test_micrograd_sanity_check() -> None:
    # x = Value(-4.0); z = 2 * x + 2 + x; q = z.relu() + z * x
    # h = (z * z).relu(); y = h + q + q * x; y.backward()
    d = backprop(
        "y(x) = h + q + q * x",
        at={"x": -4},
        names={"z": "2 * x + 2 + x", "q": "relu(z) + z * x", "h": "relu(z * z)"},
    )
    assert d.value == -20
    assert d.gradient == {"x": 46}
    assert d.forward.values["z"].exact == -10
    assert d.forward.values["q"].exact == 40
    assert d.forward.values["h"].exact == 100
    assert d.graph.output == "y"
    assert d.check.agree is True


MICROGRAD_MORE_OPS = {
    "c1": "a + b",                  # c = a + b
    "d1": "a * b + b**3",           # d = a * b + b**3
    "c2": "c1 + c1 + 1",            # c += c + 1
    "c3": "c2 + 1 + c2 + (-a)",     # c += 1 + c + (-a)
    "d2": "d1 + d1 * 2 + relu(b + a)",  # d += d * 2 + (b + a).relu()
    "d3": "d2 + 3 * d2 + relu(b - a)",  # d += 3 * d + (b - a).relu()
    "e1": "c3 - d3",                # e = c - d   (e is Euler's number in the language)
    "f1": "e1**2",                  # f = e**2    (f is the function's own name)
    "g1": "f1 / 2.0",               # g = f / 2.0
}  # fmt: skip


def test_micrograd_more_ops() -> None:
    d = backprop("g1 + 10.0 / f1", at={"a": -4, "b": 2}, names=MICROGRAD_MORE_OPS)
    assert close(d.value, 24.70408163265306)
    assert close(d.gradient["a"], 138.83381924198252)
    assert close(d.gradient["b"], 645.5772594752186)
    assert list(d.gradient) == ["a", "b"]
    assert d.check.agree is True


def test_micrograd_more_ops_is_exact() -> None:
    d = backprop("g1 + 10.0 / f1", at={"a": -4, "b": 2}, names=MICROGRAD_MORE_OPS)
    # worked by hand from micrograd's lines at a = -4, b = 2:
    values = {k: d.forward.values[k].exact for k in ("c1", "d1", "c2", "c3", "d2", "d3", "e1")}
    assert values == {"c1": -2, "d1": 0, "c2": -3, "c3": -1, "d2": 0, "d3": 6, "e1": -7}
    assert d.forward.values["f1"].exact == 49
    assert d.value == sympy.Rational(49, 2) + sympy.Rational(10, 49)  # 2421/98 exactly


def _cs231n_staged(x: float, y: float) -> tuple[float, float, float]:
    """The CS231n notes' staged forward and backward pass, line for line."""
    sigy = 1.0 / (1 + math.exp(-y))  # sigmoid in numerator   #(1)
    num = x + sigy  # numerator                               #(2)
    sigx = 1.0 / (1 + math.exp(-x))  # sigmoid in denominator #(3)
    xpy = x + y  #                                            #(4)
    xpysqr = xpy**2  #                                        #(5)
    den = sigx + xpysqr  # denominator                        #(6)
    invden = 1.0 / den  #                                     #(7)
    f = num * invden  # done!                                 #(8)
    # backprop f = num * invden
    dnum = invden  # gradient on numerator                             #(8)
    dinvden = num  #                                                   #(8)
    # backprop invden = 1.0 / den
    dden = (-1.0 / (den**2)) * dinvden  #                              #(7)
    # backprop den = sigx + xpysqr
    dsigx = (1) * dden  #                                              #(6)
    dxpysqr = (1) * dden  #                                            #(6)
    # backprop xpysqr = xpy**2
    dxpy = (2 * xpy) * dxpysqr  #                                      #(5)
    # backprop xpy = x + y
    dx = (1) * dxpy  #                                                 #(4)
    dy = (1) * dxpy  #                                                 #(4)
    # backprop sigx = 1.0 / (1 + math.exp(-x))
    dx += ((1 - sigx) * sigx) * dsigx  # Notice += !! See notes below  #(3)
    # backprop num = x + sigy
    dx += (1) * dnum  #                                                #(2)
    dsigy = (1) * dnum  #                                              #(2)
    # backprop sigy = 1.0 / (1 + math.exp(-y))
    dy += ((1 - sigy) * sigy) * dsigy  #                               #(1)
    return f, dx, dy


def test_cs231n_staged_example() -> None:
    f, dx, dy = _cs231n_staged(3.0, -4.0)
    d = backprop("(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)", at={"x": 3, "y": -4})
    assert close(d.value, f)
    assert close(d.gradient["x"], dx)
    assert close(d.gradient["y"], dy)
    assert d.check.agree is True


def test_cs231n_staged_example_node_by_node() -> None:
    """The graph's nodes are the notes' stages: sigy, num, sigx, xpy, xpysqr, den, f."""
    names = {"sigy": "sigmoid(y)", "num": "x + sigy", "sigx": "sigmoid(x)", "xpy": "x + y",
             "xpysqr": "xpy^2", "den": "sigx + xpysqr"}  # fmt: skip
    d = backprop("num / den", at={"x": 3, "y": -4}, names=names)
    x, y = 3.0, -4.0
    sigy = 1.0 / (1 + math.exp(-y))
    sigx = 1.0 / (1 + math.exp(-x))
    expected = {"sigy": sigy, "num": x + sigy, "sigx": sigx, "xpy": x + y,
                "xpysqr": (x + y) ** 2, "den": sigx + (x + y) ** 2}  # fmt: skip
    for node, value in expected.items():
        assert close(d.forward.values[node].approx, value), node
    assert [n.op for n in d.graph.nodes if n.id in expected] == [
        "sigmoid", "add", "sigmoid", "add", "pow", "add"
    ]  # fmt: skip
    # x fans out to num, sigx and xpy: its gradient gathers three contributions (the +=)
    gather = {g.node: g for g in d.backward.gathers}["x"]
    assert len(gather.steps) == 3
    _, dx, dy = _cs231n_staged(x, y)
    assert close(gather.total.approx, dx)
    assert close(d.gradient["y"], dy)
