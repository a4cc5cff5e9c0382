"""The circuits in a real browser (Debian's Chromium via Playwright): legible, placed,
interactive and self-checking, on every shipped exercise page and on a test page that
embeds the CS231n expanded neuron and a 14-input 2-2-2 sigmoid network with the
`derivation` directive.

Expected numbers always come from the Python API (`backprop`), never from the page's own
script. One browser for the module; each page is opened once and reused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_browser import browser, serve  # noqa: F401 - browser: the one Chromium fixture
from test_property import featuring, points

from derive import backprop
from derive.errors import DomainError
from derive.expand import expand
from derive.marking import mark_model
from derive.model import Passes, exact_passes, model
from derive.spec import read_spec

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SPEC = read_spec(ROOT / "exercises.yaml")
EXERCISES = {f"exercises/{e.id}.html": e for e in SPEC.exercises}

NEURON = ("f(w0, x0, w1, x1, w2) = 1/(1 + exp(-(w0*x0 + w1*x1 + w2)))",
          {"w0": "2", "x0": "-1", "w1": "-3", "x1": "-2", "w2": "-3"}, {})  # fmt: skip
NETWORK_AT = {"i1": "0.05", "i2": "0.1", "w1": "0.15", "w2": "0.2", "w3": "0.25", "w4": "0.3",
              "w5": "0.4", "w6": "0.45", "w7": "0.5", "w8": "0.55", "b1": "0.35", "b2": "0.6",
              "t1": "0.01", "t2": "0.99"}  # fmt: skip
NETWORK = (f"E({', '.join(NETWORK_AT)}) = (t1 - o1)^2/2 + (t2 - o2)^2/2", NETWORK_AT,
           {"h1": "sigmoid(w1*i1 + w2*i2 + b1)", "h2": "sigmoid(w3*i1 + w4*i2 + b1)",
            "o1": "sigmoid(w5*h1 + w6*h2 + b2)", "o2": "sigmoid(w7*h1 + w8*h2 + b2)"})  # fmt: skip


def _directive(function: str, at: dict[str, str], where: dict[str, str]) -> str:
    options = ":at: " + ", ".join(f"{k}={v}" for k, v in at.items())
    if where:
        options += "\n:where: " + ", ".join(f"{k}={v}" for k, v in where.items())
    return f"```{{derivation}} {function}\n{options}\n:digits: 4\n```\n"


TEST_PAGE = ("---\norphan: true\n---\n# Circuits\n\n## The CS231n neuron, expanded\n\n"
             + _directive(*NEURON) + "\n## A 2-2-2 sigmoid network\n\n" + _directive(*NETWORK))  # fmt: skip
SMALL = """exercises:
  - id: tiny
    title: Tiny
    function: f(x, y) = x * y
    at: {x: 2, y: 3}
