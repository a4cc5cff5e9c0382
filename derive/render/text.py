"""Derivation -> text for a terminal: the forward table, the backward steps, the gradients
and the check, as rich tables. Formats only: every number comes from the Derivation."""

from __future__ import annotations

from typing import Any

import mpmath
from rich.console import Group
from rich.table import Table
from rich.text import Text
from sympy import Expr
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from derive.derivation import Derivation
from derive.graph import Graph, Node
from derive.ops import Value
from derive.render.notation import apply, shows_exactly, too_long


class TextPrinter(StrPrinter):
    """SymPy's str printer, with ^ for powers as the expression language writes them."""

    def _print_Pow(self, expr: Expr, rational: bool = False) -> str:
        return str(super()._print_Pow(expr, rational)).replace("**", "^")

    def _print_Infinity(self, expr: Expr) -> str:
        return "\u221e"

    def _print_NegativeInfinity(self, expr: Expr) -> str:
        return "-\u221e"


def text(expr: Expr) -> str:
    return str(TextPrinter().doprint(expr))


def decimal(approx: Any, digits: int) -> str:
    """`approx` to `digits` significant digits: 0.731059, -12, 1.5e-47."""
    printed = str(mpmath.nstr(approx, digits, min_fixed=-4, max_fixed=digits + 2))
    return printed.removesuffix(".0")


def both(value: Value, digits: int) -> str:
    """The exact value, followed by its decimal unless it is an integer: "2/3 ≈ 0.666667"."""
    if value.exact.is_Integer:
        return text(value.exact)
    if too_long(value.exact):
        return f"\u2248 {decimal(value.approx, digits)}"
    relation = "=" if shows_exactly(value, digits) else "\u2248"  # -817/50 = -16.34
    return f"{text(value.exact)} {relation} {decimal(value.approx, digits)}"


def definition(graph: Graph, node: Node) -> str:
    """The node's operation on its arguments' names: "q * z"."""
    return apply(node.op, [_argument(graph, i) for i in node.inputs],
                 [_level(graph.argument(i)) for i in node.inputs], latex=False)  # fmt: skip


def substitution(graph: Graph, node: Node, values: dict[str, Value]) -> str:
    """The node's operation on its arguments' exact values: "3 * (-4)"."""
    exact = [values[i].exact for i in node.inputs]
    return apply(node.op, [text(v) for v in exact], [_level(v) for v in exact], latex=False)


def _argument(graph: Graph, node_id: str) -> str:
    return text(graph.argument(node_id))


def _level(expr: Expr) -> int:
    return int(precedence(expr))


def _cells(*texts: str) -> list[Text]:
    """Table cells as literal text: rich would read [x, y] in a str cell as markup."""
    return [Text(t) for t in texts]


def report(d: Derivation, digits: int = 6) -> Group:
    """The whole derivation as terminal tables."""
    graph, values = d.graph, dict(d.forward.values)
    title = Text(f"{graph.function.text}  at  " + ", ".join(
        f"{k} = {text(v)}" for k, v in d.point.items()), style="bold")  # fmt: skip

    forward = Table(title="Forward pass", title_justify="left")
    for column in ("step", "node", "operation", "values", "exact", "decimal"):
        forward.add_column(column)
    for number, node in enumerate(graph.operations, 1):
        value = values[node.id]
        forward.add_row(*_cells(str(number), node.id, definition(graph, node),
                                substitution(graph, node, values), text(value.exact),
                                decimal(value.approx, digits)))  # fmt: skip

    backward = Table(title="Backward pass (reverse order)", title_justify="left")
    for column in ("node", "into", "rule", "local derivative", "local", "upstream", "downstream"):
        backward.add_column(column)
    for step in d.backward.steps:
        backward.add_row(*_cells(
            step.node, step.input, step.rule, f"d{step.node}/d{step.input} = {text(step.local)}",
            decimal(step.local_value.approx, digits), decimal(step.upstream.approx, digits),
            decimal(step.downstream.approx, digits)))  # fmt: skip
    sums = [
        Text(f"fan-out: d{graph.output}/d{g.node} = "
             + " + ".join(decimal(d.backward.steps[i].downstream.approx, digits) for i in g.steps)
             + f" = {decimal(g.total.approx, digits)}")
        for g in d.backward.gathers
    ]  # fmt: skip

    gradients = Table(title="Gradients", title_justify="left")
    for column in ("input", "closed form", "exact", "decimal"):
        gradients.add_column(column)
    for g in d.gradients:
        gradients.add_row(*_cells(f"d{graph.output}/d{g.input}", text(g.closed_form),
                                  text(g.value.exact), decimal(g.value.approx, digits)))  # fmt: skip

    check = d.check
    size = ("identical" if check.largest_error == 0 else
            f"largest relative difference {check.largest_error:.1e}")  # fmt: skip
    verdict = Text(
        f"Check ({check.method}): backward pass, forward mode on SymPy's derivatives and "
        f"finite differences {check.verdict}; {size}",
        style="green" if check.agree else "bold red",
    )
    notes = [Text(f"note: {note}") for note in check.notes]
    result = Text(f"{graph.output} = {both(values[graph.output], digits)}", style="bold")
    return Group(title, result, forward, backward, *sums, gradients, verdict, *notes)
