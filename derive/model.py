"""The circuit model: a graph as plain data, and float64 passes over it.

The model is what a page embeds as JSON (`<script type="application/json">`) for the
browser's evaluator (derive/sphinx/static/derive-circuit.js), and what the carry-forward
marking (derive/marking.py) reads. The float64 operations here mirror derive/ops.py one
for one, with the same domain messages; the JavaScript evaluator mirrors this module, and
the tests keep the three in step. Nothing here touches SymPy: the exact passes stay the
reference, these floats only serve interaction and marking.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from derive.derivation import Derivation

Partials = Callable[[Sequence[float]], tuple[float, ...]]


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _pow(a: float, b: float) -> float:
    if a == 0 and b < 0:
        raise FloatDomainError("zero raised to a negative power (division by zero)")
    if a < 0 and not float(b).is_integer():
        raise FloatDomainError("a real power of a negative base is not a real number")
    return float(a**b)


def _pow_partials(args: Sequence[float]) -> tuple[float, ...]:
    a, b = args
    base = 0.0 if b == 0 else b * _pow(a, b - 1)
    return base, (_pow(a, b) * math.log(a) if a > 0 else math.nan)


def _div(a: float, b: float) -> float:
    if b == 0:
        raise FloatDomainError("division by zero")
    return a / b


def _log(a: float) -> float:
    if a == 0:
        raise FloatDomainError("log(0) is undefined")
    if a < 0:
        raise FloatDomainError("log of a negative number is not real")
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0:
        raise FloatDomainError("square root of a negative number")
    return math.sqrt(a)


def _dot(*args: float) -> float:
    half = len(args) // 2
    return math.fsum(u * v for u, v in zip(args[:half], args[half:], strict=True))


def _sign(a: float) -> float:
    return 0.0 if a == 0 else math.copysign(1.0, a)


VALUES: dict[str, Callable[..., float]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "neg": lambda a: -a,
    "mul": lambda a, b: a * b, "div": _div, "pow": _pow, "exp": math.exp, "log": _log,
    "sqrt": _sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan, "tanh": math.tanh,
    "sigmoid": _sigmoid, "relu": lambda a: a if a > 0 else 0.0, "abs": abs, "dot": _dot,
}  # fmt: skip
"""Each op of derive/ops.py on floats."""

PARTIALS: dict[str, Partials] = {
    "add": lambda x: (1.0, 1.0), "sub": lambda x: (1.0, -1.0), "neg": lambda x: (-1.0,),
    "mul": lambda x: (x[1], x[0]), "div": lambda x: (1 / x[1], -x[0] / x[1] ** 2),
    "pow": _pow_partials, "exp": lambda x: (math.exp(x[0]),), "log": lambda x: (1 / x[0],),
    "sqrt": lambda x: (1 / (2 * math.sqrt(x[0])),), "sin": lambda x: (math.cos(x[0]),),
    "cos": lambda x: (-math.sin(x[0]),), "tan": lambda x: (1 + math.tan(x[0]) ** 2,),
    "tanh": lambda x: (1 - math.tanh(x[0]) ** 2,),
    "sigmoid": lambda x: (_sigmoid(x[0]) * (1 - _sigmoid(x[0])),),
    "relu": lambda x: (1.0 if x[0] > 0 else 0.0,), "abs": lambda x: (_sign(x[0]),),
    "dot": lambda x: (*x[len(x) // 2 :], *x[: len(x) // 2]),
}  # fmt: skip
"""Each op's local partial derivatives on floats, one per argument."""


class FloatDomainError(ValueError):
    """An operation undefined at float arguments (the reason, as derive/ops.py words it)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """Where a float pass stopped: the node and why."""

    node: str
    reason: str

    def __str__(self) -> str:
        return f"node {self.node}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Passes:
    """Both passes on floats: every node's value, every wire's gradient (the sum over the
    positions SRC takes in DST), and every node's total gradient."""

    values: dict[str, float]
    wires: dict[tuple[str, str], float]
    totals: dict[str, float]


def model(d: Derivation, digits: int = 4) -> dict[str, Any]:
    """The graph of `d` as plain data, with its point: what the page embeds."""
    graph = d.graph
    nodes: list[dict[str, Any]] = []
    for node in graph.nodes:
        entry: dict[str, Any] = {"id": node.id, "op": node.op}
        if node.op == "const":
            entry["value"] = float(d.forward.values[node.id].approx)
        elif node.op != "input":
            entry["inputs"] = list(node.inputs)
        nodes.append(entry)
    at = {i: float(d.forward.values[i].approx) for i in graph.inputs}
    return {"nodes": nodes, "inputs": list(graph.inputs), "output": graph.output, "at": at,
            "given": list(getattr(d, "given", ())), "digits": digits}  # fmt: skip


