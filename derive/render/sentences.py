"""Computed facts -> sentences: the interpretation, the analysis and the answers.

A sentence is a tuple of parts: plain text, or mathematics (a SymPy expression, a name,
a partial derivative, a value). Each renderer prints the parts its own way (`markdown`
for pages, `plain` for terminals), so the wording lives in one place. Nothing here
computes: every number comes from the Solution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sympy import Expr

from derive.ops import Value
from derive.passes.analysis import (
    EXP_OVERFLOW,
    EXP_UNDERFLOW,
    Hazard,
    Kink,
    LimitResult,
    Restriction,
    Saturation,
)
from derive.render import math as latex
from derive.render import text as plaintext
from derive.solution import Solution
from derive.spec import Question


@dataclass(frozen=True, slots=True)
class Math:
    """A SymPy expression."""

    expr: Expr


@dataclass(frozen=True, slots=True)
class Name:
    """A node or input name."""

    id: str


@dataclass(frozen=True, slots=True)
class Partial:
    """The partial derivative d output / d input."""

    output: str
    input: str


@dataclass(frozen=True, slots=True)
class Number:
    """A value: exact, with its decimal; `decimal_only` prints the decimal alone."""

    value: Value
    decimal_only: bool = False


@dataclass(frozen=True, slots=True)
class Tex:
    """Mathematics given directly, as LaTeX and as plain text."""

    latex: str
    plain: str


Part = str | Math | Name | Partial | Number | Tex
Sentence = tuple[Part, ...]


def markdown(sentence: Sentence, digits: int) -> str:
    """A sentence for a MyST page: mathematics between dollar signs."""
    out: list[str] = []
    math: list[str] = []  # adjacent mathematical parts share one $...$
    for part in (*sentence, "."):
        if part == "":
            continue
        if isinstance(part, str):
            if math:
                out.append("$" + "".join(math) + "$")
                math = []
            out.append(part)
        else:
            math.append(_latex(part, digits))
    return "".join(out)[:-1]


def plain(sentence: Sentence, digits: int) -> str:
    """A sentence for a terminal."""
    return "".join(part if isinstance(part, str) else _plain(part, digits) for part in sentence)


def _latex(part: Part, digits: int) -> str:
    if isinstance(part, Math):
        return latex.tex(part.expr)
    if isinstance(part, Name):
        return latex.name(part.id)
    if isinstance(part, Partial):
        return latex.partial(part.output, part.input)
    if isinstance(part, Number):
        return latex.decimal(part.value.approx, digits) if part.decimal_only else latex.value(
            part.value, digits)  # fmt: skip
    assert isinstance(part, Tex)
    return part.latex


def _plain(part: Part, digits: int) -> str:
    if isinstance(part, Math):
        return plaintext.text(part.expr)
    if isinstance(part, Name):
        return part.id
    if isinstance(part, Partial):
        return f"d{part.output}/d{part.input}"
    if isinstance(part, Number):
        return plaintext.decimal(part.value.approx, digits) if part.decimal_only else (
            plaintext.both(part.value, digits))  # fmt: skip
    assert isinstance(part, Tex)
    return part.plain


def _approach(variable: str, target: Expr, side: str) -> Tex:
    plain_side = {"+": "+", "-": "-", "+-": ""}[side] if target.is_finite else ""
    plain = f"{variable} -> {plaintext.text(target)}{plain_side}"
    return Tex(latex.approach(variable, target, side), plain)


def formula(key: str) -> Tex:
    """A fixed formula of render.math's table."""
    return Tex(*latex.FORMULAS[key])


# -- interpretation ------------------------------------------------------------------------


def sensitivity(s: Solution) -> list[Sentence]:
    """One sentence per input: what a small change does to f."""
    out = s.derivation.graph.output
    sentences: list[Sentence] = []
    for item in s.analysis.sensitivity:
        g = item.gradient
        if g.approx == 0:
            sentences.append(("A small change in ", Name(item.input), " does not change ", Name(out),
                              " to first order: ", Partial(out, item.input), " = 0 here."))
            continue
        verb = "increases" if g.approx > 0 else "decreases"
        size = Number(Value(abs(g.exact), abs(g.approx)), decimal_only=True)
        sentences.append(("Increasing ", Name(item.input), " by a small amount ", formula("h"),
                          f" {verb} ", Name(out), " by about ", size, formula("times h"), "."))
    return sentences


