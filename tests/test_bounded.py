"""Issue 8, area 2: bounded work everywhere (the engine's side).

Each case of the issue finishes, with its exact outcome: where chains whose closed forms
double at every link, deep chains, big dot products, huge API values, long decimals, a
wrong `names`, and an exercise past its time budget. Every test runs under `hang_guard`, so
a regression fails instead of hanging, and asserts a generous time bound besides.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import mpmath
import pytest
import sympy
import yaml

from derive import DeriveError, backprop, load
from derive.bounds import MAX_EXACT_DEPTH, MAX_EXACT_SIZE, Sizes
from derive.errors import ParseError, SpecError, SpecErrors
from derive.graph import MAX_WHERE_NESTING
from derive.passes.gradients import MAX_FORM_SIZE
from derive.pipeline import solve
from derive.render.markdown import summary
from derive.spec import read_valid_part

MP: Any = mpmath.MPContext()
MP.dps = 60
SECONDS = 20.0
"""Generous bound for each case here (each takes about a second); the issue measured 9 s,
105 s and "never" for some of them."""

pytestmark = pytest.mark.usefixtures("hang_guard")


@contextmanager
def finishes(seconds: float = SECONDS) -> Iterator[None]:
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s"


def chain(n: int, step: str) -> tuple[str, dict[str, str]]:
    """f(x) = y_n with y_k = step(y_{k-1}), y_0 = x, as where names listed in order."""
    names, previous = {}, "x"
    for k in range(1, n + 1):
        names[f"y{k}"] = step.replace("Y", previous)
        previous = f"y{k}"
    return f"f(x) = {previous}", names


STEPS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sin(Y)*Y": (lambda y: MP.sin(y) * y, lambda y: MP.cos(y) * y + MP.sin(y)),
    "sigmoid(Y)*Y": (lambda y: y / (1 + MP.exp(-y)),
                     lambda y: 1 / (1 + MP.exp(-y)) + y * MP.exp(-y) / (1 + MP.exp(-y)) ** 2),
    "Y + sin(Y)": (lambda y: y + MP.sin(y), lambda y: 1 + MP.cos(y)),
    "Y/(1+Y)": (lambda y: y / (1 + y), lambda y: 1 / (1 + y) ** 2),
    "cos(Y)": (lambda y: MP.cos(y), lambda y: -MP.sin(y)),
    "sqrt(Y+1)": (lambda y: MP.sqrt(y + 1), lambda y: 1 / (2 * MP.sqrt(y + 1))),
    "Y + 1": (lambda y: y + 1, lambda y: MP.one),
}  # fmt: skip
"""Each link of a chain and its derivative, in mpmath: the reference, computed by hand."""


def reference(step: str, n: int, x: Any = 1) -> tuple[Any, Any]:
    """y_n and d y_n / d x at x, by forward recurrence in mpmath."""
    value, derivative = MP.mpf(x), MP.one
    g, dg = STEPS[step]
    for _ in range(n):
        value, derivative = g(value), dg(value) * derivative
    return value, derivative


def close(a: Any, b: Any, digits: int = 15) -> bool:
    """Relative agreement, also for the tiny values of long chains (1e-63268419812410279).
    15 digits: the engine carries 40, and y -> sin(y)*y squares its value at each link, which
    doubles the relative error (2**60 * 1e-40 is 1e-22 after 60 links)."""
    return bool(abs(MP.mpf(a) - b) <= MP.mpf(10) ** -digits * abs(b)) if b else a == 0


@pytest.mark.parametrize(
    ("step", "n", "through"),
    [
        ("sin(Y)*Y", 8, True),  # 9 s in the issue
        ("sin(Y)*Y", 10, True),  # 105 s
        ("sin(Y)*Y", 60, True),  # never finished
        ("sigmoid(Y)*Y", 60, True),
        ("Y + sin(Y)", 60, True),
        ("Y/(1+Y)", 60, True),
        ("cos(Y)", 200, True),
        ("sqrt(Y+1)", 60, True),  # RecursionError
        ("Y + 1", 1000, False),  # RecursionError; the forms stay 1 and x + 1000
    ],
)  # fmt: skip
def test_where_chains_finish_with_the_right_numbers(step: str, n: int, through: bool) -> None:
    text, names = chain(n, step)
    with finishes():
        d = backprop(text, at={"x": 1}, names=names)
        record = json.dumps(d.to_dict())  # printing every value is bounded too
        page = summary(d)
    value, derivative = reference(step, n)
    assert close(d.forward.values[d.graph.output].approx, value)
    (gradient,) = d.gradients
    assert close(gradient.value.approx, derivative)
    assert d.check.agree, d.check.to_dict()
    assert bool(gradient.through) is through
    sizes = Sizes()
    for v in [*d.forward.values.values(), *(s.downstream for s in d.backward.steps)]:
        size = sizes.measure(v.exact)
        assert size.nodes <= MAX_EXACT_SIZE and size.depth <= MAX_EXACT_DEPTH
    assert len(record) < 2_000_000 and len(page) < 1_000_000
    if through:
        assert "The closed forms are written through the intermediates" in page
        assert set(gradient.through) <= {node.id for node in d.graph.operations}
        assert sympy.count_ops(gradient.closed_form) < MAX_FORM_SIZE


def test_a_chain_written_through_its_named_intermediates() -> None:
    """The cos chain has one node per link: its form is a product of -sin(y_k), in the
    where names, with no gradient symbols."""
    text, names = chain(200, "cos(Y)")
    d = backprop(text, at={"x": 1}, names=names)
    (gradient,) = d.gradients
    assert gradient.through == tuple(f"y{k}" for k in range(1, 200))
    assert gradient.upstream == ()
    y = {k: sympy.Symbol(f"y{k}", real=True) for k in range(1, 200)}
    x = sympy.Symbol("x", real=True)
    expected = sympy.Mul(*(-sympy.sin(y[k]) for k in range(1, 200))) * -sympy.sin(x)
    assert sympy.expand(gradient.closed_form - expected) == 0


def test_a_short_chain_keeps_its_closed_form_in_the_input() -> None:
    text, names = chain(3, "sin(Y)*Y")
    d = backprop(text, at={"x": 1}, names=names)
    (gradient,) = d.gradients
    x = sympy.Symbol("x", real=True)
    y1 = sympy.sin(x) * x
    y2 = sympy.sin(y1) * y1
    f = sympy.sin(y2) * y2
    assert gradient.through == ()
    assert gradient.closed_form.free_symbols == {x}
    assert sympy.simplify(gradient.closed_form - sympy.diff(f, x)) == 0
    assert d.value == f.subs(x, 1)


def test_where_names_listed_out_of_order_are_refused_past_a_documented_depth() -> None:
    text, names = chain(1000, "Y + 1")
    reversed_names = dict(reversed(list(names.items())))
    with finishes(), pytest.raises(ParseError) as caught:
        backprop(text, at={"x": 1}, names=reversed_names)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"where names refer to each other more than {MAX_WHERE_NESTING} "
                              "deep (y1000 -> ... -> y900)")  # fmt: skip
    # within the limit, out of order is fine
    text, names = chain(50, "Y + 1")
    d = backprop(text, at={"x": 1}, names=dict(reversed(list(names.items()))))
    assert (d.value, d.gradient) == (51, {"x": 1})


@pytest.mark.parametrize("n", [1200, 2400])  # 62 s and over 150 s in the issue
def test_a_big_dot_product(n: int) -> None:
    w = [sympy.Rational((-1) ** i * (i % 7 + 1), 4) for i in range(n)]
    with finishes():
        d = backprop("f(w) = dot(w, w)", at={"w": [str(v) for v in w]})
    assert d.value == sum(v * v for v in w)
    assert d.gradient == {f"w{i}": 2 * v for i, v in enumerate(w)}
    assert d.check.agree and d.check.method == "random direction"


def test_a_wide_sum_keeps_its_products_as_formed() -> None:
    """2*(a + b + ...) stays a product in the backward pass: no distribution over sums."""
    terms = " + ".join(f"x{i}*sin(x{i})" for i in range(60))
    at = {f"x{i}": i + 1 for i in range(60)}
    with finishes():
        d = backprop(f"f({', '.join(at)}) = ({terms})^2", at=at)
    # the gradient flowing into sin(x7) is x7 times 2*(the 60-term sum), kept as formed
    mul = next(n for n in d.graph.operations if n.source == "x7*sin(x7)")
    step = next(s for s in d.backward.steps if s.node == mul.id and s.position == 1)
    factors = step.downstream.exact.args
    assert step.downstream.exact.is_Mul and len(factors) == 2 and factors[0] == 8
    assert factors[1].is_Add and len(factors[1].args) == 60
    assert d.check.agree


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1e999999999"),
         "input 'x': 1.000e+999999999 is out of range (powers of ten up to 1000)"),
        (Decimal("1e-999999999"),
         "input 'x': 1.000e-999999999 is out of range (powers of ten up to 1000)"),
        (Decimal("1e1001"), "input 'x': 1.000e+1001 is out of range (powers of ten up to 1000)"),
        # sympy.Float("1e999999999") itself takes SymPy minutes to parse: the same number
        (sympy.Float(mpmath.mpf("1e999999999")),
         "input 'x': 1.0e+999999999 is too large (magnitudes up to 2**12000)"),
        (sympy.Float(mpmath.mpf("1e-999999999")),
         "input 'x': 1.0e-999999999 is too small or too precise (magnitudes down to 2**-12000)"),
        (sympy.exp(10**10),
         "input 'x': 1.07775060795856e+4342944819 is too large (magnitudes up to 2**12000)"),
    ],
)  # fmt: skip
def test_huge_api_values_fail_fast(value: object, message: str) -> None:
    with finishes(5), pytest.raises(DeriveError) as caught:
        backprop("x*2", at={"x": value})
    assert str(caught.value) == message


def test_ordinary_decimal_and_float_values_still_work() -> None:
    assert backprop("x*2", at={"x": Decimal("1e-5")}).value == sympy.Rational(1, 50000)
    assert backprop("x*2", at={"x": Decimal("1e300")}).value == 2 * sympy.Integer(10) ** 300
    assert backprop("x*2", at={"x": sympy.Float("2.5")}).value == 5
    assert backprop("x*2", at={"x": sympy.exp(3)}).value == 2 * sympy.exp(3)


def test_a_long_decimal_literal_is_a_one_line_error() -> None:
    text = "0." + "0" * 5000 + "1*x"
    with finishes(5), pytest.raises(ParseError) as caught:
        backprop(text, at={"x": 1})
    assert str(caught.value).startswith(
        "number '0.00000000...(5003 characters)' is out of range at column 1 of '0.000")
    assert str(caught.value).endswith("; numbers go from 1e-1000 to 1e1000")
    assert backprop("0." + "0" * 900 + "1*x", at={"x": 1}).gradient == {
        "x": sympy.Rational(1, 10**901)}


@pytest.mark.parametrize(
    ("names", "shown"),
    [
        (["q", "x+1"], "list ['q', 'x+1']"),
        ("q = x + 1", "str 'q = x + 1'"),
        ({"q": 3}, "dict {'q': 3}"),
    ],
)  # fmt: skip
def test_names_must_be_a_mapping_of_texts(names: object, shown: str) -> None:
    with pytest.raises(DeriveError) as caught:
        backprop("q*2", at={"x": 1}, names=names)  # type: ignore[arg-type]
    assert str(caught.value) == ("the names must map each name to the expression it names, "
                                 f"such as {{'q': 'x + y'}}; got {shown}")  # fmt: skip


def _exercises(tmp_path: Path) -> Path:
    slow = [str(sympy.Rational(i % 7 + 1, 4)) for i in range(2400)]
    document = {"title": "budget", "exercises": [
        {"id": "slow", "title": "Slow", "function": "f(w) = dot(w, w)", "at": {"w": slow}},
        {"id": "quick", "title": "Quick", "function": "f(x, y) = x*y", "at": {"x": 2, "y": 3}},
    ]}  # fmt: skip
    path = tmp_path / "exercises.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=10**6))
    return path


def test_an_exercise_past_its_time_budget_is_a_one_line_error(tmp_path: Path) -> None:
    path = _exercises(tmp_path)
    spec, problems = read_valid_part(path)
    assert spec is not None and not problems
    slow, quick = spec.exercises
    with finishes(), pytest.raises(SpecError) as caught:
        solve(slow, budget=0.2)
    assert str(caught.value) == (f"{path}:3:7: exercise 'slow': the derivation took longer "
                                 "than its time budget of 0.2 s")  # fmt: skip
    assert solve(quick, budget=0.2).derivation.value == 6  # the next one is still derived
    assert solve(slow, budget=None).derivation.check.agree  # no budget: it finishes


def test_load_reports_the_exercise_over_budget_and_derives_the_others(tmp_path: Path) -> None:
    path = _exercises(tmp_path)
    with finishes(), pytest.raises(SpecErrors) as caught:
        load(path, budget=0.2)
    assert [e.detail for e in caught.value.errors] == [
        "exercise 'slow': the derivation took longer than its time budget of 0.2 s"]
    assert load(path, budget=None).solutions[1].derivation.value == 6


class _SlowToFree:
    """Freeing it takes 0.3 s: Python drops what a __del__ method raises, the timer's
    signal included."""

    def __del__(self) -> None:
        time.sleep(0.3)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_timer_that_goes_off_where_python_drops_its_exception_still_ends_the_budget() -> None:
    from derive.timebox import OverBudgetError, budgeted, within

    def compute() -> int:
        _SlowToFree()  # the timer goes off inside its __del__, where raising does nothing
        return 1

    assert within(0.05, compute) is None
    with pytest.raises(OverBudgetError):
        budgeted(0.05, compute)
    assert within(5, compute) == 1 and budgeted(5, compute) == 1
    assert budgeted(5, lambda: None) is None  # a result of None is a result
