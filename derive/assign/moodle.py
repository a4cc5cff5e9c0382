"""`derive export moodle`: a Moodle XML question bank from an exercise file.

Per exercise a category ($course$/top/derive/TITLE), and per variant a Cloze (embedded
answers, qtype multianswer) question: the statement at the variant's point, the circuit
with numbered blanks on its wires, and one NUMERICAL sub-question per blank,
`{1:NUMERICAL:=VALUE:TOLERANCE#FEEDBACK}`, with the tolerance derive.marking uses for the
exercise's digits. The worked solution (the site's forward, backward, gradient and descent
tables) is the general feedback. Math uses MathJax's \\( \\) and \\[ \\] delimiters, which
Moodle's MathJax filter renders.

The circuit travels inside the question as an embedded file (<file encoding="base64">,
referenced as @@PLUGINFILE@@/NAME.svg): Moodle's HTML cleaning (HTMLPurifier, whose
allowed URI schemes leave out data:) would drop an SVG data URI from question text.
Text goes in CDATA sections, with any "]]>" inside split across two sections; names go
through XML escaping. An exercise that does not vary gives one question, not N copies.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass

from derive.assign.figure import circuit_dot, svg
from derive.assign.html import markdown_html, math_html
from derive.assign.key import Quantity, blanks, number, quantities
from derive.assign.variants import Variant, variant
from derive.render import math, tables
from derive.spec import Spec

PENALTY = "0.3333333"
"""Moodle's penalty per wrong try in interactive mode (its default)."""


@dataclass(frozen=True, slots=True)
class Blank:
    """One NUMERICAL sub-question."""

    number: int
    quantity: str
    value: str
    tolerance: str
    label: str


def variants_for(spec: Spec, count: int, seed: int) -> list[tuple[str, list[Variant]]]:
    """Each exercise with its variants ("v1", "v2", ... drawn like students' ones): `count`
    of them, or one when the exercise does not vary."""
    return [(e.id, [variant(e, seed, f"v{i}") for i in range(1, (count if e.vary else 1) + 1)])
            for e in spec.exercises]  # fmt: skip


def question_blanks(v: Variant) -> list[Blank]:
    """The blanks of a variant's question, numbered from 1 in the order of working."""
    from derive.marking import describe, tolerance

    s = v.solution
    items: list[Quantity] = blanks(quantities(s), s.derivation.graph)
    return [Blank(i, q.name, number(q.value),
                  repr(tolerance(float(q.value.approx), v.exercise.digits)), describe(q.name))
            for i, q in enumerate(items, 1)]  # fmt: skip


def cdata(text: str) -> str:
    """`text` as CDATA; "]]>" inside is split so that it cannot end the section early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def cloze_escape(text: str) -> str:
    """Feedback inside a Cloze blank: Moodle's parser ends it at an unescaped } or ~ and
    unescapes only \\} and \\#, so those are escaped and ~ (never in derive's feedback)
    becomes a hyphen."""
    return text.replace("\\", "/").replace("}", "\\}").replace("#", "\\#").replace("~", "-")


def statement_html(v: Variant) -> str:
    """The statement at the variant's point, as HTML with MathJax delimiters."""
    s = v.solution
    ex, d = s.exercise, s.derivation
    point = ", ".join(math_html(f"{math.name(k)} = {_tex(value)}") for k, value in ex.at.items())
    parts = [f"<p>{math_html(math.written(d.graph.function), display=True)}</p>",
             f"<p>at {point}.</p>"]
    if ex.statement:
        parts.append(markdown_html(ex.statement))
    if ex.instructions:
        parts.append(markdown_html("\n".join(f"- {i}" for i in ex.instructions)))
    return "\n".join(parts)


def _tex(value: object) -> str:
    if isinstance(value, tuple):
        return math.grouped(", ".join(math.tex(v) for v in value))
    return math.tex(value)


def solution_html(v: Variant) -> str:
    """The worked solution: the site's tables, as HTML."""
    s = v.solution
    d, digits = s.derivation, v.exercise.digits
    parts = ["### Forward pass", tables.forward_table(d, digits),
             "### Backward pass", tables.backward_table(d, digits),
             "### Gradient", tables.gradient_table(d, digits)]  # fmt: skip
    if s.descent is not None:
        parts += ["### Gradient descent", tables.descent_table(s.descent, digits)]
    return markdown_html("\n\n".join(parts))


def question(v: Variant, index: int) -> str:
    """One Cloze question in Moodle XML."""
    ex = v.exercise
    items = question_blanks(v)
    numbers = {b.quantity: b.number for b in items}
    figure = f"{ex.id}-v{index}.svg"
    drawing = svg(circuit_dot(v.solution.derivation, numbers, min(ex.digits, 4)))
    rows = "\n".join(
        f"<tr><td>[{b.number}]</td><td>{html.escape(b.label)}</td>"
        f"<td>{{1:NUMERICAL:={b.value}:{b.tolerance}#{cloze_escape(b.label)}}}</td></tr>"
        for b in items)  # fmt: skip
    text = "\n".join([
        statement_html(v),
        f'<p><img src="@@PLUGINFILE@@/{figure}" alt="The circuit of {html.escape(ex.title)}: '
        'wires carry the numbers of the blanks, values above and gradients below"></p>',
        "<p>Give each number to within the tolerance shown by the exercise's digits "
        f"({ex.digits} significant digits).</p>",
        f"<table>\n<tr><th>blank</th><th>quantity</th><th>answer</th></tr>\n{rows}\n</table>",
    ])  # fmt: skip
    encoded = base64.b64encode(drawing.encode("utf-8")).decode("ascii")
    name = f"{ex.title} (variant {index})"
    return "\n".join([
        '  <question type="cloze">',
        f"    <name><text>{html.escape(name, quote=False)}</text></name>",
        f'    <questiontext format="html">\n      <text>{cdata(text)}</text>',
        f'      <file name="{figure}" path="/" encoding="base64">{encoded}</file>',
        "    </questiontext>",
        f'    <generalfeedback format="html">\n      <text>{cdata(solution_html(v))}</text>',
        "    </generalfeedback>",
        f"    <penalty>{PENALTY}</penalty>",
        "    <hidden>0</hidden>",
        f"    <idnumber>{html.escape(ex.id)}-v{index}</idnumber>",
        "  </question>",
    ])  # fmt: skip


def category(spec: Spec, title: str) -> str:
    """A category question: $course$/top/FILE TITLE/EXERCISE TITLE (a "/" inside a name
    is written "//", as Moodle reads it)."""
    path = "/".join(["$course$/top", *(t.replace("/", "//") for t in (spec.title, title))])
    return "\n".join([
        '  <question type="category">',
        f"    <category><text>{html.escape(path, quote=False)}</text></category>",
        f'    <info format="html"><text>{cdata("Questions by derive from " + title)}</text></info>',
        "  </question>",
    ])  # fmt: skip


def quiz(spec: Spec, count: int, seed: int) -> str:
    """The whole Moodle XML file."""
    titles = {e.id: e.title for e in spec.exercises}
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for exercise_id, variants in variants_for(spec, count, seed):
        out.append(category(spec, titles[exercise_id]))
        out += [question(v, i) for i, v in enumerate(variants, 1)]
    out.append("</quiz>")
    return "\n".join(out) + "\n"
