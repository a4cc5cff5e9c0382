"""Gradient descent: what the steps did to the objective, and why the steps shrink."""

from __future__ import annotations

from itertools import pairwise

from derive.ops import Value
from derive.passes.analysis import SATURATED
from derive.passes.descent import ROUNDED_DIGITS, Activation, Descent
from derive.render.sentences.parts import (
    Math,
    Name,
    Number,
    Part,
    Partial,
    Sentence,
    decimal,
    formula,
    share,
    size,
    values,
)
from derive.render.tables import update_digits
from derive.solution import Solution


def _objective(table: Descent) -> list[Part]:
    parts: list[Part] = [Name(table.output)]
    if table.form is not None:
        parts += [formula("="), Math(table.form)]
    return parts


def _overall(table: Descent) -> Sentence | None:
    done = [step for step in table.steps if step.objective_after is not None]
    if not done:
        return None
    first, end = table.steps[0].objective, done[-1].objective_after
    assert end is not None and table.rate is not None
    change = ("stayed at" if end.approx == first.approx else
              "rose from" if end.approx > first.approx else "fell from")  # fmt: skip
    moved: list[Part] = [f" {change} ", _shown(first)]
    if change != "stayed at":
        moved += [" to ", _shown(end)]
    return (f"Over {len(done)} step{'s' * (len(done) != 1)} with learning rate ",
            decimal(table.rate), ", the objective ", *_objective(table), *moved, ".")


def _shown(v: Value) -> Part:
    """A rational objective with its exact form (-1833/50 = -36.66), any other as a decimal."""
    return Number(v) if v.exact.is_Rational else decimal(v)


MANY = 4
"""Past this many parameters, sentences follow the largest gradient instead of listing all."""


def _recompute(table: Descent) -> list[Sentence]:
    """Why the gradient is recomputed: how it changed over the first step."""
    if table.final_gradient is None:
        return []
    start = {u.parameter: u.gradient for u in table.steps[0].updates}
    final = dict(table.final_gradient)
    if all(start[p].approx == final[p].approx for p in start):
        return []
    tail: Sentence = ("; reusing the old one would step in a direction that no longer holds.",)
    if len(start) <= MANY:
        return [("The gradient must be recomputed because it changes with the point: ",
                 *values(start.values()), " where the step starts, ", *values(final.values()),
                 " after it", *tail)]  # fmt: skip
    largest = max(start, key=lambda p: abs(start[p].approx))
    return [("The gradient must be recomputed because it changes with the point: ",
             Partial(table.output, largest), " (the largest) is ", decimal(start[largest]),
             " where the step starts and ", decimal(final[largest]), " after it, and every "
             "other component changes too", *tail)]  # fmt: skip


def _gradients(table: Descent) -> list[Sentence]:
    if table.final_gradient is None:
        return []
    start = {u.parameter: u.gradient for u in table.steps[0].updates}
    final = dict(table.final_gradient)
    if all(start[p].approx == final[p].approx for p in start):
        return [("The gradient is the same at every point here, ", *values(start.values()),
                 ": the objective is linear in the parameters, so every step moves them by the "
                 "same amount.",)]  # fmt: skip
    where = ("at the updated point" if len(table.steps) == 1 else
             f"at the point reached after step {table.steps[-1].number}")  # fmt: skip
    if len(start) > MANY:
        largest = max(start, key=lambda p: abs(start[p].approx))
        return [("The gradient depends on the point: its largest component ",
                 Partial(table.output, largest), " is ", decimal(start[largest]),
                 " at the start and ", decimal(final[largest]), f" {where}, so "
                 "each step must recompute it where it stands.")]  # fmt: skip
    return [("The gradient depends on the point: at the start it is ", *values(start.values()),
             f"; {where} it is ", *values(final.values()),
             ", so each step must recompute it where it stands.")]  # fmt: skip


def descent(s: Solution) -> list[Sentence]:
    table = s.descent
    if table is None:
        return [("This exercise takes no gradient-descent steps.",)]
    sentences: list[Sentence] = []
    overall = _overall(table)
    if overall is not None:
        sentences.append(overall)
    sentences += _gradients(table)
    rounded = [step.number for step in table.steps if any(u.rounded for u in step.updates)]
    if rounded:
        sentences.append((f"From step {rounded[0]} on, the exact forms grow too long to carry: "
                          f"each new value is rounded to {ROUNDED_DIGITS} significant digits "
                          f"before the next step ({_shown_digits(table, s.exercise.digits)}).",))
    if table.stopped:
        sentences.append((table.stopped + ".",))
    return sentences


