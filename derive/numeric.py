"""High-precision numbers (mpmath) beside the exact ones: the decimals on every page.

Exact results can grow large on networks, so decimals come from a numeric pass at
PRECISION digits instead of from evaluating exact results. The contexts are constants:
never change their precision.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import mpmath
import sympy
from sympy import Expr

from derive.errors import DeriveError

PRECISION = 40
"""Digits carried by the numeric passes (a float needs 17)."""
FD_PRECISION = 80
"""Digits carried by the finite-difference check, which divides by a tiny step."""
MAX_EXTRA_DIGITS = 1200
"""Digits added at most for huge inputs (exact inputs are bounded near 3600 digits)."""


@cache
def context(dps: int) -> Any:
    """An mpmath context of `dps` digits, one per precision: building one costs about a
    millisecond, and derive never changes a context's precision once it is made."""
    ctx = mpmath.MPContext()
    ctx.dps = dps
    return ctx


MP: Any = context(PRECISION)
FD: Any = context(FD_PRECISION)


def context_for(values: Iterable[Expr], approx: Iterable[Any] = ()) -> Any:
    """MP, or a context with more digits when a value is so large that PRECISION digits
    would not hold it exactly (sin(10**50) needs all of 10**50's digits). Values whose
    high-precision form is known are given in `approx` instead, which is cheaper."""
    known = [int(mpmath.log10(abs(a))) + 1 if abs(a) > 1 else 0 for a in approx]
    digits = max([*(_digits(v) for v in values if v.is_Rational or not known), *known, 0])
    digits = min(digits, MAX_EXTRA_DIGITS)
    if digits <= PRECISION // 2:
        return MP
    return context(PRECISION + digits)


def _digits(value: Expr) -> int:
    """Decimal digits before the point of |value| (0 below 1)."""
    if value.is_Rational:
        return max(len(str(abs(int(value.p)) // int(value.q))), 0)
    magnitude = abs(sympy.N(value, 15))
    return int(mpmath.log10(magnitude)) + 1 if magnitude > 1 else 0


def to_mp(exact: Expr, ctx: Any = MP) -> Any:
    """An exact real number as an mpmath number of the context's precision."""
    if exact.is_Rational:
        return ctx.mpf(int(exact.p)) / int(exact.q)
    value = sympy.N(exact, ctx.dps + 5)
    if not isinstance(value, sympy.Float):
        raise DeriveError(f"{exact} does not evaluate to a real number")
    return ctx.make_mpf(value._mpf_)


