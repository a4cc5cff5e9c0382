"""The parts a sentence is made of, and how each renderer prints them.

A sentence is a tuple of parts: plain text, or mathematics (a SymPy expression, a name,
a partial derivative, a value). Each renderer prints the parts its own way (`markdown`
for pages, `plain` for terminals), so the wording lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sympy import Expr

from derive.ops import Value
from derive.render import math as latex
from derive.render import text as plaintext


@dataclass(frozen=True, slots=True)
class Math:
    """A SymPy expression."""

    expr: Expr


@dataclass(frozen=True, slots=True)
class Name:
    """A node or input name."""

    id: str


@dataclass(frozen=True, slots=True)
class Partial:
    """The partial derivative d output / d input."""

    output: str
    input: str


@dataclass(frozen=True, slots=True)
class Number:
    """A value: exact, with its decimal; `decimal_only` prints the decimal alone."""

    value: Value
    decimal_only: bool = False


@dataclass(frozen=True, slots=True)
class Tex:
    """Mathematics given directly, as LaTeX and as plain text."""

    latex: str
    plain: str


Part = str | Math | Name | Partial | Number | Tex
Sentence = tuple[Part, ...]


def markdown(sentence: Sentence, digits: int) -> str:
    """A sentence for a MyST page: mathematics between dollar signs."""
    out: list[str] = []
    math: list[str] = []  # adjacent mathematical parts share one $...$
    for part in (*sentence, "."):
        if part == "":
            continue
        if isinstance(part, str):
            if math:
                out.append("$" + "".join(math) + "$")
                math = []
            out.append(part)
        else:
            math.append(_latex(part, digits))
    return "".join(out)[:-1]


def plain(sentence: Sentence, digits: int) -> str:
    """A sentence for a terminal."""
    return "".join(part if isinstance(part, str) else _plain(part, digits) for part in sentence)


def _latex(part: Part, digits: int) -> str:
    if isinstance(part, Math):
        return latex.tex(part.expr)
    if isinstance(part, Name):
        return latex.name(part.id)
    if isinstance(part, Partial):
        return latex.partial(part.output, part.input)
    if isinstance(part, Number):
        if not part.decimal_only:
            return latex.value(part.value, digits)
        # a rounded decimal keeps its trailing zeros (0.70724330); an exact one does not (-4)
        return latex.decimal(part.value.approx, digits, zeros=not part.value.exact.is_Rational)
    assert isinstance(part, Tex)
    return part.latex


def _plain(part: Part, digits: int) -> str:
    if isinstance(part, Math):
        return plaintext.text(part.expr)
    if isinstance(part, Name):
        return part.id
    if isinstance(part, Partial):
        return f"d{part.output}/d{part.input}"
    if isinstance(part, Number):
        return plaintext.decimal(part.value.approx, digits) if part.decimal_only else (
            plaintext.both(part.value, digits))  # fmt: skip
    assert isinstance(part, Tex)
    return part.plain


def approach(variable: str, target: Expr, side: str) -> Tex:
    plain_side = {"+": "+", "-": "-", "+-": ""}[side] if target.is_finite else ""
    plain = f"{variable} -> {plaintext.text(target)}{plain_side}"
    return Tex(latex.approach(variable, target, side), plain)


def formula(key: str) -> Tex:
    """A fixed formula of render.math's table."""
    return Tex(*latex.FORMULAS[key])


def decimal(value: Value) -> Number:
    return Number(value, decimal_only=True)


def size(value: Value) -> Number:
    """|value| as a decimal. The sign is the decimal's (which the numeric pass gives to
    its precision): SymPy's abs() asks the exact form's sign through assumption queries,
    slow on forms such as sigma(7/2)*(1 - sigma(7/2))."""
    negative = value.approx < 0
    return Number(Value(-value.exact if negative else value.exact, abs(value.approx)),
                  decimal_only=True)  # fmt: skip


def share(ratio: float) -> str:
    """79%, or 0.99% and 0.018% for small shares (never a misleading 0% or 1%)."""
    if ratio == 0 or ratio >= 0.1:
        return f"{ratio:.0%}"
    return f"{ratio * 100:.2g}%"


def values(items: Iterable[Value]) -> list[Part]:
    """A tuple of decimals, one formula each so that a long tuple wraps between its items:
    (0.1437, -0.2875, 0.1437)."""
    parts: list[Part] = ["("]
    for i, v in enumerate(items):
        if i:
            parts.append(", ")
        parts.append(decimal(v))
    return [*parts, ")"]


def names(ids: Iterable[str]) -> list[Part]:
    """x, y and z."""
    ids = list(ids)
    parts: list[Part] = []
    for i, name in enumerate(ids):
        if i:
            parts.append(" and " if i == len(ids) - 1 else ", ")
        parts.append(Name(name))
    return parts
