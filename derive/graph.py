"""Expression trees -> the computational graph: one node per elementary operation.

The graph keeps the structure the author wrote (a division node for `/`, a subtraction node
for `-`), merges identical written sub-expressions into one node with fan-out, and names
nodes stably: inputs by their names, named intermediates by the author's names (`where`),
the output by the function's name, and the rest v1, v2, ... in evaluation order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import Expr, Symbol

from derive.errors import DeriveError, ParseError
from derive.language import Function, Tree, parse_expression
from derive.naming import Entry, node_ids, postorder
from derive.ops import CONSTANTS, OPS

MAX_NODES = 5_000
"""Largest graph accepted; beyond it the symbolic passes grow too slow to be useful."""
MAX_PRINTED = (500, 24)
"""Largest node expression (nodes of its tree, levels) `Graph.to_dict` prints in the inputs;
a larger one (a where chain's) is printed in its arguments' symbols."""
MAX_WHERE_NESTING = 100
"""Deepest chain of where names each used before it is defined (y3 uses y2, which uses y1,
listed y3 first); listed in order (y1 first), chains of any length are fine."""
_CAP = 1 << 62  # tree sizes are bounds: past this they only need to be "too large"


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the computational graph."""

    id: str
    """Stable name: an input's name, the author's name, the function's name or v1, v2, ..."""
    op: str
    """"input", "const", or an operation of `derive.ops.OPS` ("add", "mul", "sigmoid", ...)."""
    inputs: tuple[str, ...]
    """Ids of the nodes this one reads, in written order (may repeat: x * x)."""
    expr: Expr
    """The node's value as a SymPy expression of the graph's inputs."""
    source: str
    """The text the author wrote for this node ("x + y"; "w0" for a vector component)."""
    named: bool = False
    """True when the author named the node (an input, the output, or a `where` name)."""


@dataclass(frozen=True, slots=True)
class Graph:
    """Nodes in topological order: the inputs (in declared order), then operations."""

    function: Function
    """The parsed function the graph computes."""
    nodes: tuple[Node, ...]
    """Every node, each after the nodes it reads."""
    inputs: tuple[str, ...]
    """Ids of the scalar inputs in order; a vector w contributes w0, w1, ..."""
    vectors: tuple[tuple[str, tuple[str, ...]], ...]
    """Vector inputs with the ids of their components, in declared order."""
    output: str
    """Id of the node whose value is the function's value."""
    where: tuple[tuple[str, str], ...] = ()
    """The author's names for intermediate nodes and the expressions they name."""
    _index: dict[str, Node] = field(init=False, repr=False, compare=False)
    _consumers: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _constant: frozenset[str] = field(init=False, repr=False, compare=False)
    _trees: dict[str, tuple[int, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {node.id: node for node in self.nodes}
        consumers: dict[str, list[str]] = {node.id: [] for node in self.nodes}
        constant: set[str] = set()
        trees: dict[str, tuple[int, int]] = {}  # bounds on each expression's size and depth
        for node in self.nodes:
            parts = [trees[i] for i in node.inputs]
            trees[node.id] = (min(1 + sum(n for n, _ in parts), _CAP),
                              1 + max((d for _, d in parts), default=0))
            for source in dict.fromkeys(node.inputs):
                consumers[source].append(node.id)
            if node.op == "const" or (node.op != "input" and constant.issuperset(node.inputs)):
                constant.add(node.id)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_consumers", {k: tuple(v) for k, v in consumers.items()})
        object.__setattr__(self, "_constant", frozenset(constant))
        object.__setattr__(self, "_trees", trees)

    def node(self, node_id: str) -> Node:
        return self._index[node_id]

    def consumers(self, node_id: str) -> tuple[str, ...]:
        """Ids of the nodes that read `node_id`, in topological order, each once."""
        return self._consumers[node_id]

    def written(self, node_id: str) -> Expr:
        """The node's expression in the inputs if it is small (MAX_PRINTED), else in its
        arguments' symbols (sin(y1)*y1)."""
        node = self._index[node_id]
        size, depth = self._trees[node_id]
        if node.op in ("input", "const") or (size <= MAX_PRINTED[0] and depth <= MAX_PRINTED[1]):
            return node.expr
        return OPS[node.op].build(*(self.argument(i) for i in node.inputs))

    def is_constant(self, node_id: str) -> bool:
        """Whether a node's value depends on no input: a literal, or an operation on
        literals only (the -1 of x^-1, the 0 - 1 of x^(0 - 1)). The backward pass treats
        it as a constant: it has no gradient, and an exponent of it is a constant exponent."""
        return node_id in self._constant

    def symbol(self, node_id: str) -> Symbol:
        """The SymPy symbol standing for a node in local formulas (q, v1, x)."""
        return Symbol(node_id, real=True)

    def argument(self, node_id: str) -> Expr:
        """What stands for a node inside a local formula: its symbol, or a constant's value."""
        node = self._index[node_id]
        return node.expr if node.op == "const" else self.symbol(node_id)

    @property
    def declared(self) -> tuple[str, ...]:
        """Input names as the author declares them: a vector by its name, not by component."""
        owners = {c: name for name, components in self.vectors for c in components}
        return tuple(dict.fromkeys(owners.get(i, i) for i in self.inputs))

    @property
    def operations(self) -> tuple[Node, ...]:
        """The nodes that compute something (not inputs, not constants)."""
        return tuple(node for node in self.nodes if node.op not in ("input", "const"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function.text,
            "inputs": list(self.inputs),
            "output": self.output,
            "nodes": [
                {"id": n.id, "op": n.op, "inputs": list(n.inputs),
                 "expr": sympy.sstr(self.written(n.id)),
                 "source": n.source, "named": n.named}
                for n in self.nodes
            ],
        }  # fmt: skip


def build_graph(
    function: Function,
    vectors: Mapping[str, int] | None = None,
    where: Mapping[str, str] | None = None,
) -> Graph:
    """The graph of `function`; `vectors` gives the length of each vector input and `where`
    names intermediate expressions (usable as let-bindings). Raises DeriveError."""
    if where is not None and not (isinstance(where, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in where.items())):
        raise DeriveError("the names must map each name to the expression it names, such as "
                          f"{{'q': 'x + y'}}; got {_kind(where)}")
    builder = _Builder(function, dict(vectors or {}), dict(where or {}))
    return builder.graph()


def _kind(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


class _Builder:
    """Builds pooled nodes (value numbering merges identical sub-expressions), then orders
    and names them."""

    def __init__(self, function: Function, vectors: dict[str, int], where: dict[str, str]):
        self.function, self.vectors = function, vectors
        self.where = {name: parse_expression(text) for name, text in where.items()}
        self.where_text = where
        self.entries: list[Entry] = []
        self.pool: dict[tuple[Any, ...], int] = {}
        self.bound: dict[str, int] = {}
        self.building: list[str] = []
        self.appearance: dict[str, None] = {}  # input names in order of first appearance
        self._check_where_names()

    def graph(self) -> Graph:
        fn = self.function
        for name in self.where:
            self._bind(name)
        output = self._scalar(fn.text, fn.body, self._build(fn.text, fn.body))
        declared = list(fn.params if fn.params is not None else self.appearance)
        if not declared:
            raise ParseError(fn.text, 1, "the function has no inputs to differentiate")
        for name in declared:
            self._input(fn.text, name, None)
        return self._assemble(declared, output)

    def _check_where_names(self) -> None:
        fn = self.function
        for name in self.where:
            reason = None
            if name in (fn.params or ()) or name in self.vectors:
                reason = f"{name!r} is an input; a where name must name an intermediate value"
            elif name in OPS or name in CONSTANTS:
                reason = f"{name!r} is built into the language"
            elif name == fn.name:
                reason = f"{name!r} is the function's own name"
            if reason:
                raise ParseError(self.where_text[name], 1, reason)

    def _bind(self, name: str) -> int:
        if name in self.bound:
            return self.bound[name]
        text = self.where_text[name]
        if name in self.building:
            cycle = " -> ".join([*self.building, name])
            raise ParseError(text, 1, f"the where names refer to each other in a cycle: {cycle}")
        if len(self.building) >= MAX_WHERE_NESTING:  # each level is a few frames of recursion
            raise ParseError(text, 1, f"where names refer to each other more than "
                             f"{MAX_WHERE_NESTING} deep ({self.building[0]} -> ... -> {name})",
                             "list each where name after the names it uses")  # fmt: skip
        self.building.append(name)
        tree = self.where[name]
        index = self._scalar(text, tree, self._build(text, tree))
        self.building.pop()
        entry = self.entries[index]
        if entry.op in ("input", "const"):
            raise ParseError(text, 1, f"{name!r} must name an operation, not {entry.source!r}")
        if entry.name:
            raise ParseError(text, 1, f"{name!r} and {entry.name!r} name the same expression")
        entry.name = name
        self.bound[name] = index
        return index

    def _build(self, text: str, root: Tree) -> int | tuple[int, ...]:
        """Post-order over the tree with an explicit stack; returns the pool index of a
        scalar, or a tuple of indices for a vector."""
        stack: list[tuple[Tree, bool]] = [(root, False)]
        done: list[int | tuple[int, ...]] = []
        while stack:
            tree, ready = stack.pop()
            if not ready and tree.args:
                stack.append((tree, True))
                stack.extend((arg, False) for arg in reversed(tree.args))
                continue
            parts = done[len(done) - len(tree.args) :] if tree.args else []
            del done[len(done) - len(parts) :]
            done.append(self._make(text, tree, parts))
        return done[0]

    def _make(self, text: str, tree: Tree, parts: list[int | tuple[int, ...]]) -> Any:
        source = text[tree.start : tree.end]
        if tree.op == "number":
            assert tree.value is not None
            return self._add(("const", tree.value), "const", (), tree.value, source)
        if tree.op == "constant":
            value = CONSTANTS[tree.name]
            return self._add(("const", value), "const", (), value, source)
        if tree.op == "name":
            return self._name(text, tree)
        if tree.op == "vector":
            return tuple(self._scalar(text, arg, part) for arg, part in zip(tree.args, parts, strict=True))
        if tree.op == "dot":
            return self._dot(text, tree, parts, source)
        args = tuple(self._scalar(text, arg, part) for arg, part in zip(tree.args, parts, strict=True))
        op = "exp" if tree.op == "pow" and self.entries[args[0]].expr == sympy.E else tree.op
        if op == "exp" and tree.op == "pow":
            args = args[1:]  # e^u is the exponential of u
        return self._operation(text, tree, op, args, source)

    def _operation(self, text: str, tree: Tree, op: str, args: tuple[int, ...],
                   source: str) -> int:
        key = (op, args)
        if key in self.pool:
            return self.pool[key]
        try:
            expr = OPS[op].build(*(self.entries[i].expr for i in args))
        except DeriveError as exc:
            raise ParseError(text, tree.start + 1, str(exc)) from None
        return self._add(key, op, args, expr, source)

    def _dot(self, text: str, tree: Tree, parts: list[Any], source: str) -> int:
        lengths = []
        for arg, part in zip(tree.args, parts, strict=True):
            if not isinstance(part, tuple):
                raise ParseError(text, arg.start + 1, f"dot() takes vectors, and {text[arg.start:arg.end]!r} "
                                 "is a scalar", "give it a list of values in at")  # fmt: skip
            lengths.append(len(part))
        if lengths[0] != lengths[1]:
            raise ParseError(text, tree.start + 1,
                             f"dot() of vectors of lengths {lengths[0]} and {lengths[1]}")
        return self._operation(text, tree, "dot", parts[0] + parts[1], source)

    def _name(self, text: str, tree: Tree) -> int | tuple[int, ...]:
        name = tree.name
        if name in self.where:
            return self._bind(name)
        params = self.function.params
        if params is not None and name not in params:
            known = ", ".join(params)
            raise ParseError(text, tree.start + 1, f"unknown name {name!r}",
                             f"the inputs are {known}; name intermediates with where")
        return self._input(text, name, tree)

    def _input(self, text: str, name: str, tree: Tree | None) -> int | tuple[int, ...]:
        self.appearance.setdefault(name)  # a dict: a list's `in` made 1601 inputs quadratic
        if name not in self.vectors:
            return self._add(("input", name), "input", (), Symbol(name, real=True), name)
        components = []
        for i in range(self.vectors[name]):
            component = f"{name}{i}"
            components.append(self._add(("input", component), "input", (),
                                        Symbol(component, real=True), component))
        return tuple(components)

    def _scalar(self, text: str, tree: Tree, part: int | tuple[int, ...]) -> int:
        if isinstance(part, tuple):
            what = text[tree.start : tree.end]
            raise ParseError(text, tree.start + 1,
                             f"{what!r} is a vector of length {len(part)} used as a number",
                             "vectors can only be arguments of dot()")
        return part

    def _add(self, key: tuple[Any, ...], op: str, inputs: tuple[int, ...], expr: Expr,
             source: str) -> int:
        if key in self.pool:
            return self.pool[key]
        if len(self.entries) >= MAX_NODES:
            raise ParseError(self.function.text, 1,
                             f"the graph would have more than {MAX_NODES} nodes")
        self.pool[key] = len(self.entries)
        self.entries.append(Entry(op, inputs, expr, source))
        return len(self.entries) - 1

    def _assemble(self, declared: list[str], output: int) -> Graph:
        inputs = [self.pool[("input", c)] for name in declared for c in self._components(name)]
        first = set(inputs)
        order = inputs + [i for i in postorder(self.entries, output) if i not in first]
        reached = set(order)
        for name, index in self.bound.items():
            if index not in reached:
                raise ParseError(self.where_text[name], 1,
                                 f"where name {name!r} is not used in the function")
        ids = node_ids(self.entries, order, output, self.function)
        nodes = tuple(
            Node(ids[i], e.op, tuple(ids[j] for j in e.inputs), e.expr, e.source,
                 named=bool(e.name) or e.op == "input" or i == output)
            for i in order
            for e in (self.entries[i],)
        )  # fmt: skip
        vectors = tuple((n, tuple(self._components(n))) for n in declared if n in self.vectors)
        return Graph(self.function, nodes, tuple(ids[i] for i in inputs), vectors, ids[output],
                     tuple(self.where_text.items()))

    def _components(self, name: str) -> list[str]:
        if name in self.vectors:
            return [f"{name}{i}" for i in range(self.vectors[name])]
        return [name]
