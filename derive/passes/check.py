"""The gradient checked three independent ways.

1. backward: the graph's reverse pass (the rules table, in mpmath);
2. symbolic: forward mode with SymPy's own derivatives (`derive.passes.tangent`): SymPy's
   `diff` of each operation's definition, with sigmoid and relu written in SymPy's
   functions so that none of derive's rules are involved, combined forward along the graph
   in time linear in its size;
3. finite difference: a central difference of the function evaluated in mpmath at
   FD_PRECISION digits with a tiny step.

Per-input derivatives cost one pass per input; past PER_INPUT_LIMIT inputs all routes
compare the derivative along one pseudo-random direction v instead: d/dt f(x + t v) at
t = 0 must equal v . gradient. docs/engine.md says why the routes are independent.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr

from derive.graph import Graph
from derive.numeric import FD, FD_PRECISION, context, to_mp
from derive.passes.forward import Forward, numeric_value
from derive.passes.gradients import Gradient
from derive.passes.tangent import NotRealError, directional

PER_INPUT_LIMIT = 16
"""Largest number of inputs checked one by one; more are checked along a direction."""
TOLERANCE = 1e-15
"""Largest accepted relative difference between two routes."""
STEP = sympy.Rational(1, 10**30)
"""Finite-difference step, scaled down by the smallest nonzero input moved below 1."""
GUARD_DIGITS = 45
"""Digits carried beyond those the step needs, so that x + h v keeps its last digits."""
TANGENT_GUARD = 20
"""Digits the forward-mode route carries beyond the numeric pass's precision."""
SETTLE_GUARD = 20
"""Digits added to recompute a route's result that is below the numeric pass's resolution."""
SETTLED_DIGITS = 10
"""Digits on which such a tiny result must agree at both precisions to be a value (else it
is the rounding error of a zero)."""


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One derivative as each route computes it."""

    label: str
    """The input's id, or "v . grad" for a directional check."""
    backward: Any
    symbolic: Any | None
    """None when SymPy could not evaluate its derivative to a number."""
    finite_difference: Any | None
    """None where finite differences do not apply (at a kink)."""

    def errors(self) -> list[float]:
        """Relative differences from the backward route, computed in mpmath: gradients can
        exceed the range of a float (exp(exp(8)) has one near 1e1298)."""
        scale = max(1, abs(self.backward))
        return [float(abs(route - self.backward) / scale)
                for route in (self.symbolic, self.finite_difference) if route is not None]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        def number(route: Any) -> float | None:
            return None if route is None else float(route)

        return {"label": self.label, "backward": float(self.backward),
                "symbolic": number(self.symbolic),
                "finite_difference": number(self.finite_difference)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Check:
    """The verdict of the three-way comparison."""

    method: str
    """"per input" or "random direction"."""
    direction: tuple[Expr, ...]
    """The direction v of a directional check (one entry per input); empty otherwise."""
    rows: tuple[CheckRow, ...]
    largest_error: float
    """Largest relative difference from the backward route over all rows and routes."""
    agree: bool
    """True when every available route agrees within TOLERANCE and none is missing."""
    notes: tuple[str, ...]
    """Why a route was skipped, or the kink convention that applied."""

    @property
    def verdict(self) -> str:
        return "agree" if self.agree else "DISAGREE"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "verdict": self.verdict, "agree": self.agree,
            "largest_error": self.largest_error, "tolerance": TOLERANCE,
            "direction": [sympy.sstr(v) for v in self.direction],
            "rows": [row.to_dict() for row in self.rows], "notes": list(self.notes),
        }  # fmt: skip


