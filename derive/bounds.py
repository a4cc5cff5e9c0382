"""Size bounds for exact values, measured once per new part instead of once per value.

Exact values on networks and on chains of named intermediates share their parts: the
gradient of every weight holds the same long sum, and `y2 = sin(y1)*y1` holds y1 twice. A
walk over each value (`atoms`, `has`) would cost the size of its tree at every step, which
grows quadratically on networks and exponentially on chains. `Sizes` remembers every part
it has measured (by identity), so measuring a value built from measured parts costs only
the part just built.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sympy
from sympy import Basic, Expr

MAX_EXACT_BITS = 12_000
"""Largest numerator or denominator, in bits, exact arithmetic may produce (~3600 digits;
Python refuses to print integers of more than 4300 digits)."""

MAX_EXACT_SIZE = 300
"""Largest exact value, in nodes of its expression tree: past it a value is carried as a
decimal of the numeric pass's precision (a SymPy Float) instead of as an exact form.
(Printing a 1300-node product of nested square roots takes SymPy about a second.)"""
MAX_EXACT_DEPTH = 12
"""Deepest exact value, in levels of its expression tree, before it is carried as a decimal:
SymPy evaluates every nested sum numerically to print it, so printing costs the square of
the depth (a 60-deep sqrt(y + 1) chain took minutes), and its recursions hit Python's limit."""

_NOT_REAL = (sympy.zoo, sympy.nan, sympy.oo, sympy.S.NegativeInfinity, sympy.I)


class Size(NamedTuple):
    """What bounds an exact value's cost."""

    nodes: int
    """Nodes of the expression as a tree (shared parts counted each time they occur)."""
    depth: int
    """Levels of the tree (1 for a number or a symbol)."""
    bits: int
    """Bits of the largest numerator or denominator in it."""
    not_real: bool
    """Whether it holds zoo, nan, oo, -oo or I."""


def rational_bits(number: Expr) -> int:
    """Bits of the larger of a rational's numerator and denominator."""
    return max(abs(int(number.p)).bit_length(), int(number.q).bit_length())


class Sizes:
    """Sizes of SymPy expressions, remembered by identity for the life of one pass."""

    def __init__(self) -> None:
        self._known: dict[int, Size] = {}
        self._keep: list[Basic] = []  # keeps measured objects alive, so ids stay unique

    def exact(self, expr: Basic) -> bool:
        """Whether `expr` is small enough to be carried as an exact form."""
        size = self.measure(expr)
        return size.nodes <= MAX_EXACT_SIZE and size.depth <= MAX_EXACT_DEPTH

    def measure(self, expr: Basic) -> Size:
        """The size of `expr`; only the parts not measured before are visited (no recursion)."""
        known = self._known
        found = known.get(id(expr))
        if found is not None:
            return found
        stack: list[tuple[Any, bool]] = [(expr, False)]
        while stack:
            node, ready = stack.pop()
            key = id(node)
            if key in known:
                continue
            args = node.args
            if ready or not args:
                nodes, depth, bits = 1, 0, rational_bits(node) if node.is_Rational else 0
                not_real = any(node is bad for bad in _NOT_REAL)
                for arg in args:
                    size = known[id(arg)]
                    nodes += size.nodes
                    depth = max(depth, size.depth)
                    bits = max(bits, size.bits)
                    not_real = not_real or size.not_real
                known[key] = Size(nodes, depth + 1, bits, not_real)
                self._keep.append(node)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in args if id(arg) not in known)
        return known[id(expr)]


def too_large(exact: Expr) -> bool:
    """Whether one exact value holds a numerator or denominator past MAX_EXACT_BITS."""
    return Sizes().measure(exact).bits > MAX_EXACT_BITS
