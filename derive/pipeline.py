"""The only module that runs the passes: text and values in, a Derivation out."""

from __future__ import annotations

from collections.abc import Mapping

from derive.derivation import Derivation
from derive.graph import Graph, build_graph
from derive.language import parse_function
from derive.passes.backward import backward
from derive.passes.check import check
from derive.passes.forward import forward
from derive.passes.gradients import gradients
from derive.values import Point, resolve_point, vector_lengths


def backprop(
    function: str, at: Mapping[str, object], names: Mapping[str, str] | None = None
) -> Derivation:
    """Derive `function` at the point `at`.

    `function` is an expression such as "(x + y) * z" or "f(w, x) = sigmoid(dot(w, x))";
    `at` maps each input to a number (int, float, exact text such as "pi/2") or, for a
    vector, a list of numbers; `names` names intermediate expressions, {"q": "x + y"}.
    Raises DeriveError (a ValueError) for any bad input.
    """
    graph = build_graph(parse_function(function), vector_lengths(at), names)
    return derive_at(graph, resolve_point(graph, at))


def derive_at(graph: Graph, point: Point) -> Derivation:
    """Every pass over `graph` at `point` (exact values of its scalar inputs)."""
    fwd = forward(graph, point)
    bwd = backward(graph, fwd)
    grads = gradients(graph, bwd)
    return Derivation(graph, point, fwd, bwd, grads, check(graph, fwd, grads))
