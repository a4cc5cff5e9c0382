"""The check's symbolic route on any graph, in time linear in its size: forward-mode
differentiation with SymPy's own derivatives of each node.

For every kind of operation, the node's expression is written in SymPy's own functions over
fresh argument symbols (sigmoid as 1/(1 + exp(-a)), relu as a Piecewise, a power with a
constant exponent with that exponent in place), and SymPy's `diff` gives its partial
derivatives, once per kind. Then, in topological order, each node's value and its tangent
(its derivative along a direction v) are computed from its arguments': tangent = the sum of
partial * the argument's tangent. Nothing comes from derive's rules table (its partials) or
from the backward pass, and the values are recomputed from the SymPy expressions, not taken
from the forward pass. The small SymPy expressions are turned into mpmath functions here
(never by eval or lambdify) and run at the precision asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import sympy
from sympy import Expr, Symbol

from derive.graph import Graph
from derive.numeric import to_mp
from derive.ops import OPS
from derive.symbolic import primitive

Numeric = Callable[[tuple[Any, ...], Any], Any]
"""A compiled expression: f(argument values, mpmath context) -> value."""

_FUNCTIONS: dict[type[Any], str] = {
    sympy.exp: "exp", sympy.log: "ln", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
    sympy.tanh: "tanh", sympy.cosh: "cosh", sympy.sinh: "sinh", sympy.Abs: "fabs",
    sympy.sign: "sign",
}  # fmt: skip
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: bool(a > b), ">=": lambda a, b: bool(a >= b),
    "<": lambda a, b: bool(a < b), "<=": lambda a, b: bool(a <= b),
}  # fmt: skip


class NotRealError(Exception):
    """An expression did not evaluate to a finite real number."""


@cache
def local(op: str, arity: int, exponent: Expr | None = None) -> tuple[Numeric, tuple[Numeric, ...]]:
    """The operation's value and SymPy's partial derivatives of it, compiled. A dot product
    is differentiated as one pair a*b (every pair has the same partials); a power with a
    constant exponent as a function of its base alone."""
    arity = 2 if op == "dot" else 1 if exponent is not None else arity
    symbols = tuple(Symbol(f"a{i}", real=True) for i in range(arity))
    if op == "dot":
        expr = symbols[0] * symbols[1]
    elif exponent is not None:
        expr = sympy.Pow(symbols[0], exponent)
    else:
        expr = primitive(OPS[op].build(*symbols))
    return compile_numeric(expr, symbols), tuple(
        compile_numeric(expr.diff(s), symbols) for s in symbols
    )


def directional(graph: Graph, point: Mapping[str, Expr], direction: Mapping[str, Any],
                ctx: Any) -> Any:
    """d/dt f(point + t direction) at t = 0, in mpmath context `ctx`. Inputs missing from
    `direction` stay fixed. Raises NotRealError where SymPy's expressions do not evaluate."""
    values: dict[str, Any] = {}
    tangents: dict[str, Any] = {}
    zero = ctx.zero
    for node in graph.nodes:
        if node.op in ("input", "const"):
            values[node.id] = to_mp(point[node.id] if node.op == "input" else node.expr, ctx)
            tangents[node.id] = ctx.mpf(direction.get(node.id, 0))
            continue
        args = tuple(values[i] for i in node.inputs)
        moving = tuple(tangents[i] for i in node.inputs)
        if node.op == "dot":
            value, partials = local("dot", 2)
            half = len(args) // 2
            pairs = list(zip(args[:half], args[half:], strict=True))
            steps = zip(moving[:half], moving[half:], strict=True)
            values[node.id] = ctx.fsum(value(pair, ctx) for pair in pairs)
            tangents[node.id] = ctx.fsum(_chain(partials, pair, step, ctx)
                                         for pair, step in zip(pairs, steps, strict=True))
            continue
        if node.op == "pow" and graph.is_constant(node.inputs[1]):
            value, partials = local("pow", 1, graph.node(node.inputs[1]).expr)
            args, moving = args[:1], moving[:1]
        else:
            value, partials = local(node.op, len(args))
        values[node.id] = value(args, ctx)
        tangents[node.id] = _chain(partials, args, moving, ctx) if any(moving) else zero
    return tangents[graph.output]


def _chain(partials: tuple[Numeric, ...], args: tuple[Any, ...], moving: Any, ctx: Any) -> Any:
    """The chain rule forward: the sum of partial * tangent over the arguments that move."""
    return ctx.fsum(p(args, ctx) * t for p, t in zip(partials, moving, strict=True) if t)


def compile_numeric(expr: Expr, symbols: tuple[Symbol, ...]) -> Numeric:
    """A small SymPy expression as a function of its symbols' mpmath values (a tree of
    closures; the expressions are the operations', so their depth is small)."""
    if expr.is_Symbol:
        index = symbols.index(expr)
        return lambda v, c: v[index]
    if expr.is_Rational:
        p, q = int(expr.p), int(expr.q)
        return lambda v, c: c.mpf(p) / q
    if expr is sympy.pi or expr is sympy.E:
        constant = "pi" if expr is sympy.pi else "e"
        return lambda v, c: getattr(c, constant)
    parts = [compile_numeric(a, symbols) for a in expr.args] if expr.is_Add or expr.is_Mul else []
    if expr.is_Add:
        return lambda v, c: c.fsum(f(v, c) for f in parts)
    if expr.is_Mul:
        return lambda v, c: c.fprod(f(v, c) for f in parts)
    if expr.is_Pow:
        base, exponent = (compile_numeric(a, symbols) for a in expr.args)
        return lambda v, c: _power(base(v, c), exponent(v, c), c)
    if isinstance(expr, sympy.Piecewise):
        cases = [(compile_numeric(e, symbols), _condition(k, symbols)) for e, k in expr.args]
        return lambda v, c: _piecewise(cases, v, c)
    found = _FUNCTIONS.get(type(expr))
    if found is None:
        raise NotRealError(f"no numeric form for {type(expr).__name__}")
    function: str = found
    (argument,) = (compile_numeric(a, symbols) for a in expr.args)
    return lambda v, c: _function(function, argument(v, c), c)


def _condition(condition: Any, symbols: tuple[Symbol, ...]) -> Callable[[Any, Any], bool]:
    if condition is sympy.true:
        return lambda v, c: True
    if isinstance(condition, sympy.core.relational.Relational) and condition.rel_op in _COMPARE:
        compare = _COMPARE[condition.rel_op]
        left, right = (compile_numeric(a, symbols) for a in condition.args)
        return lambda v, c: compare(left(v, c), right(v, c))
    raise NotRealError(f"no numeric form for {condition}")


def _piecewise(cases: list[tuple[Numeric, Callable[[Any, Any], bool]]], v: Any, c: Any) -> Any:
    for value, holds in cases:
        if holds(v, c):
            return value(v, c)
    raise NotRealError("no case of a piecewise function applies")


def _power(base: Any, exponent: Any, c: Any) -> Any:
    if base == 0 and exponent < 0:
        raise NotRealError("zero to a negative power")
    return _real(c.power(base, exponent), c)


def _function(name: str, argument: Any, c: Any) -> Any:
    if name == "ln" and argument <= 0:
        raise NotRealError("log of a number <= 0")
    return _real(getattr(c, name)(argument), c)


def _real(value: Any, c: Any) -> Any:
    if not isinstance(value, c.mpf) or not c.isfinite(value):
        raise NotRealError("not a finite real number")
    return value
