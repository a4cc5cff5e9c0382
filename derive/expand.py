"""Fused gates expanded into primitives: a rewrite of the graph, then the passes again.

A sigmoid gate becomes CS231n's chain -x, exp, +1, 1/x (sigma(z) = 1 / (1 + e^-z)), and a
dot product becomes its products and sums. Every other node, its id and its name stay;
the expanded gate's last node keeps the fused gate's id, so the output and the author's
names are the same in both drawings, and the new intermediate nodes are named after the
gate they came from (f.1, f.2, ...: a dot never occurs in an input's or author's name).

`paths` gives, for each expanded sigmoid, the local derivatives along the expanded chain
and their product, which equals the fused gate's local derivative sigma(1 - sigma).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy

from derive.derivation import Derivation
from derive.graph import Graph, Node
from derive.ops import OPS, Value
from derive.passes.backward import backward
from derive.passes.forward import forward
from derive.passes.gradients import gradients

EXPANDABLE = ("sigmoid", "dot")


def expandable(d: Derivation) -> bool:
    """Whether expanding changes the circuit of `d` (it has a sigmoid or a dot gate)."""
    return any(n.op in EXPANDABLE for n in d.graph.nodes)


def expand_graph(graph: Graph) -> Graph:
    """`graph` with every sigmoid and dot node rewritten into primitive nodes."""
    nodes: list[Node] = []
    index: dict[str, Node] = {}
    one = next((n for n in graph.nodes if n.op == "const" and n.expr == 1), None)

    def add(node: Node) -> str:
        nodes.append(node)
        index[node.id] = node
        return node.id

    def make(node_id: str, op: str, inputs: tuple[str, ...], source: str,
             named: bool = False) -> str:
        expr = OPS[op].build(*(index[i].expr for i in inputs))
        return add(Node(node_id, op, inputs, expr, source, named))

    for node in graph.nodes:
        if node.op == "sigmoid":
            if one is None:
                one = Node("1", "const", (), sympy.S.One, "1")
            if one.id not in index:
                add(one)
            (z,) = node.inputs
            a = make(f"{node.id}.1", "neg", (z,), f"-{z}")
            b = make(f"{node.id}.2", "exp", (a,), f"exp({a})")
            c = make(f"{node.id}.3", "add", (b, one.id), f"{b} + 1")
            make(node.id, "div", (one.id, c), f"1 / {c}", node.named)
        elif node.op == "dot":
            half = len(node.inputs) // 2
            terms = []
            for i in range(half):
                u, v = node.inputs[i], node.inputs[half + i]
                last = half == 1
                terms.append(make(node.id if last else f"{node.id}.{i + 1}", "mul", (u, v),
                                  f"{u} * {v}", node.named and last))  # fmt: skip
            total, counter = terms[0], half
            for k, term in enumerate(terms[1:], 2):
                last = k == half
                counter += 1
                total = make(node.id if last else f"{node.id}.{counter}", "add", (total, term),
                             f"{total} + {term}", node.named and last)  # fmt: skip
        elif node.id not in index:
            add(node)
    return Graph(graph.function, tuple(nodes), graph.inputs, graph.vectors, graph.output,
                 graph.where)  # fmt: skip


def expand(d: Derivation) -> Derivation:
    """The derivation of `d`'s function at its point, on the expanded graph. The check is
    `d`'s own: the function and its gradient are the same."""
    graph = expand_graph(d.graph)
    fwd = forward(graph, d.point)
    bwd = backward(graph, fwd)
    return dataclasses.replace(d, graph=graph, forward=fwd, backward=bwd,
                               gradients=gradients(graph, bwd))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Path:
    """A fused sigmoid's local derivative and the expanded chain that gives it."""

    gate: str
    """The sigmoid node's id (the chain's last node in the expanded graph)."""
    operand: str
    fused: Value
    """d gate / d operand on the fused graph: sigma(z)(1 - sigma(z))."""
    chain: tuple[tuple[str, str, str, Value], ...]
    """(from, to, op of `to`, local derivative) along the expanded chain."""
    product: Value
    """The product of the chain's local derivatives."""


def paths(fused: Derivation, expanded: Derivation) -> tuple[Path, ...]:
    """For every sigmoid gate of `fused`, its expanded chain of local derivatives."""
    out = []
    steps = {(s.input, s.node): s for s in expanded.backward.steps}
    for step in fused.backward.steps:
        if fused.graph.node(step.node).op != "sigmoid":
            continue
        gate, z = step.node, step.input
        hops = [(z, f"{gate}.1"), (f"{gate}.1", f"{gate}.2"), (f"{gate}.2", f"{gate}.3"),
                (f"{gate}.3", gate)]  # fmt: skip
        chain = tuple((a, b, expanded.graph.node(b).op, steps[(a, b)].local_value)
                      for a, b in hops)  # fmt: skip
        exact, approx = sympy.S.One, step.local_value.approx.context.one
        for *_, local in chain:
            exact, approx = exact * local.exact, approx * local.approx
        out.append(Path(gate, z, step.local_value, chain, Value.of(exact, approx)))
    return tuple(out)
