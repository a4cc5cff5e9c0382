"""Answers: for each question, the conclusion its topics call for, drawn from the facts
(not the analysis bullets copied): which input wins and by how much, what the gradient does
in each limit, why the steps slow down, how much an activation lets through."""

from __future__ import annotations

from collections.abc import Callable

from derive.passes.analysis import Hazard, LimitResult
from derive.render import math as latex
from derive.render.sentences.descent import answer as descent_answer
from derive.render.sentences.descent import recompute
from derive.render.sentences.domain import condition, domain
from derive.render.sentences.gradients import greatest
from derive.render.sentences.limits import summary
from derive.render.sentences.parts import (
    Math,
    Name,
    Part,
    Partial,
    Sentence,
    Tex,
    approach,
    decimal,
    formula,
)
from derive.render.sentences.saturation import answer as activations_answer
from derive.render.sentences.saturation import passes
from derive.solution import Solution
from derive.spec import Question


def _ranking(s: Solution) -> list[Sentence]:
    return [greatest(s)]


def _stability(s: Solution) -> list[Sentence]:
    """Where training is unstable (the limits), then what to do about each delicate node."""
    out = s.derivation.graph.output
    sentences: list[Sentence] = []
    by_kind: dict[str, list[LimitResult]] = {}
    for r in s.analysis.limits:
        # a gradient vanishing as an input nears a finite value is descent coming to rest
        # (the stationary answer), not instability
        if r.of and r.depends and (r.behaviour == "exploding" or (
                r.behaviour == "vanishing" and not r.limit.target.is_finite)):  # fmt: skip
            by_kind.setdefault(r.behaviour, []).append(r)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    limits: dict[str, LimitResult] = {}
    for kind, rs in by_kind.items():  # which partials do it, per limit
        per_limit: dict[str, list[str]] = {}
        for r in rs:
            per_limit.setdefault(r.limit.text, []).append(r.of)
            limits.setdefault(r.limit.text, r)
        for text, ofs in per_limit.items():
            grouped.setdefault((kind, tuple(ofs)), []).append(text)
    for (kind, partials), texts in grouped.items():  # limits with one effect: one sentence
        one = len(partials) == 1
        effect = (f"explode{'s' * one}, so a step there overshoots without bound"
                  if kind == "exploding" else f"vanish{'es' * one}, so the steps stall there")
        where: list[Part] = ["As "]
        for i, text in enumerate(texts):
            limit = limits[text].limit
            where += [", " if 0 < i < len(texts) - 1 else " and " if i else "",
                      approach(limit.variable, limit.target, limit.side)]  # fmt: skip
        which: list[Part] = []
        for i, of in enumerate(partials):
            which += [", " if i else "", Partial(out, of)]
        sentences.append((*where, ", ", *which, f" {effect}."))
    for restriction in s.analysis.restrictions:
        if restriction.possible and restriction.affects == "function":
            sentences.append((Name(out), " itself is undefined where ",
                              condition(restriction),
                              ": a step must not land there."))  # fmt: skip
    sentences += [t for h in s.analysis.hazards for t in _technique(s, h)]
    if not sentences:
        asked = " and no limit asked for makes the gradient explode or vanish" if (
            s.analysis.limits) else ""  # fmt: skip
        sentences.append((f"No node is near float64's limits at this point{asked}.",))
    return sentences


