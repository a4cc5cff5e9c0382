"""The house rules of derive's code, checked on the source: no import cycles between its
modules (function-local imports included: a lazy import is still a dependency), and
every module under 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "derive"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside `if TYPE_CHECKING:` (never imported at run time)."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(name: str, source: str) -> set[str]:
    """The derive modules `source` imports anywhere (module level or inside functions),
    resolved to modules: `from derive.render import math` is derive.render.math."""
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):  # fmt: skip
            found.add(str(node.args[0].value))
    return {m for m in found if m in MODULES and m != name}


def graph() -> dict[str, set[str]]:
    return {name: imports(name, path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_no_import_cycles_among_derives_modules() -> None:
    found = cycles(graph())
    assert not found, "modules that import each other (directly or around a loop)"


def test_the_cycle_finder_finds_cycles_through_function_local_imports() -> None:
    """The check above can fail: a lazy import inside a method closes a loop."""
    MODULES.setdefault("derive.fake_record", PACKAGE / "fake_record.py")
    MODULES.setdefault("derive.fake_render", PACKAGE / "fake_render.py")
    try:
        record = "class R:\n    def show(self):\n        from derive.fake_render import show\n"
        render = "from derive import fake_record\n\ndef show(r): ...\n"
        edges = {"derive.fake_record": imports("derive.fake_record", record),
                 "derive.fake_render": imports("derive.fake_render", render)}  # fmt: skip
        assert cycles(edges) == [["derive.fake_record", "derive.fake_render"]]
        typing_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import derive.fake_render\n"
        assert imports("derive.fake_record", typing_only) == set()
    finally:
        del MODULES["derive.fake_record"], MODULES["derive.fake_render"]


def test_the_known_former_cycles_are_gone() -> None:
    """The issue's three: the record and its Markdown renderer, myst <-> notebook,
    tables -> derivation -> (renderer) -> tables."""
    edges = graph()
    assert not any(m.startswith("derive.render") for m in edges["derive.derivation"])
    assert "derive.render.myst" not in edges["derive.render.notebook"]
    assert "derive.render.myst" not in edges["derive.render.latex"]


OVER = {
    "derive.graph": "419 lines since the engine's bounded values: to be split",
}
"""Modules known to be over the limit, each with why; strict: the entry must go when the
module is split."""


@pytest.mark.parametrize("name", [
    pytest.param(m, marks=pytest.mark.xfail(reason=OVER[m], strict=True)) if m in OVER else m
    for m in sorted(MODULES)])  # fmt: skip
def test_every_module_is_under_400_lines(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines < MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines"
