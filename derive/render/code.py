"""Derivation -> a plain Python program (the `math` module only, no SymPy) whose forward
and backward functions mirror the graph node by node, as the notebook's code cells do;
with a descent table, the gradient-descent loop that reproduces it (on the objective's
own graph when the descent minimises an objective such as (f - 1)^2/2).

Running it prints the page's numbers: a test executes it, and the notebooks.
Numbers print to 12 significant digits; a residue below ZERO_BELOW of a value the page
knows to be exactly 0 (cos(pi/2) = 6.1e-17 in floating point) prints as 0.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable

from sympy import Expr, Symbol
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from derive.derivation import Derivation
from derive.graph import Graph
from derive.ops import OPS, Value
from derive.passes.descent import Descent

_RESERVED = {"math", "forward", "backward", "sigmoid", "relu", "sign", "values", "gradient",
             "print", "dict", "float", "max", "abs", "show", "rate", "step", "name", "value",
             "range", "ZERO"}  # fmt: skip
_HELPERS = {
    "sigmoid": ["def sigmoid(a):", "    return 1 / (1 + math.exp(-a))"],
    "relu": ["def relu(a):", "    return a if a > 0 else 0.0"],
    "sign": ["def sign(a):", "    return (a > 0) - (a < 0)"],
}
ZERO_BELOW = 1e-12
"""Printed values smaller than this are floating-point residue of an exact 0, unless the
page has a true value that small (then nothing is rounded to 0)."""
PRINTED_DIGITS = 12


class _Printer(PythonCodePrinter):
    """SymPy's Python printer, with derive's functions and node names."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__({"fully_qualified_modules": True})
        self.names = names
        self.helpers: set[str] = set()

    def _print_Symbol(self, expr: Symbol) -> str:
        return str(self.names.get(expr.name, expr.name))

    def _print_sigmoid(self, expr: Expr) -> str:
        self.helpers.add("sigmoid")
        return f"sigmoid({self._print(expr.args[0])})"

    def _print_relu(self, expr: Expr) -> str:
        self.helpers.add("relu")
        return f"relu({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: Expr) -> str:
        return f"(1.0 if {self._print(expr.args[0])} > 0 else 0.0)"

    def _print_sign(self, expr: Expr) -> str:
        self.helpers.add("sign")
        return f"sign({self._print(expr.args[0])})"


def program(d: Derivation, descent: Descent | None = None,
            objective: Derivation | None = None) -> str:
    """A runnable Python program computing the forward and backward passes of `d` and,
    given its descent table, the descent; `objective` is the derivation of the descent's
    objective (needed when the descent minimises one)."""
    return "\n\n\n".join(cells(d, descent, objective)) + "\n"


def cells(d: Derivation, descent: Descent | None = None,
          objective: Derivation | None = None) -> list[str]:
    """The program in pieces, one per notebook cell: the passes, the run that prints the
    page's value and gradient, and the descent (when there is one)."""
    printer = _Printer({})
    functions = _functions(d, "", printer)
    source = d if descent is None or descent.form is None else objective
    loop: list[str] = []
    if descent is not None and source is not None:
        if source is not d:
            functions += ["", "", *_functions(source, f"_{source.graph.output}", printer)]
        loop = _descent(source, descent, printer, "" if source is d else f"_{source.graph.output}")
    out = d.graph.output
    run = [f"values = forward({_call(d, printer)})", "gradient = backward(values)",
           f'print("{out} =", show(values["{out}"]))', "for name, value in gradient.items():",
           f'    print(f"d{out}/d{{name}} =", show(value))']  # fmt: skip
    head = []
    for helper in sorted(printer.helpers):
        head += [*_HELPERS[helper], "", ""]
    head += [f"ZERO = {_zero(d, descent)!r}  # below this, floating-point residue of an exact 0",
             "", "", "def show(a):",
             f'    """A number to {PRINTED_DIGITS} significant digits, as the page gives it."""',
             f'    return "0" if abs(a) < ZERO else f"{{a:.{PRINTED_DIGITS}g}}"', "", "",
             *functions]  # fmt: skip
    text = "\n".join(head)
    if any("math." in part for part in (text, *run, *loop)):
        text = f"import math\n\n\n{text}"
    return [text, "\n".join(run)] + (["\n".join(loop)] if loop else [])


def _functions(d: Derivation, suffix: str, printer: _Printer) -> list[str]:
    """forward{suffix} and backward{suffix} of `d`'s graph."""
    graph = d.graph
    names = _python_names(graph)
    printer.names = names
    declared = graph.declared
    forward = [f"def forward{suffix}({', '.join(names.get(n, n) for n in declared)}):",
               f'    """{graph.function.text}: every node, in order."""']  # fmt: skip
    for vector, components in graph.vectors:
        forward.append(f"    {', '.join(names[c] for c in components)} = {names.get(vector, vector)}")
    definitions = {node.id: printer.doprint(OPS[node.op].build(*(graph.argument(i)
                                                              for i in node.inputs)))
                   for node in graph.operations}  # fmt: skip
    for node in graph.operations:
        forward.append(f"    {names[node.id]} = {definitions[node.id]}")
    kept = [n.id for n in graph.nodes if n.op != "const"]
    forward.append("    return {" + ", ".join(f'"{i}": {names[i]}' for i in kept) + "}")

    backward = [f"def backward{suffix}(v):",
                '    """The chain rule in reverse order; v holds the forward values."""']
    gradient = _gradient_names(kept, names)
    used = {symbol.name for step in d.backward.steps for symbol in step.local.free_symbols}
    unpack = [n for n in kept if n in used]  # only the values a local derivative reads
    if unpack:
        backward.append(f"    {', '.join(names[i] for i in unpack)} = "
                        + ", ".join(f'v["{i}"]' for i in unpack))  # fmt: skip
    others = [gradient[i] for i in kept if i != graph.output]
    if others:
        backward.append(f"    {' = '.join(others)} = 0.0")
    backward.append(f"    {gradient[graph.output]} = 1.0")
    current = None
    for step in d.backward.steps:
        if step.node != current:
            current = step.node
            backward.append(f"    # {names[current]} = {definitions[current]}")
        local = printer.parenthesize(step.local, PRECEDENCE["Mul"])  # d * (1 + tan(a)**2)
        backward.append(f"    {gradient[step.input]} += {gradient[step.node]} * {local}"
                        f"  # {step.rule}")  # fmt: skip
    backward.append("    return {" + ", ".join(f'"{g.input}": {gradient[g.input]}'
                                               for g in d.gradients) + "}")  # fmt: skip
    return [*forward, "", "", *backward]