def exact_passes(d: Derivation) -> Passes:
    """The derivation's own (exact, 40-digit) numbers rounded to floats."""
    values = {k: float(v.approx) for k, v in d.forward.values.items()}
    wires: dict[tuple[str, str], float] = {}
    for step in d.backward.steps:
        key = (step.input, step.node)
        wires[key] = wires.get(key, 0.0) + float(step.downstream.approx)
    totals = {k: float(v.approx) for k, v in d.backward.gradients.items()}
    return Passes(values, wires, totals)


def consumers(m: Mapping[str, Any]) -> dict[str, list[str]]:
    """For each node, the nodes reading it, in topological order, each once."""
    out: dict[str, list[str]] = {n["id"]: [] for n in m["nodes"]}
    for n in m["nodes"]:
        for source in dict.fromkeys(n.get("inputs", ())):
            out[source].append(n["id"])
    return out


def constants(m: Mapping[str, Any]) -> set[str]:
    """Nodes whose value depends on no input: literals and operations on literals only
    (the -1 of x^-1). As in derive's backward pass, they carry no gradient."""
    out: set[str] = set()
    for n in m["nodes"]:
        if n["op"] == "const" or (n["op"] != "input" and out.issuperset(n.get("inputs", ()))):
            out.add(n["id"])
    return out


def run(m: Mapping[str, Any], at: Mapping[str, float]) -> Passes | Failure:
    """Forward and backward passes on floats at `at` (input id -> value); a Failure names
    the first node undefined there."""
    values: dict[str, float] = {}
    nodes = m["nodes"]
    for n in nodes:
        if n["op"] == "input":
            values[n["id"]] = float(at[n["id"]])
        elif n["op"] == "const":
            values[n["id"]] = float(n["value"])
        else:
            result = apply(n["op"], [values[i] for i in n["inputs"]])
            if isinstance(result, str):
                return Failure(n["id"], result)
            values[n["id"]] = result
    fixed = constants(m)
    wires: dict[tuple[str, str], float] = {}
    totals: dict[str, float] = {}
    readers = consumers(m)
    for n in reversed(nodes):
        node_id = n["id"]
        if node_id in fixed:
            continue
        if node_id == m["output"]:
            totals[node_id] = 1.0
        else:
            totals[node_id] = math.fsum(wires[(node_id, c)] for c in readers[node_id])
        if n["op"] == "input":
            continue
        args = [values[i] for i in n["inputs"]]
        local = local_partials(n["op"], args, [i not in fixed for i in n["inputs"]])
        if isinstance(local, str):
            return Failure(node_id, local)
        for position, source in enumerate(n["inputs"]):
            if source in fixed:
                continue
            flow = totals[node_id] * local[position]
            wires[(source, node_id)] = wires.get((source, node_id), 0.0) + flow
    return Passes(values, wires, totals)


def apply(op: str, args: Sequence[float]) -> float | str:
    """The op's value at float arguments, or why it is undefined there."""
    try:
        result = VALUES[op](*args)
    except FloatDomainError as exc:
        return str(exc)
    except (OverflowError, ZeroDivisionError, ValueError):
        result = math.nan
    if not math.isfinite(result):
        return "the value is not a finite real number"
    return float(result)


def local_partials(op: str, args: Sequence[float], needed: Sequence[bool]) -> tuple[float, ...] | str:
    """The op's partials at float arguments, or why a needed one is undefined there."""
    if op == "sqrt" and args[0] == 0:
        return "sqrt is not differentiable at 0"
    if op == "pow":
        base, exponent = args
        if needed[0] and base == 0 and not float(exponent).is_integer() and exponent < 1:
            return "the derivative of a^n at a = 0 is undefined for n < 1"
        if len(needed) > 1 and needed[1] and base <= 0:
            return "the derivative with respect to the exponent needs log(base), and base <= 0"
    try:
        partials = PARTIALS[op](args)
    except (OverflowError, ZeroDivisionError, ValueError, FloatDomainError):
        return "the derivative is not a finite real number"
    if not all(math.isfinite(p) for p, need in zip(partials, needed, strict=False) if need):
        return "the derivative is not a finite real number"
    return partials


def local(op: str, args: Sequence[float], positions: Sequence[int]) -> float | None:
    """d node / d source where the source sits at `positions` among the arguments (x * x:
    both), or None where undefined."""
    partials = local_partials(op, args, [True] * len(args))
    if isinstance(partials, str):
        partials = local_partials(op, args, [i in positions for i in range(len(args))])
        if isinstance(partials, str):
            return None
    return math.fsum(partials[i] for i in positions)
