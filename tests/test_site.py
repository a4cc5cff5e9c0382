"""The site as built files: reproducible, offline, solutions left out on request,
incremental, and problems reported as Sphinx warnings at their file and line.

Builds go through `derive.sphinx.build.build_site` (what `derive build` runs) from a
private copy of docs/, or through Sphinx itself for throwaway projects that use the
extension the way any Sphinx project would (`extensions = ["derive.sphinx"]`).
"""

from __future__ import annotations

import hashlib
import html.parser
import io
import json
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from derive.errors import DeriveError
from derive.spec import read_spec

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises.yaml"
SPEC = read_spec(EXERCISES)
IDS = [e.id for e in SPEC.exercises]

# myst-parser 5.2 touches an attribute Sphinx 9 deprecates; not derive's to fix.
pytestmark = pytest.mark.filterwarnings(r"ignore:'myst_parser\..*' is deprecated")

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


def digest(root: Path) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files_of(root).items()}


def article(page: Path) -> str:
    """The page's main content, without the theme's head, sidebars and footer."""
    text = page.read_text(encoding="utf-8")
    found = re.search(r"<article\b.*?</article>", text, flags=re.DOTALL)
    assert found, f"{page}: no <article>"
    return found.group(0)


def sphinx(project: Path) -> tuple[Any, str, str]:
    """Build a throwaway Sphinx project in-process, as sphinx-build would (in its own
    docutils namespace): (app, status, warnings)."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    status, warnings = io.StringIO(), io.StringIO()
    with patch_docutils(project), docutils_namespace():
        app = Sphinx(str(project), str(project), str(project / "_build" / "html"),
                     str(project / "_build" / "doctrees"), "html", status=status,
                     warning=warnings, freshenv=True)  # fmt: skip
        app.build()
    return app, ANSI.sub("", status.getvalue()), ANSI.sub("", warnings.getvalue())


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of `path` containing `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# --------------------------------------------------------------------------------------
# The shipped site
# --------------------------------------------------------------------------------------


def test_every_exercise_has_a_page_listed_on_the_index(site: Path) -> None:
    index = (site / "exercises" / "index.html").read_text(encoding="utf-8")
    for exercise in SPEC.exercises:
        assert (site / "exercises" / f"{exercise.id}.html").is_file()
        assert f'href="{exercise.id}.html' in index, f"the index links to {exercise.id}"
        assert exercise.title in index
    rows = re.findall(r"<tr[^>]*>.*?</tr>", index, flags=re.DOTALL)[1:]  # without the header
    assert len(rows) == len(IDS)
    assert all('class="math' in row for row in rows), "each function is shown in LaTeX"
    # what the unpublished build must not have, the published one has
    assert "Backward pass" in search_titles(site)["exercises/linear-combination"]


@pytest.mark.slow
def test_every_generated_file_is_named_after_its_exercise(site: Path) -> None:
    """A rebuild keeps a page's files by name (pages.ASSETS), not by scanning the folder:
    every file the build generated is ID.md or ID with one of those endings."""
    from derive.sphinx.pages import ASSETS

    names = {p.name for p in (site.parent.parent / "src" / "exercises").iterdir()}
    named = {"index.md"} | {f"{i}{end}" for i in IDS for end in (".md", *ASSETS)}
    assert names <= named, names - named
    assert {f"{i}{end}" for i in IDS for end in (".md", ".ipynb", ".tex")} <= names
    assert any(name.endswith("-descent.svg") for name in names)


def test_two_builds_are_byte_identical(site: Path, site_builder: Any, tmp_path: Path) -> None:
    """A second build from another copy of the sources, into another folder, gives the
    same bytes in every file (HTML, search index, images, downloads, MathJax)."""
    again = site_builder(EXERCISES, tmp_path)
    first, second = digest(site), digest(again)
    only_first = sorted(set(first) - set(second))
    only_second = sorted(set(second) - set(first))
    differ = sorted(name for name in set(first) & set(second) if first[name] != second[name])
    assert (only_first, only_second, differ) == ([], [], [])
    assert len(first) > 100


# (allowed outside URL, where): plain links readers may follow, nothing the page loads.
ALLOWED_LINKS = {
    ("https://www.sphinx-doc.org/", "footer"),   # furo's footer: "Made with Sphinx"
    ("https://pradyunsg.me", "footer"),          # furo's footer: its author
    ("https://github.com/pradyunsg/furo", "footer"),
}  # fmt: skip
"""Furo's footer links, allowed as plain <a href> inside the footer only. (derive's own
footer template currently drops them: then no outside URL is allowed anywhere.)"""
REFERENCING = {"src", "href", "data", "action", "srcset", "poster", "xlink:href", "formaction",
               "background", "cite", "manifest", "ping"}  # fmt: skip


class References(html.parser.HTMLParser):
    """Outside URLs in attributes that reference something, with their tag and whether
    they sit in the page footer."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.found: list[tuple[str, str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        in_footer = bool(self.stack and self.stack[-1][1]) or tag == "footer" or (
            "bottom-of-page" in classes)  # fmt: skip
        for name, value in attrs:
            if name in REFERENCING and value and re.match(r"\s*(https?:)?//", value):
                self.found.append((tag, value.strip(), in_footer))
        if tag not in ("img", "br", "meta", "link", "input", "hr", "source", "use", "path"):
            self.stack.append((tag, in_footer))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def test_no_page_references_anything_outside_the_site(site: Path) -> None:
    problems = []
    for page in sorted(site.rglob("*.html")):
        parser = References()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, url, in_footer in parser.found:
            allowed = tag == "a" and in_footer and (url, "footer") in ALLOWED_LINKS
            if not allowed:
                problems.append(f"{page.relative_to(site)}: <{tag}> {url}")
    for svg in sorted(site.rglob("*.svg")):
        for url in re.findall(r'(?:xlink:)?href="((?:https?:)?//[^"]*)"', svg.read_text("utf-8")):
            problems.append(f"{svg.relative_to(site)}: {url}")
    for css in sorted(site.rglob("*.css")):
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]*)", css.read_text("utf-8")):
            problems.append(f"{css.relative_to(site)}: url({url})")
        for url in re.findall(r"@import\s+['\"]((?:https?:)?//[^'\"]*)", css.read_text("utf-8")):
            problems.append(f"{css.relative_to(site)}: @import {url}")
    assert not problems


