"""Solution -> a standalone LaTeX document (article class) with the worked solution.

The exercise's Markdown (statement, notes) is converted for the small subset exercise
files use: paragraphs, bullet lists, **bold**, `code` and $math$.
"""

from __future__ import annotations

import re

from derive.render import math, sentences, tables
from derive.render.code import program
from derive.solution import Solution

_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
            "$": r"\$", "\u03b5": r"$\varepsilon$", "\u2212": "$-$", "\u2264": r"$\le$",
            "\u2265": r"$\ge$", "\u00d7": r"$\times$", "\u2248": r"$\approx$",
            "\u00b7": r"$\cdot$", "\u221e": r"$\infty$", "\u2192": r"$\to$"}  # fmt: skip
_INLINE = re.compile(r"(\$[^$]+\$)|\*\*(.+?)\*\*|`([^`]+)`")


def document(s: Solution, solutions: bool = True) -> str:
    ex, d = s.exercise, s.derivation
    digits = ex.digits
    out = [r"\documentclass[11pt]{article}", r"\usepackage[utf8]{inputenc}",
           r"\usepackage{amsmath,amssymb,booktabs,longtable,listings}",
           r"\usepackage[margin=2.2cm]{geometry}",
           r"\lstset{basicstyle=\ttfamily\small, breaklines=true, columns=fullflexible}",
           r"\providecommand{\operatorname}[1]{\mathrm{#1}}",
           rf"\title{{{escape(ex.title)}}}", r"\date{}", r"\begin{document}", r"\maketitle",
           rf"\[ {math.written(d.graph.function)} \]",
           "at " + ", ".join(_point(name, value) for name, value in ex.at.items()) + "."]  # fmt: skip
    if ex.statement:
        out.append(markdown(ex.statement))
    if ex.instructions:
        out += [r"\paragraph{Instructions}", _items(markdown(i) for i in ex.instructions)]
    if ex.questions:
        out += [r"\paragraph{Questions}", _items(escape(q.text) for q in ex.questions)]
    if solutions:
        out += _solution(s, digits)
    out.append(r"\end{document}")
    return "\n\n".join(out) + "\n"


def _solution(s: Solution, digits: int) -> list[str]:
    d = s.derivation
    graph, values = d.graph, d.forward.values
    out = [r"\section*{Forward pass}", _table("rlll", ["node", "operation", "values", "decimal"], [
        [f"${math.name(n.id)}$",
         f"${math.name(n.id)} = {math.operation(n.op, [graph.argument(i) for i in n.inputs])}$",
         f"${math.operation(n.op, [tables.readable(values[i], digits) for i in n.inputs])}$",
         f"${math.decimal(values[n.id].approx, digits)}$"] for n in graph.operations])]  # fmt: skip
    out += [r"\section*{Backward pass}", _table("lllll", [
        "node", "into", "rule", "local derivative", "downstream"], [
        [f"${math.name(st.node)}$", f"${math.name(st.input)}$", escape(st.rule),
         f"${math.partial(st.node, st.input)} = {math.tex(st.local)}$",
         f"${math.decimal(st.downstream.approx, digits)}$"] for st in d.backward.steps])]  # fmt: skip
    out += [r"\section*{Gradient}", _table("lll", ["gradient", "closed form", "value"], [
        [f"${math.partial(graph.output, g.input)}$", f"${math.tex(g.closed_form)}$" if
         tables.short_enough(g.closed_form, tables.SHORT_FORM) else "(long: see above)",
         f"${math.value(g.value, digits)}$"] for g in d.gradients])]  # fmt: skip
    out.append(escape(f"Check: the backward pass, SymPy's diff and finite differences "
                      f"{d.check.verdict} (largest relative difference "
                      f"{d.check.largest_error:.1e})."))  # fmt: skip
    if s.descent is not None:
        sign = "+" if s.descent.ascent else "-"
        rate = math.short(s.descent.learning_rate)
        out += [r"\section*{Gradient descent}", _table("rll", ["step", "parameter", "update"], [
            [str(step.number), f"${math.name(u.parameter)}$",
             f"${math.short(u.current, digits)} {sign} {rate} \\cdot "
             f"\\left({math.short(u.gradient, digits)}\\right) = {math.short(u.new, digits)}$"]
            for step in s.descent.steps for u in step.updates])]  # fmt: skip
    if s.exercise.questions:
        out.append(r"\section*{Answers}")
        for q in s.exercise.questions:
            out += [rf"\paragraph{{{escape(q.text)}}}",
                    _items(_sentence(x, digits) for x in sentences.answer(s, q))]  # fmt: skip
    out += [r"\section*{Code}", "\\begin{lstlisting}[language=Python]\n" + program(d)
            + "\\end{lstlisting}"]
    return out


def escape(text: str) -> str:
    """Plain text with LaTeX's special characters escaped."""
    return "".join(_SPECIAL.get(c, c) for c in text)


def markdown(text: str) -> str:
    """The Markdown subset of exercise files in LaTeX."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            blocks.append(_items(_inline(line.lstrip()[2:]) for line in lines))
        else:
            blocks.append(_inline(" ".join(line.strip() for line in lines)))
    return "\n\n".join(blocks)


def _inline(text: str) -> str:
    out, position = [], 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[position : match.start()]))
        formula, bold, code = match.groups()
        out.append(formula if formula else rf"\textbf{{{_inline(bold)}}}" if bold else
                   rf"\texttt{{{escape(code)}}}")  # fmt: skip
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def _sentence(sentence: sentences.Sentence, digits: int) -> str:
    """A sentence's Markdown (math between dollars) with the plain text escaped."""
    return _inline(sentences.markdown(sentence, digits))


def _items(items: object) -> str:
    body = "\n".join(rf"  \item {item}" for item in items)  # type: ignore[attr-defined]
    return f"\\begin{{itemize}}\n{body}\n\\end{{itemize}}"


def _table(spec: str, header: list[str], rows: list[list[str]]) -> str:
    lines = [r"{\small\setlength{\tabcolsep}{4pt}", rf"\begin{{longtable}}{{{spec}}}",
             r"\toprule", " & ".join(header) + r" \\", r"\midrule"]  # fmt: skip
    lines += [" & ".join(row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{longtable}}"]
    return "\n".join(lines)


def _point(name: str, value: object) -> str:
    if isinstance(value, tuple):
        return f"${math.name(name)} = \\left(" + ", ".join(math.tex(v) for v in value) + "\\right)$"
    return f"${math.name(name)} = {math.tex(value)}$"
