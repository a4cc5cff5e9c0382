"""Derivation -> a Markdown summary for Jupyter: the value, the gradient with its check,
and both passes as tables.

The record does not know its renderers: derive's package registers `summary` with
IPython's Markdown formatter, by the record's name, when it is imported inside a running
IPython kernel; so the dependency points from render to the record only.
"""

from __future__ import annotations

from derive.derivation import Derivation
from derive.render import math, tables


def summary(d: Derivation, digits: int = 6) -> str:
    out = d.graph.output
    value = d.forward.values[out]
    check = d.check
    verdict = "agree" if check.agree else "**DISAGREE**"
    return "\n".join([
        f"$${math.written(d.graph.function)}$$", "",
        f"${math.name(out)} = {math.value(value, digits)}$", "",
        "**Gradient**", "", tables.gradient_table(d, digits),
        f"Check ({check.method}): backward pass, forward mode on SymPy's derivatives and "
        f"finite differences {verdict} (largest relative difference {check.largest_error:.1e}).", "",
        "**Forward pass**", "", tables.forward_table(d, digits),
        "**Backward pass**", "", tables.backward_table(d, digits),
    ])  # fmt: skip

