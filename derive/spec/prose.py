"""The safe subset of Markdown that exercise prose is read as, and what falls outside it.

Exercise files are data that instructors share, so their prose (title, description,
statement, notes, instructions, questions, variant labels) is a documented safe subset:
paragraphs, emphasis, lists, block quotes, inline code and code blocks, links to http,
https and mailto URLs and to relative targets inside the site, and inline and display math
($...$, $$...$$). `problems` lists every construct outside it (MyST directives and roles
other than math, images, substitutions, links elsewhere, LaTeX commands that read or write
files, run code or make links and styles), with its offset in the text, for the exercise
file's FILE:LINE:COLUMN: messages. derive.render.prose writes the subset out again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

Problem = tuple[int, str]
"""A refused construct: its 0-based offset in the text, and what it is."""

SCHEMES = ("http://", "https://", "mailto:")
RELATIVE = re.compile(r"[A-Za-z0-9_.\-/#]*\Z")
_MAYBE = re.compile(r"[{\[<\\]|\^\^")
"""Every refused construct has one of these: directives, roles and substitutions a brace,
images and links a bracket or <, LaTeX commands (in math or out of it) a backslash, and
character codes ^^. Math with none of them ($x + y$) has nothing to refuse."""
_COMMAND = re.compile(r"\\([A-Za-z@]+|.)")
FORBIDDEN_COMMANDS = frozenset((
    "input", "include", "includeonly", "InputIfFileExists", "IfFileExists", "endinput",
    "write", "write18", "immediate", "openout", "openin", "closeout", "closein", "read",
    "readline", "newwrite", "newread", "special", "catcode", "lccode", "uccode",
    "sfcode", "mathcode", "delcode", "def", "edef", "gdef", "xdef", "let", "futurelet",
    "newcommand", "renewcommand", "providecommand", "DeclareRobustCommand",
    "DeclareMathOperator", "csname", "endcsname", "expandafter", "noexpand",
    "scantokens", "detokenize", "unexpanded", "jobname", "shipout", "output",
    "everypar", "everymath", "everydisplay", "everyhbox", "everyvbox", "everyjob",
    "everycr", "everyeof", "afterassignment", "aftergroup", "uppercase", "lowercase",
    "directlua", "latelua", "usepackage", "RequirePackage", "documentclass",
    "verbatiminput", "lstinputlisting", "includegraphics", "import", "subimport",
    "makeatletter", "makeatother", "chardef", "mathchardef", "countdef", "dimendef",
    "skipdef", "toksdef", "errmessage", "message", "typeout", "batchmode",
    "nonstopmode", "scrollmode", "errorstopmode", "pdfliteral", "pdfobj", "pdffiledump",
    "pdfximage", "loop", "href", "url", "class", "cssId", "style", "data", "require",
    "bbox", "mmlToken", "toggle", "mathtip", "texttip", "tooltip", "begingroup",
    "endgroup", "enclose",
))
"""Read or write files, run programs, redefine commands or catcodes (LaTeX), or make links,
styles and elements in the page (MathJax's \\href, \\class, \\style, \\bbox, \\require)."""
_ENVIRONMENTS = frozenset((
    "matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix",
    "cases", "aligned", "gathered", "split", "array", "subarray"
))


@cache
def parser() -> MarkdownIt:
    from mdit_py_plugins.colon_fence import colon_fence_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.myst_role import myst_role_plugin

    md = MarkdownIt("commonmark", {"html": False})
    # As myst-parser reads math, roles and ::: fences, so that what it would see is seen
    md.use(dollarmath_plugin, allow_labels=True, allow_space=True, allow_digits=True,
           double_inline=True).use(myst_role_plugin).use(colon_fence_plugin)  # fmt: skip
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # judged here, not dropped
    return md


def tree(text: str, inline: bool) -> SyntaxTreeNode:
    md = parser()
    return SyntaxTreeNode(md.parseInline(text) if inline else md.parse(text))


# -- what is refused -------------------------------------------------------------------


def problems(text: str, inline: bool = False) -> list[Problem]:
    """Every construct outside the safe subset, in text order (offsets are 0-based)."""
    if not _MAYBE.search(text):  # most prose: no parser needed (nor its import)
        return []
    found: list[Problem] = []
    cursor: dict[str, int] = {}
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(snippet: str, line: int | None) -> int:
        """Where `snippet` stands: after the last one found, from the block's line."""
        begin = max(cursor.get(snippet, -1) + 1, starts[line] if line is not None else 0)
        offset = text.find(snippet, begin)
        if offset < 0:
            offset = text.find(snippet)
        cursor[snippet] = offset
        return max(offset, 0)

    def visit(node: SyntaxTreeNode, line: int | None) -> None:
        if node.is_root:
            for child in node.children:
                visit(child, line)
            return
        if node.map is not None:
            line = node.map[0]
        kind = node.type
        if kind in ("fence", "colon_fence") and node.info.strip().startswith("{"):
            name = directive(node.info)
            if name != "math":
                found.append((at("{" + name + "}", line),
                              f"the directive {{{name}}} is not allowed in exercise prose"))
            else:
                _check_math(node.content, at, line, found)
        elif kind == "myst_role":
            name = str(node.meta.get("name", ""))
            if name == "math":
                _check_math(node.content, at, line, found)
            else:
                found.append((at("{" + name + "}", line),
                              f"the role {{{name}}} is not allowed in exercise prose"))
        elif kind == "image":
            found.append((at("![", line), "an image is not allowed in exercise prose (it "
                                          "would refer to a file or a URL)"))
        elif kind == "link":
            href = str(node.attrs.get("href", ""))
            if not allowed_link(href):
                written = parser().normalizeLinkText(href)
                found.append((at(written, line) if written in text else at("[", line),
                              f"a link to {_quote(written)} is not allowed in exercise prose "
                              "(links go to http, https or mailto URLs, or to pages of the "
                              "site)"))  # fmt: skip
        elif kind in ("math_inline", "math_inline_double", "math_block", "math_block_label"):
            _check_math(node.content, at, line, found)
        elif kind == "text":
            if "{{" in node.content:
                found.append((at("{{", line), "a substitution {{...}} is not allowed in "
                                              "exercise prose"))  # fmt: skip
            problem = text_problem(node.content)
            if problem is not None:
                offset, message = problem
                command = node.content[offset:].split("{", 1)[0].split()[0]
                found.append((at(command, line), message))
        for child in node.children:
            visit(child, line)

    visit(tree(text, inline), None)
    return sorted(found)


def directive(info: str) -> str:
    head = info.strip()[1:]
    return head[: head.find("}")] if "}" in head else head.split()[0] if head.split() else ""


def _quote(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def allowed_link(href: str) -> bool:
    lowered = href.lower()
    if lowered.startswith(SCHEMES):
        return True
    return bool(RELATIVE.match(href)) and not href.startswith("/") and ".." not in href.split(
        "/")  # fmt: skip


def math_problem(latex: str) -> tuple[int, str] | None:
    """The first LaTeX command in `latex` that is not allowed, with its offset."""
    if "^^" in latex:
        return latex.index("^^"), "'^^' (a character code) is not allowed in math"
    for match in _COMMAND.finditer(latex):
        name = match.group(1)
        if name in FORBIDDEN_COMMANDS:
            return match.start(), f"the command \\{name} is not allowed in math"
        if name in ("begin", "end"):
            environment = re.match(r"\s*\{([^}]*)\}", latex[match.end() :])
            if environment is None or environment.group(1).rstrip("*") not in _ENVIRONMENTS:
                return match.start(), f"\\{name} is allowed in math only with a matrix, " \
                                      "cases, aligned or array environment"  # fmt: skip
    return None


def text_problem(text: str) -> Problem | None:
    """A forbidden LaTeX command in text outside math, as in a title: a learning system's
    MathJax may typeset \\( \\) there (\\href would make a javascript: link)."""
    problem = math_problem(text)
    if problem is None or not problem[1].startswith("the command"):
        return None
    offset, message = problem
    return offset, message.replace(" in math", " in exercise prose, even outside math")


def _check_math(latex: str, at: Callable[[str, int | None], int], line: int | None,
                found: list[Problem]) -> None:
    problem = math_problem(latex)
    if problem is not None:
        offset, message = problem
        command = _COMMAND.match(latex, offset)
        snippet = command.group(0) if command else latex[offset : offset + 2]
        found.append((at(snippet, line), message))
