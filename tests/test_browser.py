"""The built site in a real browser: Debian's Chromium driven by Playwright.

The site of the shipped exercises is built once, served on 127.0.0.1, and every page is
opened with every request to another host blocked and recorded. Each page must load
with no outside request, no console error and no failed request; every formula must be
typeset by the site's own MathJax, every circuit drawn, every image loaded, and folded
solutions must open on a click.

Chromium is Debian's (/usr/bin/chromium; never `playwright install`). Where it is missing
the test skips, except in CI (the CI variable set), where it fails.
Set DERIVE_SCREENSHOTS=DIR to save full-page screenshots of every page there.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from derive.spec import read_spec

pytestmark = pytest.mark.browser

EXERCISES = Path(__file__).resolve().parent.parent / "exercises.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
TIMEOUT_MS = 20_000

SPEC = read_spec(EXERCISES)
COLLAPSED = {e.id for e in SPEC.exercises if e.solution == "collapsed"}
PAGES = ["index.html", "introduction.html", "reference.html", "engine.html", "exercises/index.html",
         "genindex.html", "search.html",
         *(f"exercises/{e.id}.html" for e in SPEC.exercises)]  # fmt: skip


def unavailable(reason: str) -> None:
    """Skip, or fail where CI is set: there the browser test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser test must run (.ci/run installs "
                    "chromium with apt-get)", pytrace=False)  # fmt: skip
    pytest.skip(
        f"{reason}: install Debian's chromium (apt-get install chromium) to run the browser test"
    )


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """`root` over HTTP on 127.0.0.1 (a free port), in a thread; yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The built site, served."""
    with serve(site) as base:
        yield base


