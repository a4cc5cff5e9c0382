"""The activations SymPy lacks, as SymPy functions: sigmoid and relu; and a sum built term
by term without SymPy re-collecting and re-sorting the earlier terms at each +.

Kept as functions of their own (not rewritten to exp or Max) so closed forms read as the
author wrote them: sigmoid's derivative stays sigma(a)(1 - sigma(a)). `primitive()` rewrites
them into SymPy's own functions for the check's forward mode (SymPy's own derivative of each
operation, derive.passes.tangent) and for limits. These functions only ever see SymPy
expressions that derive.language built: no text reaches them.
"""

from __future__ import annotations

from bisect import insort
from functools import cmp_to_key

import sympy
from sympy import Add, Basic, Expr, Function, Heaviside, Mul, Piecewise, Pow, S, Symbol, exp
from sympy.core.parameters import global_parameters

_ORDER = cmp_to_key(Basic.compare)
"""The order SymPy keeps an Add's terms in (sympy.core.add._addsort)."""
_NOT_FINITE = frozenset((S.Infinity, S.NegativeInfinity, S.ComplexInfinity, S.NaN))


def add(a: Expr, b: Expr) -> Expr:
    """a + b, the same canonical Add SymPy builds. A sum written as a chain, x1 + x2 + ...
    + xn (a network's output layer), makes SymPy re-collect and re-sort every earlier
    term at each +: quadratic in n. When b is a term unlike every term of the sum a
    (nothing to combine, no number, no infinity), SymPy's result is a's terms with b in
    its sorted place, so it is built directly; any other case goes to SymPy."""
    if not (a.is_Add and isinstance(b, (Mul, Pow, Symbol, Function)) and a.is_commutative
            and b.is_commutative and a.args[0] not in _NOT_FINITE
            and global_parameters.evaluate):  # fmt: skip
        return a + b
    coefficient, term = b.as_coeff_Mul()  # (1, b) for a term with no number in front
    if (coefficient in _NOT_FINITE or (b.is_Pow and b.base.is_Number)
            or term in {t.as_coeff_Mul()[1] for t in a.args}):  # fmt: skip
        return a + b
    terms = list(a.args)
    insort(terms, b, lo=1 if terms[0].is_Number else 0, key=_ORDER)
    return Add._from_args(terms, is_commutative=True)


class sigmoid(Function):
    """The logistic function 1 / (1 + exp(-a))."""

    nargs = 1

    @classmethod
    def eval(cls, arg: Expr) -> Expr | None:
        # Structural tests only: asking assumptions of every argument is slow
        if arg is S.Zero:
            return S.Half
        if arg is S.Infinity:
            return S.One
        if arg is S.NegativeInfinity:
            return S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> Expr:
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg: Expr, **hints: object) -> Expr:
        return 1 / (1 + exp(-arg))

    def _eval_evalf(self, prec: int) -> Expr:
        return (1 / (1 + exp(-self.args[0])))._eval_evalf(prec)

    def _eval_is_extended_real(self) -> bool | None:
        real: bool | None = self.args[0].is_extended_real
        return real

    # For a real (finite) argument: in (0, 1). Said for every fact SymPy may ask, so that it
    # never falls back to evaluating the number (Expr's default): the cost of a network.
    # sigmoid(-oo) is 0, so an argument that may be infinite proves no sign; it stays in
    # [0, 1], so finite.
    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_real else None

    _eval_is_extended_positive = _eval_is_positive

    def _eval_is_finite(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _eval_is_extended_negative(self) -> bool | None:
        return False if self.args[0].is_real else None

    _eval_is_zero = _eval_is_extended_negative


class relu(Function):
    """max(0, a); its derivative at the kink a = 0 is taken as 0, a valid subgradient."""

    nargs = 1

    @classmethod
    def eval(cls, arg: Expr) -> Expr | None:
        if not arg.is_number:  # relu(x) of a symbol stays as it is
            return None
        if arg.is_extended_nonnegative:
            return arg
        if arg.is_extended_nonpositive:
            return S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> Expr:
        return Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Piecewise(self, arg: Expr, **hints: object) -> Expr:
        return Piecewise((arg, arg > 0), (0, True))

    def _eval_evalf(self, prec: int) -> Expr:
        return sympy.Max(0, self.args[0])._eval_evalf(prec)

    def _eval_is_extended_real(self) -> bool | None:
        real: bool | None = self.args[0].is_extended_real
        return real

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_extended_real else None


def primitive(expr: Expr) -> Expr:
    """`expr` with sigmoid and relu written in SymPy's own functions (exp, Piecewise)."""
    return expr.replace(sigmoid, lambda a: 1 / (1 + exp(-a))).replace(
        relu, lambda a: Piecewise((a, a > 0), (0, True))
    )
