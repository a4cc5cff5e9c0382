"""Solution -> LaTeX: a standalone document for one exercise (the page's download) and
the workbook of every exercise (`derive pdf`).

The LaTeX is made from the same MyST Markdown as the page (its statement and solution
body, passed in by the caller), block by block: headings, paragraphs, lists, pipe tables
(booktabs, columns that wrap when the table would be wider than the text), display math,
code, the circuit and the descent plot (figures given as PDF files). So the PDF shows
exactly what the page shows. All text is escaped and authors' math made harmless through
render.math (`text`, `author_math`); no other module writes LaTeX for prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from derive.render import escape, math

_PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\ifdefined\pdftrailerid\pdftrailerid{}\fi  % no identifier that changes between builds
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage{amsmath,amssymb}
\usepackage{array,booktabs,longtable}
\usepackage{graphicx,adjustbox}
\usepackage[margin=2.2cm]{geometry}
\usepackage{microtype}
\usepackage{xcolor}
\usepackage{listings}
\usepackage{upquote}
\usepackage{tikz}
\usepackage[hidelinks]{hyperref}
\lstset{basicstyle=\ttfamily\footnotesize, breaklines=true, columns=fullflexible,
  keepspaces=true, upquote=true, showstringspaces=false, commentstyle=\color{black!60}, frame=none}
\providecommand{\operatorname}[1]{\mathrm{#1}}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5\baselineskip}
\renewcommand{\arraystretch}{1.5}  % room between rows of fractions
\setlength{\LTleft}{0pt}  % tables start at the text's left edge, as on the page
\setlength{\LTright}{\fill}
\setlength{\emergencystretch}{3em}
\newsavebox{\derivebox}
% a figure at its natural size, shrunk to the text width and 45% of the page height
\newcommand{\derivefigure}[1]{\sbox{\derivebox}{\includegraphics{#1}}%
  \ifdim\wd\derivebox>\linewidth\sbox{\derivebox}{\resizebox{\linewidth}{!}{\usebox{\derivebox}}}\fi
  \ifdim\ht\derivebox>0.45\textheight\sbox{\derivebox}{\resizebox{!}{0.45\textheight}{\usebox{\derivebox}}}\fi
  \begin{center}\usebox{\derivebox}\end{center}}
"""
LINE = 88
"""Characters of table text that fit the text width (small type, a4, 2.2 cm margins)."""
RIGID_SHARE = 0.4
"""At most this share of a table's room goes to one column's widest fraction; a wider
fraction is scaled down to fit (exact forms that long are rare: they are cut short)."""
NARROW = 14
"""Columns whose widest cell is at most this many characters keep their natural width."""


@dataclass(frozen=True, slots=True)
class Figures:
    """PDF files for one exercise's figures (None: not available, say so); without a plot
    file, the objective's values draw the plot in TikZ (a standalone .tex has no files)."""

    circuit: str | None = None
    plot: str | None = None
    circuit_tikz: str | None = None
    """The circuit drawn in TikZ (render.tikz), used when there is no circuit file."""
    objective: tuple[str, tuple[float, ...]] | None = None
    """The objective's name and its values before the first step and after each step."""


def document(title: str, statement: str, body: str | None,
             figures: Figures = Figures()) -> str:
    """One exercise as a standalone document: the statement and, unless None, the solution
    body (both the page's MyST). A single .tex has no files: the circuit and the descent
    plot are drawn in TikZ from `figures`."""
    out = [_PREAMBLE, f"\\title{{{escape.text(title)}}}", r"\date{}", r"\begin{document}",
           r"\maketitle", *convert(statement, figures, level=1)]  # fmt: skip
    if body is not None:
        out += convert(body, figures, level=1)
    out.append(r"\end{document}")
    return "\n\n".join(out) + "\n"


