"""Closed-form gradients: the backward pass's steps replayed with each node's symbolic
expression in place of its value, so d f / d x comes out as a formula in the inputs.

Nothing is simplified beyond SymPy's automatic evaluation: the forms keep the rules' shape
(sigmoid's derivative stays sigma(a)(1 - sigma(a))), and stay linear in the graph's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr

from derive.graph import Graph
from derive.ops import Value
from derive.passes.backward import Backward


@dataclass(frozen=True, slots=True)
class Gradient:
    """d f / d input: closed form, exact value and high-precision value at the point."""

    input: str
    closed_form: Expr
    value: Value

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "closed_form": sympy.sstr(self.closed_form),
                **self.value.to_dict()}  # fmt: skip


def gradients(graph: Graph, bwd: Backward) -> tuple[Gradient, ...]:
    """One Gradient per scalar input of `graph`, in input order."""
    forms = closed_forms(graph, bwd)
    return tuple(Gradient(i, forms[i], bwd.gradients[i]) for i in graph.inputs)


def closed_forms(graph: Graph, bwd: Backward) -> dict[str, Expr]:
    """d output / d node as an expression of the inputs, for every node the pass reached."""
    parts: dict[str, list[Expr]] = {node.id: [] for node in graph.nodes}
    forms: dict[str, Expr] = {graph.output: sympy.S.One}

    def form(node_id: str) -> Expr:
        if node_id not in forms:
            forms[node_id] = sympy.Add(*parts[node_id])
        return forms[node_id]

    for step in bwd.steps:
        node = graph.node(step.node)
        in_inputs = {graph.symbol(i): graph.node(i).expr for i in node.inputs}
        parts[step.input].append(form(step.node) * step.local.xreplace(in_inputs))
    return {node.id: form(node.id) for node in graph.nodes if node.op != "const"}