def _technique(s: Solution, h: Hazard) -> list[Sentence]:
    """What a delicate node asks of the person training: one sentence, with its symbols."""
    node: list[Part] = [Tex(latex.source(h.source), h.source)]
    if h.kind == "division" and h.detail is not None and h.local is not None:
        return [("Guard the denominator of ", *node, ": its local derivative ", Math(h.local),
                 " grows like one over ", Math(h.detail ** 2), "; add a small ε to ",
                 Math(h.detail), " or clip the gradient.")]  # fmt: skip
    if h.kind == "log1p" and h.detail is not None:
        return [("Write ", *node, " with ", formula("log1p(u)"), ", ", formula("u = "),
                 Math(h.detail), ", which stays accurate when ", formula("u"), " is tiny.")]
    if h.kind == "logsumexp":
        return [("Compute ", *node, " with the log-sum-exp trick: subtract the largest "
                 "argument before exponentiating.")]  # fmt: skip
    if h.kind == "sqrt-zero":
        return [("Add a small ε inside ", *node, ": its derivative explodes at 0.")]
    if h.kind == "exp-overflow":
        grows = [r for r in s.analysis.limits if r.of and r.depends and r.behaviour in (
            "exploding", "vanishing")]  # fmt: skip
        tail: list[Part] = [" (see the limits above)"] if grows else []
        return [("The exponential ", *node, " is its own derivative, so the gradient through it "
                 "grows and shrinks exponentially with its argument", *tail,
                 "; it is safe here, its argument ", decimal(h.argument_or()),
                 " being far from float64's limits.")]  # fmt: skip
    if h.kind == "bounded-trig" and h.local is not None and h.local_value is not None:
        parts: list[Part] = ["The derivative of ", *node, ", ", Math(h.local),
                             ", is at most 1 in size, so it never makes the gradient explode"]
        if h.local_value.exact == 0:
            zero = next((x for x in s.analysis.sensitivity if x.blocked is not None
                         and x.blocked.node == h.node), None)  # fmt: skip
            parts += ["; here it is exactly 0"]
            if zero is not None and zero.blocked is not None and zero.blocked.extremum:
                parts += [", since ", Math(h.detail if h.detail is not None else h.local),
                          f" sits at a {zero.blocked.extremum} of {h.source.split('(')[0]}"]
            if zero is not None:
                parts += [": no gradient reaches ", Name(zero.input)]
                if s.descent is not None and zero.input in s.descent.parameters:
                    parts += [", so gradient descent never moves it"]
        return [(*parts, ".")]
    if h.kind == "sigmoid-stable" and h.near:
        return [("Compute the loss from the pre-activation of ", *node, " (log-sigmoid, or "
                 "cross-entropy with logits): in float64 the sigmoid itself rounds to 0 or 1.")]
    return []


def _limits(s: Solution) -> list[Sentence]:
    return summary(s)


def _stationary(s: Solution) -> list[Sentence]:
    """Where descent can stop: the stationary points, said as a conclusion."""
    st = s.analysis.stationary
    if st is None or st.points is None:
        return []
    out = s.derivation.graph.output
    if not st.points:
        return [("Nowhere: the gradient of ", Name(out), " is never zero, so gradient descent "
                 "never comes to rest.",)]  # fmt: skip
    parts: list[Part] = ["The gradient is zero only at "]
    for i, point in enumerate(st.points):
        parts.append(" or at " if i else "")
        for j, (name, value) in enumerate(point):
            parts += [", " if j else "", Name(name), formula("="), Math(value)]
    return [(*parts, ": only there can gradient descent come to rest.")]


def _domain(s: Solution) -> list[Sentence]:
    return domain(s)


def _saturation(s: Solution) -> list[Sentence]:
    if s.descent is not None and any(st.activations for st in s.descent.steps) and len(
            s.descent.steps) > 1:  # fmt: skip
        return []  # the descent answer follows the activation along the steps
    return passes(s)


ANSWERS: dict[str, Callable[[Solution], list[Sentence]]] = {
    "domain": _domain, "limits": _limits, "stationary": _stationary, "ranking": _ranking,
    "stability": _stability, "saturation": _saturation, "descent": descent_answer,
    "activations": activations_answer, "recompute": recompute,
}  # fmt: skip


def answer(s: Solution, question: Question) -> list[Sentence]:
    """The answer to a question: the conclusions of the topics it is about."""
    sentences: list[Sentence] = []
    for topic in question.about:
        if topic == "domain" and "stability" in question.about:
            continue  # the stability answer already says where f is undefined
        sentences += [x for x in ANSWERS[topic](s) if x not in sentences]
    return sentences or [("derive has no computed facts for this question.",)]


