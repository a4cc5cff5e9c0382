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
from derive.spec.records import Limit
from derive.symbolic import primitive
from derive.timebox import within

LIMIT_SECONDS = 3.0
"""Budget for one SymPy limit; past it the limit is reported as unsettled."""
SATURATED = 0.1
"""An activation passing less than this share of its largest gradient is saturated."""
EXP_OVERFLOW = 709.782712893384
"""exp(a) overflows float64 for a above this (ln of the largest double)."""
EXP_UNDERFLOW = -745.1332191019412
"""exp(a) underflows to 0.0 in float64 for a below this."""
STATIONARY_INPUTS = 4
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

    @property
    def behaviours(self) -> tuple[str, ...]:
        return tuple(_behaviour(value) for _, value in self.sides)

    @property
    def behaviour(self) -> str:
        """exploding, vanishing, bounded, undefined, unsettled; or mixed when sides differ."""
        kinds = set(self.behaviours)
        return kinds.pop() if len(kinds) == 1 else "mixed"


@dataclass(frozen=True, slots=True)
class Saturation:
    node: str
    source: str
    op: str
    """"sigmoid", "tanh" or "relu"."""
    argument: Value
    derivative: Value
    """The activation's local derivative at the point."""
    maximum: Expr
    """The largest local derivative it can have (1/4 for sigmoid, 1 for tanh and relu)."""
    ratio: float
    saturated: bool


@dataclass(frozen=True, slots=True)
class Hazard:
    """A numerical-stability fact about one node."""

    kind: str
    """"exp-overflow", "sigmoid-stable", "log1p", "logsumexp", "division", "sqrt-zero",
    "bounded-trig"."""
    node: str
    source: str
    argument: Value | None = None
    """The node's argument at the point, where the fact concerns it."""
    detail: Expr | None = None
    """The u of log(1 + u), the denominator of a quotient, ..."""


@dataclass(frozen=True, slots=True)
class Sensitivity:
    input: str
    gradient: Value
    rank: int
    """1 for the largest |gradient|; equal gradients share a rank."""


@dataclass(frozen=True, slots=True)
class Stationary:
    """Where the whole gradient is zero (solved symbolically within a time budget)."""

    points: tuple[tuple[tuple[str, Expr], ...], ...] | None
    """Each solution as (input, value) pairs; a value may still contain other inputs (a
    line of stationary points). None when not settled (see `reason`)."""
    reason: str = ""
    """Why `points` is None: SymPy's solve is complete only for polynomial equations."""


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

    @property
    def ranking(self) -> tuple[Sensitivity, ...]:
        return tuple(sorted(self.sensitivity, key=lambda s: (s.rank, self.sensitivity.index(s))))


