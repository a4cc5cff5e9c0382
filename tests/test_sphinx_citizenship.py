"""derive's Sphinx extension beside others: namespaced directives (`derive-solution`,
`derive-derivation`) with the short names only where no other extension (sphinx-exercise,
Jupyter Book) took them, and no warning either way; folded solutions made of real
sections, with anchors and "on this page" entries; page titles that break between words
on a phone; a link into a folded solution opens it.
"""

from __future__ import annotations

import io
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_browser import browser, serve  # noqa: F401 - the browser fixture, shared

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


@pytest.fixture(scope="module")
def served(site: Path) -> Any:
    with serve(site) as base:
        yield base


def broken_words(page: Any, selector: str) -> list[str]:
    """Words of the element's text that the layout splits over two lines."""
    return page.evaluate("""(selector) => {
      const el = document.querySelector(selector);
      const text = el.firstChild;
      const broken = [];
      const re = /\\S+/g;
      let m;
      while ((m = re.exec(text.textContent))) {
        const range = document.createRange();
        range.setStart(text, m.index);
        range.setEnd(text, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
      return broken;
    }""", selector)


@pytest.mark.browser
def test_titles_break_between_words_on_a_phone_and_in_the_sidebar(browser, served) -> None:  # noqa: F811
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    desktop = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        for path in ("exercises/cs231n-staged.html", "exercises/training-a-neuron.html"):
            phone.goto(served + path)
            assert broken_words(phone, "article h1") == [], path
        desktop.goto(served + "index.html")
        assert broken_words(desktop, ".sidebar-brand-text") == []
    finally:
        phone.close()
        desktop.close()


@pytest.mark.browser
def test_a_link_to_a_section_in_a_folded_solution_opens_it(browser, served) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(served + "exercises/quotient.html")
        assert page.evaluate("document.querySelector('details.derive-solution').open") is False
        page.goto(served + "exercises/quotient.html#answers")
        page.wait_for_function("document.querySelector('details.derive-solution').open")
        shown = ("(() => { const r = document.getElementById('answers').getBoundingClientRect();"
                 " return r.height > 0 && r.top >= 0 && r.top < innerHeight; })()")
        page.wait_for_function(shown, timeout=5000)  # furo scrolls smoothly: a moment
    finally:
        page.close()
