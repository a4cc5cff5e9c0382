"""A student's variant of an exercise: a point drawn from the exercise's `vary:` values,
deterministic from (seed, exercise id, student id), accepted only when clean.

A draw is accepted when the whole derivation is well posed:

- every node is defined and differentiable at the point (no division by zero, no log of
  0, no domain edge) and no relu/abs sits exactly at its kink;
- the descent stays in the domain, and the three routes of the gradient check agree;
- no parameter's gradient is zero, and no two parameters' gradients tie in size unless
  their closed forms do (x and y of (x + y) * z always tie: that is the lesson, not an
  accident of the draw). Decided once for every exercise, whether or not a question ranks
  the inputs: a zero or accidentally tied gradient makes the descent and the comparison
  questions degenerate;

and, unless the exercise says `clean: false`, its numbers are clean:

- for a function of + - * / and integer powers, every forward value, wire gradient, node
  gradient and descent value (current, gradient, new value, objective) is an exact
  terminating decimal with at most `digits` decimals and `digits` significant digits, so
  the page shows it exactly as it is;
- a function with exp, log, sigmoid, tanh, sin, sqrt, ... can never be clean in that
  sense; for it clean means all of the above well-posedness and every nonzero number of
  moderate size (MODERATE), so that no sigmoid is saturated to 1e-9 and no exp is huge.

Up to MAX_ATTEMPTS distinct draws are tried (all of them, in a shuffled order, when the
space is smaller); when none is accepted the error names the first constraint that failed.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import sympy
from sympy import Expr

from derive.assign.key import Quantity, descent_quantities, pass_quantities
from derive.errors import DeriveError, SpecError
from derive.graph import Graph, build_graph
from derive.language import parse_function
from derive.ops import Value
from derive.passes.backward import backward
from derive.passes.forward import forward
from derive.passes.gradients import closed_forms
from derive.pipeline import solve
from derive.solution import Solution
from derive.spec import Exercise
from derive.values import resolve_point, vector_lengths

MAX_ATTEMPTS = 400
"""Distinct draws tried per student and exercise before giving up."""
ENUMERATE_UP_TO = 20_000
"""Spaces up to this size are shuffled whole (every point tried at most once)."""
MODERATE = (1e-4, 1e4)
"""Smallest and largest |number| of a clean variant of a transcendental function."""
TRANSCENDENTAL = frozenset({"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid"})


@dataclass(frozen=True, slots=True)
class Variant:
    """One student's version of an exercise."""

    exercise: Exercise
    """The exercise with the student's point in `at`."""
    solution: Solution
    attempts: int
    """Draws tried, the accepted one included (0 when nothing varies)."""


