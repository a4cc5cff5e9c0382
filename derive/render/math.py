"""The only producer of LaTeX: a thin layer over SymPy's LaTeX printer.

Every renderer that writes mathematics calls these functions, so a name, a number or an
operation looks the same on every page, in every table and in every download.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import mpmath
from sympy import Expr, Float, Symbol
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import precedence

from derive.language import Function, Tree
from derive.numeric import to_mp
from derive.ops import Value
from derive.render.notation import POWER, PRODUCT, SUM, apply, shows_exactly, too_long

ATOM = 1000

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
    "Upsilon", "Phi", "Psi", "Omega",
}  # fmt: skip
_NAME = re.compile(r"([A-Za-z]+)([0-9_]*)\Z")


class DeriveLatex(LatexPrinter):
    """SymPy's printer with derive's conventions: sigma and ReLU by name, the ReLU
    derivative as an indicator, long names upright-italic."""

    def _print_sigmoid(self, expr: Expr, exp: str | None = None) -> str:
        return self._function("\\sigma", expr, exp)

    def _print_relu(self, expr: Expr, exp: str | None = None) -> str:
        return self._function("\\operatorname{ReLU}", expr, exp)

    def _print_Heaviside(self, expr: Expr, exp: str | None = None) -> str:
        body = f"\\mathbf{{1}}\\left[{self._print(expr.args[0])} > 0\\right]"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_Abs(self, expr: Expr, exp: str | None = None) -> str:
        # \lvert, not |: a bar would end a cell of a Markdown table
        body = f"\\left\\lvert {self._print(expr.args[0])}\\right\\rvert"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_Symbol(self, expr: Symbol, style: str = "plain") -> str:
        return name(expr.name)

    def _function(self, head: str, expr: Expr, exp: str | None) -> str:
        inner = f"{head}\\left({self._print(expr.args[0])}\\right)"
        return f"\\left({inner}\\right)^{{{exp}}}" if exp else inner


_PRINTER = DeriveLatex()


def tex(expr: Expr) -> str:
    """LaTeX for a SymPy expression. A page, its notebook and the length tests print the
    same forms: they are remembered. Not those holding a Float: its digits depend on its
    precision, which SymPy's == has not compared in every version."""
    if expr.has(Float):
        return str(_PRINTER.doprint(expr))
    return _remembered(expr)


@lru_cache(maxsize=4096)
def _remembered(expr: Expr) -> str:
    return str(_PRINTER.doprint(expr))


def name(identifier: str) -> str:
    """LaTeX for a node or input name: x, w_{0}, w_{0,1}, \\gamma, \\mathit{sigy}, E_{1}."""
    match = _NAME.match(identifier)
    if match is None:  # my_var: the part after the first underscore becomes a subscript
        head, _, tail = identifier.partition("_")
        return f"{{{name(head)}}}_{{{name(tail)}}}"
    letters, rest = match.groups()
    base = f"\\{letters}" if letters in _GREEK else letters if len(letters) == 1 else (
        f"\\mathit{{{letters}}}")  # fmt: skip
    subscript = ",".join(part for part in rest.split("_") if part)
    return f"{base}_{{{subscript}}}" if subscript else base


def partial(output: str, wrt: str) -> str:
    """d output / d wrt as a fraction of partials."""
    return f"\\frac{{\\partial {name(output)}}}{{\\partial {name(wrt)}}}"


def operation(op: str, arguments: Sequence[Expr]) -> str:
    """An operation applied to arguments (names or values), with the parentheses they need."""
    return apply(op, [tex(a) for a in arguments], [int(precedence(a)) for a in arguments],
                 latex=True)  # fmt: skip


def decimal(approx: Any, digits: int, zeros: bool = False) -> str:
    """A decimal in LaTeX: 0.7311, -12, 1.5 \\times 10^{-47}; `zeros` keeps trailing zeros
    to the digits asked (1.850: a rounded value shows all its significant digits)."""
    if isinstance(approx, float):  # mpmath prints a Python float whole
        approx = mpmath.mpf(approx)
    printed = str(mpmath.nstr(approx, digits, min_fixed=-4, max_fixed=digits + 2,
                              strip_zeros=not zeros))  # fmt: skip
    printed = printed.removesuffix(".0")
    mantissa, _, exponent = printed.partition("e")
    if not exponent:
        return mantissa
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def value(v: Value, digits: int) -> str:
    """The exact value, with its decimal unless it is an integer: \\frac{2}{3} \\approx 0.6667."""
    if v.exact.is_Integer:
        return tex(v.exact)
    approx = decimal(v.approx, digits)
    if too_long(v.exact) or (v.exact.is_Rational and len(str(v.exact)) > 20):
        return f"\\approx {approx}"  # long forms, and the 30-digit rationals of descent
    exact = tex(v.exact)
    if exact == approx:
        return approx
    relation = "=" if shows_exactly(v, digits) else "\\approx"
    return f"{exact} {relation} {approx}"


