"""How each operation is written: in plain text, in LaTeX and on a diagram.

Shared by every renderer, so a product is "q * z" in a terminal, q \\cdot z on a page and
a "x" gate in the circuit. Arguments arrive already printed; the levels say which of them
need parentheses, on SymPy's precedence scale (sums 40, products 50, powers 60, atoms 1000;
a negative number counts as a sum).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
from sympy import Expr, preorder_traversal
from sympy.printing.precedence import PRECEDENCE

from derive.ops import Value

SUM, PRODUCT, POWER = PRECEDENCE["Add"], PRECEDENCE["Mul"], PRECEDENCE["Pow"]


@dataclass(frozen=True, slots=True)
class Notation:
    symbol: str
    """The gate's label on a circuit diagram."""
    text: str
    """Plain-text template; {0}, {1} are the printed arguments."""
    latex: str
    """LaTeX template."""
    text_levels: tuple[int, ...] = (0,)
    """Per argument position (the last repeats): an argument whose precedence is below
    this gets parentheses in text."""
    latex_levels: tuple[int, ...] = (0,)
    """The same for LaTeX, where braces and fraction bars already group."""

    def level(self, position: int, latex: bool) -> int:
        levels = self.latex_levels if latex else self.text_levels
        return levels[min(position, len(levels) - 1)]


def _function(name: str, latex: str) -> Notation:
    return Notation(name, f"{name}({{0}})", latex)


NOTATION: dict[str, Notation] = {
    "add": Notation("+", "{0} + {1}", "{0} + {1}", (SUM, SUM + 1), (SUM, SUM + 1)),
    "sub": Notation("\u2212", "{0} - {1}", "{0} - {1}", (SUM, SUM + 1), (SUM, SUM + 1)),
    "mul": Notation("\u00d7", "{0} * {1}", "{0} \\cdot {1}", (PRODUCT,), (PRODUCT,)),
    "div": Notation("\u00f7", "{0} / {1}", "\\frac{{{0}}}{{{1}}}", (PRODUCT, PRODUCT + 1)),
    "neg": Notation("\u2212x", "-{0}", "-{0}", (PRODUCT + 1,), (PRODUCT + 1,)),
    "pow": Notation("^", "{0}^{1}", "{{{0}}}^{{{1}}}", (POWER + 1,), (POWER + 1, 0)),
    "exp": Notation("exp", "exp({0})", "e^{{{0}}}"),
    "log": _function("log", "\\log\\left({0}\\right)"),
    "sqrt": Notation("\u221a", "sqrt({0})", "\\sqrt{{{0}}}"),
    "sin": _function("sin", "\\sin\\left({0}\\right)"),
    "cos": _function("cos", "\\cos\\left({0}\\right)"),
    "tan": _function("tan", "\\tan\\left({0}\\right)"),
    "tanh": _function("tanh", "\\tanh\\left({0}\\right)"),
    "sigmoid": Notation("\u03c3", "sigmoid({0})", "\\sigma\\left({0}\\right)"),
    "relu": Notation("ReLU", "relu({0})", "\\operatorname{{ReLU}}\\left({0}\\right)"),
    "abs": Notation("|x|", "abs({0})", "\\left\\lvert {0}\\right\\rvert"),
    "dot": Notation("dot", "dot({0})", "{0}"),
}
"""Keyed by the graph's ops (derive.ops.OPS). A dot product's single {0} receives the
whole sum of products, which the renderer spells out term by term."""


def apply(op: str, printed: list[str], precedences: list[int], latex: bool) -> str:
    """The application of `op` to arguments already printed, with the parentheses their
    precedences call for. A dot product is spelled out as a sum of products."""
    notation = NOTATION[op]
    if op == "dot":
        half = len(printed) // 2
        terms = [
            apply("mul", [printed[i], printed[half + i]], [precedences[i], precedences[half + i]],
                  latex)
            for i in range(half)
        ]  # fmt: skip
        return " + ".join(terms)
    open_, close = ("\\left(", "\\right)") if latex else ("(", ")")
    wrapped = [
        f"{open_}{arg}{close}" if level < notation.level(i, latex) else arg
        for i, (arg, level) in enumerate(zip(printed, precedences, strict=True))
    ]
    return (notation.latex if latex else notation.text).format(*wrapped)


LONG_EXACT = 24
"""Exact forms with more nodes than this are shown as decimals alone."""


def too_long(exact: Expr) -> bool:
    """Whether an exact form is too long to read: more than LONG_EXACT nodes (counted with
    an early stop: printing a huge form just to measure it is slow), or a fraction with
    long digits (the 30-digit rationals of long descents)."""
    for count, node in enumerate(preorder_traversal(exact), 1):
        if count > LONG_EXACT or (node.is_Rational and len(str(node.p)) + len(str(node.q)) > 16):
            return True
    return False


def shows_exactly(v: Value, digits: int) -> bool:
    """Whether the decimal to `digits` digits is the exact value itself (-817/50 = -16.34):
    then "=" joins them, and "≈" only a rounded decimal."""
    if not v.exact.is_Rational:
        return False
    printed = str(mpmath.nstr(v.approx, digits, min_fixed=-mpmath.inf, max_fixed=mpmath.inf))
    return Fraction(printed) == Fraction(int(v.exact.p), int(v.exact.q))
