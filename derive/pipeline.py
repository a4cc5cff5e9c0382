"""The only module that runs the passes: text and values in, a Derivation out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain, count
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
from derive.timebox import EXERCISE_SECONDS, OverBudgetError, budgeted
from derive.values import Point, resolve_point, vector_lengths


def backprop(
    function: str,
    at: Mapping[str, object],
    names: Mapping[str, str] | None = None,
    given: Sequence[str] | None = None,
) -> Derivation:
    """Derive `function` at the point `at`.

    `function` is an expression such as "(x + y) * z" or "f(w, x) = sigmoid(dot(w, x))";
    `at` maps each input to a number (int, float, exact text such as "pi/2") or, for a
    vector, a list of numbers; `names` names intermediate expressions, {"q": "x + y"};
    `given` names the inputs that are data, not parameters (["i1", "t1"]; a vector's name
    means all its components): they keep their values but get no gradient.
    Raises DeriveError (a ValueError) for any bad input.
    """
    graph = build_graph(parse_function(function), vector_lengths(at), names)
    return derive_at(graph, resolve_point(graph, at), given_ids(graph, given or ()))


def given_ids(graph: Graph, names: Sequence[str]) -> tuple[str, ...]:
    """The scalar input ids of the given names (a vector's name selects its components)."""
    if isinstance(names, str):
        raise DeriveError(f"given must be a list of input names, not the text {names!r}")
    vectors = dict(graph.vectors)
    chosen: set[str] = set()
    for name in names:
        if name in vectors:
            chosen.update(vectors[name])
        elif name in graph.inputs:
            chosen.add(name)
        else:
            raise DeriveError(f"given input {name!r} is not an input "
                              f"(inputs: {', '.join(graph.inputs)})")  # fmt: skip
    if chosen and chosen.issuperset(graph.inputs):
        raise DeriveError("every input is given: at least one must be a parameter")
    return tuple(i for i in graph.inputs if i in chosen)


def derive_at(graph: Graph, point: Point, given: tuple[str, ...] = ()) -> Derivation:
    """Every pass over `graph` at `point` (exact values of its scalar inputs); the `given`
    inputs are data and get no gradient."""
    fwd = forward(graph, point)
    bwd = backward(graph, fwd)
    grads = tuple(g for g in gradients(graph, bwd) if g.input not in given)
    return Derivation(graph, point, fwd, bwd, grads, check(graph, fwd, grads), given)


def solve(exercise: Exercise, budget: float | None = EXERCISE_SECONDS,
          deep: bool = True) -> Solution:
    """Derive one exercise: its function, variants, descent table and analysis. Errors come
    out as SpecErrors pointing at the value in the file that caused them; a derivation that
    runs past `budget` seconds (None: no budget; see derive.timebox) as a SpecError at its id.
    `deep=False` (derive check) leaves out the limits and stationary points, which only
    pages print."""
    try:
        return budgeted(budget, lambda: _solve(exercise, deep))
    except OverBudgetError as exc:
        raise exercise.error("id", f"exercise {exercise.id!r}: {exc}") from None


def _solve(exercise: Exercise, deep: bool = True) -> Solution:
    with exercise.located("function"):
        function = parse_function(exercise.function)
        graph = build_graph(function, vector_lengths(exercise.at), exercise.where)
    with exercise.located("given"):
        given = given_ids(graph, exercise.given)
    with exercise.located("function"):
        derivation = derive_at(graph, resolve_point(graph, exercise.at), given)
    variants = []
    for label, text in exercise.variants.items():
        try:
            variants.append((label, backprop(text, at=exercise.at, given=exercise.given)))
        except DeriveError as exc:  # the variant's text, not the shared values, is at fault
            raise exercise.error(f"variants.{label}", f"variant {label!r}: {exc}") from None
    table, objective = None, None
    if exercise.descent is not None:
        table, objective = _descent(exercise, exercise.descent, function, derivation)
    with exercise.located("limits"):
        analysis = analyse(derivation, exercise.limits, variants, deep)
    return Solution(exercise, derivation, tuple(variants), table, analysis, objective)


def _descent(exercise: Exercise, spec: DescentSpec, function: Function,
             derivation: Derivation) -> tuple[Descent, Derivation | None]:
    """The descent table, and the derivation of its objective when it has one (the
    generated code reproduces the table from it)."""
    graph, form = derivation.graph, None
    if spec.objective is not None:
        with exercise.located("descent.objective"):
            taken = {*graph.inputs, *exercise.where, function.name}
            names = chain(("E", "L", "J", "loss"), (f"E{i}" for i in count(1)))
            name = next(n for n in names if n not in taken)  # a free name, whatever the inputs
            body = parse_expression(spec.objective)
            written = Function(spec.objective, name, function.params, body)
            where = {**exercise.where, function.name: function.source(function.body)}
            graph = build_graph(written, vector_lengths(exercise.at), where)
            # The same objective with the function's output as a plain symbol: E = (f - 1)^2/2
            alone = build_graph(Function(spec.objective, name, None, body))
            form = alone.node(alone.output).expr
    with exercise.located("descent.parameters"):
        try:
            parameters = parameter_ids(graph, spec.parameters) if spec.parameters is not None \
                else derivation.parameters
        except KeyError as exc:
            raise DeriveError(f"descent parameter {exc.args[0]!r} is not an input "
                              f"(inputs: {', '.join(graph.inputs)})") from None  # fmt: skip
        data = [p for p in parameters if p in derivation.given]
        if data:
            raise DeriveError(f"descent parameter {data[0]!r} is given (data): it cannot "
                              "be updated")  # fmt: skip
    with exercise.located("at"):
        objective = None if form is None else derive_at(graph, dict(derivation.point),
                                                         derivation.given)  # fmt: skip
        start = derivation if objective is None else objective  # its first step's passes
        table = descend(graph, derivation.point, parameters, spec.learning_rate, spec.steps,
                        spec.ascent, spec.objective, form, (start.forward, start.backward))
    return table, objective


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