def ranking(s: Solution) -> Sentence:
    """The inputs ordered by the size of their gradient."""
    parts: list[Part] = ["Ranked by the size of their gradient: "]
    previous = None
    for item in s.analysis.ranking:
        if previous is not None:
            parts.append(" = " if item.rank == previous else " > ")
        size = Value(abs(item.gradient.exact), abs(item.gradient.approx))
        # one formula per input, so a line never breaks between a name and its number
        parts += [Name(item.input), formula("rank ("), Number(size, decimal_only=True), formula(")")]
        previous = item.rank
    parts.append(".")
    return tuple(parts)


# -- analysis facts ------------------------------------------------------------------------


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


def _restriction(r: Restriction, out: str) -> Sentence:
    plain_relation = {"zero": "= 0", "nonpositive": "<= 0", "negative": "< 0"}
    plain = (f"cos({plaintext.text(r.expression)}) = 0" if r.relation == "pole" else
             f"{plaintext.text(r.expression)} {plain_relation[r.relation]}")  # fmt: skip
    condition = Tex(latex.condition(r.expression, r.relation), plain)
    node = (" (node ", Name(r.node), formula("="), Tex(latex.source(r.source), r.source), ")")
    if not r.possible:
        return ("The condition ", condition, " never holds for real inputs", *node,
                ", so this node is always defined.")
    if r.affects == "gradient":
        return ("The gradient is undefined where ", condition, *node,
                ": the local derivative there is infinite.")
    return (Name(out), " is undefined where ", condition, *node, ", and so is its gradient.")


def _kink(k: Kink) -> Sentence:
    what = "ReLU" if k.op == "relu" else "The absolute value"
    here = " The point lies exactly on the kink." if k.at_point else ""
    return (f"{what} has a kink where ", Math(k.expression), formula(" = 0"),
            " (node ", Name(k.node), "): its derivative jumps there, and derive takes the "
            f"subgradient 0 at the kink, as PyTorch does.{here}")


def limits(s: Solution) -> list[Sentence]:
    """One sentence per limit and quantity: 'As z -> 0 (x = 3, y = 2 fixed), f = 5/z -> oo
    from the right and -oo from the left: exploding.'"""
    graph = s.derivation.graph
    sentences: list[Sentence] = []
    for result in s.analysis.limits:
        limit = result.limit
        held: list[Part] = []
        for name in (i for i in graph.inputs if i != limit.variable):
            held += [", " if held else " (", Name(name), formula("="), Math(s.derivation.point[name])]
        if held:
            held.append(" fixed)")
        sentences.append(("As ", _approach(limit.variable, limit.target, limit.side), *held,
                          ", ", *_limit(result, graph.output)))
    return sentences


_BEHAVIOUR = {"exploding": "exploding", "vanishing": "vanishing", "bounded": "bounded",
              "undefined": "no limit", "unsettled": "not settled in time"}  # fmt: skip


def _limit(result: LimitResult, out: str) -> Sentence:
    parts: list[Part] = [Name(out)] if not result.of else [Partial(out, result.of)]
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
    kinds = result.behaviours
    verdict = " / ".join(_BEHAVIOUR[k] for k in kinds) if len(set(kinds)) > 1 else (
        _BEHAVIOUR[kinds[0]])  # fmt: skip
    parts.append(f": {verdict}.")
    return tuple(parts)


def stationary(s: Solution) -> list[Sentence]:
    st = s.analysis.stationary
    if st is None:
        return []
    if st.points is None:
        return [("Where the gradient vanishes was not determined: ", st.reason, ".")]
    if not st.points:
        return [("The gradient is never zero: ", Name(s.derivation.graph.output),
                 " has no stationary points.")]
    sentences: list[Sentence] = []
    for point in st.points:
        parts: list[Part] = ["The whole gradient is zero where "]
        for i, (name, value) in enumerate(point):
            parts += [" and " if i else "", Name(name), formula("="), Math(value)]
        free = any(v.free_symbols for _, v in point) or len(point) < len(
            s.derivation.graph.inputs)  # fmt: skip
        parts.append(" (a whole set of stationary points)." if free else
                     ": a stationary point.")  # fmt: skip
        sentences.append(tuple(parts))
    return sentences