"""

# ---- fixtures: one browser, two served sites, pages opened once ----


@pytest.fixture(scope="module")
def test_site(tmp_path_factory: pytest.TempPathFactory, site_builder: Any) -> Path:
    """A small site whose docs hold the test page of the neuron and the network."""
    from conftest import copy_docs

    root = tmp_path_factory.mktemp("circuits")
    docs = copy_docs(root / "src")
    (docs / "circuits.md").write_text(TEST_PAGE, encoding="utf-8")
    (root / "tiny.yaml").write_text(SMALL, encoding="utf-8")
    return site_builder(root / "tiny.yaml", root, docs=docs)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def open_page(browser: Any, site: Path, test_site: Path) -> Iterator[Any]:  # noqa: F811 - the fixture
    """open_page(path) -> (Playwright page, errors list); the same page on every call."""
    with ExitStack() as stack:
        shipped = stack.enter_context(serve(site))
        extra = stack.enter_context(serve(test_site))
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        stack.callback(context.close)
        cache: dict[str, tuple[Any, list[str]]] = {}

        def get(path: str, fresh: bool = False) -> tuple[Any, list[str]]:
            """The page at `path`; `fresh` opens it anew, untouched by earlier tests."""
            if path not in cache or fresh:
                if path in cache:
                    cache[path][0].close()
                page, errors = context.new_page(), []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
                page.goto((extra if path == "circuits.html" else shipped) + path, wait_until="load")
                page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
                cache[path] = (page, errors)
            return cache[path]

        yield get


PAGES = [*EXERCISES, "circuits.html"]


# ---- what the page shows: every circuit, each level of detail ----

GEOMETRY = """() => {
  const problems = [], seen = [];
  const inter = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
                          Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const measure = (c, where) => {
    const svg = c.querySelector('svg.derive-circuit-svg');
    const ctm = svg.getScreenCTM();
    if (Math.abs(ctm.a - 1) > 1e-6 || Math.abs(ctm.d - 1) > 1e-6) problems.push(`${where}: drawn at scale ${ctm.a}`);
    const texts = [...svg.querySelectorAll('text')];
    for (const t of texts) {
      const size = parseFloat(getComputedStyle(t).fontSize) * ctm.a;
      if (!(size >= 12)) problems.push(`${where}: text '${t.textContent}' at ${size} px`);
    }
    const labels = [...svg.querySelectorAll('g.derive-label text')].map(t => [t, t.getBoundingClientRect()]);
    const nodes = [...svg.querySelectorAll('g[data-node]')].map(g => [g, g.getBoundingClientRect()]);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++)
        if (inter(labels[i][1], labels[j][1]))
          problems.push(`${where}: labels '${labels[i][0].textContent}' and '${labels[j][0].textContent}' overlap`);
      for (const [g, r] of nodes)
        if (inter(labels[i][1], r)) problems.push(`${where}: label '${labels[i][0].textContent}' overlaps node ${g.dataset.node}`);
    }
    for (const g of svg.querySelectorAll('g.derive-label')) {
      const v = g.querySelector('.value'), d = g.querySelector('.grad');
      if (v && d && v.getBoundingClientRect().bottom > d.getBoundingClientRect().top + 0.5)
        problems.push(`${where}: on ${g.dataset.edge || 'the output'} the value is not above the gradient`);
    }
    seen.push({where, texts: texts.length, labels: labels.length, nodes: nodes.length,
               edges: svg.querySelectorAll('g[data-edge]').length});
  };
  document.querySelectorAll('.derive-circuit').forEach((c, i) => {
    const group = c.closest('.derive-circuits');
    if (group) group.querySelector(`[data-derive-level="${c.dataset.level}"]`).click();
    measure(c, `circuit ${i} (${c.dataset.level})`);
  });
  document.querySelectorAll('.derive-circuits [data-derive-level="fused"]').forEach(b => b.click());
  return {problems, seen};
}"""


@pytest.mark.parametrize("path", PAGES)
def test_circuit_text_is_legible_and_labels_never_collide(open_page: Any, path: str) -> None:
    page, errors = open_page(path)
    found = page.evaluate(GEOMETRY)
    assert found["seen"], f"{path}: no circuit"
    assert all(s["edges"] > 0 and s["nodes"] > 0 for s in found["seen"])
    assert not found["problems"], f"{path}:\n  " + "\n  ".join(found["problems"][:30])
    assert not errors


def test_the_test_page_holds_the_neuron_and_the_network(open_page: Any) -> None:
    page, _ = open_page("circuits.html")
    counts = page.evaluate("() => [...document.querySelectorAll('.derive-circuit')].map(c => "
                           "[c.dataset.level, c.querySelectorAll('input[data-derive-input]').length])")  # fmt: skip
    assert counts == [["fused", 5], ["fused", 14], ["expanded", 14]]


# ---- interaction: every input field recomputes both passes ----


def _at(case: tuple[str, dict[str, Any], dict[str, str]], values: dict[str, str]) -> dict[str, Any]:
    """The `at` mapping of a case with scalar inputs replaced by `values` (component ids)."""
    out: dict[str, Any] = {}
    for name, value in case[1].items():
        if isinstance(value, (tuple, list)):
            out[name] = [values.get(f"{name}{i}", str(v)) for i, v in enumerate(value)]
        else:
            out[name] = values.get(name, str(value))
    return out


def _case(path: str, index: int = 0) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The function, point and names of the `index`-th circuit of a page."""
    if path in EXERCISES:
        e = EXERCISES[path]
        return e.function, dict(e.at), dict(e.where)
    return NEURON if index == 0 else NETWORK


READ = """(c) => {
  const n = e => e ? parseFloat(e.getAttribute('data-number')) : null;
  const out = {edges: {}, totals: {}, output: n(c.querySelector('[data-derive-output]')),
               status: c.querySelector('.derive-circuit-status').textContent};
  for (const g of c.querySelectorAll('g[data-edge]'))
    out.edges[g.dataset.edge] = [n(g.querySelector('.value')), n(g.querySelector('.grad'))];
  for (const t of c.querySelectorAll('[data-derive-total]')) out.totals[t.dataset.deriveTotal] = n(t);
  return out;
}"""


