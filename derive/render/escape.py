"""Prose and authors' formulas for LaTeX documents, made harmless: text with every special
character escaped, and $...$ math in which only known commands and environments pass.

An exercise file may come from someone else; nothing in it may form a TeX command that
reads or writes files (\\input, \\write18, catcode changes ...).
"""

from __future__ import annotations

import re

_TEXT = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
         "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
         "$": r"\$", "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
         "\u03b5": r"$\varepsilon$", "\u2212": "$-$", "\u2264": r"$\le$", "\u2265": r"$\ge$",
         "\u00d7": r"$\times$", "\u2248": r"$\approx$", "\u00b7": r"$\cdot$",
         "\u221e": r"$\infty$", "\u2192": r"$\to$", "\u03c3": r"$\sigma$",
         "\u2014": "---", "\u2013": "--", "\u2032": "$'$", "\u00f7": r"$\div$",
         "\u221a": r"$\surd$", "\u00b2": r"\textsuperscript{2}",
         "\u00b3": r"\textsuperscript{3}"}  # fmt: skip
_SAFE_MATH = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho",
    "varrho", "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega", "partial", "nabla", "infty", "cdot", "cdots", "ldots", "dots",
    "times", "div", "pm", "mp", "le", "leq", "ge", "geq", "ne", "neq", "approx", "sim",
    "simeq", "equiv", "to", "rightarrow", "leftarrow", "mapsto", "in", "notin", "subset",
    "subseteq", "cup", "cap", "forall", "exists", "frac", "dfrac", "tfrac", "sqrt", "sum",
    "prod", "int", "lim", "max", "min", "sup", "inf", "log", "ln", "exp", "sin", "cos",
    "tan", "tanh", "sinh", "cosh", "arctan", "sec", "csc", "cot", "det", "left", "right",
    "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "lvert", "rvert",
    "lVert", "rVert", "langle", "rangle", "lfloor", "rfloor", "lceil", "rceil", "text",
    "textrm", "textit", "textbf", "mathrm", "mathit", "mathbf", "mathbb", "mathcal",
    "mathsf", "boldsymbol", "operatorname", "hat", "bar", "tilde", "vec", "dot", "ddot",
    "prime", "quad", "qquad", "displaystyle", "textstyle", "top", "intercal", "circ",
    "odot", "otimes", "oplus", "star", "ast", "ell", "hbar", "Re", "Im", "mid", "vert",
    "Vert", "backslash", "overline", "underline", "begin", "end",
}  # fmt: skip
_SAFE_ENVIRONMENTS = {"aligned", "cases", "matrix", "pmatrix", "bmatrix", "vmatrix", "array"}
_CONTROL = re.compile(r"\\([A-Za-z]+)|\\(.)|(\^\^)|([%#&])|\{|\}", re.DOTALL)


def text(prose: str) -> str:
    """Plain text for a LaTeX document: every special character escaped, so no command
    (\\input, \\write18, catcode changes ...) can be formed from it."""
    return "".join(_TEXT.get(c, c) for c in prose)


def author_math(formula: str) -> str:
    """An author's formula ($...$ in an exercise's prose) for a LaTeX document: known math
    commands and environments pass; any other control word (\\input, \\write, \\catcode,
    \\def ...) is shown as its name, not run; ^^ escapes, comment and parameter characters
    are neutralised; unbalanced braces are shown as braces."""
    out, depth, position = [], 0, 0
    for match in _CONTROL.finditer(formula):
        out.append(formula[position : match.start()])
        position = match.end()
        word, symbol, carets, special = match.groups()
        if word is not None:
            environment = re.match(r"\{([A-Za-z*]+)\}", formula[position:])
            safe = word in _SAFE_MATH and (word not in ("begin", "end") or (
                environment is not None and environment[1] in _SAFE_ENVIRONMENTS))  # fmt: skip
            out.append(f"\\{word}" if safe else f"\\backslash\\mathrm{{{word}}}")
        elif symbol is not None:
            out.append(f"\\{symbol}" if symbol in ",;:! {}|\\" else "\\backslash ")
        elif carets or special:
            out.append("\\hat{}\\hat{}" if carets else f"\\{special}")
        else:
            depth += 1 if match[0] == "{" else -1
            if depth < 0:
                return text(formula)
            out.append(match[0])
    out.append(formula[position:])
    return "".join(out) if depth == 0 else text(formula)


_SIZED = re.compile(r"\\(?:left|right)(?=[()\[\].|]|\\[lr]vert|\\\{|\\\})\.?")


def breakable(formula: str) -> str:
    """Inline math that TeX may break inside parentheses and after commas: \\left( ...
    \\right) make an unbreakable box (a long exact form then runs off the page), plain
    ( ... ) do not."""
    return _SIZED.sub("", formula).replace(", ", ",\\allowbreak ")