def saturation(s: Solution) -> list[Sentence]:
    return [_saturation(item) for item in s.analysis.saturation]


def _saturation(item: Saturation) -> Sentence:
    if item.op == "relu":
        if item.ratio > 0:
            return ("ReLU node ", Name(item.node), " is active (its input is ", Number(item.argument),
                    " > 0): it passes the gradient unchanged.")
        return ("ReLU node ", Name(item.node), " is inactive (its input is ", Number(item.argument),
                " ≤ 0): no gradient flows back through it.")
    name = formula("sigmoid prime") if item.op == "sigmoid" else formula("tanh prime")
    verdict = (": saturated, so the gradients behind it nearly vanish" if item.saturated else
               ": not saturated")  # fmt: skip
    return (f"{'Sigmoid' if item.op == 'sigmoid' else 'Tanh'} node ", Name(item.node),
            " has local derivative ", name, formula("("), Number(item.argument, decimal_only=True),
            formula(") = "), Number(item.derivative, decimal_only=True),
            f", {_share(item.ratio)} of the largest it can pass (", Math(item.maximum), ")", verdict,
            ".")


def _share(ratio: float) -> str:
    """79%, or 0.018% for tiny shares (never a misleading 0%)."""
    return f"{ratio:.0%}" if ratio >= 0.01 or ratio == 0 else f"{ratio * 100:.2g}%"


def stability(s: Solution) -> list[Sentence]:
    sentences = [_hazard(h) for h in s.analysis.hazards]
    exploding = [r for r in s.analysis.limits if r.behaviour == "exploding" and r.of]
    if exploding:
        first = exploding[0]
        sentences.append(("The gradient explodes as ",
                          _approach(first.limit.variable, first.limit.target, first.limit.side),
                          " (see the limits): a gradient-descent step there would be "
                          "arbitrarily large. Clip the gradient, or keep ",
                          Name(first.limit.variable), " away from there."))  # fmt: skip
    saturated = [x for x in s.analysis.saturation if x.saturated]
    sentences += [_saturation(x) for x in saturated]
    if not sentences:
        sentences.append(("No node here is numerically delicate: every operation is "
                          "well-conditioned at this point.",))  # fmt: skip
    return sentences


def _hazard(h: Hazard) -> Sentence:
    node = Name(h.node)
    arg = Number(h.argument, decimal_only=True) if h.argument is not None else ""
    if h.kind == "exp-overflow":
        return ("The exponential in node ", node, " overflows float64 once its argument "
                f"exceeds {EXP_OVERFLOW:.2f} and underflows to 0 below \u2212{-EXP_UNDERFLOW:.2f} (here "
                "the argument is ", arg,
                "); its derivative is itself, so the gradient through it grows or shrinks "
                "exponentially.")  # fmt: skip
    if h.kind == "sigmoid-stable":
        return ("Computed as ", formula("sigmoid naive"), ", the sigmoid in "
                "node ", node, " overflows ", formula("e^-a"), " for ",
                Tex(f"a < {-EXP_OVERFLOW:.2f}", f"a < {-EXP_OVERFLOW:.2f}"),
                "; a stable version uses ",
                formula("sigmoid stable"), " when ", formula("a < 0"),
                " (here ", formula("a"), " = ", arg, ").")  # fmt: skip
    if h.kind == "log1p":
        assert h.detail is not None
        return ("Node ", node, " is ", formula("log(1 + u)"), " with ",
                formula("u = "), Math(h.detail), ": when ", formula("u"), " is tiny, ",
                formula("1 + u"), " rounds to 1 and the result loses its digits; ",
                formula("log1p(u)"), " computes it accurately. Its "
                "derivative ", formula("1/(1 + u)"), " never exceeds 1 for ",
                formula("u >= 0"), ".")  # fmt: skip
    if h.kind == "logsumexp":
        return ("Node ", node, " takes the log of a sum of exponentials, which overflows for "
                "large arguments; the log-sum-exp trick subtracts the largest argument first.")
    if h.kind == "division":
        assert h.detail is not None
        return ("The quotient in node ", node, " has the local derivative ",
                formula("-a/b^2"), " with respect to its denominator ",
                formula("b = "), Math(h.detail), " (here ", arg, "): it grows like ",
                formula("1/b^2"), " as ", formula("b -> 0"), ". Guard the "
                "denominator (add a small ε) or clip the gradient.")  # fmt: skip
    if h.kind == "sqrt-zero":
        return ("The square root in node ", node, " has derivative ",
                formula("1/(2 sqrt(a))"), ", which explodes as ",
                formula("a -> 0+"), "; add a small ε inside the root.")
    assert h.kind == "bounded-trig"
    return ("The sine or cosine in node ", node, " has a derivative bounded by 1 in size, so "
            "it never makes the gradient explode; at this point its argument is ", arg, ".")