def _agree(shown: dict[str, Any], expected: Passes, output: str) -> list[str]:
    def off(a: float | None, b: float) -> bool:
        return a is None or not abs(a - b) <= 1e-9 * max(1.0, abs(b))

    problems = []
    if off(shown["output"], expected.values[output]):
        problems.append(f"output {shown['output']} != {expected.values[output]}")
    for edge, (value, grad) in shown["edges"].items():
        source, target = edge.split("->")
        if off(value, expected.values[source]):
            problems.append(f"{edge} value {value} != {expected.values[source]}")
        if (source, target) in expected.wires and off(grad, expected.wires[(source, target)]):
            problems.append(f"{edge} gradient {grad} != {expected.wires[(source, target)]}")
    for name, total in shown["totals"].items():
        if off(total, expected.totals[name]):
            problems.append(f"total of {name} {total} != {expected.totals[name]}")
    return problems


@pytest.mark.parametrize("path", [*EXERCISES, "circuits.html"])
def test_typing_an_input_recomputes_every_number_as_backprop_does(open_page: Any, path: str) -> None:
    page, errors = open_page(path)
    circuits = page.locator(".derive-circuit")
    for index in range(circuits.count()):
        case = _case(path, index)
        base = backprop(case[0], at=case[1], names=case[2] or None)
        circuit = circuits.nth(index)
        level = circuit.get_attribute("data-level")
        if level == "expanded":
            circuit.evaluate("c => c.closest('.derive-circuits').querySelector("
                             "'[data-derive-level=\"expanded\"]').click()")  # fmt: skip
        fields = circuit.locator("input[data-derive-input]")
        values: dict[str, str] = {}
        # the expanded level runs the same evaluator on another graph: a few fields suffice
        for k in range(fields.count() if level == "fused" else min(fields.count(), 4)):
            field = fields.nth(k)
            name = field.get_attribute("data-derive-input")
            old = float(base.forward.values[name].approx)
            new = repr(round(old + (0.375 if k % 2 == 0 else -0.25) * (1 + k % 3), 6))
            values[name] = new
            field.fill(new)
            shown = circuit.evaluate(READ)
            try:
                d = backprop(case[0], at=_at(case, values), names=case[2] or None)
            except DomainError as exc:
                assert "Outside the domain" in shown["status"] and f"node {exc.node}" in shown["status"], (
                    path, values, shown["status"])  # fmt: skip
                continue
            expected = exact_passes(expand(d) if level == "expanded" else d)
            problems = _agree(shown, expected, d.graph.output)
            assert not problems, f"{path} ({level}) at {values}:\n  " + "\n  ".join(problems[:20])
            assert shown["status"] == ""
        circuit.locator("[data-derive-reset]").click()
        shown = circuit.evaluate(READ)
        assert not _agree(shown, exact_passes(expand(base) if level == "expanded" else base),
                          base.graph.output), "reset restores the exercise's point"  # fmt: skip
        if level == "expanded":
            circuit.evaluate("c => c.closest('.derive-circuits').querySelector("
                             "'[data-derive-level=\"fused\"]').click()")  # fmt: skip
    assert not errors


def test_a_point_outside_the_domain_is_shown_not_thrown(open_page: Any) -> None:
    page, errors = open_page("exercises/quotient.html")
    circuit = page.locator(".derive-circuit").first
    fields = circuit.locator("input[data-derive-input]")
    for k in range(fields.count()):
        fields.nth(k).fill("0")
    status = circuit.locator(".derive-circuit-status")
    text = status.text_content() or ""
    case = _case("exercises/quotient.html")
    zero = dict.fromkeys(base_inputs(case), "0")
    try:
        backprop(case[0], at=_at(case, zero), names=case[2] or None)
        raise AssertionError("the Python API should refuse this point")
    except DomainError as exc:
        assert text.startswith("Outside the domain: ") and f"node {exc.node}" in text, text
        assert exc.reason in text, (exc.reason, text)
    assert status.is_visible()
    assert circuit.locator("g[data-node].derive-undefined").count() == 1
    assert circuit.evaluate(READ)["output"] is not None  # data-number reads nan: not a number
    assert math.isnan(circuit.evaluate(READ)["output"])
    circuit.locator("[data-derive-reset]").click()
    assert (status.text_content() or "") == ""
    assert not errors, errors


def base_inputs(case: tuple[str, dict[str, Any], dict[str, str]]) -> list[str]:
    d = backprop(case[0], at=case[1], names=case[2] or None)
    return list(d.graph.inputs)


# ---- check yourself: carry-forward marking on the page ----


