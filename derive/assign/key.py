"""Every answerable quantity of a solved exercise, named as everywhere in derive.

`f` (the output), `value:NODE` (forward value of every other node, the inputs included,
so a key shows each student's point), `grad:NODE` (d output / d node, the total over
fan-out), `grad:SRC->DST` (one wire's contribution: grad:DST times d DST / d SRC, summed
over both positions of x * x) and `stepK:PARAM` (descent's value of PARAM after step K);
the data inputs of `given` have no gradient. The order is derive.marking's, the order of
working: forward values, then backwards each node's total followed by the wires into its
operands, then descent.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from derive.derivation import Derivation
from derive.graph import Graph
from derive.ops import Value
from derive.passes.backward import Backward
from derive.passes.descent import Descent
from derive.passes.forward import Forward
from derive.solution import Solution


@dataclass(frozen=True, slots=True)
class Quantity:
    """One number a student can be asked for."""

    name: str
    """"f", "value:q", "grad:q->f", "grad:x", "step1:w0"."""
    value: Value
    """Exact and high-precision value."""
    what: str
    """A short description for feedback and LMS blanks: "forward value of q"."""


def wires(bwd: Backward) -> dict[tuple[str, str], Value]:
    """grad:SRC->DST for every wire (SRC, DST) in backward order: each step's downstream,
    both positions of one source (x * x) summed."""
    out: dict[tuple[str, str], Value] = {}
    for step in bwd.steps:
        key = (step.input, step.node)
        if key in out:
            old = out[key]
            out[key] = Value.of(old.exact + step.downstream.exact,
                                old.approx + step.downstream.approx)
        else:
            out[key] = step.downstream
    return out


def given(d: Derivation) -> tuple[str, ...]:
    """The data inputs of the derivation (`given`), once the teaching helper's record has
    them; none before."""
    return tuple(getattr(d, "given", ()))


def derivation_quantities(d: Derivation) -> list[Quantity]:
    """f, the forward values, the wire gradients and the node gradients of `d`."""
    return pass_quantities(d.graph, d.forward, d.backward, given(d))


def pass_quantities(graph: Graph, fwd: Forward, bwd: Backward,
                    data: Collection[str] = ()) -> list[Quantity]:
    """The quantities of both passes (`data`: the given inputs, which have no gradient)."""
    values = fwd.values
    out = [Quantity("f", values[graph.output], f"the output {graph.output}")]
    out += [Quantity(f"value:{n.id}", values[n.id], f"forward value of {n.id}")
            for n in graph.nodes if n.op != "const" and n.id != graph.output]
    grads = bwd.gradients
    flows = wires(bwd)
    readers = {n.id: graph.consumers(n.id) for n in graph.nodes}
    for node in reversed(graph.nodes):
        if node.op == "const" or node.id in data:
            continue
        if readers[node.id]:
            out.append(Quantity(f"grad:{node.id}", grads[node.id],
                                f"gradient of {graph.output} with respect to {node.id}"))
        for source in dict.fromkeys(node.inputs):
            if (source, node.id) in flows and source not in data:
                out.append(Quantity(f"grad:{source}->{node.id}", flows[(source, node.id)],
                                    f"gradient along the wire {source} -> {node.id}"))
    return out


def blanks(items: list[Quantity], graph: Graph) -> list[Quantity]:
    """The quantities an LMS question asks for: the forward values of the operations (the
    inputs are given), every wire's gradient, the total gradient of each input and of each
    node with fan-out (a node with one wire has that wire's gradient), and descent."""
    inputs = set(graph.inputs)
    keep = []
    for item in items:
        kind, _, rest = item.name.partition(":")
        if kind == "value" and rest in inputs:
            continue
        if kind == "grad" and "->" not in rest and rest not in inputs and len(
                graph.consumers(rest)) < 2:  # fmt: skip
            continue
        keep.append(item)
    return keep


def descent_quantities(table: Descent | None) -> list[Quantity]:
    """stepK:PARAM for every step and parameter."""
    if table is None:
        return []
    return [Quantity(f"step{step.number}:{u.parameter}", u.new,
                     f"{u.parameter} after descent step {step.number}")
            for step in table.steps for u in step.updates]  # fmt: skip


def quantities(s: Solution) -> list[Quantity]:
    """Every answerable quantity of the solved exercise, in the order of working."""
    return derivation_quantities(s.derivation) + descent_quantities(s.descent)


def number(value: Value) -> str:
    """A key's number: the exact decimal when it terminates ("-1.6"), else the float's
    shortest repr ("0.7310585786300049")."""
    exact = value.exact
    if exact.is_Rational:
        q = int(exact.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:
            text = str(Decimal(int(exact.p)) / Decimal(int(exact.q)))
            return text.rstrip("0").rstrip(".") if "." in text else text
    return repr(float(value.approx))
