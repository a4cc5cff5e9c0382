"""Carry-forward marking of a student's numbers for one derivation.

Each answer (a forward value, a wire's gradient, a node's total gradient, a descent step)
is marked right, wrong, carried (wrong only because an earlier answer of the student's
was wrong: right when recomputed from the student's own values) or blank. The feedback
names the first wrong step and, where it recognises one, the mistake: the fan-out
contributions not added, sigma(z) used for sigma(z)(1 - sigma(z)), the sign of a
subtraction or negation lost, the upstream gradient dropped, a descent step taken with
the gradient of another point.

Marking works on floats only (derive/model.py); the page's check-yourself mode runs the
same rules in JavaScript (derive/sphinx/static/derive-circuit.js), and the tests run both
on the same cases.

Quantities: "f" and "value:NODE" (forward values, inputs included), "grad:SRC->DST" (one
wire's gradient), "grad:NODE" (the total over a node's wires), "stepK:PARAM" (descent).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from derive.derivation import Derivation
from derive.errors import DeriveError
from derive.model import Passes, apply, constants, consumers, exact_passes, local, model
from derive.passes.descent import Descent

Verdict = Literal["right", "wrong", "carried", "blank"]

OUTPUT_FORMS = {"sigmoid": lambda y: y * (1 - y), "tanh": lambda y: 1 - y * y, "exp": lambda y: y}
"""Local derivatives a student may write with the node's own value (sigma(1 - sigma))."""


@dataclass(frozen=True, slots=True)
class Mark:
    """One answer, marked."""

    quantity: str
    """"value:q", "grad:q->f", "grad:x", "f", "step1:w0"."""
    answer: float | None
    """None when blank or not a number."""
    expected: float
    verdict: Verdict
    feedback: str
    """One line; names the first wrong step and the recognised mistake."""

    def to_dict(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "answer": self.answer, "expected": self.expected,
                "verdict": self.verdict, "feedback": self.feedback}  # fmt: skip


def tolerance(expected: float, digits: int) -> float:
    """How far an answer may be from `expected` and count as equal: one unit of the
    `digits`-th significant digit relative to the value (digits are capped at 15, float
    precision), and never below 1e-12."""
    return max(abs(expected) * 10.0 ** (1 - min(digits, 15)), 1e-12)


def close(answer: float | None, expected: float | None, digits: int) -> bool:
    """Whether `answer` equals `expected` within tolerance (False when either is missing)."""
    if answer is None or expected is None or not math.isfinite(expected):
        return False
    return abs(answer - expected) <= tolerance(expected, digits)


def describe(quantity: str) -> str:
    """A quantity in words: "the gradient on wire q -> f"."""
    if quantity == "f":
        return "the output's value"
    kind, _, rest = quantity.partition(":")
    if kind == "value":
        return f"the value of {rest}"
    if kind == "grad" and "->" in rest:
        source, target = rest.split("->")
        return f"the gradient on wire {source} -> {target}"
    if kind == "grad":
        return f"the total gradient of {rest}"
    return f"{rest} after step {kind.removeprefix('step')}"


def mark(derivation: Derivation, answers: Mapping[str, float | None], digits: int,
         descent: Descent | None = None) -> tuple[Mark, ...]:
    """Mark `answers` (quantity -> number or None) against `derivation`, in the order the
    quantities are computed (forward values, then gradients backwards, then descent)."""
    m = model(derivation, digits)
    return mark_model(m, exact_passes(derivation), answers, digits, _steps(descent))


def _steps(descent: Descent | None) -> list[dict[str, Any]]:
    if descent is None:
        return []
    sign = 1.0 if descent.ascent else -1.0
    assert descent.rate is not None
    rate = float(descent.rate.approx)
    return [{"number": s.number, "sign": sign, "rate": rate,
             "updates": {u.parameter: {"current": float(u.current.approx),
                                       "gradient": float(u.gradient.approx),
                                       "new": float(u.new.approx)} for u in s.updates}}
            for s in descent.steps]  # fmt: skip


def order(m: Mapping[str, Any], steps: list[dict[str, Any]] | None = None) -> list[str]:
    """Every quantity in the order it is computed."""
    readers, fixed = consumers(m), constants(m)
    out = [f"value:{n['id']}" for n in m["nodes"] if n["op"] != "const"]
    for n in reversed(m["nodes"]):
        if n["id"] in fixed:
            continue
        if readers[n["id"]]:
            out.append(f"grad:{n['id']}")
        for source in dict.fromkeys(n.get("inputs", ())):
            if source not in fixed:
                out.append(f"grad:{source}->{n['id']}")
    for step in steps or []:
        out += [f"step{step['number']}:{p}" for p in step["updates"]]
    return out


