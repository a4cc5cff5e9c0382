"""The operation table: one entry per elementary operation of the graph.

Each entry says how the operation builds its SymPy value (also applied to exact numbers),
how it evaluates in mpmath, its local partial derivatives (symbolic and numeric) with the
rule that gives them, and where it or a derivative the backward pass needs is undefined.
The table is keyed by the graph's own ops, not by SymPy heads: SymPy would read `a - b`
as `a + (-1)*b` and `a / b` as `a * b**-1`, which is not what the author wrote.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sympy
from sympy import Expr

from derive.bounds import MAX_EXACT_BITS, too_large
from derive.errors import DeriveError
from derive.symbolic import add, relu, sigmoid

__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_EXACT_BITS", "OPS", "Op", "Value", "sign", "too_large"]

MAX_MAGNITUDE = 10**8
"""Largest |ln value| the numeric pass accepts: beyond it even arbitrary precision stalls."""

TINY_EXPONENT = -100
"""Below 2**TINY_EXPONENT (about 1e-30), a high-precision value whose sign SymPy cannot
decide counts as zero."""

Mp = Any  # an mpmath number; mpmath ships no type information


class Value(NamedTuple):
    """A node's value: exact (SymPy) and high-precision (mpmath) side by side."""

    exact: Expr
    approx: Mp

    @classmethod
    def of(cls, exact: Expr, approx: Mp) -> Value:
        """A value whose decimal is exact wherever the exact value is rational: cos(pi/2)
        is 0, not the 1e-47 that mpmath computes."""
        if exact.is_Rational:
            return cls(exact, approx.context.mpf(int(exact.p)) / int(exact.q))
        return cls(exact, approx)

    def to_dict(self) -> dict[str, Any]:
        """The exact value as SymPy prints it, and the nearest float (None past float64)."""
        number = float(self.approx)  # JSON has no inf: null past float64, exact beside it
        return {"exact": sympy.sstr(self.exact), "float": number if math.isfinite(number) else None}


def sign(value: Value) -> int:
    """-1, 0 or 1. The precise value decides unless it is tiny; then SymPy's assumptions do."""
    # mpmath's own comparison: comparing with a SymPy Float would build one per call
    if value.approx and value.approx.context.mag(value.approx) > TINY_EXPONENT:
        return 1 if value.approx > 0 else -1
    if value.exact.is_zero is False:
        return 1 if value.exact.is_positive else -1
    return 0  # exactly zero, or too close to zero to tell apart


def is_integer(value: Value) -> bool:
    return bool(value.exact.is_integer)


def _bits(number: Expr) -> float:
    """Size in bits of an exact number, for bounding powers before SymPy computes them."""
    if number.is_Rational:
        return float(max(abs(number.p).bit_length(), number.q.bit_length(), 1))
    approx = abs(sympy.N(number, 20))
    return float(max(abs(sympy.log(approx, 2)), 1)) if approx.is_nonzero else 1.0


def _brief(number: Expr) -> str:
    text = sympy.sstr(number)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text)} characters)"


SMALL_EXPONENT = 64
"""Largest |exponent| whose power of a non-rational base is computed without bounding it
first (measuring such a base evaluates it, which costs its whole size)."""


def _power(base: Expr, exponent: Expr) -> Expr:
    """base ** exponent, refusing exact results too large to compute (10**10**10)."""
    if not exponent.is_Rational or base.is_Symbol or base in (0, 1, -1):
        return sympy.Pow(base, exponent)
    if base.is_Rational or (abs(exponent) > SMALL_EXPONENT and base.is_number):
        bits = _bits(base)
    else:
        bits = 0.0
    if abs(exponent) * bits > MAX_EXACT_BITS:
        raise DeriveError(
            f"the power {_brief(base)}^{_brief(exponent)} is too large to compute "
            f"exactly (more than {MAX_EXACT_BITS} bits)"
        )
    return sympy.Pow(base, exponent)


EVALUATE_LIMIT = 32
"""Largest argument (in nodes of its tree) a function is evaluated on by SymPy; a larger one
gives the function unevaluated (the same number): SymPy's evaluation asks assumptions of
its argument, which evaluates it numerically at a cost growing with its size."""


def _small(expr: Expr) -> bool:
    """Whether `expr` has at most EVALUATE_LIMIT nodes (visits no more than that)."""
    stack, count = [expr], 0
    while stack:
        count += 1
        if count > EVALUATE_LIMIT:
            return False
        stack.extend(stack.pop().args)
    return True


def lazy(function: Callable[..., Expr]) -> Callable[..., Expr]:
    """`function`, evaluated by SymPy only on small arguments (see EVALUATE_LIMIT)."""

    def apply(a: Expr, *rest: Any) -> Expr:
        return function(a, *rest) if _small(a) else function(a, *rest, evaluate=False)

    return apply


_exp, _log, _sqrt, _sin, _cos, _tan = (lazy(f) for f in (sympy.exp, sympy.log, sympy.sqrt,
                                                         sympy.sin, sympy.cos, sympy.tan))
