"""Hostile and broken input: every case raises DeriveError with a message that names the
problem (and, for expression text, the column); nothing is evaluated, nothing hangs.

The alarm below is a hang guard only: a case that runs for 20 s fails instead of blocking
the suite. No test asserts on timings.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest
import sympy

from derive import DeriveError, backprop
from derive.errors import ParseError

pytestmark = pytest.mark.usefixtures("hang_guard")


def refused(text: object, at: object = None, names: dict[str, str] | None = None) -> str:
    """The message of the DeriveError that `backprop` must raise."""
    with pytest.raises(DeriveError) as info:
        backprop(text, at={"x": 1} if at is None else at, names=names)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message, "messages are one line"
    assert "Traceback" not in message
    return message


def refused_at(text: str, column: int, *fragments: str, at: object = None) -> ParseError:
    """An expression error: the message names the problem and the column."""
    with pytest.raises(ParseError) as info:
        backprop(text, at={"x": 1} if at is None else at)  # type: ignore[arg-type]
    error = info.value
    message = str(error)
    assert error.column == column, message
    assert f"at column {column}" in message
    for fragment in fragments:
        assert fragment in message
    assert "\n" not in message
    return error


# --------------------------------------------------------------------------------------
# Code: nothing is evaluated
# --------------------------------------------------------------------------------------


def test_import_system_call_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    target = tmp_path / "derive_pwned"
    text = f"__import__('os').system('touch {target}')"
    refused_at(text, 1, "attribute access is not allowed")
    assert not target.exists()


@pytest.mark.parametrize(
    "template",
    [
        "x + __import__('os').system('touch {target}')",
        "exec(\"open('{target}', 'w')\")",
        "eval(\"open('{target}', 'w')\")",
        "open('{target}', 'w')",
        "x + (lambda: __import__('os').system('touch {target}'))()",
        "[__import__('os').system('touch {target}') for x in [1]]",
        'f\'{{__import__("os").system("touch {target}")}}\'',
    ],
)
def test_code_anywhere_in_the_text_runs_nothing(tmp_path: Path, template: str) -> None:
    target = tmp_path / "derive_pwned"
    message = refused(template.format(target=target))
    assert "column" in message
    assert not target.exists()


def test_code_in_a_value_or_a_where_name_runs_nothing(tmp_path: Path) -> None:
    target = tmp_path / "derive_pwned"
    payload = f"__import__('os').system('touch {target}')"
    message = refused("x", at={"x": payload})
    assert "input 'x'" in message
    assert "attribute access is not allowed" in message
    refused("q * x", at={"x": 1}, names={"q": payload})
    assert not target.exists()


def test_sympy_objects_in_value_text_are_not_constructed() -> None:
    assert "unknown function 'Symbol'" in refused("x", at={"x": "Symbol('y')"})
    assert "unknown function 'Integer'" in refused("x", at={"x": "Integer(2)"})


def test_attribute_walk_to_subclasses() -> None:
    refused_at("().__class__.__bases__[0].__subclasses__()", 1, "attribute access")


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x.real", 1, "attribute access is not allowed"),
        ("sin.__globals__", 1, "attribute access is not allowed"),
        ("x[0]", 1, "subscripts are not allowed"),
        ("lambda x: x", 1, "lambda is not allowed"),
        ("(lambda: 1)()", 1, "lambda is not allowed"),
        ("x + (lambda: 1)()", 5, "lambda is not allowed"),
        ("[x for x in [1, 2]]", 1, "comprehensions are not allowed"),
        ("{x for x in [1]}", 1, "comprehensions are not allowed"),
        ("{x: x for x in [1]}", 1, "comprehensions are not allowed"),
        ("sum(x for x in [1])", 1, "unknown function 'sum'"),
        ("f'{x}'", 1, "f-strings are not allowed"),
        ("'abc'", 1, "strings are not allowed"),
        ("x + 'abc'", 5, "strings are not allowed"),
        ("x + b'abc'", 5, "bytes values are not allowed"),
        ("x + 1j", 5, "complex values are not allowed"),
        ("x + True", 5, "bool values are not allowed"),
        ("x if x else 1", 1, "conditional expressions are not allowed"),
        ("x < 1", 1, "comparisons are not allowed"),
        ("x and 1", 1, "and/or are not allowed"),
        ("(y := x)", 2, "assignments are not allowed"),
        ("(x, x)", 1, "tuples are not allowed"),
        ("{1: x}", 1, "dictionaries are not allowed"),
        ("x // 2", 3, "operator '//' is not allowed"),
        ("x % 2", 3, "operator '%' is not allowed"),
        ("x @ x", 3, "operator '@' is not allowed"),
        ("x | 1", 3, "operator '|' is not allowed"),
        ("~x", 1, "only unary - and + are allowed"),
        ("not x", 1, "only unary - and + are allowed"),
        ("import os", 1, "invalid syntax"),
        ("x; x", 2, "invalid syntax"),
        ("print(x)", 1, "unknown function 'print'"),
        ("getattr(x, 'y')", 1, "unknown function 'getattr'"),
        ("__builtins__", 1, "name '__builtins__' is not allowed"),
        ("0x1f * x", 1, "number '0x1f' is not allowed"),
        ("x + 1e99999", 5, "out of range"),
    ],
)
def test_constructs_outside_the_language(text: str, column: int, fragment: str) -> None:
    refused_at(text, column, fragment)


# --------------------------------------------------------------------------------------
# Size: huge powers, deep nesting, long text
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("10**10**10**10", 5),
        ("2^2^2^2^2^2", 3),
        ("x * 9^9^9", 5),
        ("x + (10^10)^(10^10)", 5),
    ],
)
def test_astronomical_constant_powers(text: str, column: int) -> None:
    refused_at(text, column, "too large to compute exactly")


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("x^1000000", {"x": 2}),
        ("x^y", {"x": 10, "y": 10**10}),
        ("x^y", {"x": 2, "y": "10^10"}),
        ("x^x^x^x^x", {"x": 3}),
        ("((x)^100)^100", {"x": 10**20}),
        ("*".join(["x"] * 100), {"x": "10^1000"}),
    ],
)
def test_powers_too_large_at_the_point(text: str, at: dict[str, object]) -> None:
    message = refused(text, at=at)
    assert message.startswith("node ")
    assert "too large" in message or "more than" in message


@pytest.mark.parametrize(
    ("text", "at"),
    [("x^100", {"x": "10^4400"}), ("(" * 30 + "x" + ")^2" * 30, {"x": 2})],
)
def test_powers_too_large_with_a_huge_base(text: str, at: dict[str, object]) -> None:
    assert "too large" in refused(text, at=at)


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("exp(x)", {"x": 10**9}),
        ("e^x", {"x": 10**9}),
        ("exp(exp(exp(exp(x))))", {"x": 3}),
    ],
)
def test_exp_overflow_is_refused(text: str, at: dict[str, object]) -> None:
    assert "too large to evaluate" in refused(text, at=at)


@pytest.mark.parametrize("value", ["10**10**10**10", "2^2^2^2^2^2", "e^1000000000"])
def test_huge_power_as_a_value(value: str) -> None:
    message = refused("x", at={"x": value})
    assert message.startswith("input 'x'")
    assert "too large" in message


def test_100000_nested_parentheses() -> None:
    message = refused("(" * 100_000 + "x" + ")" * 100_000)
    assert "longer than 100000 characters" in message


def test_nested_parentheses_within_the_length_limit() -> None:
    message = refused("(" * 49_999 + "x" + ")" * 49_999)
    assert "nested" in message
    assert "column" in message


def test_one_megabyte_expression() -> None:
    text = "x + " * 250_000 + "x"
    assert len(text) > 1_000_000
    message = refused(text)
    assert "longer than 100000 characters" in message
    assert len(message) < 300  # the text is quoted as an excerpt, not whole


def test_one_megabyte_number() -> None:
    assert "longer than 100000 characters" in refused("1" * 1_000_000 + " * x")


def test_long_number_within_the_length_limit() -> None:
    message = refused("x * " + "9" * 50_000)
    assert message.startswith("number literal too long at column ")


@pytest.mark.parametrize("depth", [101, 5_000, 99_990])
def test_deep_unary_minus_chains(depth: int) -> None:
    message = refused("-" * depth + "x")
    assert "nested" in message


def test_a_hundred_unary_minus_signs_are_fine() -> None:
    d = backprop("-" * 100 + "x", at={"x": 3})
    assert d.value == 3
    assert d.gradient == {"x": 1}


@pytest.mark.parametrize("text", ["sin(" * 101 + "x" + ")" * 101, "(" * 101 + "x" + ")" * 101])
def test_deep_function_nesting(text: str) -> None:
    if text.startswith("sin"):
        refused_at(text, 1, "nested more than 100 levels deep")
    else:  # parentheses alone add no node, so no nesting
        assert backprop(text, at={"x": 2}).value == 2


def test_deep_power_towers_in_text() -> None:
    message = refused("x" + "^x" * 5_000, at={"x": 1})
    assert "nested" in message


def test_long_flat_product_fails_cleanly() -> None:
    message = refused("*".join(["x"] * 50_000))
    assert "too deeply nested for Python's parser" in message


def test_a_flat_sum_beyond_the_parsers_depth_fails_clearly() -> None:
    """A documented limit: Python's parser nests a flat sum once per term, so past about
    900 terms the text is refused, quickly, with advice rather than a crash."""
    message = refused("+".join(["x"] * 4_000), at={"x": 1})
    assert "too deeply nested for Python's parser" in message
    assert "name parts of it with where" in message


def test_a_flat_sum_of_500_terms_is_accepted() -> None:
    d = backprop("+".join(["x"] * 500), at={"x": 1})
    assert d.gradient == {"x": 500}


# --------------------------------------------------------------------------------------
# Unknown names and functions, with suggestions
# --------------------------------------------------------------------------------------


def test_unknown_function_suggests_the_nearest() -> None:
    error = refused_at("sinn(x)", 1)
    assert str(error) == "unknown function 'sinn' at column 1 of 'sinn(x)'; did you mean 'sin'?"


@pytest.mark.parametrize(
    ("text", "column", "suggestion"),
    [
        ("x + sinn(x)", 5, "did you mean 'sin'?"),
        ("Exp(x)", 1, "did you mean 'exp'?"),
        ("sigmod(x)", 1, "did you mean 'sigmoid'?"),
        ("tanhh(x)", 1, "did you mean 'tanh'?"),
        ("ln(x)", 1, "did you mean log?"),
        ("max(x, 0)", 1, "did you mean relu"),
        ("foo(x)", 1, "the functions are abs, cos, dot, exp, log, relu, sigmoid, sin, sqrt"),
        ("math.sin(x)", 1, "write sin(x), not math.sin(x)"),
    ],
)
def test_unknown_functions(text: str, column: int, suggestion: str) -> None:
    refused_at(text, column, suggestion)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("sin", 1, "'sin' is a function"),
        ("sin(x, x)", 1, "sin() takes 1 argument, got 2"),
        ("sin()", 1, "sin() takes 1 argument, got 0"),
        ("sin(x=1)", 1, "takes no keyword arguments"),
        ("dot(x, x, x)", 1, "dot() takes 2 arguments, got 3"),
        ("dot(x + 1, x)", 5, "dot() takes vectors"),
        ("[x, x]", 1, "a vector can only be an argument of dot()"),
        ("x * [x, x]", 5, "a vector can only be an argument of dot()"),
    ],
)
def test_wrong_calls(text: str, column: int, fragment: str) -> None:
    refused_at(text, column, fragment)


def test_names_outside_a_signature() -> None:
    refused_at("f(x) = x + y", 12, "unknown name 'y'")


def test_where_names_are_checked() -> None:
    assert "not used" in refused("x * 2", names={"q": "x + 1"})
    assert "cycle" in refused("q", names={"q": "r + 1", "r": "q * 2"})
    assert "is an input" in refused("f(x) = x", names={"x": "x + 1"})
    assert "ends with an operator" in refused("q", names={"q": "x +"})


# --------------------------------------------------------------------------------------
# Syntax
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x 2", 3, "is an operator such as * missing?"),
        ("x y", 3, "invalid syntax"),
        ("x +", 4, "the expression ends with an operator"),
        ("(x", 1, "'(' was never closed"),
        ("x)", 2, "unmatched ')'"),
        ("", 1, "empty expression"),
        ("   ", 4, "empty expression"),
        ("x\x00", 2, "character '\\x00' is not allowed"),
        ("x \u2212 1", 3, "write '-'"),
        ("2 \u00d7 x", 3, "write '*'"),
        ("\u03c0 * x", 1, "write 'pi'"),
    ],
)
def test_syntax_errors(text: str, column: int, fragment: str) -> None:
    refused_at(text, column, fragment)


def test_implicit_multiplication() -> None:
    error = refused_at("2x", 1, "a number runs into a name")
    assert error.hint == "write 2*x for a product"
    refused_at("x + 3y", 5, "a number runs into a name", "write 2*x for a product")


@pytest.mark.parametrize("text", [None, 12, b"x", ["x"]])
def test_expression_that_is_not_text(text: object) -> None:
    assert "expected expression text" in refused(text)


# --------------------------------------------------------------------------------------
# Values: missing, extra, non-numeric, NaN and inf, booleans, None, complex, vectors
# --------------------------------------------------------------------------------------


def test_missing_value() -> None:
    assert refused("x + y", at={"x": 1}) == "missing value for input 'y'"


def test_extra_value() -> None:
    message = refused("x + y", at={"x": 1, "y": 2, "z": 3})
    assert message == "value given for 'z', which is not an input (inputs: x, y)"


def test_no_values_at_all() -> None:
    assert "missing value for input 'x'" in refused("x", at={})


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "'abc' is not a number"),
        ("x", "'x' is not a number"),
        ("I", "'I' is not a number"),  # SymPy would read the imaginary unit
        ("3,5", "tuples are not allowed"),
        ("", "empty expression"),
        ("1 +", "ends with an operator"),
        ("x" * 300, "longer than 200 characters"),
        ({}, "expected a number, got dict"),
        (object(), "expected a number, got object"),
        (sympy.Symbol("y"), "is not a number"),
    ],
)
def test_non_numeric_values(value: object, fragment: str) -> None:
    message = refused("x", at={"x": value})
    assert message.startswith("input 'x': ")
    assert fragment in message


@pytest.mark.parametrize(
    "value",
    [
        math.nan, math.inf, -math.inf, "nan", "NaN", " nan ", "inf", "-inf", "+inf",
        "Infinity", "-infinity", "oo", "-oo", Decimal("NaN"), Decimal("Infinity"),
        sympy.nan, sympy.oo, -sympy.oo, sympy.zoo, "1/0", "0/0", "log(0)",
    ],
)  # fmt: skip
def test_nan_and_infinities(value: object) -> None:
    message = refused("x", at={"x": value})
    assert message.startswith("input 'x': ")
    assert "not a finite" in message


@pytest.mark.parametrize("value", [True, False, None])
def test_booleans_and_none(value: object) -> None:
    assert refused("x", at={"x": value}) == f"input 'x': expected a number, got {value!r}"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (1j, "expected a number, got complex"),
        (complex(1, 0), "expected a number, got complex"),
        ("1j", "complex values are not allowed"),
        ("sqrt(-1)", "not a finite real number"),
        ("(-1)^0.5", "not a finite real number"),
        (sympy.I, "not a finite real number"),
        (1 + 2 * sympy.I, "not a finite real number"),
    ],
)
def test_complex_numbers(value: object, fragment: str) -> None:
    message = refused("x", at={"x": value})
    assert fragment in message


def test_empty_vectors() -> None:
    assert refused("dot(w, x)", at={"w": [], "x": []}) == "input 'w': an empty vector"


def test_vectors_of_different_lengths() -> None:
    message = refused("dot(w, x)", at={"w": [1, 2], "x": [1, 2, 3]})
    assert "dot() of vectors of lengths 2 and 3" in message


def test_vector_components_are_checked() -> None:
    assert refused("dot(w, x)", at={"w": [1, None], "x": [1, 2]}) == (
        "input 'w'[1]: expected a number, got None"
    )
    assert "not a finite number" in refused("dot(w, x)", at={"w": [1, math.nan], "x": [1, 2]})
    assert "got list" in refused("dot(w, x)", at={"w": [[1], [2]], "x": [1, 2]})


def test_vector_where_a_number_is_used_and_the_reverse() -> None:
    assert "used as a number" in refused("x + 1", at={"x": [1, 2]})
    assert "is a scalar" in refused("dot(w, x)", at={"w": 1, "x": [1]})
    assert "is a scalar" in refused("dot(w, x)", at={"w": [1, 2]})


@pytest.mark.parametrize("at", [[], None, [("x", 1)]])
def test_values_that_are_not_a_mapping(at: object) -> None:
    with pytest.raises(DeriveError, match="mapping"):
        backprop("x", at=at)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Domain: the point lies outside the domain of a node or of a derivative
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("log(x)", {"x": 0}, "node f = log(x): log(0) is undefined"),
        ("log(x)", {"x": -1}, "node f = log(x): log of a negative number is not real"),
        ("log(x - 1)", {"x": 1}, "node f = log(x - 1): log(0) is undefined"),
        ("log(sin(x))", {"x": "pi"}, "node f = log(sin(x)): log(0) is undefined"),
        ("1/x", {"x": 0}, "node f = 1/x: division by zero"),
        ("x/(y - 1)", {"x": 1, "y": 1}, "node f = x/(y - 1): division by zero"),
        ("1/(exp(x) - 1)", {"x": 0}, "node f = 1/(exp(x) - 1): division by zero"),
        ("sqrt(x)", {"x": -1}, "node f = sqrt(x): square root of a negative number"),
        ("sqrt(x)", {"x": 0}, "node f = sqrt(x): sqrt is not differentiable at 0"),
        ("sqrt(x^2)", {"x": 0}, "node f = sqrt(x^2): sqrt is not differentiable at 0"),
        ("tan(x)", {"x": "pi/2"}, "node f = tan(x): tan has a pole here (cos = 0)"),
        ("tan(x)", {"x": "-3*pi/2"}, "node f = tan(x): tan has a pole here (cos = 0)"),
        ("x^0.5", {"x": -1},
         "node f = x^0.5: a real power of a negative base is not a real number"),
        ("x^(1/3)", {"x": -8},
         "node f = x^(1/3): a real power of a negative base is not a real number"),
        ("x^y", {"x": -2, "y": "1/2"},
         "node f = x^y: a real power of a negative base is not a real number"),
        ("x^0.5", {"x": 0},
         "node f = x^0.5: the derivative of a^n at a = 0 is undefined for n < 1"),
        ("x^-1", {"x": 0}, "node f = x^-1: zero raised to a negative power (division by zero)"),
        ("0^x", {"x": -1}, "node f = 0^x: zero raised to a negative power (division by zero)"),
        ("x^y", {"x": 0, "y": 2},
         "node f = x^y: the derivative with respect to the exponent needs log(base), and base <= 0"),
    ],
)  # fmt: skip
def test_domain_errors(text: str, at: dict[str, object], expected: str) -> None:
    assert refused(text, at=at) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x + 1/0", "node v1 = 1/0: division by zero"),
        ("x + log(0)", "node v1 = log(0): log(0) is undefined"),
        ("x + sqrt(-1)", "node v2 = sqrt(-1): square root of a negative number"),
        ("x * 0^(-1)", "node v2 = 0^(-1): zero raised to a negative power (division by zero)"),
    ],
)
def test_domain_errors_in_constant_parts(text: str, expected: str) -> None:
    assert refused(text, at={"x": 1}) == expected


def test_domain_error_names_the_failing_node() -> None:
    assert refused("1 + log(x)", at={"x": 0}) == "node v1 = log(x): log(0) is undefined"
    assert refused("q + 1", at={"x": 0}, names={"q": "log(x)"}) == (
        "node q = log(x): log(0) is undefined"
    )


def test_domain_error_for_a_value_that_is_zero_only_symbolically() -> None:
    message = refused("1/(x - y)", at={"x": "pi", "y": "pi"})
    assert message.endswith("division by zero")
    message = refused("log(sin(x)^2 + cos(x)^2 - 1)", at={"x": 1})
    assert "log(0) is undefined" in message


def test_x_to_the_zero_at_zero() -> None:
    try:
        d = backprop("x^0", at={"x": 0})
    except DeriveError:
        return  # refusing 0^0 is a valid choice
    assert d.value == 1
    assert d.gradient == {"x": 0}


def test_exp_of_an_astronomical_value() -> None:
    assert "too large" in refused("exp(x)", at={"x": "exp(exp(100))"})