def test_the_reference_check_finds_outside_references() -> None:
    parser = References()
    parser.feed(
        '<script src="https://cdn.example/x.js"></script><p><a href="//x.org/a">a</a>'
        '<div class="bottom-of-page"><a href="https://pradyunsg.me">f</a></div>'
        '<svg xmlns="http://www.w3.org/2000/svg"><use href="#i"/></svg>'
    )
    assert parser.found == [
        ("script", "https://cdn.example/x.js", False),
        ("a", "//x.org/a", False),
        ("a", "https://pradyunsg.me", True),
    ]


def test_mathjax_is_served_from_the_site(site: Path) -> None:
    mathjax = site / "_static" / "mathjax"
    script = mathjax / "tex-chtml.js"
    assert script.is_file() and script.stat().st_size > 1_000_000
    assert b"3.2" in script.read_bytes()[:2000] or b'"3.2' in script.read_bytes()
    fonts = sorted((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("MathJax_*.woff"))
    assert len(fonts) >= 20, "the CHTML web fonts"
    assert (mathjax / "input" / "tex" / "extensions" / "ams.js").is_file(), (
        "autoloaded TeX packages"
    )
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', text, flags=re.IGNORECASE)
        if 'class="math' in text:
            assert len(scripts) == 1, page
        for src in scripts:
            resolved = (page.parent / src.split("?")[0]).resolve()
            assert resolved == script.resolve(), f"{page}: MathJax from {src}"


# --------------------------------------------------------------------------------------
# Solutions left out
# --------------------------------------------------------------------------------------

SOLUTION_ONLY = ["0.19661193", "0.5898358", "\\frac{16}{5}", "\\frac{1021}{180}",
                 "upstream × local", "def backward"]  # fmt: skip
"""Text that only a solution holds (the introduction's embedded example aside): the
neuron's gradients, the quotient's and the logarithm's values after a descent step, the
backward table's heading and the generated code."""


def search_titles(site: Path) -> dict[str, set[str]]:
    """Section titles by page, from Sphinx's search index."""
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    titles: dict[str, set[str]] = {name: set() for name in index["docnames"]}
    for title, places in index["alltitles"].items():
        for doc, _ in places:
            titles[index["docnames"][doc]].add(title)
    return titles


@pytest.mark.slow
def test_no_solutions_leaves_every_solution_out(site_builder: Any, tmp_path: Path) -> None:
    out = site_builder(EXERCISES, tmp_path, solutions=False)
    for exercise in SPEC.exercises:
        text = article(out / "exercises" / f"{exercise.id}.html")
        assert exercise.title in text, "the statement stays"
        assert 'class="math' in text, "the function stays"
        if exercise.instructions:
            assert "Instructions" in text
        if exercise.questions:
            assert "Questions" in text
        for marker in ("Backward pass", "Forward pass", "The computational graph", "Gradient",
                       "derive-solution", 'class="graphviz', 'class="derive-circuit',
                       "def backward"):  # fmt: skip
            assert marker not in text, f"{exercise.id}: {marker!r} on an unpublished page"
    leaks = []
    for name, data in files_of(out).items():
        if name.startswith(("_static/", "introduction", "reference", "_images/graphviz")):
            continue  # theme files; the introduction and reference embed their own example
        text = data.decode("utf-8", errors="replace")
        leaks += [f"{name}: {marker!r}" for marker in SOLUTION_ONLY if marker in text]
    assert not leaks, "solutions in the site built without them"
    titles = search_titles(out)
    for exercise_id in IDS:
        found = titles[f"exercises/{exercise_id}"] & {"Backward pass", "Gradient", "Code"}
        assert not found, f"the search index lists solution sections of {exercise_id}"
    downloads = [n for n in files_of(out) if n.startswith("_downloads/")]
    assert {Path(n).name for n in downloads} >= {f"{i}.ipynb" for i in IDS}, (
        "the statements can still be downloaded")  # fmt: skip
    images = {Path(n).name for n in files_of(out) if n.startswith("_images/")}
    assert not any(name.endswith("-descent.svg") for name in images), "no descent plots"


# --------------------------------------------------------------------------------------
# Rebuilds
# --------------------------------------------------------------------------------------


def stamps(folder: Path, pattern: str) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in sorted(folder.rglob(pattern))}  # fmt: skip


