"""Facts about single nodes: how much gradient each activation passes (saturation) and
the float64 hazards of exponentials, sigmoids, logs, quotients and roots at the point."""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from derive.derivation import Derivation
from derive.graph import Graph, Node
from derive.ops import OPS, Value

SATURATED = 0.1
"""An activation passing less than this share of its largest gradient is saturated."""
EXP_OVERFLOW = 709.782712893384
"""exp(a) overflows float64 for a above this (ln of the largest double)."""
EXP_UNDERFLOW = -745.1332191019412
"""exp(a) underflows to 0.0 in float64 for a below this."""
FLOAT_SATURATES = 36.7368005696771
"""Past this a, 1 + e^(-a) rounds to 1 in float64: sigma(a) computes as exactly 1 and
sigma(a)(1 - sigma(a)) as 0. Only the positive side: for a below -36.7, 1 + e^(-a) rounds
to e^(-a) and sigma(a) to e^a, which is accurate (down to -EXP_OVERFLOW, where e^(-a)
overflows and 1/(1 + e^(-a)) gives 0)."""


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
    behind: tuple[str, ...] = ()
    """The inputs whose gradient flows back through this node (in input order)."""
    around: tuple[str, ...] = ()
    """Those of `behind` that also reach the output by a path avoiding this node: only part
    of their gradient carries its factor."""


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
    local: Expr | None = None
    """The local derivative the fact is about, in the inputs (-(x + y)/z^2 for the
    denominator z of (x + y)/z)."""
    local_value: Value | None = None

    def argument_or(self) -> Value:
        """The argument (facts about exponentials and sigmoids always have one)."""
        assert self.argument is not None
        return self.argument

    @property
    def near(self) -> bool:
        """Whether the point is close enough to the hazard for it to matter here: an
        exponential's argument past FLOAT_SATURATES in size; a sigmoid's above
        FLOAT_SATURATES (it computes as exactly 1) or below -EXP_OVERFLOW (e^(-a)
        overflows in 1/(1 + e^(-a)))."""
        if self.kind not in ("exp-overflow", "sigmoid-stable") or self.argument is None:
            return True
        a = float(self.argument.approx)
        if self.kind == "sigmoid-stable":
            return a > FLOAT_SATURATES or a < -EXP_OVERFLOW
        return abs(a) > FLOAT_SATURATES


def possible(expr: Expr, relation: str) -> bool:
    """False only when SymPy's assumptions on real inputs rule the condition out."""
    ruled_out = {"zero": expr.is_nonzero, "nonpositive": expr.is_positive,
                 "negative": expr.is_nonnegative, "pole": None}[relation]  # fmt: skip
    return ruled_out is not True


def saturation(d: Derivation) -> list[Saturation]:
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
        behind = upstream_inputs(d.graph, node.id)
        avoiding = set(upstream_inputs(d.graph, d.graph.output, avoid=node.id))
        found.append(Saturation(node.id, node.source, node.op, argument, local, maximum, ratio,
                                ratio < SATURATED, behind,
                                tuple(i for i in behind if i in avoiding)))  # fmt: skip
    return found


def hazards(d: Derivation, node: Node) -> list[Hazard]:
    graph, values = d.graph, d.forward.values
    argument = values[node.inputs[0]] if node.inputs else None
    args = [graph.node(i) for i in node.inputs]
    exprs = [graph.written(i) for i in node.inputs]  # in the inputs unless huge (engine)
    if node.op == "exp":
        return [Hazard("exp-overflow", node.id, node.source, argument)]
    if node.op == "sigmoid":
        return [Hazard("sigmoid-stable", node.id, node.source, argument)]
    if node.op in ("sin", "cos"):
        assert argument is not None
        local_expr = sympy.cos(exprs[0]) if node.op == "sin" else -sympy.sin(exprs[0])
        exact = (local_expr.xreplace({graph.symbol(i): d.point[i] for i in graph.inputs})
                 if exprs[0] is args[0].expr else  # else written through intermediates: the
                 OPS[node.op].partials(argument.exact)[0])  # forward value, not a huge form
        approx = (argument.approx.context.cos if node.op == "sin" else
                  lambda t: -argument.approx.context.sin(t))(argument.approx)  # fmt: skip
        return [Hazard("bounded-trig", node.id, node.source, argument, exprs[0],
                       local_expr, Value.of(exact, approx))]
    if node.op == "log":
        inner = args[0]
        found = []
        one = _plus_one(graph, inner)
        if one is not None:
            found.append(Hazard("log1p", node.id, node.source, argument, one))
        if inner.op == "add" and all(graph.node(i).op == "exp" for i in inner.inputs):
            found.append(Hazard("logsumexp", node.id, node.source, argument))
        return found
    if node.op == "div" and exprs[1].free_symbols and possible(exprs[1], "zero"):
        num, den = exprs[0], exprs[1]
        a, b = values[node.inputs[0]], values[node.inputs[1]]
        local = Value.of(-a.exact / b.exact**2, -a.approx / b.approx**2)
        return [Hazard("division", node.id, node.source, b, den, -num / den**2, local)]
    if node.op == "sqrt" and exprs[0].free_symbols and possible(exprs[0], "zero"):
        return [Hazard("sqrt-zero", node.id, node.source, argument, exprs[0])]
    return []


def _plus_one(graph: Graph, node: Node) -> Expr | None:
    """u when `node` is u + 1 or 1 + u as written (log of it is log1p(u)), else None."""
    if node.op != "add":
        return None
    left, right = (graph.node(i) for i in node.inputs)
    for one, other in ((left, right), (right, left)):
        if one.op == "const" and one.expr == 1:
            return graph.written(other.id)
    return None


def upstream_inputs(graph: Graph, node_id: str, avoid: str = "") -> tuple[str, ...]:
    """The inputs a node depends on, in input order (through paths that avoid the node
    `avoid`, if given)."""
    seen, stack = set(), [node_id]
    while stack:
        current = stack.pop()
        if current not in seen and current != avoid:
            seen.add(current)
            stack.extend(graph.node(current).inputs)
    return tuple(i for i in graph.inputs if i in seen)