def rng_for(seed: int, exercise_id: str, student: str) -> random.Random:
    """The random stream of one student's draws of one exercise."""
    digest = hashlib.sha256(f"{seed}:{exercise_id}:{student}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def variant(exercise: Exercise, seed: int, student: str) -> Variant:
    """The student's variant; the exercise itself when nothing varies. Raises SpecError
    (at `vary`) when no clean draw is found."""
    if not exercise.vary:  # the same for every student: solved once per process
        key = (exercise.path, exercise.id, exercise.function, point_text(exercise))
        if key not in _FIXED:
            _FIXED[key] = Variant(exercise, solve(exercise), 0)
        return _FIXED[key]
    graph = _graph(exercise)
    slots = _slots(exercise, graph)
    first: str | None = None
    failures: Counter[str] = Counter()
    tried = 0
    for draw in _draws(slots, rng_for(seed, exercise.id, student)):
        tried += 1
        candidate = replace(exercise, at=_point(exercise, slots, draw))
        reason, solution = judge(candidate, graph)
        if reason is None:
            assert solution is not None
            return Variant(candidate, solution, tried)
        first = first or f"{reason} (at {point_text(candidate)})"
        failures[reason.split(":")[0]] += 1
    common, count = failures.most_common(1)[0]
    raise exercise.error("vary", f"no clean draw among {tried} tried: the first constraint that "
                         f"failed: {first}; most often: {common} ({count} of {tried})")


def judge(exercise: Exercise, graph: Graph | None = None) -> tuple[str | None, Solution | None]:
    """Why the exercise's point is not an acceptable variant ("constraint: detail"), or
    None and its solution. Cheap passes first; the full solve only for a likely winner."""
    graph = graph or _graph(exercise)
    try:
        fwd = forward(graph, resolve_point(graph, exercise.at))
        bwd = backward(graph, fwd)
    except DeriveError as exc:
        return f"domain: {exc}", None
    if fwd.kinks:
        return f"kink: node {fwd.kinks[0]} is at its kink", None
    transcendental = any(n.op in TRANSCENDENTAL for n in graph.nodes)
    data = _data(exercise, graph)
    reason = _unclean(pass_quantities(graph, fwd, bwd, data), exercise, transcendental)
    reason = reason or _gradients(exercise, graph, bwd.gradients, data)
    if reason is not None:
        return reason, None
    try:
        solution = solve(exercise)
    except SpecError as exc:
        return f"domain: {exc.detail}", None
    if not solution.derivation.check.agree:
        return "check: the three routes of the gradient check disagree", None
    table = solution.descent
    if table is not None and table.stopped:
        return f"descent: {table.stopped}", None
    steps = [] if table is None else [
        Quantity(f"{what} at step {s.number}", value, "")
        for s in table.steps
        for what, value in (("objective", s.objective),
                            *((f"gradient of {u.parameter}", u.gradient) for u in s.updates))
    ]  # fmt: skip
    reason = _unclean(descent_quantities(table) + steps, exercise, transcendental)
    return reason, (solution if reason is None else None)


def _data(exercise: Exercise, graph: Graph) -> tuple[str, ...]:
    """The scalar ids of the exercise's data inputs (`given`, once the spec has it)."""
    names = set(getattr(exercise, "given", ()) or ())
    vectors = dict(graph.vectors)
    return tuple(i for name in names for i in vectors.get(name, (name,)))


def clean_decimal(value: Expr, digits: int) -> bool:
    """Whether `value` is a terminating decimal of at most `digits` decimals and `digits`
    significant digits (shown exactly on a page that prints `digits` digits)."""
    if not value.is_Rational:
        return False
    q, twos, fives = int(value.q), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1:
        return False
    places = max(twos, fives)
    if places > digits:
        return False
    scaled = abs(int(value * 10**places))
    significant = len(str(scaled).rstrip("0")) if scaled else 0
    return significant <= digits


def _unclean(items: list[Quantity], exercise: Exercise, transcendental: bool) -> str | None:
    if not exercise.clean:
        return None
    low, high, digits = *MODERATE, exercise.digits
    for item in items:
        value = item.value
        if transcendental:
            size = abs(float(value.approx))  # 0.0 when 40 digits cannot tell it from 0
            if value.exact != 0 and not low <= size <= high:
                return f"size: {item.name} = {float(value.approx):.3g} is outside {low:g} to {high:g}"
        elif not clean_decimal(value.exact, digits):
            return (f"clean: {item.name} = {sympy.sstr(value.exact)} is not a decimal of at "
                    f"most {digits} digits")
    return None


def _gradients(exercise: Exercise, graph: Graph, grads: Mapping[str, Value],
               data: tuple[str, ...]) -> str | None:
    parameters = [i for i in graph.inputs if i not in data]
    for name in parameters:
        if grads[name].exact == 0:
            return f"zero gradient: grad:{name} = 0"
    tied = _structural_ties(exercise, graph)
    for a, b in itertools.combinations(parameters, 2):
        if (a, b) not in tied and abs(grads[a].exact) == abs(grads[b].exact):
            return f"tie: |grad:{a}| = |grad:{b}| = {sympy.sstr(abs(grads[a].exact))}"
    return None


_FIXED: dict[tuple[str, ...], Variant] = {}
_GRAPHS: dict[tuple[object, ...], Graph] = {}
_TIES: dict[tuple[object, ...], set[tuple[str, str]]] = {}


def _cache_key(exercise: Exercise) -> tuple[object, ...]:
    return (exercise.function, tuple(exercise.where.items()),
            tuple(sorted(vector_lengths(exercise.at).items())))  # fmt: skip


def _graph(exercise: Exercise) -> Graph:
    key = _cache_key(exercise)
    if key not in _GRAPHS:
        with exercise.located("function"):
            _GRAPHS[key] = build_graph(parse_function(exercise.function),
                                       vector_lengths(exercise.at), exercise.where)
    return _GRAPHS[key]


def _structural_ties(exercise: Exercise, graph: Graph) -> set[tuple[str, str]]:
    """Pairs of inputs whose gradients are equal or opposite as formulas."""
    key = _cache_key(exercise)
    if key not in _TIES:
        fwd = forward(graph, resolve_point(graph, exercise.at))
        forms = closed_forms(graph, backward(graph, fwd))
        _TIES[key] = {(a, b) for a, b in itertools.combinations(graph.inputs, 2)
                      if sympy.expand(forms[a] - forms[b]) == 0
                      or sympy.expand(forms[a] + forms[b]) == 0}  # fmt: skip
    return _TIES[key]


def _slots(exercise: Exercise, graph: Graph) -> list[tuple[str, int | None, tuple[Expr, ...]]]:
    """(input name, component or None, values) for every scalar that varies."""
    vectors = dict(graph.vectors)
    slots: list[tuple[str, int | None, tuple[Expr, ...]]] = []
    for vary in exercise.vary:
        if vary.name in vectors:
            slots += [(vary.name, i, vary.values) for i in range(len(vectors[vary.name]))]
        else:
            slots.append((vary.name, None, vary.values))
    return slots


def _draws(slots: list[tuple[str, int | None, tuple[Expr, ...]]],
           rng: random.Random) -> Iterator[tuple[int, ...]]:
    """Distinct draws (an index into each slot's values), at most MAX_ATTEMPTS."""
    sizes = [len(values) for _, _, values in slots]
    space = 1
    for size in sizes:
        space *= size
    if space <= ENUMERATE_UP_TO:
        every = list(itertools.product(*(range(n) for n in sizes)))
        rng.shuffle(every)
        yield from every[:MAX_ATTEMPTS]
        return
    seen: set[tuple[int, ...]] = set()
    while len(seen) < MAX_ATTEMPTS:
        draw = tuple(rng.randrange(n) for n in sizes)
        if draw not in seen:
            seen.add(draw)
            yield draw


def _point(exercise: Exercise, slots: list[tuple[str, int | None, tuple[Expr, ...]]],
           draw: tuple[int, ...]) -> dict[str, Expr | tuple[Expr, ...]]:
    at = dict(exercise.at)
    for (name, component, values), index in zip(slots, draw, strict=True):
        if component is None:
            at[name] = values[index]
        else:
            old = at[name]
            assert isinstance(old, tuple)
            at[name] = (*old[:component], values[index], *old[component + 1 :])
    return at


def point_text(exercise: Exercise) -> str:
    """The exercise's point as text: "x=2, y=-1, w=[1, 2]"."""
    def show(value: object) -> str:
        if isinstance(value, tuple):
            return "[" + ", ".join(str(sympy.sstr(v)) for v in value) + "]"
        return str(sympy.sstr(value))

    return ", ".join(f"{k}={show(v)}" for k, v in exercise.at.items())
