"""The tables of a worked solution, as MyST (Markdown) pipe tables with math cells.

Formatting only: every number is read from the Derivation, Descent or Solution.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import mpmath
import sympy
from sympy import Expr, preorder_traversal

from derive.derivation import Derivation
from derive.ops import Value
from derive.passes.descent import Descent, Update
from derive.passes.gradients import gradient_symbol
from derive.passes.hazards import upstream_inputs
from derive.render import math

SHORT_EXACT = 12
"""An exact value is printed only while its form has at most this many nodes (sigma(1)
has 2, (-1 + sigma(1))^2/2 has 8) and no long fractions; beyond it the decimal stands alone
and one note under the table says so."""
SHORT_LATEX = 64
"""... and whose LaTeX is at most this long (a sum of two nested sigmoids is not)."""
SHORT_FORM = 60
"""The same limit for closed-form gradients (formulas in the inputs, not values)."""
LONG_NOTE = ("Exact forms longer than {limit} terms (or {latex} characters of LaTeX) are not "
             "printed: their decimals, to {digits} significant digits, stand alone.")
FORM_NOTE = ("Closed forms longer than {limit} terms are left out: the backward table above "
             "builds each gradient step by step.")


def short_enough(expr: Expr, limit: int = SHORT_EXACT) -> bool:
    """Whether an exact form is short enough to print (see SHORT_EXACT): at most `limit`
    nodes (counted with an early stop) and no fraction with long digits."""
    for count, node in enumerate(preorder_traversal(expr), 1):
        if count > limit or (node.is_Rational and len(str(node.p)) + len(str(node.q)) > 16):
            return False
    return limit != SHORT_EXACT or len(math.tex(expr)) <= SHORT_LATEX


def rounded(v: Value, digits: int) -> str:
    """A value's decimal: a rounded one keeps its trailing zeros to `digits` digits
    (0.58983580), an exact one is printed as it is (-12, 0.5)."""
    return math.decimal(v.approx, digits, zeros=not v.exact.is_Rational)


def note(text: str) -> str:
    return f"\n*{text}*\n"


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
    rows, dropped = [], False
    for step, node in enumerate(graph.operations, 1):
        arguments = [graph.argument(i) for i in node.inputs]
        short = short_enough(values[node.id].exact)
        dropped = dropped or not short
        rows.append([
            str(step), m(math.name(node.id)),
            m(f"{math.name(node.id)} = {math.operation(node.op, arguments)}"),
            m(math.operation(node.op, [readable(values[i], digits) for i in node.inputs])),
            exact(values[node.id].exact) if short else "",
            m(rounded(values[node.id], digits)),
        ])  # fmt: skip
    header = ["step", "node", "operation", "with values", "exact", "decimal"]
    if all(row[4] == "" for row in rows):  # no exact form is short: the column goes
        header.pop(4)
        rows = [row[:4] + row[5:] for row in rows]
    text = table(header, rows, "rlll" + "l" * (len(header) == 6) + "r")
    return text + (note(LONG_NOTE.format(limit=SHORT_EXACT, latex=SHORT_LATEX, digits=digits)) if dropped else "")


def readable(v: Value, digits: int) -> Expr:
    """A value for printing inside an operation: exact while short (a decimal fraction such
    as 3/20 as the decimal 0.15 it is), else its decimal to `digits` digits."""
    if v.exact.is_Rational and not v.exact.is_Integer and math.terminates(v.exact) and len(
            str(v.exact)) <= 12:  # fmt: skip
        return sympy.Float(math.short(v), 15)
    if short_enough(v.exact):
        return v.exact
    if v.approx and abs(v.approx.context.mag(v.approx)) > 3000:  # |log10| > 900 (engine):
        return sympy.Float(mpmath.nstr(v.approx, digits), digits)  # no 4300-digit string
    return sympy.Float(_plain(v.approx, digits), digits)


def _plain(approx: object, digits: int) -> str:
    """A decimal without exponent notation, for arithmetic on what is printed."""
    return str(mpmath.nstr(approx, digits, min_fixed=-mpmath.inf, max_fixed=mpmath.inf))


def backward_table(d: Derivation, digits: int) -> str:
    """One row per chain-rule step: the wire, the rule, the local derivative (symbolic and
    at the point) and upstream x local = downstream written out. The parts of a cell are
    separate formulas, so that a narrow column wraps between them. Wires into given data
    (and into nodes computed from data alone) are left out: data get no gradient."""
    rows = []
    for step in d.backward.steps:
        if not _toward_parameters(d, step.input):
            continue
        local = m(f"{math.partial(step.node, step.input)} = {math.tex(step.local)}")
        if not step.local.is_Number:
            local += " " + m(math.equals(step.local_value, digits))
        up, loc, down = (math.short(v, digits) for v in (step.upstream, step.local_value,
                                                          step.downstream))
        product = math.chain_product(up, loc, down)
        left, _, right = product.rpartition(" = ")
        rows.append([m(math.edge(step.node, step.input)), step.rule, local,
                     f"{m(left)} {m('= ' + right)}"])  # fmt: skip
    return table(["gradient flows", "rule", "local derivative", "upstream × local = downstream"],
                 rows)


def fan_out(d: Derivation, digits: int) -> list[str]:
    """One line per node whose gradient adds several contributions; each term is its own
    formula, so that a long sum wraps between terms on a narrow screen."""
    out = d.graph.output
    lines = []
    for gather in d.backward.gathers:
        if not _toward_parameters(d, gather.node):
            continue
        parts = [d.backward.steps[i] for i in gather.steps]
        terms = [math.signed(math.decimal(p.downstream.approx, digits)) for p in parts]
        total = math.decimal(gather.total.approx, digits)
        sources = ", ".join(math.name(p.node) for p in parts)
        sum_ = " ".join([m(f"{math.partial(out, gather.node)} = {terms[0]}"),
                         *(m(f"+ {t}") for t in terms[1:]), m(f"= {total}")])  # fmt: skip
        lines.append(f"{m(math.name(gather.node))} feeds {m(sources)}, so its gradient adds "
                     f"the contributions: {sum_}")
    return lines


def _toward_parameters(d: Derivation, node_id: str) -> bool:
    """Whether a node's gradient leads anywhere a gradient is wanted: to a parameter."""
    if not d.given:
        return True
    return any(i in d.parameters for i in upstream_inputs(d.graph, node_id))