def check(graph: Graph, fwd: Forward, grads: Sequence[Gradient]) -> Check:
    """Compare the backward pass's gradient with forward mode on SymPy's derivatives and
    with finite differences."""
    inputs = [g.input for g in grads]  # the parameters: given inputs (data) stay fixed
    notes: list[str] = []
    if fwd.kinks:
        notes.append(
            "at a kink (" + ", ".join(f"{graph.node(k).source} = 0" for k in fwd.kinks) + ") "
            "the derivative is taken as the subgradient 0; finite differences do not apply"
        )
    backward = {g.input: g.value.approx for g in grads}
    if len(inputs) <= PER_INPUT_LIMIT:
        method, direction = "per input", ()
        rows = [
            CheckRow(i, backward[i], _symbolic(graph, fwd, {i: sympy.S.One}, notes),
                     None if fwd.kinks else _difference(graph, fwd, {i: sympy.S.One}, notes))
            for i in inputs
        ]  # fmt: skip
    else:
        method = "random direction"
        rng = random.Random(len(inputs))  # fixed seed: the same check on every run
        direction = tuple(sympy.Integer(rng.choice((-1, 1))) for _ in inputs)
        v: dict[str, Expr] = dict(zip(inputs, direction, strict=True))
        symbolic = _symbolic(graph, fwd, v, notes)
        dot = fwd.context.fsum(backward[i] * int(v[i]) for i in inputs)
        fd = None if fwd.kinks else _difference(graph, fwd, v, notes)
        rows = [CheckRow("v . grad", dot, symbolic, fd)]
    errors = [e for row in rows for e in row.errors()]
    largest = max(errors, default=0.0)
    complete = all(row.symbolic is not None for row in rows)
    return Check(method, direction, tuple(rows), largest, complete and largest <= TOLERANCE,
                 tuple(notes))


def _symbolic(graph: Graph, fwd: Forward, direction: dict[str, Expr], notes: list[str]) -> Any:
    """The derivative of f along `direction`, forward along the graph with SymPy's own
    derivatives of each operation, TANGENT_GUARD digits beyond the numeric pass."""
    ctx = fwd.context
    point = {i: fwd.exact(i) for i in graph.inputs}
    steps = {i: int(v) for i, v in direction.items()}
    try:
        return _settled(lambda extra: directional(graph, point, steps,
                                                  context(ctx.dps + TANGENT_GUARD + extra)),
                        ctx)  # fmt: skip
    except NotRealError as exc:
        notes.append(f"SymPy's derivatives could not be evaluated to a real number ({exc})")
        return None


def _settled(value_at: Callable[[int], Any], ctx: Any) -> Any:
    """value_at(0) in the numeric pass's context `ctx`, unless it is below that pass's
    resolution: then it is computed again with SETTLE_GUARD more digits. A true value
    agrees at both precisions (sigmoid'(-200) is 1.4e-87); the rounding error of a zero at
    an irrational point (cos at pi/2 gives 4.6e-67 at 60 digits) shrinks with the
    precision, and is reported as the 0 it is."""
    value = value_at(0)
    if value and abs(value) < ctx.mpf(10) ** -ctx.dps:
        again = value_at(SETTLE_GUARD)
        if abs(again - value) > abs(again) * ctx.mpf(10) ** -SETTLED_DIGITS:
            return ctx.zero if abs(again) < abs(value) else ctx.mpf(again)
        value = again
    return ctx.mpf(value)


def _difference(
    graph: Graph, fwd: Forward, direction: dict[str, Expr], notes: list[str]
) -> Any | None:
    """(f(x + h v) - f(x - h v)) / 2h. The step is tiny, and tinier than any small input it
    moves, so both points stay on the same side of a nearby singularity (sqrt near 0); the
    precision grows with the inputs' magnitude, so that x + h v stays exact (x = 1e40).
    A tiny result is settled as the forward-mode one is (`_settled`)."""
    sizes = [abs(to_mp(fwd.exact(i), FD)) for i in direction]
    h_scale = min([FD.one, *(s for s in sizes if s != 0)])
    span = max([FD.one, *sizes]) / h_scale
    digits = max(FD_PRECISION, GUARD_DIGITS + 30 + int(FD.log10(span)) + 1)

    def value_at(extra: int) -> Any:
        ctx = context(digits + extra)
        base = {i: to_mp(fwd.exact(i), ctx) for i in graph.inputs}
        h = to_mp(STEP, ctx) * ctx.mpf(h_scale)

        def at(sign: int) -> Any:
            moved = dict(base)
            for i, v in direction.items():
                moved[i] = base[i] + sign * h * int(v)
            return numeric_value(graph, moved, ctx)

        value = (at(1) - at(-1)) / (2 * h)
        if not isinstance(value, type(ctx.mpf(0))):  # complex: the domain ends near here
            raise NotRealError("a complex value")
        return value

    try:
        return _settled(value_at, fwd.context)
    except (ValueError, ZeroDivisionError, NotRealError):  # the domain ends near here
        notes.append("finite differences do not apply: the function is not real on both "
                     "sides of the point")
        return None
