"""One test per misleading statement of issue 11, asserting the corrected FACT on the
rendered MyST page (or the built HTML page): numbers recomputed here independently (plain
floats, SymPy), presence or absence of a claim; not a wording.

Also: data inputs (`given`) and the 2-2-2 network of Mazur's "A Step by Step
Backpropagation Example", whose published figures the built page must reproduce.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sympy
import test_browser

from derive import backprop
from derive.errors import DeriveError, SpecErrors
from derive.passes.analysis import SATURATED
from derive.pipeline import load, solve
from derive.render.dot import circuit
from derive.render.myst import page
from derive.solution import Solution, Workbook
from derive.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> Workbook:
    return load(ROOT / "exercises.yaml")


@pytest.fixture(scope="module")
def pages(shipped: Workbook) -> dict[str, str]:
    return {s.exercise.id: page(s).text for s in shipped.solutions}


def solution(shipped: Workbook, exercise_id: str) -> Solution:
    return next(s for s in shipped.solutions if s.exercise.id == exercise_id)


def section(text: str, title: str) -> str:
    """The lines of a page between the heading `title` and the next heading of its level
    (sections are rubrics inside collapsed solutions, headings in open ones)."""
    heading = re.compile(rf"^(?:#+ |```{{rubric}} ){re.escape(title)}$", re.MULTILINE)
    found = heading.search(text)
    assert found, f"no section {title!r}"
    level = re.search(r"derive-level-(\d)", text[found.end():found.end() + 40])
    rest = text[found.end():]
    if level:  # a rubric: up to the next rubric of the same or a higher level
        stop = re.search(rf"```{{rubric}} .*\n:class: derive-level-[1-{level.group(1)}]", rest)
    else:
        depth = len(found.group(0)) - len(found.group(0).lstrip("#"))
        stop = re.search(rf"^#{{1,{depth}}} ", rest, flags=re.MULTILINE)
    return rest[:stop.start()] if stop else rest


def bullets(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("- ")]


def numbers(text: str) -> list[float]:
    """Every decimal in a stretch of MyST ("4.5 \\times 10^{-4}" included)."""
    found = []
    for m in re.finditer(r"(-?\d+(?:\.\d+)?)(?: \\times 10\^\{(-?\d+)\})?", text):
        found.append(float(m.group(1)) * 10 ** int(m.group(2) or 0))
    return found


def close(values: list[float], target: float, digits: int = 4) -> bool:
    return any(math.isclose(v, target, rel_tol=10 ** (1 - digits)) for v in values)


# -- training-a-neuron: why does it slow down ----------------------------------------------


def neuron_descent(steps: int) -> list[tuple[float, float, float]]:
    """(pre-activation a, sigma'(a), error factor f - 1) at each step's point, in floats."""
    w, x = [2.0, -3.0, -3.0], [-1.0, -2.0, 1.0]
    rows = []
    for _ in range(steps):
        a = sum(wi * xi for wi, xi in zip(w, x, strict=True))
        f = 1 / (1 + math.exp(-a))
        rows.append((a, f * (1 - f), f - 1))
        w = [wi - 2 * (f - 1) * f * (1 - f) * xi for wi, xi in zip(w, x, strict=True)]
    return rows


def test_training_a_neuron_says_why_it_slows_down(pages: dict[str, str]) -> None:
    first, *_, last = neuron_descent(8)
    assert (round(first[1], 3), round(last[1], 3)) == (0.197, 0.071)
    assert (round(first[0], 2), round(last[0], 2)) == (1.0, 2.48)
    answer = section(pages["training-a-neuron"], "Answers")
    found = numbers(answer)
    for a, local, error in (first, last):
        assert close(found, a) and close(found, local) and close(found, error), (a, local, error)
    # the start alone (sigma'(1), "not saturated") is not the reason given
    assert "79%" not in answer


ROW = re.compile(r"^\| (\d*) \| \$(w_\{\d\})\$ \| \$(-?[\d.]+)\$ \| \$([^$]+)\$ \| .* \| "
                 r"\$(-?[\d.]+)\$ \|$", re.MULTILINE)


def significant(value: str) -> int:
    return len(value.lstrip("-").replace(".", "").lstrip("0"))


@pytest.mark.parametrize("exercise_id", ["training-a-neuron", "mazur-network"])
def test_descent_note_names_what_is_carried_and_what_is_shown(
        pages: dict[str, str], exercise_id: str) -> None:  # fmt: skip
    """The note used to say "the table shows 4" over rows printed to 4, 5 and 6 digits: it
    now says what the update table shows, and where one precision serves every row, a
    weight reads the same as the new value of one step and the current value of the next."""
    descent = section(pages[exercise_id], "Gradient descent")
    rows = ROW.findall(descent)
    assert len(rows) == {"training-a-neuron": 24, "mazur-network": 8}[exercise_id]
    shown = {significant(r[4]) for r in rows}
    [note] = [b for b in bullets(descent) if "significant digits" in b]
    assert "30 significant digits" in note
    if len(shown) == 1:
        [digits] = shown
        assert f"shows {digits}," in note
        new: dict[str, str] = {}
        for _, name, current, _, value in rows:
            assert new.get(name, current) == current, (name, current, new[name])
            new[name] = value
    else:  # training-a-neuron: rounding the inputs of a sum can move its last digit
        assert "each row" in note and "at least 4" in note and min(shown) == 4


# -- activation-functions: why, and one saturation threshold -------------------------------


def test_activation_answer_gives_the_derivatives_that_explain_it(pages: dict[str, str]) -> None:
    s3 = 1 / (1 + math.exp(-3))
    answer = section(pages["activation-functions"], "Answers")
    found = numbers(answer)
    assert close(found, s3 * (1 - s3))  # sigma'(3) = 0.04518
    assert close(found, 1 - math.tanh(3) ** 2)  # tanh'(3) = 0.009866
    assert "\\operatorname{ReLU}'(3) = 1" in answer
    assert "\\frac{1}{4}" in answer  # sigma' never passes 1/4
    variants = section(pages["activation-functions"], "Comparing the variants")
    assert "\\le \\tfrac{1}{4}" in variants


def test_tanh_at_3_is_called_saturated_by_the_same_rule_as_the_sigmoid(shipped: Workbook) -> None:
    found = dict(solution(shipped, "activation-functions").analysis.variant_saturation)
    [tanh], [sigmoid] = found["tanh"], found["sigmoid"]
    assert tanh.ratio == pytest.approx(1 - math.tanh(3) ** 2) and tanh.ratio < SATURATED
    assert tanh.saturated and not sigmoid.saturated
    s3 = 1 / (1 + math.exp(-3))
    assert sigmoid.ratio == pytest.approx(4 * s3 * (1 - s3)) and sigmoid.ratio > SATURATED


def test_the_saturation_threshold_is_stated_once_per_page_and_in_the_introduction(
        pages: dict[str, str]) -> None:  # fmt: skip
    for exercise_id in ("activation-functions", "cs231n-staged", "sigmoid-neuron"):
        assert pages[exercise_id].count("below 10%") == 1, exercise_id
    intro = (ROOT / "docs" / "introduction.md").read_text(encoding="utf-8")
    assert "10%" in intro and "large $\\lvert q\\rvert$" not in intro
    # the thresholds the introduction states are where sigma' and tanh' reach 10%
    q = sympy.Symbol("q", positive=True)
    sig = 1 / (1 + sympy.exp(-q))
    assert f"{float(sympy.nsolve(4 * sig * (1 - sig) - SATURATED, q, 3)):.2f}" in intro
    assert f"{float(sympy.nsolve(1 - sympy.tanh(q) ** 2 - SATURATED, q, 2)):.2f}" in intro


# -- exponential-and-sine: df/dz = cos z does not depend on y ------------------------------


def test_dz_limit_is_not_an_effect_of_y(shipped: Workbook, pages: dict[str, str]) -> None:
    s = solution(shipped, "exponential-and-sine")
    for result in (r for r in s.analysis.limits if r.of == "z"):
        assert not result.depends
        assert result.form == sympy.cos(s.derivation.graph.symbol("z"))
    limits = bullets(section(pages["exponential-and-sine"], "Limits"))
    dz = [b for b in limits if "\\partial z}" in b]
    assert len(dz) == 2 and not any("vanishing" in b or "\\to 0" in b for b in dz)


def test_z_never_moves_because_pi_over_2_is_a_maximum_of_sin(shipped: Workbook,
                                                           pages: dict[str, str]) -> None:
    s = solution(shipped, "exponential-and-sine")
    [z] = [i for i in s.analysis.sensitivity if i.input == "z"]
    assert z.gradient.exact == 0 and z.blocked is not None and z.blocked.extremum == "maximum"
    assert s.descent is not None
    [update] = [u for u in s.descent.steps[0].updates if u.parameter == "z"]
    assert update.new.exact == update.current.exact == sympy.pi / 2
    assert "maximum of sin" in section(pages["exponential-and-sine"], "Answers")


# -- exploding / vanishing only for gradients ------------------------------------------------


def test_exploding_and_vanishing_are_never_said_of_the_function(pages: dict[str, str]) -> None:
    said_of_f = [line for text in pages.values() for line in bullets(text)
                 if line.startswith("As ") and "fixed), $f = " in line]  # fmt: skip
    assert said_of_f  # the quotient, exponential-and-sine and logarithm have such limits
    assert not [line for line in said_of_f if "exploding" in line or "vanishing" in line]


# -- stationary points decided where a partial has a fixed sign ----------------------------


@pytest.mark.parametrize(("exercise_id", "partial", "form"), [
    ("exponential-and-sine", "x", "e^{y}"),
    ("activation-functions", "z", "\\sigma\\left(x + y\\right)"),
])  # fmt: skip
def test_no_stationary_points_where_a_partial_keeps_its_sign(
        shipped: Workbook, pages: dict[str, str], exercise_id: str, partial: str,
        form: str) -> None:  # fmt: skip
    st = solution(shipped, exercise_id).analysis.stationary
    assert st is not None and st.points == () and st.fixed_sign is not None
    assert (st.fixed_sign[0], st.fixed_sign[2]) == (partial, ">")
    [fact] = bullets(section(pages[exercise_id], "Stationary points"))
    assert fact.startswith("None: ") and form in fact
    assert not any("rational function" in text for text in pages.values())


# -- stability advice: relevant, grouped, symbols defined ----------------------------------


def test_stability_advice_defines_its_symbols_and_bears_on_the_point(
        pages: dict[str, str]) -> None:  # fmt: skip
    everything = "\n".join(pages.values())
    for template in ("-a/b^{2}", "(here $a$", "The sine or cosine in node", "a < -709"):
        assert template not in everything, template
    quotient = section(pages["quotient"], "Numerical stability")
    assert "\\frac{- x - y}{z^{2}} = -5" in quotient  # -(x + y)/z^2 at (3, 2, 1)


def test_stability_facts_are_grouped_per_kind(pages: dict[str, str]) -> None:
    facts = bullets(section(pages["cs231n-staged"], "Numerical stability"))
    assert len([f for f in facts if f.startswith("The sigmoid")]) == 1  # sigy and sigx
    [fact] = [f for f in facts if f.startswith("The sigmoid")]
    assert "\\mathit{sigy}" in fact and "\\mathit{sigx}" in fact


# -- answers draw conclusions, they do not copy the analysis -------------------------------


def test_no_answer_repeats_a_bullet_of_the_solution(pages: dict[str, str]) -> None:
    for exercise_id, text in pages.items():
        if "Answers" not in text:
            continue
        answers = set(bullets(section(text, "Answers")))
        before = set(bullets(text[:text.index("Answers")]))
        assert not answers & before, exercise_id


# -- the introduction ------------------------------------------------------------------------


def test_introduction_no_longer_calls_adding_and_multiplying_linear() -> None:
    intro = (ROOT / "docs" / "introduction.md").read_text(encoding="utf-8")
    assert "only adds and multiplies is linear" not in intro
    # (x + y) z adds and multiplies and is not linear: f(2p) != 2 f(p)
    assert backprop("(x + y) * z", at={"x": 2, "y": 2, "z": 2}).value != 2 * backprop(
        "(x + y) * z", at={"x": 1, "y": 1, "z": 1}).value  # fmt: skip


def test_introduction_fan_out_example_has_fan_out() -> None:
    intro = (ROOT / "docs" / "introduction.md").read_text(encoding="utf-8")
    paragraph = intro[intro.index("fans out"):intro.index("## Reading a circuit diagram")]
    assert "g(x, y) = x y + x" in paragraph and "3 + 1 = 4" in paragraph
    d = backprop("x*y + x", at={"x": 2, "y": 3})
    assert len(d.graph.consumers("x")) == 2 and d.gradient["x"] == 4


# -- data inputs (given) -----------------------------------------------------------------------


def test_given_inputs_get_no_gradient_ranking_or_descent() -> None:
    d = backprop("(t - w*x)^2", at={"w": 2, "x": 3, "t": 1}, given=["x", "t"])
    assert d.given == ("t", "x") and d.parameters == ("w",)  # in input order
    assert d.gradient == {"w": 2 * (2 * 3 - 1) * 3}
    assert [row.label for row in d.check.rows] == ["w"] and d.check.agree
    assert d.forward.exact("x") == 3  # still an input node, with its value
    spec = parse_spec("exercises:\n  - id: t\n    title: T\n    function: f(w, x) = "
                      "sigmoid(dot(w, x))\n    at: {w: [1, 2], x: [3, 1]}\n    given: [x]\n"
                      "    descent: {steps: 1}\n", "t.yaml")  # fmt: skip
    s = solve(spec.exercises[0])
    assert [i.input for i in s.analysis.ranking] == ["w0", "w1"]  # |3 s'| > |1 s'|, no x
    assert s.descent is not None and s.descent.parameters == ("w0", "w1")


@pytest.mark.parametrize(("given", "message"), [
    (["q"], "given input 'q' is not an input (inputs: x, y)"),
    (["x", "y"], "every input is given: at least one must be a parameter"),
    ("x", "given must be a list of input names"),
])  # fmt: skip
def test_bad_given_is_one_line_naming_it(given: object, message: str) -> None:
    with pytest.raises(DeriveError, match=re.escape(message)):
        backprop("x * y", at={"x": 1, "y": 2}, given=given)  # type: ignore[arg-type]


def test_bad_given_in_a_file_points_at_it() -> None:
    text = ("exercises:\n  - id: t\n    title: T\n    function: x * y\n    at: {x: 1, y: 2}\n"
            "    given: [z]\n    descent: {parameters: [x], steps: 1}\n")  # fmt: skip
    with pytest.raises(SpecErrors, match=r"t\.yaml:6:\d+: given input 'z' is not an input"):
        load_text(text)
    text = text.replace("given: [z]", "given: [x]")
    with pytest.raises(SpecErrors, match=r"descent parameter 'x' is given \(data\)"):
        load_text(text)


def load_text(text: str) -> Workbook:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.yaml"
        path.write_text(text, encoding="utf-8")
        return load(path)


def test_the_bias_input_of_the_sigmoid_neuron_is_data(shipped: Workbook) -> None:
    for exercise_id in ("sigmoid-neuron", "training-a-neuron"):
        s = solution(shipped, exercise_id)
        assert "x2" in s.derivation.given
        assert "x2" not in [i.input for i in s.analysis.ranking]


# -- Mazur's 2-2-2 network ----------------------------------------------------------------------

PUBLISHED = {"E": "0.298371109", "dE/dw5": "0.082167041", "dE/dw1": "0.000438568",
             "w5+": "0.35891648", "w1+": "0.149780716"}  # fmt: skip
"""Mazur's figures, as he prints them."""
ROUNDED_WEIGHTS = {"w1": "0.149780716", "w2": "0.19956143", "w3": "0.24975114",
                   "w4": "0.29950229", "w5": "0.35891648", "w6": "0.408666186",
                   "w7": "0.511301270", "w8": "0.561370121"}  # fmt: skip
"""His updated weights, rounded as he prints them."""


def same(page_value: str, published: str) -> bool:
    """The page's value rounded to the published number's significant digits is it."""
    digits = len(published.replace(".", "").lstrip("0"))
    return f"{float(page_value):.{digits}g}" == f"{float(published):.{digits}g}"


@pytest.fixture(scope="module")
def mazur_page(site: Path) -> str:
    text = (site / "exercises" / "mazur-network.html").read_text(encoding="utf-8")
    return html.unescape(text[text.index("<article"):text.index("</article>")])


def test_mazur_network_page_reproduces_the_published_figures(mazur_page: str,
                                                             shipped: Workbook) -> None:
    s = solution(shipped, "mazur-network")
    assert s.descent is not None
    first = s.descent.steps[0]
    found = {
        "E": first.objective, "dE/dw5": s.derivation.backward.gradients["w5"],
        "dE/dw1": s.derivation.backward.gradients["w1"],
        "w5+": next(u.new for u in first.updates if u.parameter == "w5"),
        "w1+": next(u.new for u in first.updates if u.parameter == "w1"),
    }  # fmt: skip
    for key, value in found.items():
        printed = f"{float(value.approx):.9g}"
        assert same(printed, PUBLISHED[key]), (key, printed)
    # ... and the built page prints them (9 significant digits, as the exercise asks)
    for printed in ("0.298371109", "0.0821670406", "4.38567734 \\times 10^{-4}", "0.358916480",
                    "0.149780716"):  # fmt: skip
        assert printed in mazur_page, printed


def test_mazur_error_after_one_update_at_his_rounded_weights() -> None:
    s = load(ROOT / "exercises.yaml")
    mazur = solution(s, "mazur-network")
    at = {**mazur.exercise.at, **{k: sympy.Rational(v) for k, v in ROUNDED_WEIGHTS.items()}}
    d = backprop(mazur.exercise.function, at=at, names=mazur.exercise.where)
    value = float(d.forward.values[d.graph.output].approx)
    assert f"{value:.10f}" == "0.2910277737"  # not the published 0.291027924
    assert "0.2910277737" in mazur.exercise.statement and "0.291027924" in mazur.exercise.statement
    assert mazur.descent is not None
    after = mazur.descent.steps[0].objective_after
    assert after is not None and f"{float(after.approx):.9f}" == "0.291027774"


def test_mazur_data_are_not_ranked_or_updated(mazur_page: str, shipped: Workbook) -> None:
    s = solution(shipped, "mazur-network")
    assert s.derivation.parameters == tuple(f"w{i}" for i in range(1, 9))
    assert s.descent is not None and s.descent.parameters == s.derivation.parameters
    ranking = next(line for line in mazur_page.splitlines() if "Ranked by" in line)
    assert "t_{1}" not in ranking and "w_{6}" in ranking
    descent = mazur_page[mazur_page.index("Gradient descent"):mazur_page.index("Analysis")]
    assert "t_{1}" not in descent and "i_{1}" not in descent
    assert "t_{1}" in mazur_page  # shown with its value elsewhere (statement, forward table)
    interpretation = mazur_page[mazur_page.index("Interpretation"):mazur_page.index("Ranked by")]
    assert "t_{1}" not in interpretation and "i_{1}" not in interpretation
    # on the circuit a given input carries its value, not a gradient
    dot = circuit(s.derivation, 4, "mazur-network")
    [t1] = [line for line in dot.splitlines() if line.strip().startswith('"t1" [')]
    assert "= 0.01" in t1 and "-0.7414" not in t1


# -- readable numbers ----------------------------------------------------------------------------


UPDATE = re.compile(r"\$(-?[\d.]+) ([-+]) ([\d.]+) \\cdot (?:\\left\()?(-?[\d.]+)(?:\\right\))?"
                    r"\$ \$= (-?[\d.]+)\$")  # two formulas, so that the cell wraps at "="


def test_update_rows_add_up_as_printed(shipped: Workbook, pages: dict[str, str]) -> None:
    checked = 0
    for exercise_id, text in pages.items():
        digits = solution(shipped, exercise_id).exercise.digits
        for m in UPDATE.finditer(text):
            current, sign, rate, gradient, new = m.groups()
            total = Decimal(current) + (1 if sign == "+" else -1) * Decimal(rate) * Decimal(
                gradient)  # fmt: skip
            shown = Decimal(new)
            checked += 1
            if total == shown:  # exact arithmetic on exactly printed numbers
                continue
            significant = len(new.lstrip("-").replace(".", "").lstrip("0"))
            assert significant >= digits, (exercise_id, m.group(0))  # zeros kept
            half_unit = Decimal(5) * Decimal(10) ** (shown.adjusted() - significant)
            assert abs(total - shown) <= half_unit, (exercise_id, m.group(0))
    assert checked > 30


def test_rounded_decimals_keep_their_trailing_zeros(pages: dict[str, str]) -> None:
    # w0 after 2 steps is 1.84967...: at 4 digits 1.850, not 1.85
    assert "\\left(1.850, -3.301, -2.850\\right)" in pages["training-a-neuron"]


def test_approx_only_for_rounded_values(pages: dict[str, str]) -> None:
    for text in pages.values():
        for m in re.finditer(r"(-?) ?\\frac\{(\d+)\}\{(\d+)\} \\approx (-?[\d.]+)", text):
            sign, p, q, shown = m.groups()
            assert Decimal(shown) != Decimal(int(p)) / Decimal(int(q)) * (-1 if sign else 1)
    assert "- \\frac{1833}{50} = -36.66" in pages["weight-update"]


def test_exact_forms_are_short_and_a_note_says_when_one_is_left_out(
        pages: dict[str, str]) -> None:  # fmt: skip
    for exercise_id, text in pages.items():
        cells = [c for line in text.splitlines() if line.startswith("| ")
                 for c in line.split(" | ")]  # fmt: skip
        assert max(map(len, cells)) < 700, exercise_id  # no nested sigmoids of networks
    forward = section(pages["mazur-network"], "Forward pass")
    assert forward.count("are not printed") == 1
    # cs231n: every exact value is short enough to print now, so the column is full
    cs231n = section(pages["cs231n-staged"], "Forward pass")
    assert "| exact |" in cs231n
    assert all(line.split(" | ")[4].strip() for line in cs231n.splitlines()
               if re.match(r"\| \d+ \|", line))  # fmt: skip


def test_tables_scroll_inside_the_column_on_a_phone(site: Path) -> None:
    css = (ROOT / "derive" / "sphinx" / "static" / "derive.css").read_text(encoding="utf-8")
    assert re.search(r"\.table-wrapper[^{]*\{[^}]*overflow-x:\s*auto", css)
    article = (site / "exercises" / "mazur-network.html").read_text(encoding="utf-8")
    assert article.count('class="table-wrapper') >= 5


WIDTH_SCRIPT = r"""
import functools, http.server, json, sys, threading
from playwright.sync_api import sync_playwright

root, width, pages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
check = sys.stdin.read()

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
threading.Thread(target=httpd.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{httpd.server_address[1]}/"
found = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page(viewport={"width": width, "height": 900})
    for name in pages:
        page.goto(base + name)
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("MathJax.startup.promise")
        page.evaluate(check)
        page.wait_for_timeout(300)
        found[name] = page.evaluate(check)
    browser.close()
httpd.shutdown()
print(json.dumps(found))
"""
"""Run in its own process: the browser test's Chromium (Playwright's sync API) is already
running in this one for the whole session."""

WIDTH_CHECK = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const page = document.documentElement;
  const clipped = [];
  document.querySelectorAll('article .math, article p, article li').forEach(e => {
    if (e.closest('.table-wrapper, div.graphviz, div.highlight')) return;
    const r = e.getBoundingClientRect();
    if (r.width && r.right > page.clientWidth + 1) clipped.push((e.textContent || '').slice(0, 60));
  });
  const tables = [...document.querySelectorAll('article .table-wrapper')].filter(w =>
    w.getBoundingClientRect().right > page.clientWidth + 1).length;
  return {scroll: page.scrollWidth, width: page.clientWidth, clipped, tables};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_widens_or_is_cut_off_the_page(site: Path, width: int) -> None:
    """Tables scroll inside the column; text and formulas wrap (a long sum of fan-out terms
    included); the page itself never scrolls sideways."""
    if not test_browser.CHROMIUM.is_file():
        test_browser.unavailable(f"{test_browser.CHROMIUM} is missing")
    pages = [f"exercises/{n}.html" for n in ("mazur-network", "training-a-neuron",
                                              "activation-functions")]  # fmt: skip
    script = f"ARGS = {test_browser.ARGS!r}\n" + WIDTH_SCRIPT
    done = subprocess.run([sys.executable, "-c", script, str(site), str(width), *pages],
                          input=WIDTH_CHECK, capture_output=True, text=True, timeout=180,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    for name, found in json.loads(done.stdout).items():
        assert found["scroll"] <= found["width"], (name, width, found)
        assert found["clipped"] == [] and found["tables"] == 0, (name, width, found)


# -- review: facts corrected after reading the site as a student ----------------------------


def test_float64_rounds_the_sigmoid_to_1_above_36_7_but_not_to_0_below_minus_36_7(
        pages: dict[str, str]) -> None:  # fmt: skip
    from derive.ops import Value
    from derive.passes.hazards import EXP_OVERFLOW, FLOAT_SATURATES, Hazard

    def sigma(a: float) -> float:
        return 1 / (1 + math.exp(-a))

    above, below = sigma(FLOAT_SATURATES + 0.1), sigma(-FLOAT_SATURATES - 0.1)
    assert above == 1.0 and above * (1 - above) == 0.0
    assert 0 < below < 1e-15 and below * (1 - below) > 0  # accurate, not 0
    near = {a: Hazard("sigmoid-stable", "f", "sigmoid(a)", Value(sympy.Integer(a), a)).near
            for a in (40, -40, -800)}  # fmt: skip
    assert near == {40: True, -40: False, -800: True} and -EXP_OVERFLOW > -800
    facts = [b for text in pages.values() for b in bullets(text) if b.startswith("The sigmoid")]
    assert len(facts) >= 4
    for fact in facts:  # the threshold is one-sided, and no claim of rounding to 0
        assert "36.7" in fact and "\\pm 36.7" not in fact and "0 or 1" not in fact


def backward_rows(text: str) -> list[str]:
    table = section(text, "Backward pass")
    return [line for line in table.splitlines() if line.startswith("| $")]


def test_given_data_get_no_rows_in_the_backward_table(shipped: Workbook,
                                                      pages: dict[str, str]) -> None:
    neuron = backward_rows(pages["sigmoid-neuron"])
    assert not [r for r in neuron if "\\to x_{2}$" in r]  # x2 = 1 is data
    assert len([r for r in neuron if "\\to x_{" in r]) == 2  # x0, x1 are not
    mazur = solution(shipped, "mazur-network")
    rows = backward_rows(pages["mazur-network"])
    for data in ("t_{1}", "t_{2}", "i_{1}", "i_{2}", "b_{1}", "b_{2}"):
        assert not [r for r in rows if f"\\to {data}$" in r], data
    # every wire that remains leads to a weight; those into data are gone
    steps = mazur.derivation.backward.steps
    into_data = [st for st in steps if st.input in mazur.derivation.given]
    assert len(into_data) == 10 and len(rows) == len(steps) - len(into_data)
    sums = section(pages["mazur-network"], "Backward pass")
    for data in ("b_{1}", "b_{2}", "i_{1}", "i_{2}"):  # data fan out, but get no total
        assert f"${data}$ feeds" not in sums, data
    assert "${\\mathit{out}}_{h_{1}}$ feeds" in sums


def test_comparison_table_keeps_the_digits_asked(pages: dict[str, str]) -> None:
    rows = section(pages["activation-functions"], "Comparing the variants")
    s3 = 1 / (1 + math.exp(-3))
    assert f"{-4 * s3:.3f}" == "-3.810" and f"{-4 * math.tanh(3):.3f}" == "-3.980"
    assert "$-3.810$" in rows and "$-3.980$" in rows  # 4 significant digits, zeros kept


def test_each_answer_answers_its_own_question(shipped: Workbook, pages: dict[str, str]) -> None:
    # "why recompute?": the gradient at both points, not how much f fell
    update = section(pages["weight-update"], "Answers")
    found = numbers(update)
    for g in (-4, 7, -4.7, 7.8):  # (z, z, x + y) at (2, 5, -4) and at (2.4, 5.4, -4.7)
        assert g in found, g
    assert -28 not in found and not close(found, -36.66)
    # "how does the error change?": the error and why, not the gradient vector of the start
    for exercise_id, start in (("training-a-neuron", -0.2689414 * 0.1966119 * -1),
                               ("mazur-network", 0.0826676278)):  # fmt: skip
        answer = section(pages[exercise_id], "Answers").split("**")[-1]
        assert not close(numbers(answer), start), exercise_id
    s = solution(shipped, "training-a-neuron")
    assert s.descent is not None
    changes = [abs(float(st.change.approx)) for st in s.descent.steps if st.change is not None]
    assert all(b < a for a, b in itertools.pairwise(changes))  # so "each step"
    # no limit was asked for in cs231n: its answer claims nothing about limits
    assert "limit asked" not in section(pages["cs231n-staged"], "Answers")


def test_limits_with_the_same_effect_are_one_answer(pages: dict[str, str]) -> None:
    [first, second] = section(pages["logarithm"], "Answers").split("**2.")
    said = [b for b in bullets(first) if "\\infty" in b]
    assert len(said) == 1 and all(t in said[0] for t in (
        "x \\to \\infty", "x \\to -\\infty", "y \\to \\infty"))  # fmt: skip
    assert len([b for b in bullets(first) if b.startswith("As ")]) == 3  # and x -> 0, y -> 0
    assert len([b for b in bullets(second) if b.startswith("As ")]) == 1
    # the limits themselves are each in the analysis, one bullet per limit and partial
    assert len(bullets(section(pages["logarithm"], "Limits"))) == 15


def test_named_nodes_where_the_notebook_names_them(pages: dict[str, str]) -> None:
    """z = w . x (the notebook's name), q = x + y, and the activation g of worked example 4:
    no v1 left on these pages."""
    for exercise_id in ("sigmoid-neuron", "training-a-neuron", "quotient",
                        "activation-functions"):  # fmt: skip
        assert "v_{1}" not in pages[exercise_id], exercise_id
    assert "| $z$ | $z = w_{0} \\cdot x_{0}" in pages["sigmoid-neuron"]
    assert "| $g$ | $g = \\sigma\\left(q\\right)$" in pages["activation-functions"]


def mazur_floats(w: list[float]) -> tuple[float, list[float]]:
    """E_total and its gradient in w1..w8 of Mazur's network, by hand, in floats."""
    i1, i2, b1, b2, t1, t2 = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99

    def s(a: float) -> float:
        return 1 / (1 + math.exp(-a))

    h1, h2 = s(w[0] * i1 + w[1] * i2 + b1), s(w[2] * i1 + w[3] * i2 + b1)
    o1, o2 = s(w[4] * h1 + w[5] * h2 + b2), s(w[6] * h1 + w[7] * h2 + b2)
    d1, d2 = (o1 - t1) * o1 * (1 - o1), (o2 - t2) * o2 * (1 - o2)
    e1, e2 = (d1 * w[4] + d2 * w[6]) * h1 * (1 - h1), (d1 * w[5] + d2 * w[7]) * h2 * (1 - h2)
    grad = [e1 * i1, e1 * i2, e2 * i1, e2 * i2, d1 * h1, d1 * h2, d2 * h1, d2 * h2]
    return ((t1 - o1) ** 2 + (t2 - o2) ** 2) / 2, grad


def test_mazur_answer_compares_the_change_with_its_first_order_estimate(
        pages: dict[str, str]) -> None:  # fmt: skip
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    e0, g = mazur_floats(w)
    e1, _ = mazur_floats([wi - 0.5 * gi for wi, gi in zip(w, g, strict=True)])
    predicted, actual = -0.5 * sum(x * x for x in g), e1 - e0
    assert abs(actual / predicted - 1) < 0.01  # within 1%: the linear picture holds
    answer = section(pages["mazur-network"], "Answers").split("**2.")[1]
    found = numbers(answer)
    assert close(found, predicted, 8) and close(found, actual, 8)
    assert not close(found, 0.0826676278, 8)  # not the gradient-recompute bullet


def test_quotient_has_no_stationary_points_because_1_over_z_is_never_zero(
        shipped: Workbook, pages: dict[str, str]) -> None:  # fmt: skip
    st = solution(shipped, "quotient").analysis.stationary
    assert st is not None and st.points == () and st.never_zero is not None
    wrt, form = st.never_zero
    [z] = form.free_symbols
    assert wrt == "x" and sympy.simplify(form - 1 / z) == 0  # df/dx = 1/z: numerator 1
    assert not sympy.solve(sympy.fraction(sympy.together(form))[0], z)
    [fact] = bullets(section(pages["quotient"], "Stationary points"))
    assert fact.startswith("None: ") and "\\frac{1}{z}" in fact
    # cs231n: undecided, and the page does not claim more than SymPy showed
    [undecided] = bullets(section(pages["cs231n-staged"], "Stationary points"))
    assert "not determined" in undecided and "could not show" in undecided