def workbook(title: str, exercises: Sequence[tuple[str, str, str | None, Figures]]) -> str:
    """Every exercise (id, statement with its `# title`, solution body or None, figures),
    one numbered section each, after a table of contents."""
    out = [_PREAMBLE, f"\\title{{{escape.text(title)}}}", r"\date{}", r"\begin{document}",
           r"\maketitle", r"\tableofcontents"]  # fmt: skip
    for exercise_id, statement, body, figures in exercises:
        out += [r"\clearpage", *convert(statement, figures, level=1, numbered=True)]
        if body is not None:
            out += convert(body, figures, level=1)
        out.append(f"% end of {escape.text(exercise_id)}")
    out.append(r"\end{document}")
    return "\n\n".join(out) + "\n"


# -- MyST blocks -> LaTeX ---------------------------------------------------------------

_HEADINGS = ["section", "subsection", "subsubsection", "paragraph", "subparagraph"]
_FENCE = re.compile(r"^(`{3,}|:{3,})\s*(\{[\w-]+\})?\s*(.*)$")
_LIST = re.compile(r"^(\s*)(?:[-*]|\d+\.)\s+(.*)$")


def convert(markdown: str, figures: Figures, level: int, numbered: bool = False) -> list[str]:
    """The page's MyST (the subset derive writes) as LaTeX blocks. `# Title` becomes a
    heading of `level` (1: \\section), numbered if asked; deeper headings are unnumbered."""
    out: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or re.fullmatch(r"\(([\w-]+)\)=", stripped):
            i += 1
        elif fence := _FENCE.match(stripped):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence[1]),
                       len(lines))  # fmt: skip
            out += _directive(fence[2] or "", fence[3], lines[i + 1 : end], figures, level)
            i = end + 1
        elif stripped.startswith("#"):
            depth = len(stripped) - len(stripped.lstrip("#"))
            title = stripped[depth:].strip()
            out.append(_heading(level + depth - 1, title, numbered and depth == 1))
            i += 1
        elif stripped == "$$":
            end = lines.index("$$", i + 1) if "$$" in lines[i + 1 :] else len(lines)
            formula = " ".join(lines[i + 1 : end])
            out.append(f"\\[ {escape.author_math(formula)} \\]")
            i = end + 1
        elif stripped.startswith("|"):
            end = i
            while end < len(lines) and lines[end].strip().startswith("|"):
                end += 1
            out.append(_table([lines[j].strip() for j in range(i, end)]))
            i = end
        elif _LIST.match(line):
            end = i
            while end < len(lines) and (_LIST.match(lines[end]) or (
                    lines[end].startswith("  ") and lines[end].strip())):  # fmt: skip
                end += 1
            out.append(_list(lines[i:end]))
            i = end
        else:
            end = i
            while end < len(lines) and lines[end].strip() and not _starts_block(lines[end]):
                end += 1
            paragraph = inline(" ".join(lines[j].strip() for j in range(i, max(end, i + 1))))
            if paragraph:
                out.append(paragraph)
            i = max(end, i + 1)
    return out


def _starts_block(line: str) -> bool:
    s = line.strip()
    return bool(s.startswith(("#", "|", "$$")) or _FENCE.match(s) or _LIST.match(line))


def _heading(level: int, title: str, numbered: bool) -> str:
    if title in ("Downloads",):
        return ""
    command = _HEADINGS[min(level - 1, len(_HEADINGS) - 1)]
    return f"\\{command}{'' if numbered else '*'}{{{inline(title)}}}"