@pytest.fixture(scope="module")
def rebuilds(tmp_path_factory: pytest.TempPathFactory, site_builder: Any,
             sphinx_isolation: Any) -> dict[str, Any]:  # fmt: skip
    """A site built, rebuilt with no change, rebuilt after the quotient's point changed,
    and built fresh from the changed file; what each rebuild regenerated and reread.

    A page's doctree is written exactly when Sphinx reads the page, so the doctrees whose
    time stamps moved are the pages reread; the generated .md files whose time stamps
    moved are the pages derive regenerated."""
    from derive.sphinx.build import build_site

    tmp = tmp_path_factory.mktemp("rebuilds")
    exercises = tmp / "exercises.yaml"
    shutil.copyfile(EXERCISES, exercises)
    out = site_builder(exercises, tmp / "project")
    source, doctrees = tmp / "project" / "src", tmp / "project" / "out" / ".doctrees"
    found: dict[str, Any] = {"out": out}

    def rebuild(name: str) -> None:
        generated, read = stamps(source / "exercises", "*.md"), stamps(doctrees, "*.doctree")
        pages = stamps(out, "*.html")
        progress: list[tuple[str, int, int]] = []
        with sphinx_isolation():
            result = build_site(exercises, out, docs=source,
                                progress=lambda *a: progress.append(a))  # fmt: skip
        now_generated, now_read, now_pages = (
            stamps(source / "exercises", "*.md"),
            stamps(doctrees, "*.doctree"),
            stamps(out, "*.html"),
        )
        found[name] = {
            "regenerated": {n for n in now_generated if now_generated[n] != generated.get(n)},
            "reread": {n.removesuffix(".doctree") for n in now_read if now_read[n] != read.get(n)},
            "rewritten": {n.removesuffix(".html") for n in now_pages
                          if now_pages[n] != pages.get(n)},
            "reading": max((t for phase, _, t in progress if phase == "reading"), default=0),
            "warnings": result.warnings, "digest": digest(out),
        }  # fmt: skip

    rebuild("unchanged")
    text = exercises.read_text(encoding="utf-8")
    assert text.count("at: {x: 3, y: 2, z: 1}") == 1
    exercises.write_text(text.replace("at: {x: 3, y: 2, z: 1}", "at: {x: 3, y: 2, z: 2}"),
                         encoding="utf-8")  # fmt: skip
    rebuild("changed")
    found["fresh"] = digest(site_builder(exercises, tmp / "fresh"))
    return found