@pytest.fixture(scope="module")  # one Chromium per module (a second sync Playwright cannot run beside it)
def browser() -> Iterator[Any]:
    """One Chromium for every page."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"{CHROMIUM} is missing")
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure means no browser
            unavailable(f"{CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()


# The checks, run in the page. Each returns a list of problems (strings).

MATH = """() => {
  const math = [...document.querySelectorAll('.math')];
  return {
    count: math.length,
    mathjax: !!(window.MathJax && MathJax.startup),
    untypeset: math.filter(e => !e.querySelector('mjx-container'))
                   .map(e => e.outerHTML.slice(0, 160)),
    errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
                .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 160)),
    empty: [...document.querySelectorAll('mjx-container')]
               .filter(c => { const r = c.getBoundingClientRect(); return !(r.width > 0 && r.height > 0); })
               .map(c => (c.closest('.math') || c).outerHTML.slice(0, 160)),
  };
}"""

DIAGRAMS = """async (wait) => {
  const problems = [];
  const diagrams = [...document.querySelectorAll(
      'div.graphviz object, object.graphviz, div.graphviz img, img.graphviz, div.graphviz > svg, ' +
      '.derive-circuit:not([hidden]) svg.derive-circuit-svg')];
  const unique = [...new Set(diagrams)];
  for (const el of unique) {
    el.scrollIntoView();
    let svg = null;
    if (el.tagName === 'OBJECT') {
      const deadline = Date.now() + wait;   // the SVG document loads after the page
      while (!(el.contentDocument && el.contentDocument.querySelector('svg')) && Date.now() < deadline)
        await new Promise(r => setTimeout(r, 50));
      svg = el.contentDocument && el.contentDocument.querySelector('svg');
    } else if (el.tagName === 'IMG') {
      svg = null;
    } else {
      svg = el;
    }
    const r = el.getBoundingClientRect();
    const name = el.getAttribute('data') || el.getAttribute('src') || el.id || el.tagName;
    if (!(r.width > 0 && r.height > 0)) problems.push(`${name}: size ${r.width}x${r.height}`);
    if (el.tagName !== 'IMG') {
      if (!svg) { problems.push(`${name}: no SVG document`); continue; }
      const nodes = svg.querySelectorAll('g.node, g[data-node]').length,
            edges = svg.querySelectorAll('g.edge, g[data-edge]').length;
      if (nodes === 0) problems.push(`${name}: the SVG has no nodes`);
      if (edges === 0) problems.push(`${name}: the SVG has no edges`);
    }
  }
  return {count: unique.length, problems};
}"""

LAYOUT = """() => {
  const sizeOf = text => {
    const el = [...document.querySelectorAll('h2, h3, h4, .rubric')]
      .find(e => e.firstChild && e.firstChild.textContent.trim() === text);
    return el ? parseFloat(getComputedStyle(el).fontSize) : null;
  };
  return {
    circuits: [...document.querySelectorAll('.derive-circuit:not([hidden])')].map(c => {
      const scroll = c.querySelector('.derive-circuit-scroll'), svg = c.querySelector('svg');
      const article = c.closest('article') || document.body;
      return {column: article.clientWidth, figure: scroll.getBoundingClientRect().width,
              needed: scroll.scrollWidth, visible: scroll.clientWidth,
              shown: svg.getBoundingClientRect().width, natural: svg.width.baseVal.value,
              page: document.documentElement.scrollWidth, viewport: window.innerWidth,
              name: c.id};
    }),
    section: sizeOf('Analysis'),
    subsection: sizeOf('Where it is defined'),
  };
}"""

TEX = r"""() => {
  const out = {leaks: [], operators: [], raw: []};
  if (window.MathJax && MathJax.startup && MathJax.startup.document) {
    for (const item of MathJax.startup.document.math) {
      const mml = MathJax.startup.toMML(item.root);
      const tokens = [...mml.matchAll(/<(mtext|mi|mo|mn)\b[^>]*>([^<]*)<\/\1>/g)].map(m => m[2]);
      if (tokens.some(t => t.includes('\\'))) out.leaks.push(item.math);
      for (const [, name] of item.math.matchAll(/\\operatorname\{([^}]*)\}/g))
        if (!tokens.includes(name)) out.operators.push(item.math);
    }
  }
  // text outside formulas and code: no $ delimiters or TeX commands left unrendered
  const walker = document.createTreeWalker(document.querySelector('article') || document.body,
                                           NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('.math, mjx-container, pre, code, script, style')) continue;
    const t = n.textContent;
    if (/\$|\\[A-Za-z]+|\\[\^{}]/.test(t)) out.raw.push(t.trim().slice(0, 120));
  }
  return out;
}"""

IMAGES = """async () => {
  const images = [...document.images];
  for (const img of images) {
    img.scrollIntoView();
    if (!img.complete) await Promise.race([
      new Promise(r => { img.addEventListener('load', r, {once: true});
                         img.addEventListener('error', r, {once: true}); }),
      new Promise(r => setTimeout(r, 10000))]);
  }
  return images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src);
}"""


def visit(browser: Any, base: str, path: str, wait_ms: int = 10_000) -> dict[str, Any]:
    """Open one page; return what was requested, what failed and what the page holds."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    found: dict[str, Any] = {"external": [], "failed": [], "errors": []}

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            found["external"].append(r.request.url)
            r.abort()

    def failed(request: Any) -> None:
        if urlsplit(request.url).hostname == "127.0.0.1":  # outside ones are ours: blocked
            found["failed"].append(f"{request.url}: {request.failure}")

    def response(r: Any) -> None:
        if r.status >= 400:
            found["failed"].append(f"{r.url}: HTTP {r.status}")

    context.route("**/*", route)
    page = context.new_page()
    page.on("requestfailed", failed)
    page.on("response", response)
    page.on("console", lambda m: m.type == "error" and found["errors"].append(m.text))
    page.on("pageerror", lambda e: found["errors"].append(f"uncaught: {e}"))
    try:
        page.goto(base + path, wait_until="load")
        found["mathjax_ready"] = page.evaluate(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
            "  ? MathJax.startup.promise.then(() => true) : false")  # fmt: skip
        found["mathjax_version"] = page.evaluate("() => window.MathJax && MathJax.version")
        shots = os.environ.get("DERIVE_SCREENSHOTS")
        name = path.removesuffix(".html").replace("/", "-")
        details = page.locator("details")
        found["details"] = []
        if shots and page.locator("details:not([open])").count():
            page.screenshot(path=str(Path(shots) / f"{name}-folded.png"), full_page=True)
        for i in range(details.count()):
            fold = details.nth(i)
            before = fold.evaluate("d => d.open")
            body_hidden = not fold.locator(":scope > :not(summary)").first.is_visible()
            if not before:
                fold.locator(":scope > summary").click()
            found["details"].append({
                "classes": fold.get_attribute("class") or "",
                "open_before": before, "body_hidden_before": body_hidden,
                "open_after": fold.evaluate("d => d.open"),
                "body_visible_after": fold.locator(":scope > :not(summary)").first.is_visible(),
                "text": fold.inner_text(),
            })  # fmt: skip
        found["math"] = page.evaluate(MATH)
        found["diagrams"] = page.evaluate(DIAGRAMS, wait_ms)
        found["images"] = page.evaluate(IMAGES)
        found["layout"] = page.evaluate(LAYOUT)
        found["tex"] = page.evaluate(TEX)
        found["text"] = page.inner_text("body")
        found["article"] = page.inner_text("article")  # the page without its contents
        if shots:
            page.evaluate("() => window.scrollTo(0, 0)")  # fixed elements drawn where they belong
            page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)
        page.wait_for_timeout(100)  # late console messages and requests
    finally:
        context.close()
    return found


