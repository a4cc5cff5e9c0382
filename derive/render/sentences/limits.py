"""Limits (one input moving, the others held) and stationary points.

Vocabulary: exploding and vanishing are said of gradients only; the function itself
"grows without bound" or "tends to 0". A quantity that does not depend on the moving
input is said to stay where it is, not to tend anywhere because of it.
"""

from __future__ import annotations

from derive.passes.analysis import LimitResult
from derive.render import math as latex
from derive.render.sentences.parts import (
    Math,
    Name,
    Part,
    Partial,
    Sentence,
    approach,
    formula,
    names,
)
from derive.solution import Solution

SHORT_FORMULA = 60
"""Longest closed form (LaTeX characters) quoted inside a sentence."""
GRADIENT_WORDS = {"exploding": "exploding", "vanishing": "vanishing", "bounded": "bounded",
                  "undefined": "no limit", "unsettled": "not settled in time"}  # fmt: skip
FUNCTION_WORDS = {"exploding": "grows without bound", "vanishing": "tends to 0",
                  "bounded": "a finite limit", "undefined": "no limit",
                  "unsettled": "not settled in time"}  # fmt: skip


def limits(s: Solution) -> list[Sentence]:
    """One sentence per limit and quantity: 'As z -> 0 (x = 3, y = 2 fixed), f = 5/z -> oo
    from the right and -oo from the left: grows without bound.'"""
    graph = s.derivation.graph
    sentences: list[Sentence] = []
    for result in s.analysis.limits:
        limit = result.limit
        held: list[Part] = []
        for name in (i for i in graph.inputs if i != limit.variable):
            held += [", " if held else " (", Name(name), formula("="), Math(s.derivation.point[name])]
        if held:
            held.append(" fixed)")
        sentences.append(("As ", approach(limit.variable, limit.target, limit.side), *held,
                          ", ", *_limit(result, graph.output)))
    return sentences


def quantity(result: LimitResult, out: str) -> Part:
    return Name(out) if not result.of else Partial(out, result.of)


def _limit(result: LimitResult, out: str) -> Sentence:
    parts: list[Part] = [quantity(result, out)]
    if not result.depends:
        form = result.form if result.form is not None else result.expression
        if form != result.expression:
            parts += [formula("="), Math(form)]
        return (*parts, " does not depend on ", Name(result.limit.variable), ": it stays ",
                Math(result.expression), ", whatever ", Name(result.limit.variable), " does.")
    parts += [formula("="), Math(result.expression)]
    sides = {"+": " from the right", "-": " from the left"}
    if result.limit.target.is_infinite:
        sides = {"+": "", "-": ""}
    values = [value for _, value in result.sides]
    if all(value is None for value in values):
        return (*parts, ": SymPy could not settle this limit within its time budget.")
    if len(values) == 2 and values[0] == values[1] and values[0] is not None:
        parts += [formula("->"), Math(values[0]), " from both sides"]
    else:
        for i, (side, value) in enumerate(result.sides):
            if value is None:
                parts.append(f"{' and' if i else ''} could not be settled{sides[side]}")
            elif i:
                parts += [" and to ", Math(value), sides[side]]
            else:
                parts += [formula("->"), Math(value), sides[side]]
    return (*parts, f": {verdict(result)}.")


_ITSELF = {"exploding": "grows without bound", "vanishing": "tends to 0",
           "bounded": "has a finite limit", "undefined": "has no limit",
           "unsettled": "was not settled in time"}  # fmt: skip
"""What the function itself does in a limit, as a verb phrase (for the answers)."""


def verdict(result: LimitResult) -> str:
    words = GRADIENT_WORDS if result.of else FUNCTION_WORDS
    kinds = list(dict.fromkeys(result.behaviours))
    return " / ".join(words[k] for k in kinds)