def _directive(name: str, argument: str, body: list[str], figures: Figures,
               level: int) -> list[str]:  # fmt: skip
    if name == "" and argument in ("python", "py"):
        code = "\n".join(body)
        return ["\\begin{lstlisting}[language=Python]\n" + code + "\n\\end{lstlisting}"]
    if name == "{raw}" and not any("<svg" in line for line in body):
        return []  # raw HTML other than the circuit (page controls): nothing to print
    if name in ("{graphviz}", "{raw}", "{circuit}", "{derive-circuit}"):
        if figures.circuit is None and figures.circuit_tikz is not None:
            return [figures.circuit_tikz]
        if figures.circuit is None:
            return [escape.text("The circuit diagram is on the exercise's page and in the "
                              "PDF workbook (derive pdf).")]  # fmt: skip
        return [f"\\derivefigure{{{figures.circuit}}}"]
    if name == "{figure}":
        caption = next((inline(b) for b in reversed(body) if b.strip() and
                        not b.startswith(":")), "")  # fmt: skip
        if figures.plot is not None:
            drawn = f"\\derivefigure{{{figures.plot}}}"
        elif figures.objective is not None:
            drawn = tikz_plot(*figures.objective)
        else:
            return []
        return [drawn, f"\\begin{{center}}\\small {caption}\\end{{center}}"]
    if name == "{rubric}":
        return [_heading(level + 1, argument, False)]
    content = [b for b in body if not b.startswith(":")]
    inner = convert("\n".join(content), figures, level)
    if name in ("{note}", "{warning}", "{important}"):
        return [f"\\textbf{{{escape.text(name.strip('{}').capitalize())}.}} " + " ".join(inner)]
    return inner  # {solution} and the like: their content, unfolded


def _list(lines: list[str]) -> str:
    numbered = bool(re.match(r"\s*\d+\.", lines[0]))
    items: list[str] = []
    for line in lines:
        match = _LIST.match(line)
        if match and not match[1]:
            items.append(match[2])
        elif items:
            items[-1] += " " + line.strip()
    environment = "enumerate" if numbered else "itemize"
    body = "\n".join(f"  \\item {inline(item)}" for item in items)
    return f"\\begin{{{environment}}}\n{body}\n\\end{{{environment}}}"


def tikz_plot(name: str, values: tuple[float, ...]) -> str:
    """The objective over the steps as a TikZ line chart (10 cm by 4.5 cm)."""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    last = max(len(values) - 1, 1)

    def at(i: int, v: float) -> str:
        return f"({10 * i / last:.3f},{4.5 * (v - low) / span:.3f})"

    points = " -- ".join(at(i, v) for i, v in enumerate(values))
    lines = [r"\begin{center}\begin{tikzpicture}[font=\small]",
             r"\draw[->] (0,0) -- (10.4,0) node[below right] {step};",
             rf"\draw[->] (0,0) -- (0,4.9) node[above] {{${math.name(name)}$}};",
             rf"\draw[thick, color=blue!60!black] {points};"]  # fmt: skip
    lines += [rf"\fill[color=blue!60!black] {at(i, v)} circle (1.6pt);"
              for i, v in enumerate(values)]  # fmt: skip
    for i in range(len(values)):
        x = 10 * i / last
        lines.append(rf"\draw ({x:.3f},0) -- ({x:.3f},-0.1) node[below] {{{i}}};")
    for v in sorted({low, high}):
        y = 4.5 * (v - low) / span
        lines.append(rf"\draw (0,{y:.3f}) -- (-0.1,{y:.3f}) node[left] "
                     rf"{{${math.decimal(v, 4)}$}};")  # fmt: skip
    lines.append(r"\end{tikzpicture}\end{center}")
    return "\n".join(lines)


# -- pipe tables ------------------------------------------------------------------------


def _cells(row: str) -> list[str]:
    """A pipe table row's cells (escaped pipes \\| stay inside their cell)."""
    cells, current, escaped = [], "", False
    for char in row.strip()[1:]:
        if escaped:
            current += "|" if char == "|" else "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += char
    return cells


