"""Analysis of how the function and its gradient behave, as facts the pages phrase.

- restrictions: where a node, or a derivative the backward pass needs, is undefined;
- kinks: relu and abs nodes, whose derivative at 0 is the subgradient 0 by convention;
- limits: f and every gradient component as one input goes somewhere (others held at the
  point), each side classified; every limit runs within a time budget;
- saturation: how much of its largest possible gradient each activation passes;
- hazards: float64 overflow thresholds and the stable rewrites that apply;
- sensitivity: each input's gradient, ranked by size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy
from sympy import Expr

from derive.derivation import Derivation
from derive.errors import DeriveError
from derive.graph import Graph, Node
from derive.ops import Value
from derive.passes.hazards import (
    EXP_OVERFLOW,
    EXP_UNDERFLOW,
    FLOAT_SATURATES,
    SATURATED,
    Hazard,
    Saturation,
    hazards,
    possible,
    saturation,
    upstream_inputs,
)
from derive.spec.records import Limit
from derive.symbolic import primitive
from derive.timebox import within

STATIONARY_INPUTS = 4
"""Stationary points are sought only for functions of at most this many parameters."""

__all__ = ["EXP_OVERFLOW", "EXP_UNDERFLOW", "FLOAT_SATURATES", "SATURATED", "Hazard",
           "Saturation"]  # re-exported: the facts of one node live in passes.hazards

LIMIT_SECONDS = 3.0
"""Budget for one SymPy limit; past it the limit is reported as unsettled."""
"""Stationary points are sought only for functions of at most this many inputs."""


@dataclass(frozen=True, slots=True)
class Restriction:
    """A set of points where a node (or the derivative through it) is undefined."""

    node: str
    source: str
    expression: Expr
    """The quantity the condition is about, in the inputs (the denominator, log's argument)."""
    relation: str
    """"zero", "nonpositive", "negative" or "pole" (cos of the expression is zero)."""
    affects: str
    """"function" (f itself is undefined there) or "gradient" (only the derivative is)."""
    possible: bool
    """False when SymPy proves the condition never holds for real inputs."""


@dataclass(frozen=True, slots=True)
class Kink:
    node: str
    source: str
    op: str
    expression: Expr
    """The argument, in the inputs: the kink is where it is 0."""
    at_point: bool
    """The point lies exactly on the kink."""


@dataclass(frozen=True, slots=True)
class LimitResult:
    limit: Limit
    of: str
    """"" for the function itself, else the input whose partial derivative this is."""
    expression: Expr
    """What the limit is taken of, with the other inputs at their values."""
    sides: tuple[tuple[str, Expr | None], ...]
    """("+", value) and/or ("-", value); None when SymPy did not settle within its budget."""
    form: Expr | None = None
    """The closed form before the other inputs are fixed (cos(z) for df/dz)."""

    @property
    def depends(self) -> bool:
        """Whether the quantity depends on the moving input at all (df/dz = cos z does not
        depend on y: its limit as y moves is not an effect of y)."""
        return self.limit.variable in {s.name for s in self.expression.free_symbols}

    @property
    def behaviours(self) -> tuple[str, ...]:
        return tuple(_behaviour(value) for _, value in self.sides)

    @property
    def behaviour(self) -> str:
        """exploding, vanishing, bounded, undefined, unsettled; or mixed when sides differ."""
        kinds = set(self.behaviours)
        return kinds.pop() if len(kinds) == 1 else "mixed"


@dataclass(frozen=True, slots=True)
class Sensitivity:
    input: str
    gradient: Value
    rank: int
    """1 for the largest |gradient|; equal gradients share a rank."""
    blocked: Blocked | None = None
    """For a gradient that is exactly 0: the node whose local derivative is 0 on its way."""


@dataclass(frozen=True, slots=True)
class Blocked:
    """A node whose local derivative is exactly 0 at the point, cutting off an input."""

    node: str
    op: str
    source: str
    argument: Value | None
    extremum: str = ""
    """"maximum" or "minimum" when the node is a sine or cosine at one (its derivative is
    0 there because the curve is flat)."""


@dataclass(frozen=True, slots=True)
class Stationary:
    """Where the whole gradient is zero (solved symbolically within a time budget)."""

    points: tuple[tuple[tuple[str, Expr], ...], ...] | None
    """Each solution as (input, value) pairs; a value may still contain other inputs (a
    line of stationary points). None when not settled (see `reason`)."""
    reason: str = ""
    """Why `points` is None: SymPy's solve is complete only for polynomial equations."""
    fixed_sign: tuple[str, Expr, str] | None = None
    """(input, closed form, ">" or "<") when one partial derivative has the same sign
    everywhere: then `points` is empty, and this is why."""
    never_zero: tuple[str, Expr] | None = None
    """(input, closed form) of a partial derivative whose numerator is a nonzero constant
    (1/z): it is never zero, so `points` is empty, and this is why."""


@dataclass(frozen=True, slots=True)
class Analysis:
    restrictions: tuple[Restriction, ...]
    kinks: tuple[Kink, ...]
    limits: tuple[LimitResult, ...]
    saturation: tuple[Saturation, ...]
    hazards: tuple[Hazard, ...]
    sensitivity: tuple[Sensitivity, ...]
    """In input order; `rank` orders them."""
    stationary: Stationary | None
    """None when the function has more than STATIONARY_INPUTS inputs (not attempted)."""
    variant_saturation: tuple[tuple[str, tuple[Saturation, ...]], ...] = ()
    """The activations of each variant (labelled as in the exercise), at the same point."""

    @property
    def ranking(self) -> tuple[Sensitivity, ...]:
        return tuple(sorted(self.sensitivity, key=lambda s: (s.rank, self.sensitivity.index(s))))


def analyse(d: Derivation, limits: Sequence[Limit] = (),
            variants: Sequence[tuple[str, Derivation]] = (), deep: bool = True) -> Analysis:
    """The facts of `d`; `limits` are computed only because the exercise asks for them, and
    `deep=False` (derive check) skips them and the search for stationary points."""
    graph = d.graph
    if not deep:
        limits = ()
    for limit in limits:
        if limit.variable not in graph.inputs:
            raise DeriveError(f"limit {limit.text!r}: {limit.variable!r} is not an input "
                              f"(inputs: {', '.join(graph.inputs)})")  # fmt: skip
    return Analysis(
        tuple(r for node in graph.operations for r in _restrictions(graph, node)),
        tuple(_kinks(d)),
        tuple(result for limit in limits for result in _limits(d, limit)),
        tuple(saturation(d)),
        tuple(h for node in graph.operations for h in hazards(d, node)),
        _sensitivity(d),
        _stationary(d) if deep and len(d.parameters) <= STATIONARY_INPUTS else None,
        tuple((label, tuple(saturation(v))) for label, v in variants),
    )


def _restrictions(graph: Graph, node: Node) -> list[Restriction]:
    args = [graph.written(i) for i in node.inputs]  # in the inputs unless huge (engine)
    found: list[tuple[Expr, str, str]] = []
    if node.op == "div":
        found.append((args[1], "zero", "function"))
    elif node.op == "log":
        found.append((args[0], "nonpositive", "function"))
    elif node.op == "sqrt":
        found += [(args[0], "negative", "function"), (args[0], "zero", "gradient")]
    elif node.op == "tan":
        found.append((args[0], "pole", "function"))
    elif node.op == "pow" and args[1].is_number:
        exponent = args[1]
        if exponent.is_negative:
            found.append((args[0], "zero", "function"))
        if not exponent.is_integer:
            found.append((args[0], "negative", "function"))
            if 0 < exponent < 1:
                found.append((args[0], "zero", "gradient"))
    elif node.op == "pow":
        found.append((args[0], "nonpositive", "gradient"))
    return [Restriction(node.id, node.source, expr, relation, affects, possible(expr, relation))
            for expr, relation, affects in found if expr.free_symbols]  # fmt: skip


def _kinks(d: Derivation) -> list[Kink]:
    graph = d.graph
    return [Kink(n.id, n.source, n.op, graph.written(n.inputs[0]), n.id in d.forward.kinks)
            for n in graph.operations if n.op in ("relu", "abs")]  # fmt: skip


def _limits(d: Derivation, limit: Limit) -> list[LimitResult]:
    graph = d.graph
    variable = graph.symbol(limit.variable)
    others = {graph.symbol(i): d.point[i] for i in graph.inputs if i != limit.variable}
    targets: list[tuple[str, Expr]] = [("", graph.written(graph.output))]
    targets += [(g.input, g.closed_form) for g in d.gradients]
    sides = ("+", "-") if limit.side == "+-" else (limit.side,)
    if _through(d):  # forms in intermediates' symbols: a limit in one input would be wrong
        return [LimitResult(limit, of, expr, tuple((side, None) for side in sides))
                for of, expr in targets]  # fmt: skip
    results = []
    for of, expr in targets:
        fixed = primitive(expr.xreplace(others)).replace(
            sympy.Heaviside, lambda a, h=None: sympy.Piecewise((1, a > 0), (0, True)))
        if variable in fixed.free_symbols:
            values = tuple((side, _limit(fixed, variable, limit.target, side)) for side in sides)
        else:  # the quantity does not depend on the moving input: it keeps its value
            values = tuple((side, fixed) for side in sides)
        results.append(LimitResult(limit, of, fixed, values, primitive(expr)))
    return results


def _limit(expr: Expr, variable: sympy.Symbol, target: Expr, side: str) -> Expr | None:
    def compute() -> Expr:
        return sympy.limit(expr, variable, target, side)

    try:
        value = within(LIMIT_SECONDS, compute)
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        return None  # SymPy gave up: as unsettled as running out of time
    if value is None or value.has(sympy.Limit):
        return None  # SymPy returned the limit unevaluated: it did not settle it
    return value


def _behaviour(value: Expr | None) -> str:
    if value is None or isinstance(value, sympy.Limit) or value.has(sympy.Limit):
        return "unsettled"
    if value in (sympy.oo, -sympy.oo, sympy.zoo):
        return "exploding"
    if value.has(sympy.AccumBounds) or value is sympy.nan:
        return "undefined"
    if value.is_zero:
        return "vanishing"
    return "bounded" if value.is_finite else "unsettled"


def _through(d: Derivation) -> bool:
    """Whether the closed forms are written through intermediates (too large otherwise)."""
    return any(g.through or g.upstream for g in d.gradients)


def _sensitivity(d: Derivation) -> tuple[Sensitivity, ...]:
    sizes = {g.input: _rounded(abs(g.value.approx)) for g in d.gradients}
    distinct = sorted(set(sizes.values()), reverse=True)
    return tuple(Sensitivity(g.input, g.value, distinct.index(sizes[g.input]) + 1,
                             _blocked(d, g.input) if g.value.exact == 0 else None)
                 for g in d.gradients)  # fmt: skip


def _blocked(d: Derivation, input_id: str) -> Blocked | None:
    """The first node (from the output) whose local derivative toward `input_id` is 0."""
    graph = d.graph
    for step in d.backward.steps:
        if step.local_value.exact != 0 or input_id not in upstream_inputs(graph, step.input):
            continue
        node = graph.node(step.node)
        argument = d.forward.values[node.inputs[0]] if node.inputs else None
        extremum = ""
        if node.op in ("sin", "cos"):
            out = d.forward.exact(node.id)
            extremum = "maximum" if out == 1 else "minimum" if out == -1 else ""
        return Blocked(node.id, node.op, node.source, argument, extremum)
    return None


def _rounded(size: Any) -> Any:
    """|gradient| to 25 digits, so that exact ties (-4 and -4) rank together."""
    return size.context.mpf(mpmath.nstr(size, 25))


def _stationary(d: Derivation) -> Stationary:
    graph = d.graph
    data = {graph.symbol(i): d.point[i] for i in d.given}
    symbols = [graph.symbol(i) for i in d.parameters]
    if _through(d):
        return Stationary(None, "the gradient is written through intermediates")
    forms = [primitive(g.closed_form).xreplace(data) for g in d.gradients]
    common = []  # each form over a common denominator, where _sign computed it
    for g, form in zip(d.gradients, forms, strict=True):
        sign, combined = _sign(form)
        if sign is not None:  # this partial is never zero, so neither is the gradient
            return Stationary((), fixed_sign=(g.input, g.closed_form.xreplace(data), sign))
        common.append(combined)

    numerators = [sympy.fraction(sympy.together(form) if combined is None else combined)[0]
                  for form, combined in zip(forms, common, strict=True)]
    if not all(n.is_polynomial(*symbols) for n in numerators):
        return Stationary(None, "SymPy could not show that a partial derivative keeps one sign, "
                                "and the equations are not polynomial (SymPy solves only those)")

    def solve() -> list[dict[Any, Expr]]:
        found = sympy.solve(numerators, symbols, dict=True)
        return [s for s in found if all(_finite(form.xreplace(s)) for form in forms)]

    try:
        solutions = within(LIMIT_SECONDS, solve)
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        solutions = None
    if solutions is None:
        return Stationary(None, "SymPy did not settle the equations in time")
    if not solutions:
        for g, numerator in zip(d.gradients, numerators, strict=True):
            if numerator.is_number and numerator != 0:
                return Stationary((), never_zero=(g.input, g.closed_form.xreplace(data)))
    by_name = {graph.symbol(i): i for i in d.parameters}
    points = tuple(
        tuple((by_name[k], v) for k, v in sorted(s.items(), key=lambda kv: str(kv[0])))
        for s in solutions
    )
    return Stationary(tuple(sorted(points, key=str)))


def _sign(form: Expr) -> tuple[str | None, Expr | None]:
    """">" or "<" when SymPy proves the form positive or negative for all real inputs,
    as written or over a common denominator (-x0 sigma(a)(1 - sigma(a)) is negative only
    once 1 - 1/(1 + e^-a) becomes e^-a/(1 + e^-a)); None otherwise or out of time. With
    it, the form over a common denominator when computed: the equations reuse it."""
    def decide(expr: Expr) -> str | None:
        return ">" if expr.is_positive else "<" if expr.is_negative else None

    def over_one() -> tuple[str | None, Expr]:
        combined = sympy.together(form)
        return decide(combined), combined

    found = decide(form)
    if found is not None or sympy.count_ops(form) > 60:
        return found, None
    try:
        return within(LIMIT_SECONDS, over_one) or (None, None)
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        return None, None


def _finite(value: Expr) -> bool:
    return not value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