def descent(s: Solution) -> list[Sentence]:
    table = s.descent
    if table is None:
        return [("This exercise takes no gradient-descent steps.",)]
    first = table.steps[0]
    done = [step for step in table.steps if step.objective_after is not None]
    sentences: list[Sentence] = []
    if done:
        end = done[-1].objective_after
        assert end is not None and table.rate is not None
        objective: list[Part] = [Name(table.output)]
        if table.form is not None:
            objective += [formula("="), Math(table.form)]
        change = ("stayed at" if end.approx == first.objective.approx else
                  "rose from" if end.approx > first.objective.approx else "fell from")  # fmt: skip
        moved: list[Part] = [f" {change} ", Number(first.objective)]
        if change != "stayed at":
            moved += [" to ", Number(end)]
        sentences.append((f"Over {len(done)} step{'s' * (len(done) != 1)} with learning rate ",
                          Number(table.rate, decimal_only=True), ", the objective ", *objective,
                          *moved, "."))  # fmt: skip
    if table.final_gradient is not None:
        start = [u.gradient for u in first.updates]
        final = list(table.final_gradient.values())
        if all(a.approx == b.approx for a, b in zip(start, final, strict=True)):
            sentences.append(("The gradient is the same at every point here, ", *_values(start),
                              ": the objective is linear in the parameters, so every step "
                              "moves them by the same amount.",))  # fmt: skip
        else:
            sentences.append(("The gradient depends on the point: at the start it is ",
                              *_values(start), "; at the updated point it is ", *_values(final),
                              ", so each step must recompute it where it stands."))  # fmt: skip
    if table.rounded:
        sentences.append(("Exact forms grew too long after a few steps; from there the table "
                          "carries 30 significant digits.",))  # fmt: skip
    if table.stopped:
        sentences.append((table.stopped + ".",))
    return sentences


def _values(values: Iterable[Value]) -> list[Part]:
    """A tuple of decimals as one formula: (0.1437, -0.2875, 0.1437)."""
    parts: list[Part] = [formula("[")]
    for i, v in enumerate(values):
        if i:
            parts.append(formula(", "))
        parts.append(Number(v, decimal_only=True))
    return [*parts, formula("]")]


def activations(s: Solution) -> list[Sentence]:
    if not s.variants:
        return []
    reference_label, reference = s.variants[0]
    sentences: list[Sentence] = []
    for label, d in s.variants:
        parts: list[Part] = [f"{label}: ", Name(d.graph.output), formula("="),
                             Number(d.forward.values[d.graph.output], decimal_only=True)]
        for g in d.gradients:
            parts += [", ", Partial(d.graph.output, g.input), formula("="),
                      Number(g.value, decimal_only=True)]
            base = reference.backward.gradients.get(g.input)
            if label != reference_label and base is not None and base.approx != 0:
                parts.append(f" ({float(g.value.approx / base.approx):.1%} of {reference_label})")
        sentences.append((*parts, "."))
    return sentences


TOPIC_SENTENCES = {
    "domain": domain, "limits": limits, "stationary": stationary,
    "ranking": lambda s: [ranking(s), *sensitivity(s)], "stability": stability,
    "saturation": saturation, "descent": descent, "activations": activations,
}  # fmt: skip


def answer(s: Solution, question: Question) -> list[Sentence]:
    """The answer to a question: the sentences of the facts its topics name."""
    sentences: list[Sentence] = []
    for topic in question.about:
        sentences += [x for x in TOPIC_SENTENCES[topic](s) if x not in sentences]
    return sentences or [("derive has no computed facts for this question.",)]

