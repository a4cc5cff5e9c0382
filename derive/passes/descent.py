"""Gradient descent (or ascent): a table per step, the gradient recomputed at every point.

Rational values stay exact through any number of steps. Irrational ones (sigma(1), e^-1)
would nest deeper at every step, so a new value whose exact form grows past EXACT_OPS
operations, or holds fractions of more than EXACT_DIGITS digits, is replaced by a rational
with ROUNDED_DIGITS significant digits, and the record says so. A step that leaves the domain ends the table with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy
from sympy import Expr

from derive.errors import DomainError
from derive.graph import Graph
from derive.numeric import to_mp
from derive.ops import Value
from derive.passes.backward import Backward, backward
from derive.passes.forward import Forward, forward

EXACT_OPS = 40
"""Largest exact form (in SymPy operations) a descended value keeps."""
EXACT_DIGITS = 24
"""Longest fraction (digits of numerator and denominator) inside a kept exact form."""
ROUNDED_DIGITS = 30


@dataclass(frozen=True, slots=True)
class Update:
    """One parameter's update: new = current - learning_rate * gradient (+ for ascent)."""

    parameter: str
    current: Value
    gradient: Value
    new: Value
    rounded: bool
    """The new value's exact form grew too large and was rounded to ROUNDED_DIGITS digits."""

    def to_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "current": self.current.to_dict(),
                "gradient": self.gradient.to_dict(), "new": self.new.to_dict(),
                "rounded": self.rounded}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Activation:
    """A sigmoid or tanh node at one step's point: why the gradient through it changes."""

    node: str
    op: str
    input: str
    """The node feeding it (its pre-activation)."""
    argument: Value
    local: Value
    """Its local derivative at the argument (sigma(1 - sigma), 1 - tanh^2), to 30 digits."""
    upstream: Value
    """The gradient of the objective with respect to the node (for E = (f - 1)^2/2 and the
    node f, the error factor f - 1)."""


@dataclass(frozen=True, slots=True)
class DescentStep:
    number: int
    """1 for the first step."""
    point: Mapping[str, Value]
    """Every input's value where this step's gradient is taken."""
    objective: Value
    """The objective at `point`."""
    updates: tuple[Update, ...]
    objective_after: Value | None
    """The objective at the updated point; None when that point is outside the domain."""
    activations: tuple[Activation, ...] = ()

    @property
    def change(self) -> Value | None:
        """objective_after - objective (to 30 digits), or None outside the domain."""
        if self.objective_after is None:
            return None
        delta = self.objective_after.approx - self.objective.approx
        return Value(sympy.Float(mpmath.nstr(delta, ROUNDED_DIGITS), ROUNDED_DIGITS), delta)

    def to_dict(self) -> dict[str, Any]:
        after = None if self.objective_after is None else self.objective_after.to_dict()
        return {"step": self.number, "point": {k: v.to_dict() for k, v in self.point.items()},
                "objective": self.objective.to_dict(), "objective_after": after,
                "updates": [u.to_dict() for u in self.updates]}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Descent:
    """The whole table."""

    objective: str
    """What is minimised: the function's name, or the objective's text."""
    output: str
    """Id of the objective's node in `graph`."""
    parameters: tuple[str, ...]
    """Scalar inputs updated, in input order."""
    learning_rate: Expr
    ascent: bool
    steps: tuple[DescentStep, ...]
    stopped: str | None
    """Why the table ends early (the updated point left the domain), or None."""
    form: Expr | None = None
    """The objective as an expression of the function's output and inputs, such as
    (f - 1)^2/2; None when the objective is the function itself."""
    final_gradient: Mapping[str, Value] | None = None
    rate: Value | None = None
    """The learning rate with its decimal, for printing."""
    """The gradient at the last updated point (None when it left the domain): it differs
    from the last step's gradient, which is why every step recomputes it."""

    @property
    def rounded(self) -> bool:
        return any(u.rounded for step in self.steps for u in step.updates)

    def first_order(self, step: DescentStep) -> Value:
        """The change of the objective the gradient predicts for `step` (to first order):
        -rate * |gradient|^2 for descent, +rate * |gradient|^2 for ascent, to 30 digits."""
        first = step.updates[0].gradient.approx
        squares = first.context.fsum(u.gradient.approx ** 2 for u in step.updates)
        rate = _mp(self.learning_rate, first)
        predicted = rate * squares * (1 if self.ascent else -1)
        return Value(sympy.Float(mpmath.nstr(predicted, ROUNDED_DIGITS), ROUNDED_DIGITS),
                     predicted)

    def to_dict(self) -> dict[str, Any]:
        return {"objective": self.objective, "parameters": list(self.parameters),
                "learning_rate": sympy.sstr(self.learning_rate), "ascent": self.ascent,
                "steps": [s.to_dict() for s in self.steps], "stopped": self.stopped}  # fmt: skip


