"""Answers: for each question, the conclusion its topics call for, drawn from the facts
(not the analysis bullets copied): which input wins and by how much, what the gradient does
in each limit, why the steps slow down, how much an activation lets through."""

from __future__ import annotations

from collections.abc import Callable

from derive.render.sentences import descent, domain, gradients, limits, saturation, stability
from derive.render.sentences.parts import Part, Partial, Sentence, names
from derive.solution import Solution
from derive.spec import Question


def _ranking(s: Solution) -> list[Sentence]:
    return [gradients.greatest(s)]


def _stability(s: Solution) -> list[Sentence]:
    """Whether training is safe here, and what would make it unsafe."""
    out = s.derivation.graph.output
    facts = stability.stability(s)
    exploding = [r for r in s.analysis.limits if r.behaviour == "exploding" and r.of and r.depends]
    vanishing = [r for r in s.analysis.limits if r.behaviour == "vanishing" and r.of and r.depends]
    conclusion: list[Part] = []
    if exploding:
        variables = list(dict.fromkeys(r.limit.variable for r in exploding))
        conclusion += ["Training is unstable near the limits where a gradient explodes (",
                       *names(variables), "): there a step of gradient descent overshoots "
                       "without bound"]  # fmt: skip
    if vanishing:
        conclusion += ["; " if conclusion else "", "where a gradient vanishes ("]
        for i, r in enumerate(vanishing[:3]):
            conclusion += [", " if i else "", Partial(out, r.of)]
        conclusion += ["), the steps stall"]
    sentences: list[Sentence] = [(*conclusion, ".")] if conclusion else []
    return sentences + [f for f in facts if f not in sentences]


def _limits(s: Solution) -> list[Sentence]:
    return limits.summary(s)


def _stationary(s: Solution) -> list[Sentence]:
    return limits.stationary(s)


def _domain(s: Solution) -> list[Sentence]:
    return domain.domain(s)


def _saturation(s: Solution) -> list[Sentence]:
    if s.descent is not None and any(st.activations for st in s.descent.steps) and len(
            s.descent.steps) > 1:  # fmt: skip
        return []  # the descent answer follows the activation along the steps
    return saturation.passes(s)


ANSWERS: dict[str, Callable[[Solution], list[Sentence]]] = {
    "domain": _domain, "limits": _limits, "stationary": _stationary, "ranking": _ranking,
    "stability": _stability, "saturation": _saturation, "descent": descent.answer,
    "activations": saturation.answer,
}  # fmt: skip


def answer(s: Solution, question: Question) -> list[Sentence]:
    """The answer to a question: the conclusions of the topics it is about."""
    sentences: list[Sentence] = []
    for topic in question.about:
        sentences += [x for x in ANSWERS[topic](s) if x not in sentences]
    return sentences or [("derive has no computed facts for this question.",)]