def problems_on(found: dict[str, Any]) -> list[str]:
    """Everything wrong with a visited page, one line each."""
    problems: list[str] = []
    problems += [f"request outside 127.0.0.1 (blocked): {u}" for u in found["external"]]
    problems += [f"failed request: {f}" for f in found["failed"]]
    problems += [f"console error: {e}" for e in found["errors"]]
    math = found["math"]
    if math["count"] and not (math["mathjax"] and found["mathjax_ready"]):
        problems.append(f"{math['count']} formulas but MathJax did not start")
    problems += [f"formula not typeset: {m}" for m in math["untypeset"]]
    problems += [f"MathJax error: {m}" for m in math["errors"]]
    problems += [f"typeset formula with no size: {m}" for m in math["empty"]]
    problems += [f"TeX left unrendered in the text: {t!r}" for t in found["tex"]["raw"]]
    problems += found["diagrams"]["problems"]
    problems += [f"image did not load: {src}" for src in found["images"]]
    for fold in found["details"]:
        if not fold["open_after"] or not fold["body_visible_after"]:
            problems.append(f"<details class={fold['classes']!r}> did not open on a click")
    return problems


@pytest.fixture(scope="module")
def visited(browser: Any, server: str) -> Any:
    """visited(path): what `visit` found on that page, each page opened once."""
    cache: dict[str, dict[str, Any]] = {}

    def get(path: str) -> dict[str, Any]:
        if path not in cache:
            cache[path] = visit(browser, server, path)
        return cache[path]

    return get


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_and_renders_completely(visited: Any, path: str) -> None:
    found = visited(path)
    problems = problems_on(found)
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)

    if path.startswith("exercises/") and path != "exercises/index.html":
        exercise_id = path.removeprefix("exercises/").removesuffix(".html")
        assert found["math"]["count"] > 0
        assert found["diagrams"]["count"] >= 1, "an exercise page shows its circuit"
        assert found["mathjax_version"], "MathJax is the site's own"
        solutions = [f for f in found["details"] if "derive-solution" in f["classes"]]
        if exercise_id in COLLAPSED:
            assert len(solutions) == 1, "a collapsed solution is one <details> element"
            fold = solutions[0]
            assert not fold["open_before"] and fold["body_hidden_before"], "folded at first"
            assert "Backward pass" in fold["text"] and "Gradient" in fold["text"], (
                "the worked solution is inside the fold"
            )
            assert "Backward pass" not in found["article"].replace(fold["text"], ""), (
                "nothing of the solution outside the fold (its headings are in the contents)"
            )
        else:
            assert solutions == [], "a worked example shows its solution open"
            assert "Backward pass" in found["text"]


BROKEN = """<!doctype html><html><head><meta charset="utf-8">
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
<link rel="stylesheet" href="missing.css">
</head><body><article>
<p>Raw $x^2$ and \\frac{1}{2} left in the text.</p>
<span class="math">\\(x\\)</span>
<div class="graphviz"><object data="notsvg.html" type="image/svg+xml"></object></div>
<img src="missing.png" alt="">
<details><summary>Show</summary><div>inside</div></details>
<script>console.error("boom"); undefined_function();</script>
</article></body></html>
"""


def test_the_checks_catch_a_broken_page(browser: Any, tmp_path: Path) -> None:
    """The page checks can fail: a page with a CDN script, a missing stylesheet and image,
    an untypeset formula, raw TeX, an empty diagram and console errors is caught."""
    (tmp_path / "broken.html").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "notsvg.html").write_text("<p>not a diagram</p>", encoding="utf-8")
    with serve(tmp_path) as base:
        problems = "\n".join(problems_on(visit(browser, base, "broken.html", wait_ms=300)))
    for expected in ("request outside 127.0.0.1 (blocked): https://cdn.jsdelivr.net",
                     "missing.css: HTTP 404", "missing.png: HTTP 404", "console error: boom",
                     "undefined_function", "formula not typeset", "TeX left unrendered",
                     "notsvg.html: no SVG document", "image did not load"):  # fmt: skip
        assert expected in problems