def parameter_ids(graph: Graph, names: Sequence[str] | None) -> tuple[str, ...]:
    """Scalar input ids for parameter names (a vector's name selects its components);
    None selects every input. Raises DomainError-free ValueError subclasses via KeyError."""
    if names is None:
        return graph.inputs
    vectors = dict(graph.vectors)
    chosen: list[str] = []
    for name in names:
        if name in vectors:
            chosen.extend(vectors[name])
        elif name in graph.inputs:
            chosen.append(name)
        else:
            raise KeyError(name)
    return tuple(i for i in graph.inputs if i in chosen)


def descend(graph: Graph, start: Mapping[str, Expr], parameters: Sequence[str],
            learning_rate: Expr, steps: int, ascent: bool = False,
            objective: str | None = None, form: Expr | None = None,
            first: tuple[Forward, Backward] | None = None) -> Descent:
    """`steps` steps of gradient descent on the output of `graph` from `start`. `first`:
    the forward and backward passes at `start` when the caller has them already."""
    sign = 1 if ascent else -1
    point = dict(start)
    fwd, bwd = (forward(graph, point), None) if first is None else first
    records: list[DescentStep] = []
    stopped = None
    for number in range(1, steps + 1):
        grads = (backward(graph, fwd) if bwd is None else bwd).gradients
        activations = _activations(graph, fwd, grads)
        updates = tuple(_update(p, fwd.values[p], grads[p], learning_rate, sign)
                        for p in parameters)  # fmt: skip
        point = {**point, **{u.parameter: u.new.exact for u in updates}}
        known = {i: fwd.values[i].approx for i in graph.inputs}
        known.update({u.parameter: u.new.approx for u in updates})
        try:
            after: Forward | None = forward(graph, point, known)
        except DomainError as exc:
            after, stopped = None, f"after step {number} the point leaves the domain: {exc}"
        records.append(DescentStep(
            number, {i: fwd.values[i] for i in graph.inputs}, fwd.values[graph.output], updates,
            None if after is None else after.values[graph.output], activations))  # fmt: skip
        if after is None:
            break
        fwd, bwd = after, None
    final = None if stopped else backward(graph, fwd).gradients
    start_context = records[0].objective.approx.context
    return Descent(objective or graph.output, graph.output, tuple(parameters), learning_rate,
                   ascent, tuple(records), stopped, form,
                   None if final is None else {p: final[p] for p in parameters},
                   Value.of(learning_rate, to_mp(learning_rate, start_context)))


def _activations(graph: Graph, fwd: Forward, grads: Mapping[str, Value]) -> tuple[Activation, ...]:
    found = []
    for node in graph.operations:
        if node.op not in ("sigmoid", "tanh") or node.id not in grads:
            continue
        out = fwd.values[node.id].approx
        local = out * (1 - out) if node.op == "sigmoid" else 1 - out**2
        exact = sympy.Float(mpmath.nstr(local, ROUNDED_DIGITS), ROUNDED_DIGITS)
        found.append(Activation(node.id, node.op, node.inputs[0], fwd.values[node.inputs[0]],
                                Value(exact, local), grads[node.id]))  # fmt: skip
    return tuple(found)


def _update(parameter: str, current: Value, gradient: Value, rate: Expr, sign: int) -> Update:
    exact = current.exact + sign * rate * gradient.exact
    approx = current.approx + sign * _mp(rate, current.approx) * gradient.approx
    rounded = not exact.is_Rational and _grown(exact)
    if rounded:
        digits = mpmath.nstr(approx, ROUNDED_DIGITS, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)
        fraction = Fraction(digits)
        exact = sympy.Rational(fraction.numerator, fraction.denominator)
    return Update(parameter, current, gradient, Value.of(exact, approx), rounded)


def _grown(exact: Expr) -> bool:
    """Whether an irrational exact form is too big to carry into the next step: too many
    operations, or fractions with long digits inside functions, on which SymPy's own
    simplification (exp of a log of a long fraction, say) can run out of memory."""
    # Cheap tests first: SymPy's count of operations rebuilds terms as it goes
    if any(len(str(n.p)) + len(str(n.q)) > EXACT_DIGITS for n in exact.atoms(sympy.Rational)):
        return True
    return fewest_ops(exact) > EXACT_OPS or sympy.count_ops(exact) > EXACT_OPS


def fewest_ops(expr: Expr) -> int:
    """A lower bound of sympy.count_ops(expr), in one walk of the tree. count_ops counts one
    operation for each function applied and k - 1 for a sum of k terms; for a product, it
    may first split off or distribute its number (2*(x + y/2)/x counts as (2x + y)/x), so
    only its factors other than numbers are sure to count: k - 1 of k such factors."""
    total = 0
    for node in sympy.preorder_traversal(expr):
        if node.is_Function and node.args:
            total += 1
        elif node.is_Add:
            total += len(node.args) - 1
        elif node.is_Mul:
            total += max(sum(1 for f in node.args if not f.is_Number) - 1, 0)
    return total


def _mp(exact: Expr, like: Any) -> Any:
    """An exact rational learning rate in the context of `like`."""
    return like.context.mpf(int(exact.p)) / int(exact.q) if exact.is_Rational else (
        like.context.mpf(str(sympy.N(exact, like.context.dps))))  # fmt: skip