def _fill(circuit: Any, answers: dict[str, float]) -> dict[str, tuple[str | None, str | None]]:
    """Switch check-yourself on, type `answers`, check; each box's verdict and feedback."""
    if circuit.locator("[data-derive-selfcheck]").get_attribute("aria-pressed") != "true":
        circuit.locator("[data-derive-selfcheck]").click()
    boxes = circuit.locator("input[data-derive-answer]")
    for k in range(boxes.count()):
        boxes.nth(k).fill("")
    for quantity, value in answers.items():
        circuit.locator(f'input[data-derive-answer="{quantity}"]').fill(repr(value))
    circuit.locator("[data-derive-check]").click()
    found = circuit.evaluate("""c => Object.fromEntries([...c.querySelectorAll('input[data-derive-answer]')]
        .map(i => [i.dataset.deriveAnswer, [i.parentNode.dataset.verdict || null, i.parentNode.title || null]]))""")
    return {quantity: (verdict, feedback) for quantity, (verdict, feedback) in found.items()}


def _truth(d: Any) -> dict[str, float]:
    """Every asked quantity's true number, rounded to 4 digits as a student would write it."""
    p = exact_passes(d)
    out = {f"value:{n.id}": p.values[n.id] for n in d.graph.operations}
    out |= {f"grad:{s}->{t}": v for (s, t), v in p.wires.items()}
    out |= {f"grad:{i}": p.totals[i] for i in d.graph.inputs}
    return {k: float(f"{v:.4g}") for k, v in out.items()}


def test_check_yourself_all_right_then_carried_forward(open_page: Any) -> None:
    page, errors = open_page("exercises/linear-combination.html", fresh=True)
    circuit = page.locator(".derive-circuit").first
    e = EXERCISES["exercises/linear-combination.html"]
    d = backprop(e.function, at=dict(e.at), names=dict(e.where))
    truth = _truth(d)
    boxes = circuit.evaluate("c => [...c.querySelectorAll('input[data-derive-answer]')].map(i => i.dataset.deriveAnswer)")
    assert sorted(boxes) == sorted(["value:q", "value:f", "grad:q->f", "grad:z->f", "grad:x->q",
                                    "grad:y->q", "grad:x", "grad:y", "grad:z"])  # fmt: skip
    marks = _fill(circuit, {q: truth[q] for q in boxes})
    # the numbers asked for are hidden in this mode, the answer boxes shown in their place
    hidden = circuit.evaluate("c => [...c.querySelectorAll('svg [data-asked]')].every("
                              "t => getComputedStyle(t).visibility === 'hidden')")  # fmt: skip
    assert hidden and circuit.locator('input[data-derive-answer="grad:q->f"]').is_visible()
    assert {v for v, _ in marks.values()} == {"right"}
    # one wrong upstream gradient; downstream answers consistent with it
    wrong = {q: truth[q] for q in boxes} | {"grad:q->f": 4.0, "grad:x->q": 4.0, "grad:y->q": 4.0,
                                             "grad:x": 4.0, "grad:y": 4.0}  # fmt: skip
    marks = _fill(circuit, wrong)
    assert marks["grad:q->f"][0] == "wrong"
    for q in ("grad:x->q", "grad:y->q", "grad:x", "grad:y"):
        assert marks[q] == ("carried", "carried forward: right from your own earlier answers; "
                            "the first wrong step is the gradient on wire q -> f"), q  # fmt: skip
    assert marks["grad:z->f"][0] == "right"
    status = circuit.locator(".derive-circuit-status").inner_text()
    assert "the first wrong step is the gradient on wire q -> f" in status
    assert "4 right, 1 wrong, 4 carried forward, 0 blank." in status
    circuit.locator("[data-derive-selfcheck]").click()  # off again: numbers back
    assert not errors


def test_check_yourself_names_a_forgotten_fan_out_sum(open_page: Any) -> None:
    page, errors = open_page("exercises/cs231n-staged.html", fresh=True)
    circuit = page.locator(".derive-circuit").first
    e = EXERCISES["exercises/cs231n-staged.html"]
    d = backprop(e.function, at=dict(e.at), names=dict(e.where))
    wires = exact_passes(d).wires
    # x feeds num, sigx and xpy: its total is the sum of three wires; give one of them
    marks = _fill(circuit, {"grad:x->num": wires[("x", "num")], "grad:x": wires[("x", "num")]})
    assert marks["grad:x"][0] == "wrong"
    assert marks["grad:x"][1] == (
        "wrong, and the first wrong step: the fan-out contributions are not added: x feeds 3 "
        "wires and its gradient is their sum, not the x -> num wire alone")
    assert marks["grad:x->num"][0] == "right"
    assert "fan-out contributions are not added" in circuit.locator(
        ".derive-circuit-status").inner_text()
    circuit.locator("[data-derive-selfcheck]").click()
    assert not errors


# ---- the script mirrors the Python: marking and the evaluator ----


