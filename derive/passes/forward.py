"""Forward pass: the exact value of every node, and its value to PRECISION digits.

Domain checks run before each operation: a point where a node is undefined stops the pass
with a DomainError naming the node, and nothing downstream is computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import Expr

from derive.bounds import MAX_EXACT_BITS, Sizes
from derive.errors import DeriveError, DomainError
from derive.graph import Graph, Node
from derive.numeric import MP, context_for, to_mp
from derive.ops import OPS, Value


@dataclass(frozen=True, slots=True)
class Forward:
    """The values of every node at one point."""

    values: Mapping[str, Value]
    """Exact and high-precision value of every node, keyed by node id."""
    kinks: tuple[str, ...]
    """Nodes (relu, abs) evaluated exactly at their kink: their derivative is the
    subgradient 0 by convention, and finite differences do not apply there."""
    context: Any = field(default=MP, repr=False, compare=False)
    """The mpmath context of the high-precision values (more digits for huge inputs)."""

    def exact(self, node_id: str) -> Expr:
        return self.values[node_id].exact

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": {k: v.to_dict() for k, v in self.values.items()},
            "kinks": list(self.kinks),
        }


def forward(graph: Graph, point: Mapping[str, Expr],
            approx: Mapping[str, Any] | None = None) -> Forward:
    """Evaluate every node of `graph` at `point` (exact values of the scalar inputs);
    `approx` may give the inputs' high-precision values where they are already known."""
    ctx = context_for([*point.values(), *(n.expr for n in graph.nodes if n.op == "const")],
                      approx.values() if approx else ())
    values: dict[str, Value] = {}
    kinks: list[str] = []
    sizes = Sizes()
    for node in graph.nodes:
        if node.op == "input":
            exact = point[node.id]
            known = approx.get(node.id) if approx else None
            values[node.id] = Value(exact, ctx.mpf(known) if known is not None else (
                to_mp(exact, ctx)))  # fmt: skip
        elif node.op == "const":
            values[node.id] = Value(node.expr, to_mp(node.expr, ctx))
        else:
            args = [values[i] for i in node.inputs]
            values[node.id] = evaluate(node, args, ctx, sizes)
            if OPS[node.op].kink(args):
                kinks.append(node.id)
    return Forward(values, tuple(kinks), ctx)


def evaluate(node: Node, args: list[Value], ctx: Any = MP, sizes: Sizes | None = None) -> Value:
    """One operation applied to its arguments' values, after its domain check. `sizes`
    remembers the parts of values already measured (one per pass keeps the pass linear)."""
    op = OPS[node.op]
    reason = op.undefined(args)
    if reason is not None:
        raise DomainError(node.id, node.source, reason)
    try:
        exact = op.build(*(a.exact for a in args))
    except DeriveError as exc:
        raise DomainError(node.id, node.source, str(exc)) from None
    sizes = sizes or Sizes()
    size = sizes.measure(exact)
    if size.bits > MAX_EXACT_BITS:
        raise DomainError(node.id, node.source,
                          f"the exact value has numbers of more than {MAX_EXACT_BITS} bits")
    approx = op.numeric(ctx, *(a.approx for a in args))
    # A safety net behind the domain checks; structural and numeric, because asking SymPy's
    # assumptions (is_real, is_finite) of every exact value dominates the pass's time.
    if size.not_real or not isinstance(approx, ctx.mpf) or not ctx.isfinite(approx):
        raise DomainError(node.id, node.source, "the value is not a finite real number")
    return bounded(Value.of(exact, approx), sizes)


def bounded(value: Value, sizes: Sizes) -> Value:
    """`value`, or its decimal in place of its exact form when that is past MAX_EXACT_SIZE
    nodes or MAX_EXACT_DEPTH levels: an exact form far larger than the graph (a chain
    y2 = sin(y1)*y1, ... doubles at each step) could not be printed or computed with."""
    if sizes.exact(value.exact):
        return value
    return Value(sympy.Float(value.approx, value.approx.context.dps), value.approx)


def numeric_value(graph: Graph, inputs: Mapping[str, Any], ctx: Any) -> Any:
    """The function's value in mpmath context `ctx` at `inputs` (input id -> number), with no
    exact arithmetic: the finite-difference check evaluates the function this way."""
    values: dict[str, Any] = {}
    for node in graph.nodes:
        if node.op == "input":
            values[node.id] = inputs[node.id]
        elif node.op == "const":
            values[node.id] = to_mp(node.expr, ctx)
        else:
            values[node.id] = OPS[node.op].numeric(ctx, *(values[i] for i in node.inputs))
    return values[graph.output]