def gradient_table(d: Derivation, digits: int) -> str:
    out = d.graph.output
    rows, dropped, long_forms = [], False, False
    for g in d.gradients:
        short = short_enough(g.value.exact)
        form = short_enough(g.closed_form, SHORT_FORM)
        dropped, long_forms = dropped or not short, long_forms or not form
        rows.append([m(math.partial(out, g.input)), m(math.tex(g.closed_form)) if form else "",
                     exact(g.value.exact) if short else "",
                     m(rounded(g.value, digits))])  # fmt: skip
    header = ["gradient", "closed form", "exact", "decimal"]
    keep = [i for i in range(4) if i in (0, 3) or any(row[i] for row in rows)]
    text = table([header[i] for i in keep], [[row[i] for i in keep] for row in rows],
                 "".join("lllr"[i] for i in keep))  # fmt: skip
    if long_forms:
        text += note(FORM_NOTE.format(limit=SHORT_FORM))
    if dropped:
        text += note(LONG_NOTE.format(limit=SHORT_EXACT, latex=SHORT_LATEX, digits=digits))
    through = _through(d)
    if through:
        text += note(through)
    return text


def _through(d: Derivation) -> str:
    """The note under the table when the engine wrote the closed forms through intermediates."""
    first = d.gradients[0] if d.gradients else None
    if first is None or not first.through:
        return ""

    def names(ids: tuple[str, ...]) -> str:
        shown = [math.name(i) for i in ids]
        return m(", ".join([*shown[:4], r"\dots", shown[-1]] if len(ids) > 6 else shown))

    sentence = (f"The closed forms are written through the intermediates {names(first.through)} "
            "(defined in the forward pass): written in the inputs alone they would be far "
            "larger than the graph.")
    if first.upstream:
        sentence += (f" They also use the gradients of {names(first.upstream)} as symbols "
                 f"{m(math.tex(gradient_symbol(d.graph.output, first.upstream[0])))}, ..., "
                 "whose values the backward pass gives.")
    return sentence


def check_table(d: Derivation, digits: int) -> str:
    def cell(route: object) -> str:
        return "n/a" if route is None else m(math.decimal(route, digits + 8))

    out = d.graph.output
    rows = []
    for row in d.check.rows:
        label = m(math.partial(out, row.label)) if row.label in d.graph.inputs else (
            m(math.directional(out)))  # fmt: skip
        rows.append([label, cell(row.backward), cell(row.symbolic), cell(row.finite_difference)])
    return table(["", "backward pass", "forward mode (SymPy)", "finite difference"], rows, "lrrr")


