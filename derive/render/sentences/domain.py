"""Where the function and its gradient are defined, and where derivatives jump."""

from __future__ import annotations

from derive.passes.analysis import Kink, Restriction
from derive.render import math as latex
from derive.render import text as plaintext
from derive.render.sentences.parts import Math, Name, Sentence, Tex, formula
from derive.solution import Solution


def domain(s: Solution) -> list[Sentence]:
    a = s.analysis
    out = s.derivation.graph.output
    sentences = [_restriction(r, out) for r in a.restrictions]
    sentences += [_kink(k) for k in a.kinks]
    if not a.restrictions and not a.kinks:
        sentences.append((Name(out), " and its gradient are defined and smooth for every real "
                                  "input."))  # fmt: skip
    elif not any(r.possible for r in a.restrictions) and not a.kinks:
        sentences.append(("So ", Name(out), " and its gradient are defined for every real input."))
    return sentences


def condition(r: Restriction) -> Tex:
    """The condition under which a node is undefined: z = 0, x^2 + 1 <= 0."""
    plain_relation = {"zero": "= 0", "nonpositive": "<= 0", "negative": "< 0"}
    plain = (f"cos({plaintext.text(r.expression)}) = 0" if r.relation == "pole" else
             f"{plaintext.text(r.expression)} {plain_relation[r.relation]}")  # fmt: skip
    return Tex(latex.condition(r.expression, r.relation), plain)


def _restriction(r: Restriction, out: str) -> Sentence:
    when = condition(r)
    node = (" (node ", Name(r.node), formula("="), Tex(latex.source(r.source), r.source), ")")
    if not r.possible:
        return ("The condition ", when, " never holds for real inputs", *node,
                ", so this node is always defined.")
    if r.affects == "gradient":
        return ("The gradient is undefined where ", when, *node,
                ": the local derivative there is infinite.")
    return (Name(out), " is undefined where ", when, *node, ", and so is its gradient.")


def _kink(k: Kink) -> Sentence:
    what = "ReLU" if k.op == "relu" else "The absolute value"
    here = " The point lies exactly on the kink." if k.at_point else ""
    return (f"{what} has a kink where ", Math(k.expression), formula(" = 0"),
            " (node ", Name(k.node), "): its derivative jumps there, and derive takes the "
            f"subgradient 0 at the kink, as PyTorch does.{here}")