_sigmoid, _relu, _abs, _heaviside, _sign = (lazy(f) for f in (sigmoid, relu, sympy.Abs,
                                                              sympy.Heaviside, sympy.sign))


def _tanh(a: Expr) -> Expr:
    """tanh(a). Of a sum, SymPy's evaluation only peels off i*pi terms (real sums have none),
    takes out a minus sign, and asks whether the sum is zero: an assumption query that costs
    milliseconds on each weighted sum of a network. The sign is taken out here; the query,
    which could only turn tanh(0) into 0, is skipped."""
    if (a.is_Add and not a.could_extract_minus_sign()) or not _small(a):
        return sympy.tanh(a, evaluate=False)
    return sympy.tanh(a)


@dataclass(frozen=True, slots=True)
class Op:
    """One elementary operation."""

    name: str
    """Key in OPS and the node's `op`, e.g. "mul"."""
    rules: tuple[str, ...]
    """Rule giving the partial for each argument position; the last one repeats (dot)."""
    build: Callable[..., Expr]
    """The value as a SymPy expression of the arguments (symbols, expressions or numbers)."""
    partials: Callable[..., tuple[Expr, ...]]
    """Local partial derivatives, one per argument, as SymPy expressions of the arguments."""
    numeric: Callable[..., Mp]
    """The value in mpmath: numeric(ctx, *args)."""
    numeric_partials: Callable[..., tuple[Mp, ...]]
    """The partials in mpmath: numeric_partials(ctx, *args)."""
    undefined: Callable[[Sequence[Value]], str | None] = lambda args: None
    """Why the operation is undefined at these arguments, or None."""
    not_differentiable: Callable[[Sequence[Value], Sequence[bool]], str | None] = (
        lambda args, needed: None
    )
    """Why a partial the backward pass needs (needed[i]) is undefined, or None."""
    kink: Callable[[Sequence[Value]], bool] = lambda args: False
    """True at a kink, where the derivative is the subgradient 0 by convention."""
    first_partial: Callable[..., Expr] | None = None
    """The first partial alone, for ops whose other partials cost more and are often not
    needed (a power's exponent partial takes the log of the base, which SymPy evaluates at
    length on a negative or irrational base; with a constant exponent it is never used)."""

    def partials_for(self, args: Sequence[Expr], needed: Sequence[bool]) -> tuple[Expr, ...]:
        """The partials at `args`; only the first is right when only it is needed."""
        if self.first_partial is not None and not any(needed[1:]):
            return (self.first_partial(*args),)
        return self.partials(*args)

    def rule(self, position: int) -> str:
        return self.rules[min(position, len(self.rules) - 1)]


def _div_undefined(args: Sequence[Value]) -> str | None:
    return "division by zero" if sign(args[1]) == 0 else None


def _pow_undefined(args: Sequence[Value]) -> str | None:
    base, exponent = args
    if sign(base) == 0 and sign(exponent) < 0:
        return "zero raised to a negative power (division by zero)"
    if sign(base) < 0 and not is_integer(exponent):
        return "a real power of a negative base is not a real number"
    return None


def _pow_not_differentiable(args: Sequence[Value], needed: Sequence[bool]) -> str | None:
    base, exponent = args
    if needed[0] and sign(base) == 0 and not is_integer(exponent) and exponent.approx < 1:
        return "the derivative of a^n at a = 0 is undefined for n < 1"
    if needed[1] and sign(base) <= 0:
        return "the derivative with respect to the exponent needs log(base), and base <= 0"
    return None


def _pow_base_partial(a: Expr, b: Expr) -> Expr:
    # a^0 is constant: its derivative is 0 even at a = 0, where b * a^(b - 1) is 0 * oo
    return sympy.S.Zero if b == 0 else b * _power(a, b - 1)


def _pow_partials(a: Expr, b: Expr) -> tuple[Expr, Expr]:
    return _pow_base_partial(a, b), _power(a, b) * sympy.log(a)


def _pow_numeric_partials(c: Any, a: Mp, b: Mp) -> tuple[Mp, Mp]:
    base = c.zero if b == 0 else b * c.power(a, b - 1)
    return base, c.power(a, b) * c.log(a) if a > 0 else c.nan


def _magnitude_check(a: Value) -> str | None:
    if a.approx > MAX_MAGNITUDE:
        return f"exp of {a.approx.context.nstr(a.approx, 3)} is too large to evaluate"
    return None


def _log_undefined(args: Sequence[Value]) -> str | None:
    s = sign(args[0])
    if s == 0:
        return "log(0) is undefined"
    return "log of a negative number is not real" if s < 0 else None


def _sqrt_undefined(args: Sequence[Value]) -> str | None:
    return "square root of a negative number" if sign(args[0]) < 0 else None


def _sqrt_not_differentiable(args: Sequence[Value], needed: Sequence[bool]) -> str | None:
    return "sqrt is not differentiable at 0" if sign(args[0]) == 0 else None


def _tan_undefined(args: Sequence[Value]) -> str | None:
    exact, approx = args[0]
    cosine = Value(_cos(exact), _cosine(approx))
    return "tan has a pole here (cos = 0)" if sign(cosine) == 0 else None