def descent_table(table_: Descent, digits: int) -> str:
    rate = math.short(table_.learning_rate)
    sign = "+" if table_.ascent else "-"
    uniform = update_digits(table_, digits)
    rows = []
    for step in table_.steps:
        for i, u in enumerate(step.updates):
            shown = uniform or _row_digits(u, table_.learning_rate, table_.ascent, digits)
            current, gradient, new = (math.short(x, shown) for x in (u.current, u.gradient, u.new))
            left, _, right = math.update(current, sign, rate, gradient, new).rpartition(" = ")
            rows.append([str(step.number) if i == 0 else "", m(math.name(u.parameter)),
                         m(current), m(gradient), f"{m(left)} {m('= ' + right)}",
                         m(new)])  # fmt: skip  (two formulas: a narrow column wraps at "=")
    return table(["step", "parameter", "current", "gradient", "update", "new value"], rows,
                 "rlllll")  # fmt: skip


UNIFORM_EXTRA = 2
"""How many digits beyond the page's the whole update table may take to add up as printed;
past it each row takes the fewest digits at which it adds up."""


def update_digits(table_: Descent, digits: int) -> int | None:
    """The significant digits of the whole update table: the fewest (at least the page's,
    at most UNIFORM_EXTRA more) at which every row adds up as printed, so that a value reads
    the same as the new value of one step and the current value of the next. None when no
    such precision exists (rounding the inputs of a sum can move its last digit): then
    each row is printed to its own fewest digits."""
    updates = [u for step in table_.steps for u in step.updates]
    for shown in range(digits, digits + UNIFORM_EXTRA + 1):
        if all(_adds_up(u, table_.learning_rate, table_.ascent, shown) for u in updates):
            return shown
    return None


def _row_digits(u: Update, rate: Expr, ascent: bool, digits: int) -> int:
    """The fewest digits (at least the page's) at which one row adds up as printed."""
    for shown in range(digits, digits + 8):
        if _adds_up(u, rate, ascent, shown):
            return shown
    return digits + 8


def _adds_up(u: Update, rate: Expr, ascent: bool, shown: int) -> bool:
    """Whether the printed current value minus rate times the printed gradient, rounded like
    the new value, is the printed new value (1.894 - 2*0.02229 = 1.849, not 1.85). A row
    with an exact fraction (27/7) or an irrational rate is exact: it adds up as it is."""
    if not rate.is_Rational:
        return True
    printed = [math.short(x, shown) for x in (u.current, u.gradient, u.new)]
    if any(not _is_decimal(p) for p in printed):
        return True
    alpha = Decimal(int(rate.p)) / Decimal(int(rate.q))
    current, gradient, new = (Decimal(p) for p in printed)
    total = current + alpha * gradient if ascent else current - alpha * gradient
    return _round(total, shown) == new


def _is_decimal(printed: str) -> bool:
    try:
        Decimal(printed)
    except ArithmeticError:
        return False
    return True


def _round(value: Decimal, digits: int) -> Decimal:
    """`value` to `digits` significant digits (as mpmath rounds the printed decimals)."""
    return Decimal(_plain(mpmath.mpf(str(value)), digits))


def objective_table(table_: Descent, digits: int) -> str:
    name = math.name(table_.output)
    parameters = table_.parameters
    rows, dropped = [], False

    def cell(v: Value) -> str:
        nonlocal dropped
        if short_enough(v.exact):
            return number(v, digits)
        dropped = True
        return m(math.decimal(v.approx, digits, zeros=True))

    for step in table_.steps:
        point = ", ".join(math.short(step.point[i], digits) for i in parameters)
        after = "outside the domain" if step.objective_after is None else cell(
            step.objective_after)  # fmt: skip
        rows.append([str(step.number), m(math.grouped(point)), cell(step.objective), after])
    inputs = ", ".join(math.name(i) for i in parameters)
    text = table(["step", f"parameters {m(math.grouped(inputs))}", f"{m(name)} before",
                  f"{m(name)} after"], rows, "rlll")  # fmt: skip
    return text + (note(LONG_NOTE.format(limit=SHORT_EXACT, latex=SHORT_LATEX, digits=digits)) if dropped else "")


def variants_table(variants: Sequence[tuple[str, Derivation]], digits: int) -> str:
    first = variants[0][1]
    inputs = [g.input for g in first.gradients]
    out = first.graph.output
    rows = []
    for label, d in variants:
        grads = {g.input: g.value for g in d.gradients}
        rows.append([label, m(math.written(d.graph.function)),
                     m(rounded(d.forward.values[d.graph.output], digits)),
                     *(m(rounded(grads[i], digits)) if i in grads else "" for i in inputs)])  # fmt: skip
    header = ["variant", "function", m(math.name(out)), *(m(math.partial(out, i)) for i in inputs)]
    return table(header, rows, "ll" + "r" * (len(inputs) + 1))
