"""The graph builder's pooled entries, put in evaluation order and named.

derive.graph pools one entry per distinct written operation (value numbering); this
module orders the entries the output reaches, each after its inputs in written order, and
gives each its stable id: inputs by their names, named intermediates by the author's
names (`where`), the output by the function's name, and the rest v1, v2, ... in
evaluation order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from derive.errors import ParseError
from derive.language import Function


@dataclass(slots=True)
class Entry:
    """One pooled node while the graph is built (its inputs are pool indices)."""

    op: str
    inputs: tuple[int, ...]
    expr: Expr
    source: str
    name: str = ""
    """The author's `where` name for it, once bound."""


def postorder(entries: list[Entry], root: int) -> list[int]:
    """Nodes reachable from `root`, each after its inputs, in written (left-to-right) order."""
    order: list[int] = []
    seen: set[int] = set()
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        index, ready = stack.pop()
        if ready:
            order.append(index)
            continue
        if index in seen:
            continue
        seen.add(index)
        stack.append((index, True))
        stack.extend((i, False) for i in reversed(entries[index].inputs) if i not in seen)
    return order


def node_ids(entries: list[Entry], order: list[int], output: int,
             function: Function) -> dict[int, str]:  # fmt: skip
    """The id of every entry of `order`; raises ParseError when the function's own name
    is also one of its declared inputs."""
    ids: dict[int, str] = {}
    for i in order:
        entry = entries[i]
        if entry.op == "input":
            ids[i] = entry.source
        elif entry.name:
            ids[i] = entry.name
    taken = set(ids.values())
    if output not in ids:
        name = function.name
        if name in taken and function.params is None:
            name = next(n for n in ("f", "g", "h", "F", "out") if n not in taken)
        elif name in taken:
            raise ParseError(function.text, 1,
                             f"the function's name {name!r} is also an input",
                             "name the function differently, such as g(...) = ...")
        ids[output] = name
        taken.add(name)
    counter = 0
    for i in order:
        if i in ids:
            continue
        if entries[i].op == "const":  # a literal is never an identifier: no clash
            ids[i] = entries[i].source
            continue
        counter += 1
        while f"v{counter}" in taken:
            counter += 1
        ids[i] = f"v{counter}"
    return ids
