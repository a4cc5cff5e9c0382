"""Markdown with $math$ -> HTML with MathJax's \\( \\) and \\[ \\] delimiters, for LMS
questions (Moodle's MathJax filter and PrairieLearn both render those).

Formatting only. Raw HTML in the Markdown is not passed through (markdown-it's html
option is off: it comes out escaped), so an exercise file cannot inject markup into a
question. The math is set aside before the Markdown is parsed, so that `_` and `*` inside
it are not read as emphasis, and put back, HTML-escaped, afterwards.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.DOTALL)
_PARSER = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> str:
    """HTML of `text` (Markdown with $inline$ and $$display$$ math)."""
    pieces: list[str] = []

    def hold(match: re.Match[str]) -> str:
        display, inline = match.group(1), match.group(2)
        latex = display if display is not None else inline
        opening, closing = (r"\[", r"\]") if display is not None else (r"\(", r"\)")
        pieces.append(f"{opening}{html.escape(latex.strip(), quote=False)}{closing}")
        return f"DERIVEMATH{len(pieces) - 1}X"

    rendered = _PARSER.render(_MATH.sub(hold, text))
    return re.sub(r"DERIVEMATH(\d+)X", lambda m: pieces[int(m.group(1))], rendered)


def math_html(latex: str, display: bool = False) -> str:
    """One formula (LaTeX from render.math) with MathJax delimiters, HTML-escaped."""
    body = html.escape(latex, quote=False)
    return rf"\[{body}\]" if display else rf"\({body}\)"