def _call(d: Derivation, printer: _Printer) -> str:
    """The arguments of forward() at the derivation's point: x=-2, w=[2, -3, -3]."""
    graph = d.graph
    names = _python_names(graph)
    vectors = dict(graph.vectors)
    call = []
    for name in graph.declared:
        if name in vectors:
            items = ", ".join(printer.doprint(d.point[c]) for c in vectors[name])
            call.append(f"{names.get(name, name)}=[{items}]")
        else:
            call.append(f"{names.get(name, name)}={printer.doprint(d.point[name])}")
    return ", ".join(call)


def _descent(d: Derivation, table: Descent, printer: _Printer, suffix: str) -> list[str]:
    """The descent loop: every step recomputes the gradient at the current point, prints
    the objective there and each parameter's update (stepK:PARAM, the page's names)."""
    graph = d.graph
    names = _python_names(graph)
    owner = {c: (names.get(v, v), i) for v, cs in graph.vectors for i, c in enumerate(cs)}
    out, steps = table.output, len(table.steps)
    sign = "+" if table.ascent else "-"
    what = "ascent" if table.ascent else "descent"
    lines = [f"# Gradient {what} on {table.objective}: learning rate "
             f"{printer.doprint(table.learning_rate)}, {steps} step{'s' * (steps != 1)}; "
             "the gradient is recomputed at every point.",
             f"rate = {printer.doprint(table.learning_rate)}"]  # fmt: skip
    for name in graph.declared:  # the current point, one variable per declared input
        python = names.get(name, name)
        if name in dict(graph.vectors):
            items = ", ".join(printer.doprint(d.point[c]) for c in dict(graph.vectors)[name])
            lines.append(f"{python} = [{items}]")
        else:
            lines.append(f"{python} = {printer.doprint(d.point[name])}")
    arguments = ", ".join(f"{names.get(n, n)}={names.get(n, n)}" for n in graph.declared)
    lines += [f"for step in range(1, {steps + 1}):",
              f"    values = forward{suffix}({arguments})",
              f"    gradient = backward{suffix}(values)",
              f'    print(f"step {{step}}: {out} =", show(values["{out}"]))']  # fmt: skip
    for parameter in table.parameters:
        target = (f"{owner[parameter][0]}[{owner[parameter][1]}]" if parameter in owner
                  else names.get(parameter, parameter))  # fmt: skip
        lines += [f'    {target} = {target} {sign} rate * gradient["{parameter}"]',
                  f'    print(f"  step{{step}}:{parameter} =", show({target}), '
                  f'"(d{out}/d{parameter} =", show(gradient["{parameter}"]) + ")")']  # fmt: skip
    if table.stopped is None:
        lines += [f"values = forward{suffix}({arguments})",
                  f'print("after step {steps}: {out} =", show(values["{out}"]))']  # fmt: skip
    else:
        lines.append(f"# The table ends here: {table.stopped}.")
    return lines


def _zero(d: Derivation, descent: Descent | None) -> float:
    """ZERO_BELOW, or 0.0 when a true value the program prints is itself that small."""
    values: list[Value] = [d.forward.values[d.graph.output], *(g.value for g in d.gradients)]
    if descent is not None:
        for step in descent.steps:
            values += [step.objective, *(x for u in step.updates for x in (u.gradient, u.new))]
    return 0.0 if any(0 < abs(x) < ZERO_BELOW * 1e3 for x in _floats(values)) else ZERO_BELOW


def _floats(values: Iterable[Value]) -> Iterable[float]:
    for v in values:
        yield 0.0 if v.exact == 0 else float(v.approx)


def _python_names(graph: Graph) -> dict[str, str]:
    """Node ids as Python names, renamed where they would shadow what the program uses."""
    taken = {n.id for n in graph.nodes} | {v for v, _ in graph.vectors}
    names = {}
    for identifier in [*(v for v, _ in graph.vectors), *(n.id for n in graph.nodes)]:
        name = identifier
        while name in _RESERVED or keyword.iskeyword(name) or (name != identifier and name in taken):
            name += "_"
        names[identifier] = name
    return names


def _gradient_names(kept: list[str], names: dict[str, str]) -> dict[str, str]:
    """d_x for the gradient of x, lengthened where it would collide with any other name
    (an input may itself be called d_x)."""
    taken = set(names.values()) | _RESERVED
    gradient = {}
    for node_id in kept:
        candidate = f"d_{names[node_id]}"
        while candidate in taken:
            candidate = f"d{candidate}"
        taken.add(candidate)
        gradient[node_id] = candidate
    return gradient
