"""Derivation -> a plain Python program (the `math` module only, no SymPy) whose forward
and backward functions mirror the graph node by node, as the notebook's code cells do.

Running it prints the same value and gradient as the page: a test executes it.
"""

from __future__ import annotations

import keyword

from sympy import Expr, Symbol
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from derive.derivation import Derivation
from derive.graph import Graph
from derive.ops import OPS

_RESERVED = {"math", "forward", "backward", "sigmoid", "relu", "sign", "values", "gradient",
             "print", "dict", "float", "max", "abs"}  # fmt: skip
_HELPERS = {
    "sigmoid": ["def sigmoid(a):", "    return 1 / (1 + math.exp(-a))"],
    "relu": ["def relu(a):", "    return a if a > 0 else 0.0"],
    "sign": ["def sign(a):", "    return (a > 0) - (a < 0)"],
}


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


def program(d: Derivation) -> str:
    """A runnable Python program computing the forward and backward passes of `d`."""
    graph = d.graph
    names = _python_names(graph)
    printer = _Printer(names)
    declared = graph.declared
    forward = [f"def forward({', '.join(names.get(n, n) for n in declared)}):",
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

    backward = ["def backward(v):",
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
    backward.append("    return {" + ", ".join(f'"{i}": {gradient[i]}' for i in d.parameters)
                    + "}")  # the gradient of the parameters: given data gets none  # fmt: skip

    call = []
    vectors = dict(graph.vectors)
    for name in declared:
        if name in vectors:
            components = vectors[name]
            items = ", ".join(printer.doprint(d.point[c]) for c in components)
            call.append(f"{names.get(name, name)}=[{items}]")
        else:
            call.append(f"{names.get(name, name)}={printer.doprint(d.point[name])}")
    lines = []
    for helper in sorted(printer.helpers):
        lines += [*_HELPERS[helper], "", ""]
    lines += [*forward, "", "", *backward, "", "", f"values = forward({', '.join(call)})",
              "gradient = backward(values)",
              f'print("{graph.output} =", values["{graph.output}"])',
              'for name, value in gradient.items():',
              f'    print(f"d{graph.output}/d{{name}} =", value)']  # fmt: skip
    text = "\n".join(lines) + "\n"
    return f"import math\n\n\n{text}" if "math." in text else text


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
