"""The interpretation: what a small change of each parameter does, and their ranking."""

from __future__ import annotations

from derive.passes.analysis import Blocked, Sensitivity
from derive.render import math as latex
from derive.render.sentences.parts import (
    Name,
    Number,
    Part,
    Partial,
    Sentence,
    Tex,
    formula,
    names,
    size,
)
from derive.solution import Solution


def sensitivity(s: Solution) -> list[Sentence]:
    """One sentence per parameter: what a small change in it does to f (and, for a zero
    gradient, why it is zero)."""
    out = s.derivation.graph.output
    sentences: list[Sentence] = []
    for item in s.analysis.sensitivity:
        g = item.gradient
        if g.approx == 0:
            sentences.append(("A small change in ", Name(item.input), " does not change ",
                              Name(out), " to first order: ", Partial(out, item.input),
                              formula("="), Number(g), " here", *_why_zero(s, item), "."))  # fmt: skip
            continue
        verb = "increases" if g.approx > 0 else "decreases"
        sentences.append(("Increasing ", Name(item.input), " by a small amount ", formula("h"),
                          f" {verb} ", Name(out), " by about ", size(g), formula("times h"), "."))
    return sentences


def _why_zero(s: Solution, item: Sensitivity) -> list[Part]:
    blocked = item.blocked
    if blocked is None:
        return []
    parts: list[Part] = [": ", *_cut(blocked)]
    if s.descent is not None and item.input in s.descent.parameters:
        parts += [", so no gradient reaches ", Name(item.input), " and gradient descent "
                  "never moves it"]  # fmt: skip
    return parts


def _cut(b: Blocked) -> list[Part]:
    node: list[Part] = [" (node ", Name(b.node), ")"]
    if b.op in ("sin", "cos") and b.argument is not None:
        name = "sine" if b.op == "sin" else "cosine"
        where: list[Part] = [f"the {name}", *node, " has local derivative 0 at its input ",
                             Number(b.argument)]
        if b.extremum:
            where += [f", a {b.extremum} of {b.op}, where its curve is flat"]
        return where
    if b.op == "relu":
        return ["the ReLU", *node, " is inactive: its input is not positive"]
    return ["the local derivative of ", Tex(latex.source(b.source), b.source), *node,
            " is 0 at this point"]


def ranking(s: Solution) -> Sentence:
    """The parameters ordered by the size of their gradient."""
    parts: list[Part] = ["Ranked by the size of their gradient: "]
    previous = None
    for item in s.analysis.ranking:
        if previous is not None:
            parts.append(" = " if item.rank == previous else " > ")
        # one formula per input, so a line never breaks between a name and its number
        parts += [Name(item.input), formula("rank ("), size(item.gradient), formula(")")]
        previous = item.rank
    parts.append(".")
    return tuple(parts)


def greatest(s: Solution) -> Sentence:
    """The answer to "which input has the greatest effect?": the conclusion, with the sizes
    that decide it."""
    out = s.derivation.graph.output
    ranked = s.analysis.ranking
    top = [i for i in ranked if i.rank == 1]
    rest = [i for i in ranked if i.rank != 1]
    verb = " has" if len(top) == 1 else " tie for"
    parts: list[Part] = [*names(i.input for i in top), f"{verb} the greatest effect on ",
                         Name(out), ": ", formula("|"), Partial(out, top[0].input), formula("|end"),
                         formula("="), size(top[0].gradient)]  # fmt: skip
    if rest:
        nxt = rest[0]
        parts += [", against ", size(nxt.gradient), " for the next, ",
                  *names(i.input for i in rest if i.rank == nxt.rank)]
    if s.derivation.given:
        plural = len(s.derivation.given) > 1
        parts += [" (the given data ", *names(s.derivation.given), f" {'are' if plural else 'is'}"
                  f" not ranked: {'they get' if plural else 'it gets'} no gradient)"]
    return (*parts, ".")