def analyse(d: Derivation, limits: Sequence[Limit] = ()) -> Analysis:
    graph = d.graph
    for limit in limits:
        if limit.variable not in graph.inputs:
            raise DeriveError(f"limit {limit.text!r}: {limit.variable!r} is not an input "
                              f"(inputs: {', '.join(graph.inputs)})")  # fmt: skip
    return Analysis(
        tuple(r for node in graph.operations for r in _restrictions(graph, node)),
        tuple(_kinks(d)),
        tuple(result for limit in limits for result in _limits(d, limit)),
        tuple(_saturation(d)),
        tuple(h for node in graph.operations for h in _hazards(d, node)),
        _sensitivity(d),
        _stationary(d) if len(graph.inputs) <= STATIONARY_INPUTS else None,
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
    return [Restriction(node.id, node.source, expr, relation, affects, _possible(expr, relation))
            for expr, relation, affects in found if expr.free_symbols]  # fmt: skip


def _possible(expr: Expr, relation: str) -> bool:
    """False only when SymPy's assumptions on real inputs rule the condition out."""
    ruled_out = {"zero": expr.is_nonzero, "nonpositive": expr.is_positive,
                 "negative": expr.is_nonnegative, "pole": None}[relation]  # fmt: skip
    return ruled_out is not True


def _kinks(d: Derivation) -> list[Kink]:
    graph = d.graph
    return [Kink(n.id, n.source, n.op, graph.written(n.inputs[0]), n.id in d.forward.kinks)
            for n in graph.operations if n.op in ("relu", "abs")]  # fmt: skip


def _limits(d: Derivation, limit: Limit) -> list[LimitResult]:
    graph = d.graph
    variable = graph.symbol(limit.variable)
    others = {graph.symbol(i): d.point[i] for i in graph.inputs if i != limit.variable}
    targets = [("", graph.written(graph.output))]
    targets += [(g.input, g.closed_form) for g in d.gradients]
    sides = ("+", "-") if limit.side == "+-" else (limit.side,)
    if _through(d):  # forms in intermediates' symbols: a limit in one input would be wrong
        return [LimitResult(limit, of, expr, tuple((side, None) for side in sides))
                for of, expr in targets]  # fmt: skip
    results = []
    for of, expr in targets:
        fixed = primitive(expr.xreplace(others)).replace(
            sympy.Heaviside, lambda a, h=None: sympy.Piecewise((1, a > 0), (0, True)))
        values = tuple((side, _limit(fixed, variable, limit.target, side)) for side in sides)
        results.append(LimitResult(limit, of, fixed, values))
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


def _saturation(d: Derivation) -> list[Saturation]:
    found = []
    for node in d.graph.operations:
        if node.op not in ("sigmoid", "tanh", "relu"):
            continue
        argument, out = d.forward.values[node.inputs[0]], d.forward.values[node.id]
        if node.op == "sigmoid":
            local = Value.of(out.exact * (1 - out.exact), out.approx * (1 - out.approx))
            maximum = sympy.Rational(1, 4)
        elif node.op == "tanh":
            local = Value.of(1 - out.exact**2, 1 - out.approx**2)
            maximum = sympy.S.One
        else:
            ctx = d.forward.context
            local = Value(sympy.S.One, ctx.one) if argument.approx > 0 else Value(
                sympy.S.Zero, ctx.zero)  # fmt: skip
            maximum = sympy.S.One
        ratio = float(local.approx) / float(maximum)
        found.append(Saturation(node.id, node.source, node.op, argument, local, maximum, ratio,
                                ratio < SATURATED))  # fmt: skip
    return found


def _hazards(d: Derivation, node: Node) -> list[Hazard]:
    graph, values = d.graph, d.forward.values
    argument = values[node.inputs[0]] if node.inputs else None
    args = [graph.node(i) for i in node.inputs]
    if node.op == "exp":
        return [Hazard("exp-overflow", node.id, node.source, argument)]
    if node.op == "sigmoid":
        return [Hazard("sigmoid-stable", node.id, node.source, argument)]
    if node.op in ("sin", "cos"):
        return [Hazard("bounded-trig", node.id, node.source, argument)]
    if node.op == "log":
        inner = args[0]
        found = []
        one = _plus_one(graph, inner)
        if one is not None:
            found.append(Hazard("log1p", node.id, node.source, argument, one))
        if inner.op == "add" and all(graph.node(i).op == "exp" for i in inner.inputs):
            found.append(Hazard("logsumexp", node.id, node.source, argument))
        return found
    exprs = [graph.written(i) for i in node.inputs]  # in the inputs unless huge (engine)
    if node.op == "div" and exprs[1].free_symbols and _possible(exprs[1], "zero"):
        return [Hazard("division", node.id, node.source, values[node.inputs[1]], exprs[1])]
    if node.op == "sqrt" and exprs[0].free_symbols and _possible(exprs[0], "zero"):
        return [Hazard("sqrt-zero", node.id, node.source, argument, exprs[0])]
    return []


def _through(d: Derivation) -> bool:
    """Whether the closed forms are written through intermediates (too large otherwise)."""
    return any(g.through or g.upstream for g in d.gradients)


def _plus_one(graph: Graph, node: Node) -> Expr | None:
    """u when `node` is u + 1 or 1 + u as written (log of it is log1p(u)), else None."""
    if node.op != "add":
        return None
    left, right = (graph.node(i) for i in node.inputs)
    for one, other in ((left, right), (right, left)):
        if one.op == "const" and one.expr == 1:
            return graph.written(other.id)
    return None


def _sensitivity(d: Derivation) -> tuple[Sensitivity, ...]:
    sizes = {g.input: _rounded(abs(g.value.approx)) for g in d.gradients}
    distinct = sorted(set(sizes.values()), reverse=True)
    return tuple(Sensitivity(g.input, g.value, distinct.index(sizes[g.input]) + 1)
                 for g in d.gradients)  # fmt: skip


def _rounded(size: Any) -> Any:
    """|gradient| to 25 digits, so that exact ties (-4 and -4) rank together."""
    return size.context.mpf(mpmath.nstr(size, 25))


def _stationary(d: Derivation) -> Stationary:
    graph = d.graph
    symbols = [graph.symbol(i) for i in graph.inputs]
    if _through(d):
        return Stationary(None, "the gradient is written through intermediates")
    forms = [primitive(g.closed_form) for g in d.gradients]

    numerators = [sympy.fraction(sympy.together(form))[0] for form in forms]
    if not all(n.is_polynomial(*symbols) for n in numerators):
        return Stationary(None, "the gradient is not a rational function of the inputs")

    def solve() -> list[dict[Any, Expr]]:
        found = sympy.solve(numerators, symbols, dict=True)
        return [s for s in found if all(_finite(form.xreplace(s)) for form in forms)]

    try:
        solutions = within(LIMIT_SECONDS, solve)
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        solutions = None
    if solutions is None:
        return Stationary(None, "SymPy did not settle the equations in time")
    by_name = {graph.symbol(i): i for i in graph.inputs}
    points = tuple(
        tuple((by_name[k], v) for k, v in sorted(s.items(), key=lambda kv: str(kv[0])))
        for s in solutions
    )
    return Stationary(tuple(sorted(points, key=str)))


def _finite(value: Expr) -> bool:
    return not value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
