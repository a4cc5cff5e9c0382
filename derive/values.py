"""Values the user gives (ints, floats, "pi/2", lists) -> exact SymPy numbers.

Floats are read as the decimal they print as (0.1 is 1/10, not the binary fraction), so a
learning rate of 0.1 gives the update 2 - 0.1 * (-4) = 2.4 exactly. Strings go through the
expression language, never through SymPy's parser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from numbers import Rational as RationalNumber

import sympy
from sympy import Expr

from derive.errors import DeriveError, InputError
from derive.graph import Graph
from derive.language import MAX_EXPONENT, Tree, parse_expression
from derive.ops import CONSTANTS, MAX_EXACT_BITS, OPS, too_large

MAX_VALUE_LENGTH = 200
"""Longest text accepted for one value ("pi/2", "1/3")."""
MAX_DIGITS = 3_000
"""Most digits a Decimal value may have."""

Point = dict[str, Expr]
"""Exact values of a graph's scalar inputs, keyed by input id (vector components w0, w1)."""


def exact_value(value: object, what: str = "value") -> Expr:
    """An exact real number from an int, float, Fraction, Decimal, SymPy number or a text
    such as "pi/2" or "1/3". `what` names the value in error messages."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, int):
        if value.bit_length() > MAX_EXACT_BITS:
            raise InputError(f"{what}: the integer has more than {MAX_EXACT_BITS} bits")
        return sympy.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{what}: {value!r} is not a finite number")
        return _rational(Fraction(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(f"{what}: {value} is not a finite number")
        # Checked before Fraction(value), which would build 10**999999999 digit by digit
        if value and abs(value.adjusted()) > MAX_EXPONENT:
            raise InputError(f"{what}: {value:.3e} is out of range (powers of ten up to "
                             f"{MAX_EXPONENT})")  # fmt: skip
        if len(value.as_tuple().digits) > MAX_DIGITS:
            raise InputError(f"{what}: a decimal of more than {MAX_DIGITS} digits")
        return _rational(Fraction(value))
    if isinstance(value, RationalNumber):
        return _rational(Fraction(int(value.numerator), int(value.denominator)))
    if isinstance(value, sympy.Basic):
        return _real(value, what, str(value))
    if isinstance(value, str):
        return _from_text(value, what)
    raise InputError(f"{what}: expected a number, got {type(value).__name__} {value!r}")


def vector_lengths(at: Mapping[str, object]) -> dict[str, int]:
    """The inputs given as lists, with their lengths."""
    if not isinstance(at, Mapping):
        raise InputError(f"the values must be a mapping of input names, got {type(at).__name__}")
    lengths = {}
    for name, value in at.items():
        if isinstance(value, list | tuple):
            if not value:
                raise InputError(f"input {name!r}: an empty vector")
            lengths[name] = len(value)
    return lengths


def resolve_point(graph: Graph, at: Mapping[str, object]) -> Point:
    """Exact values for every scalar input of `graph` from `at` (names -> values)."""
    if not isinstance(at, Mapping):
        raise InputError(f"the values must be a mapping of input names, got {type(at).__name__}")
    vectors = dict(graph.vectors)
    declared = graph.declared
    for name in at:
        if name not in declared:
            known = ", ".join(declared)
            raise InputError(f"value given for {name!r}, which is not an input (inputs: {known})")
    point: Point = {}
    for name in declared:
        if name not in at:
            raise InputError(f"missing value for input {name!r}")
        value = at[name]
        if name in vectors:
            point.update(_vector(name, value, vectors[name]))
        elif isinstance(value, list | tuple):
            raise InputError(f"input {name!r} is a number in the function, but got a vector")
        else:
            point[name] = exact_value(value, f"input {name!r}")
    return point


def _vector(name: str, value: object, components: Sequence[str]) -> Point:
    if not isinstance(value, list | tuple):
        raise InputError(f"input {name!r} is a vector in the function, but got {value!r}")
    if len(value) != len(components):
        raise InputError(f"input {name!r}: expected {len(components)} values, got {len(value)}")
    return {c: exact_value(v, f"input {name!r}[{i}]") for i, (c, v) in enumerate(
        zip(components, value, strict=True))}  # fmt: skip


def _rational(fraction: Fraction) -> Expr:
    value = sympy.Rational(fraction.numerator, fraction.denominator)
    if too_large(value):
        raise InputError(f"a value with numbers of more than {MAX_EXACT_BITS} bits")
    return value


def _real(value: sympy.Basic, what: str, text: str) -> Expr:
    if not isinstance(value, Expr) or value.free_symbols:
        raise InputError(f"{what}: {text!r} is not a number")
    if isinstance(value, sympy.Float):
        if not value.is_finite:
            raise InputError(f"{what}: {text!r} is not a finite number")
        _check_magnitude(value, what)
        return _rational(Fraction(str(value)))
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or value.is_extended_real is False:
        raise InputError(f"{what}: {text!r} is not a finite real number")
    if not (value.is_extended_real and value.is_finite):
        raise InputError(f"{what}: {text!r} is not a finite real number")
    if too_large(value):
        raise InputError(f"{what}: the exact value has numbers of more than {MAX_EXACT_BITS} bits")
    _check_magnitude(sympy.N(value, 15), what)
    return value


def _check_magnitude(approx: Expr, what: str) -> None:
    """Refuses a number whose size (or smallness) is past 2**MAX_EXACT_BITS: its digits
    could not be computed with (exp(10**10) has 4342944819 of them)."""
    if not isinstance(approx, sympy.Float) or not approx:
        return
    _, _, exponent, bits = approx._mpf_
    if exponent + bits > MAX_EXACT_BITS:
        raise InputError(f"{what}: {sympy.sstr(approx, full_prec=False)} is too large "
                         f"(magnitudes up to 2**{MAX_EXACT_BITS})")
    if exponent + bits < -MAX_EXACT_BITS or exponent < -MAX_EXACT_BITS:
        raise InputError(f"{what}: {sympy.sstr(approx, full_prec=False)} is too small or too "
                         f"precise (magnitudes down to 2**-{MAX_EXACT_BITS})")


def _from_text(text: str, what: str) -> Expr:
    if len(text) > MAX_VALUE_LENGTH:
        raise InputError(f"{what}: value text longer than {MAX_VALUE_LENGTH} characters")
    lowered = text.strip().lower()
    if lowered in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity", "oo", "-oo"):
        raise InputError(f"{what}: {text!r} is not a finite number")
    try:
        value = _evaluate(text, parse_expression(text))
    except DeriveError as exc:
        raise InputError(f"{what}: {exc}") from None
    return _real(value, what, text)


def _evaluate(text: str, tree: Tree) -> Expr:
    """The exact value of a constant expression (no names), by the operation table."""
    if tree.op == "number":
        assert tree.value is not None
        return tree.value
    if tree.op == "constant":
        return CONSTANTS[tree.name]
    if tree.op == "name":
        raise InputError(f"{text!r} is not a number (it names {tree.name!r})")
    if tree.op in ("vector", "dot"):
        raise InputError(f"{text!r} is not a number")
    return OPS[tree.op].build(*(_evaluate(text, arg) for arg in tree.args))
