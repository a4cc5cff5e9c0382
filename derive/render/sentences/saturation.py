"""Activations: how much of the gradient each one lets through, and why.

Saturation has one definition, stated once on a page (RULE): an activation is saturated
when its local derivative is below SATURATED of the largest it can take. The same rule
applies to the sigmoid and to tanh.
"""

from __future__ import annotations

from derive.passes.analysis import SATURATED, Saturation
from derive.render.sentences.parts import (
    Math,
    Name,
    Part,
    Partial,
    Sentence,
    decimal,
    formula,
    names,
    share,
)
from derive.solution import Solution

RULE: Sentence = (f"Saturated means here: the local derivative is below {SATURATED:.0%} of "
                  "the largest the activation can have; the gradient flowing back through a "
                  "saturated activation nearly vanishes.",)  # fmt: skip
"""The definition, printed once per page (in the analysis, before the first verdict)."""

BOUNDS: dict[str, Sentence] = {
    "sigmoid": (formula("sigmoid bound"), " for every ", formula("q"), " (the most it can be, "
                "at ", formula("q = 0"), "): a sigmoid passes at most a quarter of the gradient "
                "that reaches it."),
    "tanh": (formula("tanh bound"), ", equal to 1 only at ", formula("q = 0"), " and falling "
             "fast as ", formula("|q|"), " grows."),
    "relu": (formula("relu bound"), " for ", formula("q > 0"), " and 0 for ", formula("q < 0"),
             ": an active ReLU passes the gradient unchanged, an inactive one passes nothing."),
}
"""Why each activation passes what it passes, for every q."""


def derivative(item: Saturation) -> list[Part]:
    """sigma'(3) = 0.04518"""
    key = {"sigmoid": "sigmoid prime", "tanh": "tanh prime", "relu": "relu prime"}[item.op]
    return [formula(key), formula("("), decimal(item.argument), formula(") = "),
            decimal(item.derivative)]


def verdict(item: Saturation) -> list[Part]:
    """The local derivative, its share of the maximum and the verdict by the one rule."""
    if item.op == "relu":
        state = "active (input > 0)" if item.ratio > 0 else "inactive (input ≤ 0)"
        return [*derivative(item), f": {state}"]
    word = "saturated" if item.saturated else "not saturated"
    return [*derivative(item), f", {share(item.ratio)} of its maximum ", Math(item.maximum),
            f": {word}"]


def saturation(s: Solution) -> list[Sentence]:
    """The analysis facts: the rule, then one verdict per activation node."""
    items = s.analysis.saturation
    if not items:
        return []
    facts: list[Sentence] = []
    if any(i.op != "relu" for i in items):
        facts.append(RULE)
    for item in items:
        kind = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}[item.op]
        facts.append((f"{kind} node ", Name(item.node), ": ", *verdict(item), "."))
    return facts


def activations(s: Solution) -> list[Sentence]:
    """Why the variants differ: each activation's bound, then its value at this point."""
    if not s.variants:
        return []
    ops = [i.op for _, items in s.analysis.variant_saturation for i in items]
    facts: list[Sentence] = [("The linear variant's derivative is 1: it passes the gradient "
                              "unchanged.",)]  # fmt: skip
    facts += [BOUNDS[op] for op in dict.fromkeys(ops)]
    for label, items in s.analysis.variant_saturation:
        for item in items:
            facts.append((f"{label} at this point: ", *verdict(item), "."))
    return facts


def answer(s: Solution) -> list[Sentence]:
    """How each activation changes the gradient reaching the inputs behind it."""
    if not s.variants:
        return []
    reference_label, reference = s.variants[0]
    out = reference.graph.output
    found = dict(s.analysis.variant_saturation)
    behind = next((tuple(b for b in i.behind if b in reference.parameters)
                   for items in found.values() for i in items), ())
    first = next((g for g in reference.gradients if g.input in behind), None)
    if first is None:
        return []
    sentences: list[Sentence] = [(
        "The gradient reaching ", *names(behind), " is the upstream gradient times the "
        "activation's derivative at ", Name(_argument(s)), ": with the ", reference_label,
        " activation ", Partial(out, first.input), formula("="), decimal(first.value),
        ".")]  # fmt: skip
    for label, d in s.variants[1:]:
        grads = {g.input: g.value for g in d.gradients}
        value = grads.get(first.input)
        if value is None:
            continue
        ratio = float(value.approx / first.value.approx) if first.value.approx else 0.0
        parts: list[Part] = [f"{label}: ", Partial(out, first.input), formula("="),
                             decimal(value), f", {share(abs(ratio))} of the {reference_label} "
                             "gradient, because "]  # fmt: skip
        items = found.get(label, ())
        if items:
            item = items[0]
            parts += derivative(item)
            if item.op == "sigmoid":
                parts += [" (never more than ", Math(item.maximum), ")"]
            if item.op != "relu" and item.saturated:
                parts.append(": saturated")
        else:
            parts.append("its derivative is 1")
        sentences.append((*parts, "."))
    return sentences


def _argument(s: Solution) -> str:
    for _, items in s.analysis.variant_saturation:
        for item in items:
            return _input_name(s, item)
    return "q"


def _input_name(s: Solution, item: Saturation) -> str:
    node = s.derivation.graph.node(item.node) if item.node in {
        n.id for n in s.derivation.graph.nodes} else None  # fmt: skip
    return node.inputs[0] if node is not None else "q"


def passes(s: Solution) -> list[Sentence]:
    """The answer to "how much does the activation let through?": a conclusion per node."""
    sentences: list[Sentence] = []
    for item in s.analysis.saturation:
        if item.op == "relu":
            sentences.append(("ReLU node ", Name(item.node), " passes the gradient "
                              + ("unchanged." if item.ratio > 0 else "not at all."),))
            continue
        word = "saturated" if item.saturated else "not saturated"
        behind = [i for i in item.behind if i in s.derivation.parameters]
        around = [i for i in item.around if i in behind]
        kind = "Sigmoid" if item.op == "sigmoid" else "Tanh"
        passed = f", {share(item.ratio)} of the most it ever passes ("
        if item.op == "sigmoid":  # its share of its maximum (1/4) hides how much it cuts
            passed = (f", so {share(float(item.derivative.approx))} of that gradient goes on: "
                      f"{share(item.ratio)} of the most a sigmoid ever passes (")
        sentence: list[Part] = [
            f"{kind} node ", Name(item.node), " multiplies the gradient flowing back by ",
            *derivative(item), passed, Math(item.maximum), f"), {word}. Every gradient that "
            "flows back through it, to ", *names(behind), ", carries this factor"]  # fmt: skip
        if around:  # x also reaches f around the node: its gradient need not be small
            sentence += ["; ", *names(around), " also ", "reach" if len(around) > 1 else
                         "reaches", " the output by a path around it, and the gradient along "
                         "that path does not carry it"]  # fmt: skip
        sentences.append((*sentence, "."))
    return sentences