@pytest.mark.slow
def test_a_rebuild_after_one_exercise_changes_rereads_only_that_page(rebuilds) -> None:
    changed = rebuilds["changed"]
    assert changed["regenerated"] == {"quotient.md"}, "one page derived and written again"
    assert "exercises/quotient" in changed["reread"]
    # the exercise index is reread too: it depends on the whole exercise file
    assert changed["reread"] <= {"exercises/quotient", "exercises/index"}
    assert changed["reading"] == len(changed["reread"]), "the progress display agrees"
    assert changed["warnings"] == []
    # Sphinx would also write the exercise index again, as the parent of a page it read;
    # nothing on it changed (the incremental build equals a fresh one: the next test)
    assert changed["rewritten"] == changed["reread"] | {"genindex", "search"}
    page = (rebuilds["out"] / "exercises" / "quotient.html").read_text(encoding="utf-8")
    assert "\\frac{5}{2}" in page, "the new value, (3 + 2) / 2, is on the page"


@pytest.mark.slow
def test_an_incremental_build_has_the_same_pages_as_a_fresh_one(rebuilds) -> None:
    incremental, fresh = rebuilds["changed"]["digest"], rebuilds["fresh"]
    assert set(fresh) <= set(incremental)
    differ = sorted(n for n in fresh if incremental[n] != fresh[n])
    assert differ == []


@pytest.mark.slow
def test_an_incremental_build_equals_a_fresh_one(rebuilds) -> None:
    incremental, fresh = rebuilds["changed"]["digest"], rebuilds["fresh"]
    differ = sorted(n for n in set(incremental) | set(fresh) if incremental.get(n) != fresh.get(n))
    assert differ == []


@pytest.mark.slow
def test_a_rebuild_with_no_change_regenerates_nothing(rebuilds) -> None:
    assert rebuilds["unchanged"]["regenerated"] == set()


@pytest.mark.slow
def test_a_rebuild_with_no_change_rereads_nothing(rebuilds) -> None:
    assert rebuilds["unchanged"]["reread"] == set()
    assert rebuilds["unchanged"]["reading"] == 0


@pytest.mark.slow
def test_a_second_build_in_one_process_has_no_warnings(tmp_path: Path) -> None:
    from sphinx.util.docutils import docutils_namespace

    from derive.sphinx.build import build_site

    exercises = write(tmp_path / "tiny.yaml", TINY)
    with docutils_namespace():  # start from, and leave, a clean docutils registry
        first = build_site(exercises, tmp_path / "a" / "html")
        second = build_site(exercises, tmp_path / "b" / "html")
    assert first.warnings == []
    assert second.warnings == []