def recompute(s: Solution) -> list[Sentence]:
    """Why the gradient is recomputed before each update: how it changed over the step."""
    return [] if s.descent is None else _recompute(s.descent)


def _shown_digits(table: Descent, digits: int) -> str:
    uniform = update_digits(table, digits)
    if uniform is not None:
        return (f"the update table shows {uniform}, the fewest at which every row adds up as "
                "printed")
    return (f"each row of the update table shows the fewest digits, at least {digits}, at which "
            "it adds up as printed")


def answer(s: Solution) -> list[Sentence]:
    """How the objective changed, how each step's gain shrank, and the factors that make
    the gradient shrink (the error factor and each activation's derivative)."""
    table = s.descent
    if table is None:
        return []
    sentences: list[Sentence] = []
    done = [step for step in table.steps if step.objective_after is not None]
    if done:
        first, end = table.steps[0].objective, done[-1].objective_after
        assert end is not None
        verb = "fell" if end.approx < first.approx else "rose" if end.approx > first.approx else (
            "stayed")  # fmt: skip
        sentences.append((Name(table.output), f" {verb} from ", _shown(first), " to ", _shown(end),
                          f" in {len(done)} step{'s' * (len(done) != 1)}."))  # fmt: skip
        if len(done) == 1:
            sentences += _first_order(table)
    changes = [(step.number, step.change) for step in table.steps if step.change is not None]
    if len(changes) > 1:
        (n0, c0), (n1, c1) = changes[0], changes[-1]
        assert c0 is not None and c1 is not None
        sizes = [abs(c.approx) for _, c in changes if c is not None]
        shrinking = all(b < a for a, b in pairwise(sizes))
        growing = all(b > a for a, b in pairwise(sizes))
        lead = ("Each step changes it by less" if shrinking else
                "Each step changes it by more" if growing else
                f"Step {n1} changes it by {'less' if sizes[-1] < sizes[0] else 'more'} than "
                f"step {n0}")  # fmt: skip
        sentences.append((f"{lead}: step {n0} by ", size(c0), f", step {n1} by ", size(c1),
                          "."))  # fmt: skip
    last = table.steps[-1]
    for a0 in table.steps[0].activations:
        a1 = next((a for a in last.activations if a.node == a0.node), None)
        if a1 is None or last is table.steps[0]:
            continue
        sentences += _why(table, a0, a1, first=table.steps[0].number, last=last.number)
    return sentences


CLOSE = 0.1
"""A change within this share of its first-order estimate is "close" to it."""


def _first_order(table: Descent) -> list[Sentence]:
    """One step: the change the gradient predicts (rate times the sum of the squared
    gradient components) against the change the step made."""
    step = table.steps[0]
    change, predicted = step.change, table.first_order(step)
    if change is None or predicted.approx == 0 or table.rate is None:
        return []
    off = abs(float(change.approx) / float(predicted.approx) - 1)
    verdict = ("close to it: at this learning rate the step is short enough for the gradient "
               "alone to describe it" if off < CLOSE else
               "not close to it: the step is long enough for the curvature of the objective "
               "to matter")  # fmt: skip
    return [("To first order the gradient predicts the change: minus the learning rate ",
             decimal(table.rate), " times the sum of the squared gradient components gives ",
             decimal(predicted), "; the step changed ", Name(table.output), " by ",
             decimal(change), f", {verdict}.")]  # fmt: skip


def _why(table: Descent, a0: Activation, a1: Activation, first: int, last: int) -> list[Sentence]:
    out = table.output
    prime = "sigmoid prime" if a0.op == "sigmoid" else "tanh prime"
    maximum = 0.25 if a0.op == "sigmoid" else 1.0
    sentences: list[Sentence] = [(
        "Why: the gradient flowing back through node ", Name(a0.node), " is ",
        Partial(out, a0.node), " times its local derivative ", formula(prime), ". From step ",
        str(first), " to step ", str(last), ", ", Partial(out, a0.node), " shrinks in size from ",
        decimal(a0.upstream), " to ", decimal(a1.upstream), " as the error closes, and ",
        formula(prime), " falls from ", decimal(a0.local), " to ", decimal(a1.local),
        " as its input ", Name(a0.input), " climbs from ", decimal(a0.argument), " to ",
        decimal(a1.argument), " into the flat part of the curve.")]  # fmt: skip
    ratio = float(a1.local.approx) / maximum
    state = ("saturated" if ratio < SATURATED else
             "slowing the steps down before the activation is saturated")  # fmt: skip
    sentences.append((f"So both factors shrink together; by step {last} ", formula(prime),
                      f" is {share(ratio)} of its maximum: {state}.",))  # fmt: skip
    return sentences