def _cosine(approx: Mp) -> Mp:
    return approx.context.cos(approx)


def _at_zero(args: Sequence[Value]) -> bool:
    return sign(args[0]) == 0


def _dot_build(*args: Expr) -> Expr:
    half = len(args) // 2
    return sympy.Add(*(u * v for u, v in zip(args[:half], args[half:], strict=True)))


def _dot_partials(*args: Expr) -> tuple[Expr, ...]:
    half = len(args) // 2
    return args[half:] + args[:half]


def _dot_numeric(ctx: Any, *args: Mp) -> Mp:
    half = len(args) // 2
    return ctx.fsum(u * v for u, v in zip(args[:half], args[half:], strict=True))


def _dot_numeric_partials(ctx: Any, *args: Mp) -> tuple[Mp, ...]:
    half = len(args) // 2
    return args[half:] + args[:half]


def _sigmoid_numeric(ctx: Any, a: Mp) -> Mp:
    return 1 / (1 + ctx.exp(-a))


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("add", ("sum rule",), add, lambda a, b: (sympy.S.One, sympy.S.One),
           lambda c, a, b: a + b, lambda c, a, b: (c.one, c.one)),
        Op("sub", ("difference rule",), lambda a, b: add(a, -b),
           lambda a, b: (sympy.S.One, sympy.S.NegativeOne),
           lambda c, a, b: a - b, lambda c, a, b: (c.one, -c.one)),
        Op("neg", ("negation",), lambda a: -a, lambda a: (sympy.S.NegativeOne,),
           lambda c, a: -a, lambda c, a: (-c.one,)),
        Op("mul", ("product rule",), lambda a, b: a * b, lambda a, b: (b, a),
           lambda c, a, b: a * b, lambda c, a, b: (b, a)),
        Op("div", ("quotient rule",), lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2),
           lambda c, a, b: a / b, lambda c, a, b: (1 / b, -a / b**2),
           undefined=_div_undefined),
        Op("pow", ("power rule", "exponential rule"), _power, _pow_partials,
           lambda c, a, b: c.power(a, b), _pow_numeric_partials,
           undefined=_pow_undefined, not_differentiable=_pow_not_differentiable,
           first_partial=_pow_base_partial),
        Op("exp", ("exp rule",), _exp, lambda a: (_exp(a),),
           lambda c, a: c.exp(a), lambda c, a: (c.exp(a),),
           undefined=lambda args: _magnitude_check(args[0])),
        Op("log", ("log rule",), _log, lambda a: (1 / a,),
           lambda c, a: c.log(a), lambda c, a: (1 / a,), undefined=_log_undefined),
        Op("sqrt", ("square-root rule",), _sqrt, lambda a: (1 / (2 * _sqrt(a)),),
           lambda c, a: c.sqrt(a), lambda c, a: (1 / (2 * c.sqrt(a)),),
           undefined=_sqrt_undefined, not_differentiable=_sqrt_not_differentiable),
        Op("sin", ("sin rule",), _sin, lambda a: (_cos(a),),
           lambda c, a: c.sin(a), lambda c, a: (c.cos(a),)),
        Op("cos", ("cos rule",), _cos, lambda a: (-_sin(a),),
           lambda c, a: c.cos(a), lambda c, a: (-c.sin(a),)),
        Op("tan", ("tan rule",), _tan, lambda a: (1 + _tan(a) ** 2,),
           lambda c, a: c.tan(a), lambda c, a: (1 + c.tan(a) ** 2,), undefined=_tan_undefined),
        Op("tanh", ("tanh rule",), _tanh, lambda a: (1 - _tanh(a) ** 2,),
           lambda c, a: c.tanh(a), lambda c, a: (1 - c.tanh(a) ** 2,)),
        Op("sigmoid", ("sigmoid rule",), _sigmoid,
           lambda a: (_sigmoid(a) * (1 - _sigmoid(a)),),
           _sigmoid_numeric,
           lambda c, a: (_sigmoid_numeric(c, a) * (1 - _sigmoid_numeric(c, a)),)),
        Op("relu", ("relu rule",), _relu, lambda a: (_heaviside(a, 0),),
           lambda c, a: a if a > 0 else c.zero, lambda c, a: (c.one if a > 0 else c.zero,),
           kink=_at_zero),
        Op("abs", ("abs rule",), _abs, lambda a: (_sign(a),),
           lambda c, a: abs(a), lambda c, a: (c.sign(a),), kink=_at_zero),
        Op("dot", ("dot product",), _dot_build, _dot_partials, _dot_numeric,
           _dot_numeric_partials),
    )
}  # fmt: skip

FUNCTIONS: dict[str, int | None] = {
    "exp": 1, "log": 1, "sqrt": 1, "sin": 1, "cos": 1, "tan": 1, "tanh": 1,
    "sigmoid": 1, "relu": 1, "abs": 1, "dot": 2,
}  # fmt: skip
"""Functions of the language and their number of arguments; each is an op of the same name."""

CONSTANTS: dict[str, Expr] = {"pi": sympy.pi, "e": sympy.E}
"""Named constants of the language."""