def mark_model(m: Mapping[str, Any], true: Passes, answers: Mapping[str, float | None],
               digits: int, steps: list[dict[str, Any]] | None = None) -> tuple[Mark, ...]:
    """`mark` on a circuit model and its true float passes (what the page's script does)."""
    marker = _Marker(m, true, dict(answers), digits, steps or [])
    known = order(m, steps)
    aliases = {"f": f"value:{m['output']}"}
    for quantity in answers:
        if aliases.get(quantity, quantity) not in known:
            raise DeriveError(f"unknown quantity {quantity!r} in the answers")
    names = []
    for q in known:
        if q == aliases["f"] and "f" in answers:
            names.append("f")
        if q in answers:
            names.append(q)
    results = [marker.judge(q) for q in names]
    first = next((q for q, (v, _) in zip(names, results, strict=True) if v == "wrong"), None)
    marks = []
    for q, (verdict, mistake) in zip(names, results, strict=True):
        marks.append(Mark(q, answers[q], marker.expected(q), verdict,
                          _feedback(q, verdict, mistake, first)))
    return tuple(marks)


def _feedback(quantity: str, verdict: Verdict, mistake: str, first: str | None) -> str:
    if verdict == "right":
        return "right"
    if verdict == "blank":
        return "no answer"
    where = "" if first is None else f"the first wrong step is {describe(first)}"
    if verdict == "carried":
        return f"carried forward: right from your own earlier answers; {where}"
    head = "wrong, and the first wrong step" if quantity == first else f"wrong; {where}"
    return f"{head}: {mistake}" if mistake else head


