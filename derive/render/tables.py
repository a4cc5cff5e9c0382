"""The tables of a worked solution, as MyST (Markdown) pipe tables with math cells.

Formatting only: every number is read from the Derivation, Descent or Solution.
"""

from __future__ import annotations

from collections.abc import Sequence

from sympy import Expr

from derive.derivation import Derivation
from derive.ops import Value
from derive.passes.descent import Descent
from derive.passes.gradients import gradient_symbol
from derive.render import math
from derive.render.notation import too_long


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A pipe table; `align` has one letter per column (l, c, r), left by default."""
    marks = {"l": ":--", "c": ":-:", "r": "--:"}
    align = align.ljust(len(header), "l")
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join(marks[a] for a in align) + " |"]  # fmt: skip
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


def m(latex: str) -> str:
    """Inline math."""
    return f"${latex}$"


def number(v: Value, digits: int) -> str:
    return m(math.value(v, digits))


def exact(expr: Expr) -> str:
    return m(math.tex(expr))


def forward_table(d: Derivation, digits: int) -> str:
    graph, values = d.graph, d.forward.values
    rows = []
    for step, node in enumerate(graph.operations, 1):
        arguments = [graph.argument(i) for i in node.inputs]
        at_point = [values[i].exact for i in node.inputs]
        rows.append([
            str(step), m(math.name(node.id)),
            m(f"{math.name(node.id)} = {math.operation(node.op, arguments)}"),
            m(math.operation(node.op, at_point) if not any(map(too_long, at_point)) else
              math.ELLIPSIS),
            exact(values[node.id].exact) if not too_long(values[node.id].exact) else "",
            m(math.decimal(values[node.id].approx, digits)),
        ])  # fmt: skip
    return table(["step", "node", "operation", "with values", "exact", "decimal"], rows,
                 "rllllr")  # fmt: skip


def backward_table(d: Derivation, digits: int) -> str:
    """One row per chain-rule step: the wire, the rule, the local derivative (symbolic and
    at the point) and upstream x local = downstream written out."""
    rows = []
    for step in d.backward.steps:
        local = f"{math.partial(step.node, step.input)} = {math.tex(step.local)}"
        if not step.local.is_Number:
            local += f" {math.equals(step.local_value, digits)}"
        product = math.chain_product(math.short(step.upstream, digits),
                                     math.short(step.local_value, digits),
                                     math.short(step.downstream, digits))
        rows.append([m(math.edge(step.node, step.input)), step.rule, m(local), m(product)])
    return table(["gradient flows", "rule", "local derivative", "upstream × local = downstream"],
                 rows)


def fan_out(d: Derivation, digits: int) -> list[str]:
    """One line per node whose gradient adds several contributions."""
    out = d.graph.output
    lines = []
    for gather in d.backward.gathers:
        parts = [d.backward.steps[i] for i in gather.steps]
        terms = " + ".join(math.signed(math.decimal(p.downstream.approx, digits)) for p in parts)
        total = math.decimal(gather.total.approx, digits)
        sources = ", ".join(math.name(p.node) for p in parts)
        lines.append(f"{m(math.name(gather.node))} feeds {m(sources)}, so its gradient adds "
                     f"the contributions: {m(f'{math.partial(out, gather.node)} = {terms} = {total}')}")
    return lines


def gradient_table(d: Derivation, digits: int) -> str:
    out = d.graph.output
    rows = [[m(math.partial(out, g.input)), m(math.tex(g.closed_form)),
             exact(g.value.exact) if not too_long(g.value.exact) else "",
             m(math.decimal(g.value.approx, digits))] for g in d.gradients]  # fmt: skip
    text = table(["gradient", "closed form", "exact", "decimal"], rows, "lllr")
    note = _through(d)
    return f"{text.rstrip()}\n\n{note}\n" if note else text


def _through(d: Derivation) -> str:
    """The note under the table when the engine wrote the closed forms through intermediates."""
    first = d.gradients[0] if d.gradients else None
    if first is None or not first.through:
        return ""

    def names(ids: tuple[str, ...]) -> str:
        shown = [math.name(i) for i in ids]
        return m(", ".join([*shown[:4], r"\dots", shown[-1]] if len(ids) > 6 else shown))

    note = (f"The closed forms are written through the intermediates {names(first.through)} "
            "(defined in the forward pass): written in the inputs alone they would be far "
            "larger than the graph.")
    if first.upstream:
        note += (f" They also use the gradients of {names(first.upstream)} as symbols "
                 f"{m(math.tex(gradient_symbol(d.graph.output, first.upstream[0])))}, ..., "
                 "whose values the backward pass gives.")
    return note


def check_table(d: Derivation, digits: int) -> str:
    def cell(route: object) -> str:
        return "n/a" if route is None else m(math.decimal(route, digits + 8))

    out = d.graph.output
    rows = []
    for row in d.check.rows:
        label = m(math.partial(out, row.label)) if row.label in d.graph.inputs else (
            m(math.directional(out)))  # fmt: skip
        rows.append([label, cell(row.backward), cell(row.symbolic), cell(row.finite_difference)])
    return table(["", "backward pass", "SymPy diff", "finite difference"], rows, "lrrr")


def descent_table(table_: Descent, digits: int) -> str:
    rate = math.short(table_.learning_rate)
    sign = "+" if table_.ascent else "-"
    rows = []
    for step in table_.steps:
        for i, u in enumerate(step.updates):
            update = math.update(math.short(u.current, digits), sign, rate,
                                 math.short(u.gradient, digits), math.short(u.new, digits))
            rows.append([str(step.number) if i == 0 else "", m(math.name(u.parameter)),
                         m(math.short(u.current, digits)), m(math.short(u.gradient, digits)),
                         m(update), m(math.short(u.new, digits))])  # fmt: skip
    return table(["step", "parameter", "current", "gradient", "update", "new value"], rows,
                 "rlllll")  # fmt: skip


def objective_table(table_: Descent, digits: int) -> str:
    name = math.name(table_.output)
    rows = []
    for step in table_.steps:
        point = ", ".join(math.decimal(step.point[i].approx, digits) for i in step.point)
        after = "outside the domain" if step.objective_after is None else number(
            step.objective_after, digits)  # fmt: skip
        rows.append([str(step.number), m(math.grouped(point)),
                     number(step.objective, digits), after])  # fmt: skip
    inputs = ", ".join(math.name(i) for i in table_.steps[0].point)
    return table(["step", f"point {m(f'({inputs})')}", f"{m(name)} before",
                  f"{m(name)} after"], rows, "rlll")  # fmt: skip


def variants_table(variants: Sequence[tuple[str, Derivation]], digits: int) -> str:
    first = variants[0][1]
    inputs = [g.input for g in first.gradients]
    out = first.graph.output
    rows = []
    for label, d in variants:
        grads = {g.input: g.value for g in d.gradients}
        rows.append([label, m(math.written(d.graph.function)),
                     m(math.decimal(d.forward.values[d.graph.output].approx, digits)),
                     *(m(math.decimal(grads[i].approx, digits)) if i in grads else "" for i in inputs)])  # fmt: skip
    header = ["variant", "function", m(math.name(out)), *(m(math.partial(out, i)) for i in inputs)]
    return table(header, rows, "ll" + "r" * (len(inputs) + 1))