def _table(rows: list[str]) -> str:
    header, marks, *body = (_cells(r) for r in rows)
    align = ["r" if m.endswith(":") and not m.startswith(":") else
             "c" if m.startswith(":") and m.endswith(":") else "l" for m in marks]  # fmt: skip
    table = [header, *body]
    widths = [max(math.width(row[c]) if c < len(row) else 0 for row in table)
              for c in range(len(header))]  # fmt: skip
    rigid = [max(math.rigid_width(row[c]) if c < len(row) else 0 for row in table)
             for c in range(len(header))]  # fmt: skip
    typical = [_typical([math.width(row[c]) for row in body if c < len(row)] or [widths[c]])
               for c in range(len(header))]  # fmt: skip
    spec, room = _columns(align, widths, rigid, typical)

    def cell(c: int, text: str) -> str:
        if rigid[c] and c in room and math.rigid_width(text) + 2 > room[c]:  # a fraction too wide
            return f"\\adjustbox{{max width=\\linewidth}}{{{inline(text)}}}"  # to wrap
        return inline(text)

    lines = [r"{\small\setlength{\tabcolsep}{4pt}", f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}",
             r"\toprule", " & ".join(inline(h) for h in header) + r" \\", r"\midrule",
             r"\endhead"]  # fmt: skip
    lines += [" & ".join(cell(c, text) for c, text in enumerate(row)) + r" \\" for row in body]
    lines += [r"\bottomrule", r"\end{longtable}}"]
    return "\n".join(lines)


def _typical(widths: list[int]) -> float:
    """A column's typical need: the mean of its three widest cells (one long exact form
    should not take the room of a column that is wide in every row)."""
    top = sorted(widths)[-3:]
    return sum(top) / len(top)


def _columns(align: list[str], widths: list[int], rigid: list[int],
             typical: list[float]) -> tuple[str, dict[int, float]]:  # fmt: skip
    """Natural columns when the table fits; else the wide columns share the room left by
    the narrow ones as wrapping paragraph columns: each gets its widest fraction (all
    scaled down when they cannot all fit), and the rest in proportion to what it still
    needs. Returns the column spec and the characters each paragraph column holds."""
    if sum(widths) + 2 * len(widths) <= LINE:
        return "".join(align), {}
    wide = [i for i, w in enumerate(widths) if w > NARROW]
    room = LINE - sum(w + 2 for i, w in enumerate(widths) if i not in wide) - 2 * len(wide)
    floor = {i: float(min(max(rigid[i] + 2, 10), RIGID_SHARE * room)) for i in wide}
    if sum(floor.values()) > room:
        floor = {i: f * room / sum(floor.values()) for i, f in floor.items()}
    spare = max(room - sum(floor.values()), 0)
    need = sum(typical[i] - floor[i] for i in wide if typical[i] > floor[i]) or 1
    spec, chars = [], {}
    for i, a in enumerate(align):
        if i in wide:
            chars[i] = floor[i] + spare * max(typical[i] - floor[i], 0) / need
            ragged = "\\raggedleft" if a == "r" else "\\raggedright"
            spec.append(f">{{{ragged}\\arraybackslash}}p{{{chars[i] / LINE:.3f}\\linewidth}}")
        else:
            spec.append(a)
    return "".join(spec), chars


# -- inline Markdown --------------------------------------------------------------------

_INLINE = re.compile(r"\$([^$]+)\$|\*\*(.+?)\*\*|(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])|`([^`]+)`"
                     r"|\{download\}`([^`<]*)<[^`>]*>`|\[([^\]]+)\]\([^)]*\)")


def inline(text: str) -> str:
    """A line of the page's Markdown (math between dollars, **bold**, *emphasis*, `code`,
    links shown as their text) in LaTeX, everything else escaped."""
    out, position = [], 0
    for match in _INLINE.finditer(text):
        out.append(escape.text(text[position : match.start()]))
        formula, bold, emphasis, code, download, link = match.groups()
        if formula is not None:
            out.append(f"${escape.breakable(escape.author_math(formula))}$")
        elif bold is not None:
            out.append(f"\\textbf{{{inline(bold)}}}")
        elif emphasis is not None:
            out.append(f"\\emph{{{inline(emphasis)}}}")
        elif code is not None:
            out.append(f"\\texttt{{{escape.text(code)}}}")
        else:
            out.append(inline(download if download is not None else link).strip())
        position = match.end()
    out.append(escape.text(text[position:]))
    return "".join(out).replace(" \u00b7 ", ", ")

