"""Expression text -> expression tree, through a whitelist of Python's `ast` nodes.

The text is parsed, never evaluated: `ast.parse` builds a syntax tree, and every node of it
must be one of the few kinds the language allows, or the whole text is refused with a
ParseError naming the column. Names resolve only through the tables in `derive.ops`.
`^` is power (as in mathematics, not Python's xor). Sizes are bounded before any work.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy

from derive.errors import ParseError
from derive.ops import CONSTANTS, FUNCTIONS, MAX_EXACT_BITS

MAX_LENGTH = 100_000
"""Longest expression accepted, in characters."""
MAX_DEPTH = 100
"""Deepest nesting accepted; long sums and products written flat do not count as nesting."""
MAX_EXPONENT = 1000
"""Largest power of ten a number literal may carry (1e1000)."""

BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_FLAT = {"add": "sum", "sub": "sum", "mul": "product", "div": "product"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_SIGNATURE = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:\(([^()]*)\))?\s*=(?!=)")
_ALIASES = {
    "ln": "log", "sigma": "sigmoid", "logistic": "sigmoid", "sen": "sin", "exponential": "exp",
    "max": "relu (relu(x) is max(0, x))", "absolute": "abs", "fabs": "abs",
    "tg": "tan", "th": "tanh",
}  # fmt: skip
_LOOKALIKES = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u00f7": "/",
               "\u03c0": "pi", "\u221a": "sqrt"}  # fmt: skip
_NOT_ALLOWED = {
    ast.Attribute: ("attribute access is not allowed", "write sin(x), not math.sin(x)"),
    ast.Subscript: ("subscripts are not allowed", "vector components are named w0, w1, ...; "
                    "or use dot(w, x)"),
    ast.Lambda: ("lambda is not allowed", None),
    ast.IfExp: ("conditional expressions are not allowed", "use relu or abs for kinks"),
    ast.Compare: ("comparisons are not allowed", "a signature is written f(x, y) = ..."),
    ast.BoolOp: ("and/or are not allowed", None),
    ast.ListComp: ("comprehensions are not allowed", None),
    ast.SetComp: ("comprehensions are not allowed", None),
    ast.DictComp: ("comprehensions are not allowed", None),
    ast.GeneratorExp: ("comprehensions are not allowed", None),
    ast.JoinedStr: ("f-strings are not allowed", None),
    ast.NamedExpr: ("assignments are not allowed", "name intermediate values with where"),
    ast.Tuple: ("tuples are not allowed", "vectors are written [a, b] inside dot()"),
    ast.Dict: ("dictionaries are not allowed", None),
    ast.Set: ("sets are not allowed", None),
    ast.Starred: ("starred arguments are not allowed", None),
    ast.Await: ("await is not allowed", None),
}  # fmt: skip
_OPERATOR_HINTS = {
    ast.FloorDiv: "use / for division",
    ast.Mod: "the language has no remainder",
    ast.MatMult: "use dot(u, v) for a dot product",
}


@dataclass(frozen=True, slots=True)
class Tree:
    """One node of a parsed expression, with its place in the original text."""

    op: str
    """"number", "constant", "name", "vector", an operator ("add", "sub", "mul", "div",
    "pow", "neg") or a function of the language ("sin", "dot", ...)."""
    args: tuple[Tree, ...]
    """Operands in written order."""
    start: int
    """0-based offset of the first character in the text."""
    end: int
    """0-based offset just past the last character."""
    name: str = ""
    """The identifier of a "name" or "constant" node."""
    value: sympy.Rational | None = None
    """The exact value of a "number" node (1.5 is 3/2, 1e-3 is 1/1000)."""


@dataclass(frozen=True, slots=True)
class Function:
    """A parsed function: `f(x, y) = body`, or a bare body named f."""

    text: str
    """The text as written."""
    name: str
    """The function's name, "f" unless a signature names it."""
    params: tuple[str, ...] | None
    """The inputs the signature declares, in order; None without a signature."""
    body: Tree
    """The expression."""

    def source(self, tree: Tree) -> str:
        """The text the author wrote for `tree`."""
        return self.text[tree.start : tree.end]