def test_a_failed_build_keeps_the_previous_site(tmp_path: Path, sphinx_isolation: Any) -> None:
    from derive.sphinx.build import build_site

    exercises = write(
        tmp_path / "tiny.yaml",
        """
        title: Tiny
        exercises:
          - id: product
            title: A product
            function: f(x, y) = x * y
            at: {x: 2, y: 3}
    """,
    )
    out = tmp_path / "site" / "html"
    with sphinx_isolation():
        build_site(exercises, out)
    before = digest(out)
    assert "exercises/product.html" in before
    exercises.write_text(exercises.read_text().replace("x * y", "log(x - y)"), encoding="utf-8")
    with sphinx_isolation(), pytest.raises(DeriveError, match=r"tiny\.yaml"):
        build_site(exercises, out)
    assert digest(out) == before, "the published site is untouched"
    assert not (out.parent / ".html.building").exists(), "no staging folder left behind"


# --------------------------------------------------------------------------------------
# Any Sphinx project: the directive, and warnings at their file and line
# --------------------------------------------------------------------------------------

TINY = """
    title: Tiny
    exercises:
      - id: product
        title: A product
        function: f(x, y) = x * y
        at: {x: 2, y: 3}
"""


def project(folder: Path, exercises: str = TINY, pages: dict[str, str] | None = None) -> Path:
    write(
        folder / "conf.py",
        """
        project = "throwaway"
        extensions = ["derive.sphinx"]
        derive_exercises = "tiny.yaml"
        html_theme = "furo"
        exclude_patterns = ["_build"]
    """,
    )
    write(folder / "tiny.yaml", exercises)
    pages = pages or {}
    write(folder / "index.md", "# Home\n\n```{toctree}\nexercises/index\n" + "".join(
        f"{name}\n" for name in pages) + "```\n")  # fmt: skip
    for name, text in pages.items():
        write(folder / f"{name}.md", text)
    return folder


def test_the_derivation_directive_embeds_a_worked_derivation(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        pages={
            "page": """
        # A page of my own

        Some prose before.

        ```{derivation} (x + y) * z
        :at: x=-2, y=5, z=-4
        :where: q=x + y
        ```

        Some prose after.
    """
        },
    )
    app, _, warnings = sphinx(folder)
    assert app.statuscode == 0 and warnings == ""
    html = (folder / "_build" / "html" / "page.html").read_text(encoding="utf-8")
    assert "Some prose before." in html and "Some prose after." in html
    for expected in ("Forward pass", "Backward pass", "q = x + y", "-12",
                     "\\frac{\\partial f}{\\partial x}", 'class="derive-circuit"',
                     "product rule", "sum rule"):  # fmt: skip
        assert expected in html
    # the circuit is derive's own SVG, inline in the page
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="derive-circuit-svg"') == 1
    assert html.count("data-node=") == 5 and html.count("data-edge=") == 4
    exercise = (folder / "_build" / "html" / "exercises" / "product.html").read_text("utf-8")
    assert "Backward pass" in exercise, "the extension also made the file's exercise pages"


def test_a_bad_directive_argument_is_a_warning_at_the_pages_line(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        pages={
            "bad": """
        # Mistakes

        ```{derivation} (x + ) * z
        :at: x=-2, y=5, z=-4
        ```

        ```{derivation} x * y
        :at: x=1
        ```

        ```{derivation} log(x)
        :at: x=-1
        ```
    """
        },
    )
    app, _, warnings = sphinx(folder)
    page = folder / "bad.md"
    assert app.statuscode == 0, "a warning, not a failed build"
    assert "Traceback" not in warnings and "Exception" not in warnings
    lines = [line for line in warnings.splitlines() if line.strip()]
    assert lines == [
        f"{page}:{line_of(page, '(x + ) * z')}: WARNING: derivation: invalid syntax at column 6 "
        "of '(x + ) * z'; is an operator such as * missing? [derive.derivation]",
        f"{page}:{line_of(page, 'x * y')}: WARNING: derivation: missing value for input 'y' "
        "[derive.derivation]",
        f"{page}:{line_of(page, 'log(x)')}: WARNING: derivation: "
        "node f = log(x): log of a negative number is not real [derive.derivation]",
    ]
    html = (folder / "_build" / "html" / "bad.html").read_text(encoding="utf-8")
    assert html.count("derive: ") == 3, "the page says what went wrong where it went wrong"