def test_every_page_of_the_site_is_visited(site: Path) -> None:
    built = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert built == sorted(PAGES)


EXERCISE_PAGES = [p for p in PAGES if p.startswith("exercises/") and p != "exercises/index.html"]


def test_every_circuit_keeps_its_natural_size_and_scrolls_inside_its_figure(visited: Any) -> None:
    """Issue 10: a circuit is never scaled down (its labels keep their size); one wider
    than the column scrolls sideways inside its own figure, never the page."""
    problems = []
    for path in EXERCISE_PAGES:
        for c in visited(path)["layout"]["circuits"]:
            if abs(c["shown"] - c["natural"]) > 0.5:
                problems.append(f"{path} {c['name']}: drawn {c['shown']:.0f} of {c['natural']:.0f} px")
            if c["figure"] > c["column"] + 1:
                problems.append(f"{path} {c['name']}: figure {c['figure']} px, column {c['column']} px")
            if c["page"] > c["viewport"]:
                problems.append(f"{path}: the page scrolls sideways ({c['page']} px)")
    assert not problems, "\n".join(problems)


def test_collapsed_solutions_keep_the_heading_hierarchy(visited: Any) -> None:
    problems = []
    for path in EXERCISE_PAGES:
        layout = visited(path)["layout"]
        section, subsection = layout["section"], layout["subsection"]
        assert section and subsection, f"{path}: no 'Analysis' / 'Where it is defined' heading"
        if not section > subsection:
            problems.append(f"{path}: section {section}px, subsection {subsection}px")
    assert not problems, "\n".join(problems)


def test_no_tex_source_shows_inside_formulas(visited: Any) -> None:
    leaks = {path: visited(path)["tex"]["leaks"] for path in PAGES}
    assert not {path: found for path, found in leaks.items() if found}


def test_operator_names_are_typeset_as_one_word(visited: Any) -> None:
    split = {path: visited(path)["tex"]["operators"] for path in PAGES}
    assert not {path: found for path, found in split.items() if found}


# --------------------------------------------------------------------------------------
# Titles on a phone, links into folded solutions (derive.sphinx's CSS and JavaScript)
# --------------------------------------------------------------------------------------


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


def test_titles_break_between_words_on_a_phone_and_in_the_sidebar(browser, server) -> None:
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    desktop = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        for path in ("exercises/cs231n-staged.html", "exercises/training-a-neuron.html"):
            phone.goto(server + path)
            assert broken_words(phone, "article h1") == [], path
        desktop.goto(server + "index.html")
        assert broken_words(desktop, ".sidebar-brand-text") == []
    finally:
        phone.close()
        desktop.close()


def test_a_link_to_a_section_in_a_folded_solution_opens_it(browser, server) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(server + "exercises/quotient.html")
        assert page.evaluate("document.querySelector('details.derive-solution').open") is False
        page.goto(server + "exercises/quotient.html#answers")
        page.wait_for_function("document.querySelector('details.derive-solution').open")
        shown = ("(() => { const r = document.getElementById('answers').getBoundingClientRect();"
                 " return r.height > 0 && r.top >= 0 && r.top < innerHeight; })()")
        page.wait_for_function(shown, timeout=5000)  # furo scrolls smoothly: a moment
    finally:
        page.close()


def test_the_exercise_index_fits_a_phone_and_stays_a_table_on_a_desktop(browser, server) -> None:
    """On a phone the index is a list, each exercise's title above its function: the table
    scrolled sideways and hid the solution column. On a desktop it stays a table."""
    layout = """() => {
      const wrapper = document.querySelector('.derive-index .table-wrapper');
      const row = document.querySelector('.derive-index tbody tr');
      const cells = [...row.querySelectorAll('td')].map(c => c.getBoundingClientRect());
      return {overflow: wrapper.scrollWidth - wrapper.clientWidth,
              page: document.documentElement.scrollWidth - innerWidth,
              stacked: cells[1].top >= cells[0].bottom - 1 && cells[2].top >= cells[1].bottom - 1,
              shown: cells.every(c => c.width > 0 && c.right <= innerWidth + 1)};
    }"""
    for width, stacked in ((390, True), (1280, False)):
        page = browser.new_page(viewport={"width": width, "height": 844})
        try:
            page.goto(server + "exercises/index.html")
            page.wait_for_function("document.querySelector('.derive-index mjx-container')")
            found = page.evaluate(layout)
            assert found == {"overflow": 0, "page": 0, "stacked": stacked, "shown": True}, width
        finally:
            page.close()
