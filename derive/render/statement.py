"""Solution -> the statement of an exercise in MyST Markdown: the function, the point,
the statement's prose, instructions and questions. Shared by the page and the notebook."""

from __future__ import annotations

from sympy import Rational

from derive.derivation import Derivation
from derive.render import math, prose
from derive.solution import Solution


def statement(s: Solution) -> str:
    ex, d = s.exercise, s.derivation
    out = [f"$$\n{math.written(d.graph.function)}\n$$", ""]
    point = ", ".join(_assignment(name, value) for name, value in ex.at.items())
    out.append(f"at {point}" + (
        "; with " + ", ".join(f"${math.name(n)} = {_where(d, n)}$" for n in ex.where)
        if ex.where else "") + ".")  # fmt: skip
    out.append("")
    if ex.statement:  # exercise prose: safe MyST unless the file is trusted (render.prose)
        out += [prose.block(ex.statement, ex.trusted), ""]
    if ex.instructions:
        out += ["**Instructions**", ""] + [f"- {prose.inline(item, ex.trusted)}"
                                           for item in ex.instructions] + [""]  # fmt: skip
    if ex.questions:
        out += ["**Questions**", ""] + [f"{i}. {prose.inline(q.text, ex.trusted)}"
                                        for i, q in enumerate(ex.questions, 1)]  # fmt: skip
        out.append("")
    return "\n".join(out)


def _assignment(name: str, value: object) -> str:
    if isinstance(value, tuple):
        items = ", ".join(math.tex(v) for v in value)
        return f"${math.name(name)} = {math.grouped(items)}$"
    shown = math.short(value) if isinstance(value, Rational) else math.tex(value)  # 0.05
    return f"${math.name(name)} = {shown}$"


def _where(d: Derivation, name: str) -> str:
    from derive.language import parse_expression

    text = dict(d.graph.where)[name]
    return math.expression(text, parse_expression(text))
