"""Backward pass: reverse-mode differentiation over the graph, one chain-rule step per
(operation, operand) pair, in reverse topological order.

Each step records the rule, the local derivative (symbolic in the node's arguments, and at
the point), the upstream gradient and the downstream product. Where a node feeds several
others, its gradient is the sum of the contributions, recorded as a Gather. The records
are final: renderers print them and never re-derive anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr

from derive.bounds import MAX_EXACT_BITS, Sizes
from derive.errors import DeriveError, DomainError
from derive.graph import Graph
from derive.ops import OPS, Value
from derive.passes.forward import Forward, bounded


@dataclass(frozen=True, slots=True)
class ChainStep:
    """The gradient flowing from one operation back into one of its operands."""

    node: str
    """The operation the gradient flows back from."""
    input: str
    """The operand it flows into."""
    position: int
    """The operand's position among the node's arguments (x * x has steps 0 and 1)."""
    rule: str
    """The rule giving the local derivative, e.g. "product rule"."""
    local: Expr
    """d node / d input, symbolic in the node's arguments (their node symbols)."""
    local_value: Value
    """The local derivative at the point."""
    upstream: Value
    """d output / d node."""
    downstream: Value
    """upstream * local: this step's contribution to d output / d input."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node, "input": self.input, "position": self.position,
            "rule": self.rule, "local": sympy.sstr(self.local),
            "local_value": self.local_value.to_dict(), "upstream": self.upstream.to_dict(),
            "downstream": self.downstream.to_dict(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Gather:
    """A node that feeds several others: its gradient is the sum of their contributions."""

    node: str
    steps: tuple[int, ...]
    """Indices into Backward.steps of the contributions, in the order they were made."""
    total: Value

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "steps": list(self.steps), "total": self.total.to_dict()}


@dataclass(frozen=True, slots=True)
class Backward:
    """Every chain-rule step and the gradient of the output with respect to every node."""

    steps: tuple[ChainStep, ...]
    """In reverse topological order of `node`, then by argument position."""
    gradients: Mapping[str, Value]
    """d output / d node for every node but constants; 1 for the output itself."""
    gathers: tuple[Gather, ...]
    """Nodes whose gradient adds up more than one contribution."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": [step.to_dict() for step in self.steps],
            "gradients": {k: v.to_dict() for k, v in self.gradients.items()},
            "gathers": [gather.to_dict() for gather in self.gathers],
        }


def product(a: Expr, b: Expr) -> Expr:
    """a * b, where a number times a sum stays a product as formed: 2*(a + b), not
    2*a + 2*b, which SymPy would build at the cost of the sum's size (on a network the
    loss's sum is as long as the network is wide, and every weight's gradient holds it)."""
    if b.is_Rational and a.is_Add:
        a, b = b, a
    if a.is_Rational and b.is_Add and a not in (0, 1):
        return sympy.Mul._from_args((a, b))
    return a * b


def backward(graph: Graph, fwd: Forward) -> Backward:
    """Reverse mode over `graph` at the point where `fwd` was evaluated."""
    ctx = fwd.context
    one, zero = Value(sympy.S.One, ctx.one), Value(sympy.S.Zero, ctx.zero)
    contributions: dict[str, list[int]] = {node.id: [] for node in graph.nodes}
    steps: list[ChainStep] = []
    gradients: dict[str, Value] = {}
    gathers: list[Gather] = []
    sizes = Sizes()

    def total(node_id: str) -> Value:
        parts = contributions[node_id]
        if node_id == graph.output:
            return one
        if not parts:
            return zero
        if len(parts) == 1:
            return steps[parts[0]].downstream
        exact = sympy.Add(*(steps[i].downstream.exact for i in parts))
        value = bounded(Value.of(exact, ctx.fsum(steps[i].downstream.approx for i in parts)),
                        sizes)
        gathers.append(Gather(node_id, tuple(parts), value))
        return value

    for node in reversed(graph.nodes):
        if graph.is_constant(node.id):  # literals and operations on literals only
            continue
        upstream = gradients[node.id] = total(node.id)
        if node.op == "input":
            continue
        op = OPS[node.op]
        args = [fwd.values[i] for i in node.inputs]
        needed = [not graph.is_constant(i) for i in node.inputs]
        reason = op.not_differentiable(args, needed)
        if reason is not None:
            raise DomainError(node.id, node.source, reason)
        symbolic = op.partials_for([graph.argument(i) for i in node.inputs], needed)
        numeric = op.numeric_partials(ctx, *(a.approx for a in args))
        # The partials applied to the exact values, not substituted into the symbolic ones:
        # the table's functions leave large arguments unevaluated (ops.EVALUATE_LIMIT)
        try:
            exact = op.partials_for([a.exact for a in args], needed)
        except DeriveError as exc:  # a power too large to compute exactly
            raise DomainError(node.id, node.source, str(exc)) from None
        for position, source in enumerate(node.inputs):
            if not needed[position]:
                continue
            local = symbolic[position]
            local_exact = exact[position]
            local_value = bounded(Value.of(local_exact, numeric[position]), sizes)
            downstream_exact = product(upstream.exact, local_value.exact)
            size = sizes.measure(downstream_exact)
            if size.bits > MAX_EXACT_BITS:
                raise DomainError(node.id, node.source, "the exact gradient has numbers of more "
                                  f"than {MAX_EXACT_BITS} bits")  # fmt: skip
            downstream = bounded(Value.of(downstream_exact, upstream.approx * local_value.approx),
                                 sizes)
            contributions[source].append(len(steps))
            steps.append(ChainStep(node.id, source, position, op.rule(position), local,
                                   local_value, upstream, downstream))
    ordered = {node.id: gradients[node.id] for node in graph.nodes if node.id in gradients}
    return Backward(tuple(steps), ordered, tuple(gathers))
