"""derive's Sphinx extension beside others: namespaced directives (`derive-solution`,
`derive-derivation`) with the short names only where no other extension (sphinx-exercise,
Jupyter Book) took them, and no warning either way; folded solutions made of real
sections, with anchors and "on this page" entries; page titles that break between words
on a phone; a link into a folded solution opens it (those two in a real browser, in
test_browser.py, which owns the one Chromium of a test session).
"""

from __future__ import annotations

import io
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

EXERCISE = """title: Tiny
exercises:
  - id: tiny
    title: A tiny exercise
    solution: collapsed
    function: f(x, y) = x * y
    at: {x: 2, y: 3}
    questions:
      - ask: Which input has the greatest effect?
        about: [ranking]
"""

# A stand-in for sphinx-exercise: its own `solution` directive (and Jupyter Book's).
OTHER = '''
from docutils import nodes
from docutils.parsers.rst import Directive


class OtherSolution(Directive):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self):
        return [nodes.paragraph(text="OTHER-SOLUTION")]


def setup(app):
    app.add_directive("solution", OtherSolution)
    return {"parallel_read_safe": True}
'''

INDEX = """# Home

```{toctree}
exercises/index
```

```{derive-solution} Show it
Folded text.
```

```{derive-derivation} x * y
:at: x=2, y=3
```

```{solution} Short name
Short text.
```
"""


def build(tmp_path: Path, extensions: list[str], isolation: Any) -> tuple[str, str, Path]:
    """A small site with `extensions`; returns (status, warnings, output folder)."""
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "other_solution.py").write_text(OTHER, encoding="utf-8")
    (src / "exercises.yaml").write_text(EXERCISE, encoding="utf-8")
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    (src / "conf.py").write_text(textwrap.dedent(f"""
        project = "t"
        extensions = {extensions!r}
        html_theme = "furo"
    """), encoding="utf-8")  # fmt: skip
    status, warnings = io.StringIO(), io.StringIO()
    sys.path.insert(0, str(tmp_path))
    try:
        with isolation():
            app = Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctrees"),
                         "html", status=status, warning=warnings, freshenv=True)  # fmt: skip
            app.build()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("other_solution", None)
    return status.getvalue(), warnings.getvalue(), tmp_path / "out"


@pytest.mark.parametrize("order", [["derive.sphinx", "other_solution"],
                                   ["other_solution", "derive.sphinx"]], ids=["after", "before"])
def test_derive_loads_beside_another_solution_directive(tmp_path, sphinx_isolation, order) -> None:
    _, warnings, out = build(tmp_path, order, sphinx_isolation)
    assert warnings == "", "no 'already registered' warning, nothing else"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "OTHER-SOLUTION" in html, "the other extension keeps its `solution`"
    assert "Short text." not in html
    assert '<details class="derive-solution"' in html and "Folded text." in html
    assert "Backward pass" in html, "derive-derivation works"


def test_the_short_names_work_when_no_one_else_has_them(tmp_path, sphinx_isolation) -> None:
    _, warnings, out = build(tmp_path, ["derive.sphinx"], sphinx_isolation)
    assert warnings == ""
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.count('<details class="derive-solution"') == 2
    assert "Short text." in html and "Folded text." in html


def test_a_collapsed_solution_is_real_sections_with_anchors(tmp_path, sphinx_isolation) -> None:
    _, warnings, out = build(tmp_path, ["derive.sphinx"], sphinx_isolation)
    assert warnings == ""
    html = (out / "exercises" / "tiny.html").read_text(encoding="utf-8")
    fold = html[html.index('<details class="derive-solution" id="worked-solution">'):]
    fold = fold[: fold.index("</details>")]
    for anchor in ("forward-pass", "backward-pass", "gradient", "interpretation", "analysis",
                   "answers", "code"):  # fmt: skip
        assert f'<section id="{anchor}">' in fold, anchor
        assert f'href="#{anchor}"' in html, f"{anchor}: in the page's contents"
    assert "rubric" not in fold
    assert re.search(r'<h2>Answers<a class="headerlink" href="#answers"', fold)