def parse_function(text: str) -> Function:
    """Parse `f(x, y) = expr` or `expr` into a Function; raises ParseError."""
    _check_text(text)
    match = _SIGNATURE.match(text)
    if match is None:
        return Function(text, "f", None, parse_expression(text))
    name, params_text = match.group(1), match.group(2)
    name_column = match.start(1) + 1
    if name in FUNCTIONS or name in CONSTANTS:
        raise ParseError(text, name_column, f"{name!r} is built into the language",
                         "name the function f or another free name")
    _check_name(text, name, name_column)
    params = None
    if params_text is not None:
        params = _parse_params(text, params_text, match.start(2))
    return Function(text, name, params, parse_expression(text, match.end()))


def parse_expression(text: str, start: int = 0) -> Tree:
    """Parse `text[start:]` as one expression; columns in errors count from text[0]."""
    _check_text(text)
    start += len(text[start:]) - len(text[start:].lstrip())  # Python refuses an indent
    body = text[start:]
    if not body:
        raise ParseError(text, len(text) + 1, "empty expression")
    python, origin = _to_python(body, start)
    try:
        module = ast.parse(python, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(text, python, origin, exc) from None
    except (RecursionError, MemoryError):
        raise ParseError(text, start + 1, "expression too deeply nested for Python's parser",
                         "a flat sum or product of more than about 900 terms counts as deep; "
                         "name parts of it with where") from None
    tree = _convert(text, module.body, origin)
    if tree.op == "vector":
        raise ParseError(text, tree.start + 1, "a vector can only be an argument of dot()")
    return tree


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise ParseError(repr(text), 1, f"expected expression text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(text, MAX_LENGTH + 1,
                         f"expression longer than {MAX_LENGTH} characters ({len(text)})")
    for index, char in enumerate(text):
        if not (char.isascii() and (char.isprintable() or char in "\t\n\r")):
            hint = _LOOKALIKES.get(char)
            raise ParseError(text, index + 1, f"character {char!r} is not allowed",
                             f"write {hint!r}" if hint else "use ASCII letters, digits, operators")


def _check_name(text: str, name: str, column: int) -> None:
    if not _NAME.match(name):
        raise ParseError(text, column, f"name {name!r} is not allowed",
                         "names start with a letter and use letters, digits and _")


def _parse_params(text: str, params_text: str, offset: int) -> tuple[str, ...]:
    if not params_text.strip():
        raise ParseError(text, offset + 1, "the signature declares no inputs")
    params: list[str] = []
    position = offset
    for piece in params_text.split(","):
        name = piece.strip()
        column = position + (len(piece) - len(piece.lstrip())) + 1
        if not name:
            raise ParseError(text, column, "empty input name in the signature")
        _check_name(text, name, column)
        if name in FUNCTIONS or name in CONSTANTS:
            raise ParseError(text, column, f"{name!r} is built into the language",
                             "choose another input name")
        if name in params:
            raise ParseError(text, column, f"input {name!r} is declared twice")
        params.append(name)
        position += len(piece) + 1
    return tuple(params)


def _to_python(body: str, start: int) -> tuple[str, list[int]]:
    """Python source for `body` (^ becomes **, line breaks become spaces) and, for each of
    its characters, the offset in the original text."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(body, start):
        replacement = "**" if char == "^" else " " if char in "\t\n\r" else char
        chars.append(replacement)
        origin.extend([index] * len(replacement))
    origin.append(start + len(body))
    return "".join(chars), origin


def _syntax_error(text: str, python: str, origin: list[int], exc: SyntaxError) -> ParseError:
    # Python gives offset 0 (or a later line) when the text ends too early.
    offset = exc.offset - 1 if exc.offset and exc.lineno == 1 else len(python)
    column = origin[min(offset, len(origin) - 1)] + 1
    message = (exc.msg or "invalid syntax").split(". Perhaps")[0]
    hint = None
    if "decimal literal" in message:
        message, hint = "a number runs into a name", "write 2*x for a product"
    elif "never closed" in message or "unmatched" in message:
        hint = "check the parentheses"
    elif message.startswith("invalid syntax"):
        message = "invalid syntax"
        if offset < len(python) and python[offset] in "=;":
            hint = "an expression is a single formula; name parts with where"
        elif python.strip().endswith(("+", "-", "*", "/")):
            message, hint = "the expression ends with an operator", None
        else:
            hint = "is an operator such as * missing?"
    elif "Exceeds the limit" in message:
        message = "number literal too long"
    return ParseError(text, column, message, hint)


def _span(node: ast.AST, origin: list[int]) -> tuple[int, int]:
    start = origin[node.col_offset]  # type: ignore[attr-defined]
    end = origin[(node.end_col_offset or node.col_offset + 1) - 1] + 1  # type: ignore[attr-defined]
    return start, end


def _children(text: str, node: ast.AST, origin: list[int]) -> tuple[ast.AST, ...]:
    """The operands of an allowed node; raises ParseError for anything else."""
    column = _span(node, origin)[0] + 1
    if isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY:
            hint = _OPERATOR_HINTS.get(type(node.op))
            column = _operator_column(text, node, origin)
            raise ParseError(text, column, f"operator {_operator_text(node.op)} is not allowed",
                             hint)
        return (node.left, node.right)
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ParseError(text, column, "only unary - and + are allowed")
        return (node.operand,)
    if isinstance(node, ast.Call):
        return _call_arguments(text, node, column)
    if isinstance(node, ast.List):
        return tuple(node.elts)
    if isinstance(node, ast.Name | ast.Constant):
        return ()
    reason, hint = _NOT_ALLOWED.get(type(node), (f"{type(node).__name__} is not allowed", None))
    raise ParseError(text, column, reason, hint)


def _operator_column(text: str, node: ast.BinOp, origin: list[int]) -> int:
    left_end = _span(node.left, origin)[1]
    right_start = _span(node.right, origin)[0]
    gap = text[left_end:right_start]
    stripped = gap.replace("(", " ").replace(")", " ")
    return left_end + len(stripped) - len(stripped.lstrip()) + 1


def _operator_text(op: ast.operator) -> str:
    symbols = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
               ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}  # fmt: skip
    return repr(symbols.get(type(op), type(op).__name__))


def _call_arguments(text: str, node: ast.Call, column: int) -> tuple[ast.AST, ...]:
    if not isinstance(node.func, ast.Name):
        reason, hint = _NOT_ALLOWED.get(type(node.func), ("only named functions can be called",
                                                          None))
        raise ParseError(text, column, reason, hint)
    name = node.func.id
    if name not in FUNCTIONS:
        raise ParseError(text, column, f"unknown function {name!r}", _suggest(name))
    if node.keywords:
        raise ParseError(text, column, f"{name}() takes no keyword arguments")
    arity = FUNCTIONS[name]
    if arity is not None and len(node.args) != arity:
        plural = "argument" if arity == 1 else "arguments"
        raise ParseError(text, column, f"{name}() takes {arity} {plural}, got {len(node.args)}")
    return tuple(node.args)


def _suggest(name: str) -> str | None:
    lowered = name.lower()
    if lowered in FUNCTIONS:
        return f"did you mean {lowered!r}?"
    if lowered in _ALIASES:
        return f"did you mean {_ALIASES[lowered]}?"
    close = difflib.get_close_matches(lowered, list(FUNCTIONS), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "the functions are " + ", ".join(sorted(FUNCTIONS))


def _convert(text: str, root: ast.AST, origin: list[int]) -> Tree:
    """Post-order walk with an explicit stack, so long flat sums need no deep recursion."""
    stack: list[tuple[ast.AST, tuple[ast.AST, ...] | None]] = [(root, None)]
    done: list[tuple[Tree, int]] = []  # converted subtrees with their nesting depth
    while stack:
        node, children = stack.pop()
        if children is None:
            children = _children(text, node, origin)
            stack.append((node, children))
            stack.extend((child, None) for child in reversed(children))
            continue
        parts = done[len(done) - len(children) :] if children else []
        del done[len(done) - len(parts) :]
        done.append(_build(text, node, origin, parts))
    return done[0][0]


def _build(text: str, node: ast.AST, origin: list[int],
           parts: list[tuple[Tree, int]]) -> tuple[Tree, int]:
    start, end = _span(node, origin)
    args = tuple(tree for tree, _ in parts)
    if isinstance(node, ast.BinOp):
        op = BINARY[type(node.op)]
        left, right = parts
        # A flat chain (a + b - c, a * b / c) is not nesting: only its right side counts.
        left_depth = left[1] - 1 if _FLAT.get(left[0].op, "") == _FLAT.get(op) else left[1]
        depth = 1 + max(left_depth, right[1])
        tree = Tree(op, args, start, end)
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.UAdd):
            return parts[0]  # +a is a: no node
        depth, tree = 1 + parts[0][1], Tree("neg", args, start, end)
    elif isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        depth, tree = 1 + max(d for _, d in parts), Tree(node.func.id, args, start, end)
        if node.func.id == "dot":
            _check_vector_args(text, tree)
    elif isinstance(node, ast.List):
        depth, tree = 1 + max((d for _, d in parts), default=0), Tree("vector", args, start, end)
    elif isinstance(node, ast.Name):
        depth, tree = 0, _name(text, node.id, start, end)
    else:
        assert isinstance(node, ast.Constant)
        depth, tree = 0, Tree("number", (), start, end, value=_number(text, node, start, end))
    for arg in args:
        if arg.op == "vector" and tree.op != "dot":
            raise ParseError(text, arg.start + 1, "a vector can only be an argument of dot()")
    if depth > MAX_DEPTH:
        raise ParseError(text, start + 1, f"expression nested more than {MAX_DEPTH} levels deep")
    return tree, depth


def _check_vector_args(text: str, tree: Tree) -> None:
    for arg in tree.args:
        if arg.op not in ("name", "vector"):
            raise ParseError(text, arg.start + 1, "dot() takes vectors",
                             "pass a vector input such as w, or a list such as [x, y, 1]")


def _name(text: str, name: str, start: int, end: int) -> Tree:
    if name in CONSTANTS:
        return Tree("constant", (), start, end, name=name)
    if name in FUNCTIONS:
        raise ParseError(text, start + 1, f"{name!r} is a function", f"call it as {name}(...)")
    _check_name(text, name, start + 1)
    return Tree("name", (), start, end, name=name)


def _brief(literal: str) -> str:
    return literal if len(literal) <= 24 else f"{literal[:10]}...({len(literal)} characters)"


def _number(text: str, node: ast.Constant, start: int, end: int) -> sympy.Rational:
    literal = text[start:end].replace("_", "")
    if type(node.value) not in (int, float):
        kind = "strings" if isinstance(node.value, str) else f"{type(node.value).__name__} values"
        raise ParseError(text, start + 1, f"{kind} are not allowed")
    match = re.fullmatch(r"(\d*)\.?(\d*)(?:[eE]([-+]?\d+))?", literal)
    if match is None or not (match.group(1) or match.group(2)):
        raise ParseError(text, start + 1, f"number {_brief(literal)!r} is not allowed",
                         "write numbers in decimal, such as 12, 0.5 or 1e-3")
    whole, fraction, power = match.groups()
    if power and (len(power.lstrip("+-").lstrip("0")) > len(str(MAX_EXPONENT))
                  or abs(int(power)) > MAX_EXPONENT):
        raise ParseError(text, start + 1, f"number {_brief(literal)!r} is out of range",
                         f"exponents go up to {MAX_EXPONENT}")
    digits = (whole + fraction).lstrip("0")
    scale = int(power or 0) - len(fraction)  # the value is int(digits) * 10**scale
    if digits and abs(len(digits) + scale - 1) > MAX_EXPONENT:  # 0.000...01 is 1e-5001
        raise ParseError(text, start + 1, f"number {_brief(literal)!r} is out of range",
                         f"numbers go from 1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT}")
    if len(digits) > MAX_EXPONENT:
        raise ParseError(text, start + 1, f"number {_brief(literal)!r} has too many digits",
                         f"numbers have at most {MAX_EXPONENT} significant digits")
    exact = Fraction(int(digits or "0")) * Fraction(10) ** scale
    if max(exact.numerator.bit_length(), exact.denominator.bit_length()) > MAX_EXACT_BITS:
        raise ParseError(text, start + 1, f"number {_brief(literal)} is too large",
                         f"numbers are limited to {MAX_EXACT_BITS} bits")
    return sympy.Rational(exact.numerator, exact.denominator)