def summary(s: Solution) -> list[Sentence]:
    """The answer about limits: per limit, what the gradient as a whole does, then f."""
    out = s.derivation.graph.output
    by_limit: dict[str, list[LimitResult]] = {}
    for result in s.analysis.limits:
        by_limit.setdefault(result.limit.text, []).append(result)
    rests: dict[tuple[Part, ...], list[Part]] = {}  # limits that do the same: one sentence
    for results in by_limit.values():
        limit = results[0].limit
        moving = [r for r in results if r.of and r.depends]
        still = [r.of for r in results if r.of and not r.depends]
        parts: list[Part] = []
        groups: dict[str, list[LimitResult]] = {}
        for r in moving:
            groups.setdefault(r.behaviour, []).append(r)
        clauses: list[list[Part]] = []
        for kind, rs in groups.items():
            word = GRADIENT_WORDS.get(kind, kind)
            clause: list[Part] = []
            for i, r in enumerate(rs):
                clause += [", " if i else "", quantity(r, out)]
            clause += [f" {'is' if len(rs) == 1 else 'are'} {word}"]
            clauses.append(clause)
        for i, clause in enumerate(clauses):
            parts += ["; " if i else "", *clause]
        if still:
            parts += ["; " if clauses else "", *(p for i, r in enumerate(still) for p in (
                ", " if i else "", Partial(out, r))),
                f" {'does' if len(still) == 1 else 'do'} not depend on ", Name(limit.variable),
                " and stays as it is"]  # fmt: skip
        own = next((r for r in results if not r.of), None)
        if own is not None and own.depends:
            parts += ["; ", Name(out), " itself ", " / ".join(
                _ITSELF[k] for k in dict.fromkeys(own.behaviours))]  # fmt: skip
        if not still:  # "does not depend on y" names the limit's variable: keep it apart
            rests.setdefault(tuple(parts), []).append(
                approach(limit.variable, limit.target, limit.side))  # fmt: skip
        else:
            rests[(approach(limit.variable, limit.target, limit.side), *parts)] = []
    sentences: list[Sentence] = []
    for rest, where in rests.items():
        if not where:  # kept apart: the limit leads its own parts
            sentences.append(("As ", rest[0], ", ", *rest[1:], "."))
            continue
        lead: list[Part] = ["As "]
        for i, w in enumerate(where):
            lead += [", " if 0 < i < len(where) - 1 else " and " if i else "", w]
        sentences.append((*lead, ", ", *rest, "."))
    return sentences


def stationary(s: Solution) -> list[Sentence]:
    st = s.analysis.stationary
    if st is None:
        return []
    out = s.derivation.graph.output
    if st.fixed_sign is not None:
        wrt, form, sign = st.fixed_sign
        word = "positive" if sign == ">" else "negative"
        shown: list[Part] = [Partial(out, wrt)]
        if len(latex.tex(form)) <= SHORT_FORMULA:  # a long one would not wrap on a phone
            shown += [formula("="), Math(form)]
        return [("None: ", *shown, f" is {word} everywhere, so the gradient is never zero "
                 "and ", Name(out), " has no stationary points.")]  # fmt: skip
    if st.points is None:
        return [("Where the gradient vanishes was not determined: ", st.reason, ".")]
    if st.never_zero is not None:
        wrt, form = st.never_zero
        shown = [Partial(out, wrt)]
        if len(latex.tex(form)) <= SHORT_FORMULA:
            shown += [formula("="), Math(form)]
        return [("None: ", *shown, " has a constant numerator, so it is never zero, and ",
                 Name(out), " has no stationary points.")]  # fmt: skip
    if not st.points:
        return [("None: the gradient is never zero, so ", Name(out),
                 " has no stationary points.")]  # fmt: skip
    sentences: list[Sentence] = []
    for point in st.points:
        parts: list[Part] = ["The whole gradient is zero where "]
        for i, (name, value) in enumerate(point):
            parts += [" and " if i else "", Name(name), formula("="), Math(value)]
        free = any(v.free_symbols for _, v in point) or len(point) < len(
            s.derivation.parameters)  # fmt: skip
        parts.append(" (a whole set of stationary points)." if free else
                     ": a stationary point.")  # fmt: skip
        sentences.append(tuple(parts))
    if s.derivation.given:
        sentences.append(("With the data ", *names(s.derivation.given), " held at their "
                          "values.",))  # fmt: skip
    return sentences
