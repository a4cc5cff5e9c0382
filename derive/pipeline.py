"""The only module that runs the passes: text and values in, a Derivation out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from derive.derivation import Derivation
from derive.errors import DeriveError, SpecError, SpecErrors
from derive.graph import Graph, build_graph
from derive.language import Function, parse_expression, parse_function
from derive.passes.analysis import analyse
from derive.passes.backward import backward
from derive.passes.check import check
from derive.passes.descent import Descent, descend, parameter_ids
from derive.passes.forward import forward
from derive.passes.gradients import gradients
from derive.solution import Solution, Workbook
from derive.spec import DescentSpec, Exercise, read_valid_part
from derive.timebox import EXERCISE_SECONDS, OverBudget, budgeted
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


def solve(exercise: Exercise, budget: float | None = EXERCISE_SECONDS) -> Solution:
    """Derive one exercise: its function, variants, descent table and analysis. Errors come
    out as SpecErrors pointing at the value in the file that caused them; a derivation that
    runs past `budget` seconds (None: no budget; see derive.timebox) as a SpecError at its id."""
    try:
        return budgeted(budget, lambda: _solve(exercise))
    except OverBudget as exc:
        raise exercise.error("id", f"exercise {exercise.id!r}: {exc}") from None


def _solve(exercise: Exercise) -> Solution:
    with exercise.located("function"):
        function = parse_function(exercise.function)
        graph = build_graph(function, vector_lengths(exercise.at), exercise.where)
        derivation = derive_at(graph, resolve_point(graph, exercise.at))
    variants = []
    for label, text in exercise.variants.items():
        try:
            variants.append((label, backprop(text, at=exercise.at)))
        except DeriveError as exc:  # the variant's text, not the shared values, is at fault
            raise exercise.error(f"variants.{label}", f"variant {label!r}: {exc}") from None
    table = None
    if exercise.descent is not None:
        table = _descent(exercise, exercise.descent, function, derivation)
    with exercise.located("limits"):
        analysis = analyse(derivation, exercise.limits)
    return Solution(exercise, derivation, tuple(variants), table, analysis)


def _descent(exercise: Exercise, spec: DescentSpec, function: Function,
             derivation: Derivation) -> Descent:
    graph, form = derivation.graph, None
    if spec.objective is not None:
        with exercise.located("descent.objective"):
            taken = {*graph.inputs, *exercise.where, function.name}
            name = next(n for n in ("E", "L", "J", "loss") if n not in taken)
            body = parse_expression(spec.objective)
            objective = Function(spec.objective, name, function.params, body)
            where = {**exercise.where, function.name: function.source(function.body)}
            graph = build_graph(objective, vector_lengths(exercise.at), where)
            # The same objective with the function's output as a plain symbol: E = (f - 1)^2/2
            alone = build_graph(Function(spec.objective, name, None, body))
            form = alone.node(alone.output).expr
    with exercise.located("descent.parameters"):
        try:
            parameters = parameter_ids(graph, spec.parameters)
        except KeyError as exc:
            raise DeriveError(f"descent parameter {exc.args[0]!r} is not an input "
                              f"(inputs: {', '.join(graph.inputs)})") from None  # fmt: skip
    with exercise.located("at"):
        return descend(graph, derivation.point, parameters, spec.learning_rate, spec.steps,
                       spec.ascent, spec.objective, form)  # fmt: skip


def load(path: str | Path, budget: float | None = EXERCISE_SECONDS) -> Workbook:
    """Read, validate and solve every exercise of a file, in file order, each within
    `budget` seconds. Raises SpecErrors listing every problem found (each
    FILE:LINE:COLUMN: message)."""
    spec, errors = read_valid_part(path)  # the valid exercises are derived all the same,
    solutions: list[Solution] = []  # so that one report lists every problem of the file
    for exercise in spec.exercises if spec else ():
        try:
            solutions.append(solve(exercise, budget))
        except SpecError as exc:
            errors.extend(getattr(exc, "errors", (exc,)))
    if errors:
        raise SpecErrors(sorted(errors, key=lambda e: (e.line, e.column)))
    assert spec is not None
    return Workbook(spec, tuple(solutions))