class _Marker:
    def __init__(self, m: Mapping[str, Any], true: Passes, answers: dict[str, float | None],
                 digits: int, steps: list[dict[str, Any]]) -> None:
        self.m, self.true, self.answers, self.digits = m, true, answers, digits
        self.nodes = {n["id"]: n for n in m["nodes"]}
        self.readers = consumers(m)
        self.steps = {s["number"]: s for s in steps}

    def expected(self, q: str) -> float:
        kind, _, rest = q.partition(":")
        if q == "f":
            return self.true.values[self.m["output"]]
        if kind == "value":
            return self.true.values[rest]
        if kind == "grad" and "->" in rest:
            source, target = rest.split("->")
            return self.true.wires[(source, target)]
        if kind == "grad":
            return self.true.totals[rest]
        number = int(kind.removeprefix("step"))
        return float(self.steps[number]["updates"][rest]["new"])

    def given(self, q: str) -> float | None:
        value = self.answers.get(q)
        if q.startswith("value:") and value is None and q == f"value:{self.m['output']}":
            value = self.answers.get("f")
        return value if value is not None and math.isfinite(value) else None

    def value(self, node: str) -> float:
        """The student's value of a node (the true one where they gave none)."""
        given = self.given(f"value:{node}")
        return self.true.values[node] if given is None else given

    def value_off(self, node: str) -> bool:
        given = self.given(f"value:{node}")
        return given is not None and not close(given, self.true.values[node], self.digits)

    def wire(self, source: str, target: str) -> float:
        given = self.given(f"grad:{source}->{target}")
        return self.true.wires[(source, target)] if given is None else given

    def total(self, node: str) -> float:
        """The student's gradient of a node: their total, else the sum of their wires."""
        if node == self.m["output"]:
            return 1.0
        given = self.given(f"grad:{node}")
        if given is not None:
            return given
        return math.fsum(self.wire(node, c) for c in self.readers[node])

    def judge(self, q: str) -> tuple[Verdict, str]:
        answer = self.given(q)
        if answer is None:
            return "blank", ""
        if close(answer, self.expected(q), self.digits):
            return "right", ""
        kind, _, rest = q.partition(":")
        if q == "f" or kind == "value":
            return self._value(self.m["output"] if q == "f" else rest, answer)
        if kind == "grad" and "->" in rest:
            source, target = rest.split("->")
            return self._wire(source, target, answer)
        if kind == "grad":
            return self._total(rest, answer)
        return self._step(int(kind.removeprefix("step")), rest, answer)

    def _value(self, node_id: str, answer: float) -> tuple[Verdict, str]:
        n = self.nodes[node_id]
        if n["op"] == "input":
            return "wrong", f"{node_id} is an input: its value is given"
        args = [self.value(i) for i in n["inputs"]]
        mine = apply(n["op"], args)
        if not isinstance(mine, str) and close(answer, mine, self.digits):
            off = any(self.value_off(i) for i in n["inputs"])
            return ("carried", "") if off else ("right", "")
        if n["op"] == "sub" and close(answer, args[0] + args[1], self.digits):
            return "wrong", f"the sign of the subtraction in {node_id} is lost"
        if n["op"] == "neg" and close(answer, args[0], self.digits):
            return "wrong", f"the sign of the negation in {node_id} is lost"
        return "wrong", ""

    def _locals(self, source: str, target: str, mine: bool) -> list[float]:
        """d target / d source at the student's values (mine) or the true ones: from the
        arguments, and for sigmoid, tanh and exp also from the node's own value."""
        n = self.nodes[target]
        pick = self.value if mine else self.true.values.__getitem__
        positions = [i for i, s in enumerate(n["inputs"]) if s == source]
        found = local(n["op"], [pick(i) for i in n["inputs"]], positions)
        out = [] if found is None else [found]
        if n["op"] in OUTPUT_FORMS:
            out.append(OUTPUT_FORMS[n["op"]](pick(target)))
        return out

    def _wire(self, source: str, target: str, answer: float) -> tuple[Verdict, str]:
        n = self.nodes[target]
        upstream = self.total(target)
        true_up = self.true.totals[target]
        off = not close(upstream, true_up, self.digits) or any(
            self.value_off(i) for i in (*n["inputs"], target))
        for slope in self._locals(source, target, True):
            if close(answer, upstream * slope, self.digits):
                return ("carried", "") if off else ("right", "")
        return "wrong", self._wire_mistake(source, target, answer, upstream, true_up)

    def _wire_mistake(self, source: str, target: str, answer: float, upstream: float,
                      true_up: float) -> str:
        n = self.nodes[target]
        slopes = self._locals(source, target, True) + self._locals(source, target, False)
        ups = (upstream, true_up)
        readers = self.readers[target]
        if len(readers) > 1:
            for reader in readers:
                for part in (self.wire(target, reader), self.true.wires[(target, reader)]):
                    if any(close(answer, part * s, self.digits) for s in slopes):
                        return (f"the fan-out contributions are not added: the gradient of "
                                f"{target} is the sum over its {len(readers)} wires, and "
                                f"only {target} -> {reader} was used")  # fmt: skip
        if n["op"] == "sigmoid":
            sig = (self.value(target), self.true.values[target])
            if any(close(answer, u * s, self.digits) for u in ups for s in sig):
                return ("sigma(z) was used as the local derivative instead of "
                        "sigma(z)(1 - sigma(z))")  # fmt: skip
        if any(close(-answer, u * s, self.digits) for u in ups for s in slopes):
            what = {"sub": "subtraction", "neg": "negation"}.get(n["op"])
            return (f"the sign of the {what} in {target} is lost" if what else
                    "the sign is lost (a subtraction or negation on the way)")  # fmt: skip
        if not close(true_up, 1.0, self.digits) and any(close(answer, s, self.digits) for s in slopes):
            return (f"the upstream gradient (the gradient of {target}) is dropped: this is "
                    "the local derivative alone")  # fmt: skip
        return ""

    def _total(self, node: str, answer: float) -> tuple[Verdict, str]:
        readers = self.readers[node]
        mine = math.fsum(self.wire(node, c) for c in readers)
        if close(answer, mine, self.digits):
            off = any(not close(self.wire(node, c), self.true.wires[(node, c)], self.digits)
                      for c in readers)  # fmt: skip
            return ("carried", "") if off else ("right", "")
        if len(readers) > 1:
            for reader in readers:
                for part in (self.wire(node, reader), self.true.wires[(node, reader)]):
                    if close(answer, part, self.digits):
                        return "wrong", (f"the fan-out contributions are not added: {node} "
                                         f"feeds {len(readers)} wires and its gradient is "
                                         f"their sum, not the {node} -> {reader} wire alone")
        if close(-answer, self.true.totals[node], self.digits):
            return "wrong", "the sign is lost (a subtraction or negation on the way)"
        return "wrong", ""

    def _step(self, number: int, parameter: str, answer: float) -> tuple[Verdict, str]:
        step = self.steps[number]
        update = step["updates"][parameter]
        previous = self.given(f"step{number - 1}:{parameter}") if number > 1 else None
        move = step["sign"] * step["rate"]
        if previous is not None and close(answer, previous + move * update["gradient"], self.digits):
            off = not close(previous, update["current"], self.digits)
            return ("carried", "") if off else ("right", "")
        for other, s in self.steps.items():
            g = s["updates"][parameter]["gradient"]
            if other != number and close(answer, update["current"] + move * g, self.digits):
                return "wrong", (f"step {number} used the gradient at another point (the one "
                                 f"of step {other}); recompute it at the current point")
        if close(answer, update["current"] - move * update["gradient"], self.digits):
            return "wrong", "the step goes with the gradient instead of against it (sign lost)"
        return "wrong", ""
