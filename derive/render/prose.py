"""Exercise prose -> safe MyST, LaTeX or plain text.

The prose is parsed as derive.spec.prose reads it (markdown-it: CommonMark with raw HTML
off, math, roles and ::: fences recognised) and written out again from the tokens: every
character that MyST could read as markup is backslash-escaped, so raw HTML shows as text
and `{raw}` cannot become a role; what falls outside the safe subset (refused when the
file is checked) comes out as inert text or code. Titles and labels are plain text
(`plain`). Prose of a file marked `trusted: true` (built only with
`derive_trust_exercises = True` in conf.py) is passed through as written (`trusted=True`).
"""

from __future__ import annotations

import re
from typing import Literal

from markdown_it.tree import SyntaxTreeNode

from derive.spec.prose import allowed_link, directive, math_problem, tree

_MARKUP = frozenset("\\`*_[]!<>&${}|~^#")
"""Characters MyST can read as markup anywhere in a line."""
_LINE_START = frozenset("-+=>:%(~'\"")
"""More characters that mean something at the start of a line: lists, headings, quotes,
::: fences, % comments, (target)= labels."""

# -- safe MyST -------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text that MyST reads back as exactly this text: every character that can be markup
    in a line backslash-escaped (| as &#124;), control characters and line breaks as
    spaces. A line that starts with it also needs `_line`."""
    out = []
    for char in text:
        if char in _MARKUP:
            out.append("&#124;" if char == "|" else "\\" + char)  # a | would split a table cell
        elif char < " " or char == "\x7f":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def plain(text: str) -> str:
    """A title or a label: plain text on one line, nothing in it read as markup."""
    return _line(escape(" ".join(text.split())))


def _line(text: str) -> str:
    """`text` safe at the start of a line: no list marker (-, +, 1.), quote, heading
    underline, ::: fence, % comment or (target)= label."""
    if text[:1] in _LINE_START:
        return "\\" + text
    digits = re.match(r"[0-9]+(?=[.)])", text)
    return text[: digits.end()] + "\\" + text[digits.end() :] if digits else text


def block(text: str, trusted: bool = False) -> str:
    """Block prose (a statement, notes, a description) as safe MyST."""
    if trusted:
        return text.strip()
    return "\n\n".join(_blocks(tree(text, inline=False).children))


def inline(text: str, trusted: bool = False) -> str:
    """One-paragraph prose (a question, an instruction) as safe MyST on one line."""
    if trusted:
        return " ".join(text.split())
    return _line(_inline(tree(text, inline=True).children))


def _blocks(nodes: list[SyntaxTreeNode]) -> list[str]:
    return [b for b in (_block(n) for n in nodes) if b]


def _block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "paragraph":
        return _line(_inline(node.children[0].children)) if node.children else ""
    if kind == "heading":
        return f"**{_inline(node.children[0].children)}**" if node.children else ""
    if kind in ("bullet_list", "ordered_list"):
        start = int(node.attrs.get("start", 1) or 1)
        items = []
        for i, item in enumerate(node.children):
            mark = "- " if kind == "bullet_list" else f"{start + i}. "
            tight = all(c.hidden for c in item.children if c.type == "paragraph")
            body = ("\n" if tight else "\n\n").join(_blocks(item.children)) or escape("")
            items.append(mark + body.replace("\n", "\n" + " " * len(mark)))
        return "\n".join(items)
    if kind == "blockquote":
        return "\n".join(("> " + line).rstrip() for line in "\n\n".join(
            _blocks(node.children)).split("\n"))  # fmt: skip
    if kind in ("math_block", "math_block_label") or (
            kind in ("fence", "colon_fence") and directive(node.info) == "math"
            and node.info.strip().startswith("{")):  # fmt: skip
        return _display(node.content)
    if kind in ("fence", "code_block", "colon_fence"):
        return _code_block(node.content)
    return ""  # a thematic break: nothing to show


def _code_block(code: str) -> str:
    """An indented code block: no fence inside it can close a fence around the prose."""
    lines = code.rstrip("\n").split("\n")
    return "\n".join(("    " + line.replace("\t", "    ")).rstrip() for line in lines)


def _display(latex: str) -> str:
    one_line = _one_line(latex)
    return f"$$ {one_line} $$" if _usable(one_line) else _code_block(latex)


def _one_line(latex: str) -> str:
    """Math on one line: % comments dropped, so that joining lines keeps the meaning."""
    lines = [re.sub(r"(?<!\\)%.*", "", line) for line in latex.split("\n")]
    return " ".join(" ".join(lines).split())


def _usable(latex: str) -> bool:
    """Math that can stand between dollars: not empty, no unescaped $, no trailing lone
    backslash (it would escape the closing dollar), and no refused command."""
    trailing = len(latex) - len(latex.rstrip("\\"))
    return bool(latex.strip()) and re.search(r"(?<!\\)\$", latex) is None and (
        trailing % 2 == 0) and math_problem(latex) is None  # fmt: skip


def _inline(nodes: list[SyntaxTreeNode]) -> str:
    out = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            out.append(escape(node.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "code_inline" or (kind == "myst_role" and node.meta.get("name") != "math"):
            out.append(_code_span(node.content))
        elif kind in ("math_inline", "math_inline_double", "myst_role"):
            latex = _one_line(node.content)
            out.append(f"${latex}$" if _usable(latex) else _code_span(node.content))
        elif kind in ("em", "strong"):
            mark = "*" if kind == "em" else "**"
            out.append(mark + _inline(node.children) + mark)
        elif kind == "link":
            href = str(node.attrs.get("href", ""))
            label = _inline(node.children) or escape(href)
            out.append(f"[{label}]({_url(href)})" if allowed_link(href) else label)
        elif kind == "image":
            out.append(escape(str(node.attrs.get("alt", "") or _text(node))))
        else:
            out.append(_inline(node.children) if node.children else escape(node.content))
    return "".join(out)


def _text(node: SyntaxTreeNode) -> str:
    return "".join(c.content if c.type == "text" else _text(c) for c in node.children)


def _code_span(code: str) -> str:
    code = " ".join(code.split("\n"))
    if not code.strip(" `"):  # only backticks: as text, so no line is a fence
        return escape(code)
    fence = "`" * (max((len(run) for run in re.findall("`+", code)), default=0) + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def _url(href: str) -> str:
    """A link target that cannot end the link early."""
    return "".join(f"%{ord(c):02X}" if c in "()<> \\\"'`" or ord(c) < 33 else c for c in href)


# -- LaTeX -----------------------------------------------------------------------------

_LATEX = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
          "$": r"\$", "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}  # fmt: skip


def latex_text(text: str) -> str:
    """Plain text for LaTeX: special characters escaped, control characters as spaces."""
    return "".join(_LATEX.get(c, " " if c < " " or c == "\x7f" else c) for c in text)


def prose_to_latex(text: str, kind: Literal["block", "inline"] = "block") -> str:
    """Exercise prose as LaTeX: text escaped, math kept only when it passes `math_problem`
    (no \\input, \\write18, \\openout, catcode tricks...)."""
    parsed = tree(text, inline=kind == "inline")
    if kind == "inline":
        return _latex_inline(parsed.children)
    return "\n\n".join(b for b in (_latex_block(n) for n in parsed.children) if b)


def _latex_block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "paragraph":
        return _latex_inline(node.children[0].children) if node.children else ""
    if kind == "heading":
        return rf"\paragraph{{{_latex_inline(node.children[0].children)}}}" if (
            node.children) else ""  # fmt: skip
    if kind in ("bullet_list", "ordered_list"):
        environment = "itemize" if kind == "bullet_list" else "enumerate"
        items = "\n".join(r"  \item " + "\n\n".join(b for b in map(_latex_block, item.children)
                                                    if b) for item in node.children)  # fmt: skip
        return f"\\begin{{{environment}}}\n{items}\n\\end{{{environment}}}"
    if kind == "blockquote":
        body = "\n\n".join(b for b in map(_latex_block, node.children) if b)
        return f"\\begin{{quote}}\n{body}\n\\end{{quote}}"
    if kind in ("math_block", "math_block_label"):
        latex = _one_line(node.content)
        return rf"\[ {latex} \]" if _usable(latex) else _latex_code(node.content)
    if kind in ("fence", "code_block", "colon_fence"):
        return _latex_code(node.content)
    return ""


def _latex_code(code: str) -> str:
    lines = [latex_text(line).replace(" ", "~") or r"\mbox{}" for line in
             code.rstrip("\n").split("\n")]  # fmt: skip
    return "{\\ttfamily\\noindent " + "\\\\\n".join(lines) + "\\par}"


def _latex_inline(nodes: list[SyntaxTreeNode]) -> str:
    out = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            out.append(latex_text(node.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind in ("math_inline", "math_inline_double") or (
                kind == "myst_role" and node.meta.get("name") == "math"):  # fmt: skip
            latex = _one_line(node.content)
            out.append(f"${latex}$" if _usable(latex) else rf"\texttt{{{latex_text(node.content)}}}")
        elif kind in ("code_inline", "myst_role"):
            out.append(rf"\texttt{{{latex_text(node.content)}}}")
        elif kind in ("em", "strong"):
            command = "emph" if kind == "em" else "textbf"
            out.append(rf"\{command}{{{_latex_inline(node.children)}}}")
        elif kind == "link":
            href = str(node.attrs.get("href", ""))
            label = _latex_inline(node.children)
            out.append(f"{label} (\\texttt{{{latex_text(href)}}})" if allowed_link(href) and (
                href != _text(node)) else label)  # fmt: skip
        elif kind == "image":
            out.append(latex_text(str(node.attrs.get("alt", "") or _text(node))))
        else:
            out.append(_latex_inline(node.children) if node.children else latex_text(
                node.content))  # fmt: skip
    return "".join(out)


def plot_title(title: str) -> str:
    """A title for matplotlib, which reads $...$ as math: dollars escaped, one line."""
    return " ".join(title.split()).replace("$", r"\$")

