"""High-precision numbers (mpmath) beside the exact ones: the decimals on every page.

Exact results can grow large on networks, so decimals come from a numeric pass at
PRECISION digits instead of from evaluating exact results. The contexts are constants:
never change their precision.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy
from sympy import Expr

PRECISION = 40
"""Digits carried by the numeric passes (a float needs 17)."""
FD_PRECISION = 80
"""Digits carried by the finite-difference check, which divides by a tiny step."""

MP: Any = mpmath.MPContext()
MP.dps = PRECISION
FD: Any = mpmath.MPContext()
FD.dps = FD_PRECISION


def to_mp(exact: Expr, ctx: Any = MP) -> Any:
    """An exact real number as an mpmath number of the context's precision."""
    if exact.is_Rational:
        return ctx.mpf(int(exact.p)) / int(exact.q)
    value = sympy.N(exact, ctx.dps + 5)
    if not isinstance(value, sympy.Float):
        raise ValueError(f"{exact} does not evaluate to a real number")
    return ctx.make_mpf(value._mpf_)


def to_float(approx: Any) -> float:
    """The nearest float (inf beyond float64's range)."""
    return float(approx)


def to_sympy(approx: Any, digits: int = PRECISION) -> sympy.Float:
    """An mpmath number as a SymPy Float, for printing with a number of digits."""
    return sympy.Float(approx, digits)
