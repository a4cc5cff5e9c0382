"""The Derivation record: everything derived for one function at one point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr

from derive.graph import Graph
from derive.passes.backward import Backward
from derive.passes.check import Check
from derive.passes.forward import Forward
from derive.passes.gradients import Gradient


@dataclass(frozen=True, slots=True)
class Derivation:
    """The graph, the forward and backward passes, the gradients and their check."""

    graph: Graph
    point: Mapping[str, Expr]
    """Exact values of the scalar inputs (vector components w0, w1, ...)."""
    forward: Forward
    backward: Backward
    gradients: tuple[Gradient, ...]
    """One per parameter (scalar input not given), in input order."""
    check: Check
    given: tuple[str, ...] = ()
    """Scalar inputs that are data (i1, t1, a bias input x2 = 1): kept in the graph with
    their values, left out of `gradients`, the interpretation, the descent and the check."""

    @property
    def parameters(self) -> tuple[str, ...]:
        """The scalar inputs that are not given, in input order."""
        return tuple(i for i in self.graph.inputs if i not in self.given)

    @property
    def value(self) -> Expr:
        """The function's exact value at the point."""
        return self.forward.exact(self.graph.output)

    @property
    def gradient(self) -> dict[str, Expr]:
        """Exact d f / d input for every parameter, keyed by input id."""
        return {g.input: g.value.exact for g in self.gradients}

    @property
    def symbolic_gradient(self) -> dict[str, Expr]:
        """Closed-form d f / d input for every parameter."""
        return {g.input: g.closed_form for g in self.gradients}

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.graph.function.text,
            "value": self.forward.values[self.graph.output].to_dict()["float"],  # None past
            "gradient": {g.input: g.value.to_dict()["float"] for g in self.gradients},  # float64
            "exact": {"value": sympy.sstr(self.value),
                      "gradient": {g.input: sympy.sstr(g.value.exact) for g in self.gradients}},
            "point": {k: sympy.sstr(v) for k, v in self.point.items()},
            "given": list(self.given),
            "gradients": [g.to_dict() for g in self.gradients],
            "check": self.check.to_dict(),
            "graph": self.graph.to_dict(),
            "forward": self.forward.to_dict(),
            "backward": self.backward.to_dict(),
        }  # fmt: skip
