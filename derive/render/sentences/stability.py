"""Numerical stability: the hazards of this exercise's nodes, grouped by kind, each with
its symbols defined by the node's own expression, and advice only where it bears on the
point (an exponential far from float64's limits gets one line saying so, not a recipe)."""

from __future__ import annotations

from derive.passes.analysis import EXP_OVERFLOW, FLOAT_SATURATES, Hazard
from derive.render import math as latex
from derive.render.sentences.parts import (
    Math,
    Name,
    Number,
    Part,
    Partial,
    Sentence,
    Tex,
    approach,
    decimal,
    formula,
)
from derive.solution import Solution


def _node(h: Hazard) -> list[Part]:
    """e^{y} (node v1)"""
    return [Tex(latex.source(h.source), h.source), " (node ", Name(h.node), ")"]


def _nodes(hazards: list[Hazard]) -> list[Part]:
    parts: list[Part] = []
    for i, h in enumerate(hazards):
        parts += [", " if i else "", *_node(h)]
    return parts


def stability(s: Solution) -> list[Sentence]:
    groups: dict[str, list[Hazard]] = {}
    for h in s.analysis.hazards:
        groups.setdefault(h.kind, []).append(h)
    sentences: list[Sentence] = []
    far_exp = [h for h in groups.get("exp-overflow", ()) if not h.near]
    if far_exp:
        sentences.append(("The exponential ", *_nodes(far_exp), _takes(far_exp),
                          *_arguments(far_exp),
                          f", far from float64's overflow past {EXP_OVERFLOW:.2f}: no concern "
                          f"at this point. {'Its' if len(far_exp) == 1 else 'Each one’s'} local "
                          "derivative is its own value, so the gradient through it grows and "
                          "shrinks exponentially with its argument.",))  # fmt: skip
    far_sigmoid = [h for h in groups.get("sigmoid-stable", ()) if not h.near]
    if far_sigmoid:
        it, rounds = ("them", "they round") if len(far_sigmoid) > 1 else ("it", "it rounds")
        sentences.append(("The sigmoid ", *_nodes(far_sigmoid), _takes(far_sigmoid),
                          *_arguments(far_sigmoid), ", inside the range where float64 computes "
                          f"{it} well: from ", Tex(f"-{EXP_OVERFLOW:.2f}", f"-{EXP_OVERFLOW:.2f}"),
                          ", below which ", Tex("e^{-a}", "e^(-a)"), " overflows, to ",
                          Tex(f"{FLOAT_SATURATES:.1f}", f"{FLOAT_SATURATES:.1f}"),
                          f", past which {rounds} to exactly 1 and the derivative ",
                          Tex("\\sigma\\,(1 - \\sigma)", "sigma (1 - sigma)"), " to 0. No "
                          "concern at this point."))  # fmt: skip
    for h in (h for h in groups.get("exp-overflow", ()) if h.near):
        sentences.append(("The exponential ", *_node(h), " takes ", decimal(h.argument_or()),
                          f": it overflows float64 past {EXP_OVERFLOW:.2f}; clip its input or "
                          "work with logarithms."))  # fmt: skip
    for h in (h for h in groups.get("sigmoid-stable", ()) if h.near):
        if float(h.argument_or().approx) > 0:
            sentences.append(("The sigmoid ", *_node(h), " takes ", decimal(h.argument_or()),
                              ": in float64 it rounds to exactly 1 and its derivative to 0; "
                              "compute the loss from the pre-activation (log-sigmoid, or "
                              "cross-entropy with logits) rather than from the sigmoid's "
                              "output."))  # fmt: skip
        else:
            sentences.append(("The sigmoid ", *_node(h), " takes ", decimal(h.argument_or()),
                              ": written as ", Tex("1/(1 + e^{-a})", "1/(1 + e^(-a))"),
                              f" its exponential overflows float64 below -{EXP_OVERFLOW:.2f}; "
                              "for a negative argument ", Tex("a", "a"), " compute it as ",
                              Tex("e^{a}/(1 + e^{a})", "e^a/(1 + e^a)"), "."))  # fmt: skip
    sentences += _log(groups)
    for h in groups.get("division", ()):
        assert h.detail is not None and h.local is not None and h.local_value is not None
        sentences.append(("The quotient ", *_node(h), " has, with respect to its denominator ",
                          Math(h.detail), ", the local derivative ", Math(h.local),
                          formula("="), Number(h.local_value), " here: it grows like one over "
                          "the denominator squared as ", Math(h.detail), " approaches 0. Keep the "
                          "denominator away from 0 (add a small ε) or clip the gradient."))  # fmt: skip
    for h in groups.get("sqrt-zero", ()):
        sentences.append(("The square root ", *_node(h), " has derivative ",
                          formula("1/(2 sqrt(a))"), " with ", formula("a"), " its argument, ",
                          "which explodes as ", formula("a -> 0+"), "; add a small ε inside."))
    for h in groups.get("bounded-trig", ()):
        assert h.local is not None and h.local_value is not None
        here: list[Part] = [" (here ", decimal(h.local_value), ")"]
        if h.local_value.exact == 0:
            here = [", and here it is ", Math(h.local_value.exact),
                    ", so no gradient flows back through it"]
        sentences.append(("The local derivative of ", *_node(h), " is ", Math(h.local),
                          ", at most 1 in size: it never makes the gradient explode", *here,
                          "."))  # fmt: skip
    sentences += _exploding(s)
    if not sentences:
        sentences.append(("No node here is numerically delicate: every operation is "
                          "well-conditioned at this point.",))  # fmt: skip
    return sentences


def _takes(hazards: list[Hazard]) -> str:
    return " takes " if len(hazards) == 1 else " take "


def _arguments(hazards: list[Hazard]) -> list[Part]:
    parts: list[Part] = []
    for i, h in enumerate(hazards):
        parts += [", " if i else "", decimal(h.argument_or())]
    return parts


def _log(groups: dict[str, list[Hazard]]) -> list[Sentence]:
    sentences: list[Sentence] = []
    for h in groups.get("log1p", ()):
        assert h.detail is not None
        sentences.append(("The logarithm ", *_node(h), " has the form ", formula("log(1 + u)"),
                          " with ", formula("u = "), Math(h.detail), ": when ", formula("u"),
                          " is tiny, ", formula("1 + u"), " rounds to 1 and the result loses its "
                          "digits; ", formula("log1p(u)"), " keeps them. Its derivative ",
                          formula("1/(1 + u)"), " is at most 1 for ", formula("u >= 0"),
                          "."))  # fmt: skip
    for h in groups.get("logsumexp", ()):
        sentences.append(("The logarithm ", *_node(h), " takes the log of a sum of exponentials, "
                          "which overflows for large arguments; the log-sum-exp trick subtracts "
                          "the largest argument first.",))  # fmt: skip
    return sentences


def _exploding(s: Solution) -> list[Sentence]:
    out = s.derivation.graph.output
    exploding = [r for r in s.analysis.limits if r.behaviour == "exploding" and r.of and r.depends]
    if not exploding:
        return []
    limit = exploding[0].limit
    which: list[Part] = []
    for i, r in enumerate(r for r in exploding if r.limit == limit):
        which += [", " if i else "", Partial(out, r.of)]
    return [("The gradient explodes as ", approach(limit.variable, limit.target, limit.side),
             " (", *which, "): a gradient-descent step there would be arbitrarily large. Clip "
             "the gradient, or keep ", Name(limit.variable), " away from there.")]  # fmt: skip