def written(function: Function) -> str:
    """The function as the author wrote it, in LaTeX: f(x, y, z) = \\left(x + y\\right) z."""
    head = name(function.name)
    if function.params is not None:
        head += "\\left(" + ", ".join(name(p) for p in function.params) + "\\right)"
    return f"{head} = {expression(function.text, function.body)}"


def expression(text: str, tree: Tree) -> str:
    """A parsed expression in LaTeX, keeping its written structure and literals."""
    return _written(text, tree)[0]


def _written(text: str, tree: Tree) -> tuple[str, int]:
    """LaTeX and precedence of a subtree (recursion is bounded by the language's depth
    limit on nesting; flat sums recurse once per term, within Python's limit)."""
    if tree.op == "number":
        mantissa, _, exponent = text[tree.start : tree.end].lower().partition("e")
        if exponent:
            return f"{mantissa} \\times 10^{{{int(exponent)}}}", PRODUCT
        return mantissa, ATOM
    if tree.op == "constant":
        return ("\\pi", ATOM) if tree.name == "pi" else ("e", ATOM)
    if tree.op == "name":
        return name(tree.name), ATOM
    if tree.op == "vector":
        items = ", ".join(_written(text, arg)[0] for arg in tree.args)
        return f"\\left[{items}\\right]", ATOM
    parts = [_written(text, arg) for arg in tree.args]
    printed, levels = [p for p, _ in parts], [lv for _, lv in parts]
    if tree.op == "dot":
        return f"{printed[0]} \\cdot {printed[1]}", PRODUCT
    level = {"add": SUM, "sub": SUM, "mul": PRODUCT, "div": PRODUCT, "neg": SUM,
             "pow": POWER}.get(tree.op, ATOM)  # fmt: skip
    return apply(tree.op, printed, levels, latex=True), level


def short(v: Value | Expr, digits: int = 4) -> str:
    """A number as a reader writes it: 2.4 and 0.1 for terminating rationals, 27/7 for
    other short ones, else the decimal of `v` (a Value) to `digits` digits."""
    exact = v.exact if isinstance(v, Value) else v
    if exact.is_Rational and len(str(exact)) <= 12:
        if exact.is_Integer or terminates(exact):
            return str(exact) if exact.is_Integer else decimal(to_mp(exact), 30)
        return tex(exact)
    return decimal(v.approx if isinstance(v, Value) else to_mp(exact), digits, zeros=True)


def terminates(q: Expr) -> bool:
    """Whether a rational has a finite decimal expansion (its denominator is 2^a 5^b)."""
    denominator = int(q.q)
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def equals(v: Value, digits: int) -> str:
    """"= 2.4" when `short` shows `v` exactly, else "\\approx 0.5121"."""
    shown = short(v, digits)
    exact = v.exact.is_Rational and len(str(v.exact)) <= 12
    return f"= {shown}" if exact else f"\\approx {shown}"


def source(text: str) -> str:
    """A node's written source (a sub-expression of the function) in LaTeX."""
    from derive.language import parse_expression

    return expression(text, parse_expression(text))


# -- compositions the renderers need (so that no other module writes LaTeX) -------------

ELLIPSIS = "\\dots"


def grouped(text: str) -> str:
    """Parentheses around an already printed formula."""
    return f"\\left({text}\\right)"


def signed(text: str) -> str:
    """A printed number as a factor: parentheses when it starts with a minus sign."""
    return grouped(text) if text.startswith("-") else text


def edge(source: str, target: str) -> str:
    """The wire along which a gradient flows back: f -> q."""
    return f"{name(source)} \\to {name(target)}"


def chain_product(upstream: str, local: str, downstream: str) -> str:
    """upstream x local = downstream, each already printed."""
    return f"{signed(upstream)} \\times {signed(local)} = {downstream}"


def update(current: str, sign: str, rate: str, gradient: str, new: str) -> str:
    """One gradient-descent update written out: 2 - 0.1 * (-4) = 2.4."""
    return f"{current} {sign} {rate} \\cdot {signed(gradient)} = {new}"


def descent_rule(objective: str, sign: str) -> str:
    """w_new = w_old - alpha dE/dw."""
    return (f"w_{{\\text{{new}}}} = w_{{\\text{{old}}}} {sign} \\alpha\\, "
            f"\\partial {name(objective)}/\\partial w")


def learning_rate(value: str) -> str:
    return f"\\alpha = {value}"


def directional(output: str) -> str:
    """The derivative along a direction v: v . grad f."""
    return f"v \\cdot \\nabla {name(output)}"


def vector(items: Sequence[str]) -> str:
    """A tuple of printed items: (2, -3, -3)."""
    return grouped(", ".join(items))


