"""Computed facts -> sentences: the interpretation, the analysis and the answers.

One module per topic (gradients, domain, limits, saturation, stability, descent, answers);
`parts` holds the sentence parts and their two printers. Nothing here computes: every
number comes from the Solution.
"""

from __future__ import annotations

from collections.abc import Callable

from derive.render.sentences.answers import answer
from derive.render.sentences.descent import descent
from derive.render.sentences.domain import domain
from derive.render.sentences.gradients import greatest, ranking, sensitivity
from derive.render.sentences.limits import limits, stationary
from derive.render.sentences.parts import (
    Math,
    Name,
    Number,
    Part,
    Partial,
    Sentence,
    Tex,
    formula,
    markdown,
    plain,
)
from derive.render.sentences.saturation import RULE, activations, saturation
from derive.render.sentences.stability import stability
from derive.solution import Solution

TOPIC_SENTENCES: dict[str, Callable[[Solution], list[Sentence]]] = {
    "domain": domain, "limits": limits, "stationary": stationary,
    "ranking": lambda s: [ranking(s), *sensitivity(s)], "stability": stability,
    "saturation": saturation, "descent": descent, "activations": activations,
    "recompute": descent,
}  # fmt: skip
"""The analysis facts of each topic (the answers draw their conclusions in `answers`)."""

__all__ = [
    "RULE", "TOPIC_SENTENCES", "Math", "Name", "Number", "Part", "Partial", "Sentence", "Tex",
    "activations", "answer", "descent", "domain", "formula", "greatest", "limits", "markdown",
    "plain", "ranking", "saturation", "sensitivity", "stability", "stationary",
]  # fmt: skip