def _truth_json(p: Passes) -> dict[str, Any]:
    return {"values": p.values, "totals": p.totals,
            "wires": {f"{s}->{t}": v for (s, t), v in p.wires.items()}}  # fmt: skip


MARKING_CASES = [
    ("(x + y) * z", {"x": -2, "y": 5, "z": -4}, {"q": "x + y"},
     {"grad:q->f": 4.0, "grad:x->q": 4.0, "grad:y->q": 4.0, "grad:z->f": 3.0}),
    ("(x + y) * z", {"x": -2, "y": 5, "z": -4}, {"q": "x + y"},
     {"value:q": 7.0, "f": -28.0, "grad:z->f": 7.0, "grad:x->q": 1.0, "grad:x": None}),
    ("x * y + x", {"x": 3, "y": 2}, {}, {"grad:x->v1": 2.0, "grad:x->f": 1.0, "grad:x": 2.0}),
    ("x * y + x", {"x": 3, "y": 2}, {}, {"grad:x->v1": 5.0, "grad:x": 6.0}),
    ("(a + b) * (a + b) + (a + b)", {"a": 1, "b": 2}, {"s": "a + b"}, {"grad:a->s": 6.0}),
    ("f(w, x) = sigmoid(dot(w, x))", {"w": [2, -3, -3], "x": [-1, -2, 1]}, {},
     {"grad:v1->f": 0.7310585786300049, "f": 0.7311, "grad:w0->v1": -0.1966}),
    ("(x - y) * z", {"x": 1, "y": 3, "z": 2}, {"d": "x - y"},
     {"grad:y->d": 2.0, "value:d": 4.0, "grad:d->f": 2.0}),
    ("-(x * y)", {"x": 1.5, "y": 2}, {}, {"grad:v1->f": 1.0, "value:f": 3.0}),
]  # fmt: skip


def test_the_script_marks_exactly_as_derive_marking(open_page: Any) -> None:
    page, _ = open_page("circuits.html")
    for function, at, where, answers in MARKING_CASES:
        d = backprop(function, at=at, names=where or None)
        m, passes = model(d), exact_passes(d)
        for digits in (2, 4):
            python = [mk.to_dict() for mk in mark_model(m, passes, answers, digits)]
            script = page.evaluate("([m, t, a, d]) => window.deriveCircuit.mark(m, t, a, d)",
                                   [m, _truth_json(passes), answers, digits])  # fmt: skip
            assert script == python, (function, answers, digits)


def test_the_script_formats_numbers_as_derive_does(open_page: Any) -> None:
    from mpmath import mpf

    from derive.render.text import decimal

    page, _ = open_page("circuits.html")
    numbers = [0.0, 1.0, -12.0, 0.5, 0.1966119332414819, 1e-5, 0.00012345, 0.0012345, 123456.0,
               1234567.0, 1.5e-47, 3.0000001, 2.5e10, 99999.5, 999999.5, -0.000999, 42.42424242]
    for digits in (2, 4, 6):
        script = page.evaluate("([xs, d]) => xs.map(x => window.deriveCircuit.format(x, d))",
                               [numbers, digits])  # fmt: skip
        assert script == [decimal(mpf(x), digits) for x in numbers], digits


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_the_script_evaluates_the_property_test_expressions_as_backprop(
        open_page: Any, data: st.DataObject) -> None:  # fmt: skip
    """The generator of tests/test_property.py: random expressions of every function at
    random points; the script's float passes agree with derive's exact ones."""
    function = data.draw(st.sampled_from(["neg", "exp", "sin", "cos", "tanh", "sigmoid",
                                          "log1sq", "sqrt1sq", "sqrtexp"]))  # fmt: skip
    f = data.draw(featuring(function), label="f")
    values = data.draw(points, label="point")
    assume(f.names)
    point = {name: values[name] for name in sorted(f.names)}
    try:
        d = backprop(f.text, at={k: f"{v.numerator}/{v.denominator}" for k, v in point.items()})
    except DomainError:
        assume(False)
        return
    page, _ = open_page("circuits.html")
    m = model(d)
    shown = page.evaluate("([m]) => window.deriveCircuit.run(m, m.at)", [m])
    assert "failure" not in shown, (f.text, shown.get("failure"))
    expected = _truth_json(exact_passes(d))
    for part in ("values", "wires", "totals"):
        for key, value in expected[part].items():
            got = shown[part][key]
            assert abs(got - value) <= 1e-9 * max(1.0, abs(value)), (f.text, part, key, got, value)
    assert json.dumps(sorted(shown["wires"])) == json.dumps(sorted(expected["wires"]))