YAML_PROBLEMS = {
    "unknown key": ("""
        title: Tiny
        exercises:
          - id: product
            title: A product
            function: f(x, y) = x * y
            at: {x: 2, y: 3}
            desent: {steps: 1}
    """, "desent", "unknown key 'desent' in an exercise; did you mean 'descent'?"),
    "invalid YAML": ("""
        title: Tiny
        exercises:
          - id: product
            title: A product
            function: f(x, y) = x * y
            at: {x: 2, y: [3
    """, None, "invalid YAML"),
    "bad function": ("""
        title: Tiny
        exercises:
          - id: product
            title: A product
            function: f(x, y) = (x + ) * y
            at: {x: 2, y: 3}
    """, "function:", "invalid syntax at column 16 of 'f(x, y) = (x + ) * y'"),
    "outside the domain": ("""
        title: Tiny
        exercises:
          - id: product
            title: A product
            function: f(x, y) = log(x - y)
            at: {x: 2, y: 3}
    """, "at:", "log of a negative number is not real"),
}  # fmt: skip


@pytest.mark.parametrize("problem", YAML_PROBLEMS)
def test_a_problem_in_the_exercise_file_is_a_warning_at_its_file_and_line(
        tmp_path: Path, problem: str) -> None:  # fmt: skip
    text, marker, message = YAML_PROBLEMS[problem]
    folder = project(tmp_path, exercises=text)
    yaml = folder / "tiny.yaml"
    line = line_of(yaml, marker) if marker else len(yaml.read_text().splitlines()) + 1
    _app, _, warnings = sphinx(folder)
    assert "Traceback" not in warnings and "Exception" not in warnings
    ours = [w for w in warnings.splitlines() if "[derive.exercise]" in w]
    assert len(ours) == 1
    assert message in ours[0]
    assert ours[0].startswith(f"{yaml}:{line}: WARNING: ")


@pytest.mark.parametrize("problem", YAML_PROBLEMS)
def test_a_problem_in_the_exercise_file_is_a_warning_with_its_line(
        tmp_path: Path, problem: str) -> None:  # fmt: skip
    """One warning per problem, with the right line and message, and no traceback."""
    text, marker, message = YAML_PROBLEMS[problem]
    folder = project(tmp_path, exercises=text)
    yaml = folder / "tiny.yaml"
    line = line_of(yaml, marker) if marker else len(yaml.read_text().splitlines()) + 1
    app, _, warnings = sphinx(folder)
    assert app.statuscode == 0
    assert "Traceback" not in warnings and "Exception" not in warnings
    ours = [w for w in warnings.splitlines() if "[derive.exercise]" in w]
    assert len(ours) == 1 and message in ours[0]
    assert re.match(rf"{re.escape(str(yaml))}:{line}: WARNING: ", ours[0])


def test_an_exercise_that_cannot_be_derived_gives_one_warning_and_no_dead_link(
        tmp_path: Path) -> None:  # fmt: skip
    text, _, _ = YAML_PROBLEMS["outside the domain"]
    _app, _, warnings = sphinx(project(tmp_path, exercises=text))
    lines = [w for w in warnings.splitlines() if "WARNING" in w]
    assert len(lines) == 1 and "[derive.exercise]" in lines[0], lines