FORMULAS: dict[str, tuple[str, str]] = {
    "h": ("h", "h"), "times h": ("\\,h", "h"), "=": (" = ", " = "), "->": (" \\to ", " -> "),
    "sigmoid naive": ("1/(1 + e^{-a})", "1/(1 + exp(-a))"), "e^-a": ("e^{-a}", "exp(-a)"),
    "sigmoid stable": ("e^{a}/(1 + e^{a})", "exp(a)/(1 + exp(a))"), "a < 0": ("a < 0", "a < 0"),
    "a": ("a", "a"), "log(1 + u)": ("\\log(1 + u)", "log(1 + u)"), "u = ": ("u = ", "u = "),
    "u": ("u", "u"), "1 + u": ("1 + u", "1 + u"), "log1p(u)": ("\\mathrm{log1p}(u)", "log1p(u)"),
    "1/(1 + u)": ("1/(1 + u)", "1/(1 + u)"), "u >= 0": ("u \\ge 0", "u >= 0"),
    "-a/b^2": ("-a/b^{2}", "-a/b^2"), "b = ": ("b = ", "b = "), "1/b^2": ("1/b^{2}", "1/b^2"),
    "b -> 0": ("b \\to 0", "b -> 0"), "1/(2 sqrt(a))": ("1/(2\\sqrt{a})", "1/(2 sqrt(a))"),
    "a -> 0+": ("a \\to 0^{+}", "a -> 0+"), "sigmoid prime": ("\\sigma'", "sigmoid'"),
    "tanh prime": ("\\tanh'", "tanh'"), "(": ("(", "("), ") = ": (") = ", ") = "),
    "rank (": ("\\;(", " ("), ")": (")", ")"), "[": ("\\left(", "("), "]": ("\\right)", ")"),
    ", ": (", ", ", "), " = 0": (" = 0", " = 0"),
    "relu prime": ("\\operatorname{ReLU}'", "relu'"), "|": ("\\lvert ", "|"),
    "|end": ("\\rvert", "|"),
    "sigmoid bound": ("\\sigma'(q) = \\sigma(q)\\,(1 - \\sigma(q)) \\le \\tfrac{1}{4}",
                      "sigmoid'(q) = sigmoid(q) (1 - sigmoid(q)) <= 1/4"),
    "tanh bound": ("\\tanh'(q) = 1 - \\tanh^{2} q \\le 1", "tanh'(q) = 1 - tanh(q)^2 <= 1"),
    "relu bound": ("\\operatorname{ReLU}'(q) = 1", "relu'(q) = 1"),
    "q > 0": ("q > 0", "q > 0"), "q < 0": ("q < 0", "q < 0"), "q": ("q", "q"),
    "q = 0": ("q = 0", "q = 0"), "|q|": ("\\lvert q\\rvert", "|q|"),
}  # fmt: skip
"""Fixed formulas of the analysis sentences, in LaTeX and in plain text."""


def approach(variable: str, target: Expr, side: str) -> str:
    """z -> 0+ (the side shown for finite targets only)."""
    arrow = {"+": "^{+}", "-": "^{-}", "+-": ""}[side] if target.is_finite else ""
    return f"{name(variable)} \\to {tex(target)}{arrow}"


def condition(expression: Expr, relation: str) -> str:
    """The condition under which a node is undefined, in LaTeX."""
    if relation == "pole":
        return f"\\cos\\left({tex(expression)}\\right) = 0"
    symbol = {"zero": "= 0", "nonpositive": "\\le 0", "negative": "< 0"}[relation]
    return f"{tex(expression)} {symbol}"


# -- widths, for laying out LaTeX tables ---------------------------------------------------


def width(cell: str) -> int:
    """About how many characters a table cell (text with $math$) takes when typeset."""
    while (fraction := _first_fraction(cell)) is not None:
        start, end, numerator, denominator = fraction
        cell = cell[:start] + max(numerator, denominator, key=width) + cell[end:]
    cell = re.sub(r"\\(left|right|mathit|mathrm|operatorname|allowbreak)\b", "", cell)
    cell = re.sub(r"\\[A-Za-z]+", "x", cell)
    return len(re.sub(r"[{}$^_\\ ]", "", cell)) + cell.count(" ") // 2


def rigid_width(cell: str) -> int:
    """About how many characters the widest fraction of a cell takes: TeX cannot break a
    line inside one, so its column must be at least that wide."""
    widest = 0
    while (fraction := _first_fraction(cell)) is not None:
        start, end, numerator, denominator = fraction
        widest = max(widest, width(numerator), width(denominator))
        cell = cell[:start] + cell[end:]
    return widest


def _first_fraction(cell: str) -> tuple[int, int, str, str] | None:
    """The first \\frac{..}{..} of a cell: its span, numerator and denominator."""
    start = cell.find("\\frac{")
    if start < 0:
        return None
    parts, position = [], start + len("\\frac")
    for _ in range(2):
        depth, begin = 0, position
        while position < len(cell):
            depth += {"{": 1, "}": -1}.get(cell[position], 0)
            position += 1
            if depth == 0:
                break
        parts.append(cell[begin + 1 : position - 1])
    return start, position, parts[0], parts[1]
