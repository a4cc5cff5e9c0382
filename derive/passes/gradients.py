"""Closed-form gradients: the backward pass's steps replayed with each node's symbolic
expression in place of its value, so d f / d x comes out as a formula in the inputs.

Nothing is simplified beyond SymPy's automatic evaluation: the forms keep the rules' shape
(sigmoid's derivative stays sigma(a)(1 - sigma(a))), and stay linear in the graph's size.
Where a form written in the inputs alone would be far larger than the graph (a chain
y2 = sin(y1)*y1, y3 = sin(y2)*y2, ... doubles at every step), it is written through the
intermediates instead: their symbols stand in the form, and `Gradient.through` names them.
Where even that is too large (each y feeds two nodes, so the gradient's own form doubles at
every step too), the form is the last chain-rule step: the gradients of the intermediates
stand in it as symbols d<f>_d<node> (`Gradient.upstream` names them), their values being
the backward pass's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr, Symbol

from derive.graph import Graph
from derive.ops import OPS, Value
from derive.passes.backward import Backward

MAX_FORM_SIZE = 5_000
"""Largest closed form, in nodes of its expression tree, written in the inputs alone; a
larger one is written through the intermediates."""
_CAP = 1 << 62  # sizes are bounds: past this they only need to be "too large"


@dataclass(frozen=True, slots=True)
class Gradient:
    """d f / d input: closed form, exact value and high-precision value at the point."""

    input: str
    closed_form: Expr
    value: Value
    through: tuple[str, ...] = ()
    """Intermediate nodes whose symbols stand in `closed_form` for their own expressions
    (in topological order; their definitions are the graph's), because the form written in
    the inputs alone would be far larger than the graph. Empty when it is in the inputs."""
    upstream: tuple[str, ...] = ()
    """Intermediate nodes whose gradient d f / d node stands in `closed_form` as the symbol
    `gradient_symbol(f, node)`; empty unless even `through` could not keep it small."""

    def to_dict(self) -> dict[str, Any]:
        data = {"input": self.input, "closed_form": sympy.sstr(self.closed_form),
                **self.value.to_dict()}  # fmt: skip
        if self.through:
            data["through"] = list(self.through)
        if self.upstream:
            data["upstream"] = list(self.upstream)
        return data


def gradients(graph: Graph, bwd: Backward) -> tuple[Gradient, ...]:
    """One Gradient per scalar input of `graph`, in input order."""
    through, upstream = intermediates(graph)
    forms = closed_forms(graph, bwd, through, upstream)
    return tuple(Gradient(i, forms[i], bwd.gradients[i], through, upstream)
                 for i in graph.inputs)  # fmt: skip


def gradient_symbol(output: str, node: str) -> Symbol:
    """The symbol d<output>_d<node> standing for d output / d node in a closed form."""
    return Symbol(f"d{output}_d{node}", real=True)


def tree_sizes(graph: Graph, kept: Collection[str] = ()) -> dict[str, int]:
    """Nodes of each node's expression as a tree (a bound: SymPy may shorten it), with the
    `kept` nodes counted as symbols. Linear in the graph's size."""
    sizes: dict[str, int] = {}
    for node in graph.nodes:
        if node.op in ("input", "const") or node.id in kept:
            sizes[node.id] = 1
        else:
            sizes[node.id] = min(1 + sum(sizes[i] for i in node.inputs), _CAP)
    return sizes


def form_sizes(graph: Graph, kept: Collection[str] = ()) -> dict[str, int]:
    """A bound on the size of each input's closed form (its tree), from the steps the
    backward pass takes: each adds the upstream form times a local derivative, which holds
    the node's arguments (twice at most). Linear in the graph's size."""
    trees = tree_sizes(graph, kept)
    sizes = dict.fromkeys((node.id for node in graph.nodes), 0)
    sizes[graph.output] = 1
    for node in reversed(graph.nodes):
        if node.op == "input" or graph.is_constant(node.id):
            continue
        if node.op in ("add", "sub", "neg"):
            local = 1  # a constant: 1 or -1
        elif node.op in ("mul", "dot"):
            local = sum(trees[i] for i in node.inputs)  # the other factor
        else:
            local = 2 * sum(trees[i] for i in node.inputs) + 3
        for source in dict.fromkeys(node.inputs):
            if not graph.is_constant(source):
                sizes[source] = min(sizes[source] + sizes[node.id] + local, _CAP)
    return sizes


def intermediates(graph: Graph) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The nodes whose values, and those whose gradients, are written as symbols in the
    closed forms: none when every form in the inputs stays within MAX_FORM_SIZE; else the
    author's named intermediates, if that is enough; else every intermediate operation; else
    every intermediate operation's value and gradient."""

    def largest(kept: Collection[str]) -> int:
        sizes = form_sizes(graph, kept)
        return max((sizes[i] for i in graph.inputs), default=0)

    if largest(()) <= MAX_FORM_SIZE:
        return (), ()
    operations = [n.id for n in graph.operations
                  if n.id != graph.output and not graph.is_constant(n.id)]  # fmt: skip
    named = [i for i in operations if graph.node(i).named]
    if named and largest(set(named)) <= MAX_FORM_SIZE:
        return tuple(named), ()
    if largest(set(operations)) <= MAX_FORM_SIZE:
        return tuple(operations), ()
    return tuple(operations), tuple(operations)


def closed_forms(graph: Graph, bwd: Backward, through: Collection[str] = (),
                 upstream: Collection[str] = ()) -> dict[str, Expr]:
    """d output / d node as an expression of the inputs (and of the `through` nodes'
    symbols, and the `upstream` nodes' gradient symbols), for every node the pass reached."""
    parts: dict[str, list[Expr]] = {node.id: [] for node in graph.nodes}
    forms: dict[str, Expr] = {graph.output: sympy.S.One}
    forms.update({i: gradient_symbol(graph.output, i) for i in upstream})
    written = _written(graph, through)

    def form(node_id: str) -> Expr:
        if node_id not in forms:
            forms[node_id] = sympy.Add(*parts[node_id])
        return forms[node_id]

    current, in_inputs = "", {}
    for step in bwd.steps:  # the steps of one node come together
        if step.node != current:
            current, node = step.node, graph.node(step.node)
            in_inputs = {graph.symbol(i): written(i) for i in dict.fromkeys(node.inputs)}
            if node.op in _OWN:  # tanh(a) in tanh's local derivative is the node: reuse it
                own = OPS[node.op].build(*(graph.symbol(i) for i in node.inputs))
                in_inputs[own] = written(node.id)
        parts[step.input].append(form(step.node) * step.local.xreplace(in_inputs))
    return {node.id: form(node.id) for node in graph.nodes if not graph.is_constant(node.id)}


_OWN = frozenset({"exp", "tan", "tanh", "sigmoid"})
"""Operations whose local derivative holds the operation itself."""


def _written(graph: Graph, through: Collection[str]) -> Any:
    """node id -> its expression in the closed forms: the graph's own, or with the `through`
    nodes as their symbols."""
    if not through:
        return lambda node_id: graph.node(node_id).expr
    kept = set(through)
    exprs: dict[str, Expr] = {}
    for node in graph.nodes:
        if node.op in ("input", "const"):
            exprs[node.id] = node.expr
        elif node.id in kept:
            exprs[node.id] = graph.symbol(node.id)
        else:
            exprs[node.id] = OPS[node.op].build(*(exprs[i] for i in node.inputs))
    return exprs.__getitem__
