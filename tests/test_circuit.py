"""The circuit drawing without a browser: placement, the SVG and its page contract, the
PDF, the expansion of fused gates, the `circuit:` key, and Graphviz failures."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest
import sympy

from derive import DeriveError, backprop
from derive.expand import expand, expand_graph, expandable, paths
from derive.model import exact_passes
from derive.render import drawing as drawing_module
from derive.render import layout as layout_module
from derive.render.circuit import circuit_pdf, circuit_svg
from derive.render.drawing import LABEL_SIZE, drawing, fold
from derive.render.interactive import _json, circuit_block

LINEAR = backprop("(x + y) * z", at={"x": -2, "y": 5, "z": -4}, names={"q": "x + y"})
NEURON = backprop("f(w, x) = sigmoid(dot(w, x))", at={"w": [2, -3, -3], "x": [-1, -2, 1]})
STAGED = backprop(
    "f(x, y) = num * invden", at={"x": 3, "y": -4},
    names={"sigy": "sigmoid(y)", "num": "x + sigy", "sigx": "sigmoid(x)", "xpy": "x + y",
           "xpysqr": "xpy^2", "den": "sigx + xpysqr", "invden": "1 / den"})  # fmt: skip


def test_labels_sit_above_and_below_their_wire_and_never_collide() -> None:
    for d in (LINEAR, NEURON, STAGED, expand(NEURON)):
        dr = drawing(d, 4, "t")
        assert dr.overlaps == 0
        nodes = [s.box for s in dr.shapes]
        boxes = [b for lb in dr.labels for b in (lb.value_box, lb.grad_box) if lb.grad is not None]
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b)
        for box in boxes:
            assert not any(box.overlaps(n) for n in nodes)
        for lb in dr.labels:
            if lb.grad is not None:
                assert lb.value_box.top + lb.value_box.height <= lb.grad_box.top
            assert lb.value_box.width >= len(lb.value) * LABEL_SIZE * 0.6


def test_the_svg_carries_the_page_contract() -> None:
    svg = circuit_svg(LINEAR, 4, "linear")
    assert re.findall(r'data-node="([^"]+)"', svg) == ["x", "y", "z", "q", "f"]
    assert re.findall(r'data-edge="([^"]+)"', svg) == ["x->q", "y->q", "q->f", "z->f"]
    label = re.search(r'<g class="derive-label" data-edge="q->f">(.*?)</g>', svg)
    assert label is not None
    assert 'class="value"' in label.group(1) and 'data-number="3.0"' in label.group(1)
    assert 'class="grad"' in label.group(1) and 'data-number="-4.0"' in label.group(1)
    assert re.search(r'data-number="-12.0" data-derive-output=""', svg)
    assert re.search(r'data-derive-total="z" data-number="3.0"', svg)
    sizes = {int(s) for s in re.findall(r'font-size="(\d+)"', svg)}
    assert min(sizes) >= 12
    # the full float64 behind a rounded text
    svg = circuit_svg(NEURON, 4, "neuron")
    assert re.search(r'data-number="0.7310585786300049" data-derive-output=""[^>]*>0.7311<', svg)


def test_fan_out_wires_carry_their_own_contribution_and_the_input_its_total() -> None:
    d = backprop("x * y + x + sin(x)", at={"x": 3, "y": 2})
    svg = circuit_svg(d, 4, "fan")
    wires = exact_passes(d).wires
    for target in ("v1", "v2", "v3"):
        number = re.search(rf'data-edge="x->{target}">.*?class="grad"[^>]*data-number="([^"]+)"', svg)
        assert number is not None and float(number.group(1)) == wires[("x", target)]
    total = re.search(r'data-derive-total="x" data-number="([^"]+)"', svg)
    assert total is not None
    assert float(total.group(1)) == pytest.approx(sum(wires[("x", t)] for t in ("v1", "v2", "v3")))


def test_constants_fold_into_their_gates() -> None:
    d = backprop("1 / (1 + exp(-(w*x)))", at={"w": 2, "x": -1})
    symbols = {n.id: fold(d, n.id) for n in d.graph.operations}
    assert sorted(s for s in symbols.values() if s) == ["+1", "1/x"]
    svg = circuit_svg(d, 4, "neuron")
    assert '<g class="derive-node derive-const"' not in svg  # no constant drawn on its own
    assert ">+1<" in svg and ">1/x<" in svg
    assert fold(backprop("x^2 - 3", at={"x": 1}), "f") == "\u22123"


def test_every_text_is_escaped_and_the_json_cannot_close_its_script() -> None:
    svg = circuit_svg(LINEAR, 4, "t")
    assert "x-&gt;q" in svg  # attribute text escaped
    assert "<title>Circuit of f(x, y, z) = (x + y) * z</title>" in circuit_svg(
        backprop("f(x, y, z) = (x + y) * z", at={"x": 1, "y": 2, "z": 3}), 4, "t")
    text = _json({"sources": {"v1": "</script><script>alert(1)</script>&"}})
    assert "</script>" not in text and "<" not in text and "&" not in text
    block = circuit_block(LINEAR, 4, 'a "name" <b>', 4)
    assert 'id="derive-a-name-b"' in block


def test_the_drawing_is_deterministic() -> None:
    assert circuit_block(STAGED, 4, "s", 6) == circuit_block(STAGED, 4, "s", 6)


def test_the_same_drawing_as_a_pdf() -> None:
    pdf = circuit_pdf(LINEAR, 4, "linear")
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    words = text.stdout.decode().split()
    for word in ("x", "q", "-12", "-4", "3"):
        assert word in words
    standalone = circuit_svg(LINEAR, 4, "linear", standalone=True)
    assert "<style>" in standalone and "var(" not in standalone


def test_expansion_rewrites_sigmoid_and_dot_into_primitives() -> None:
    assert expandable(NEURON) and not expandable(LINEAR)
    graph = expand_graph(NEURON.graph)
    ops = [n.op for n in graph.nodes if n.op not in ("input", "const")]
    assert ops == ["mul", "mul", "mul", "add", "add", "neg", "exp", "add", "div"]
    assert graph.output == "f" and graph.node("f").op == "div"
    e = expand(NEURON)
    for name, value in NEURON.gradient.items():
        assert abs(sympy.N(e.gradient[name] - value, 50)) < 1e-40
    (path,) = paths(NEURON, e)
    assert [op for *_, op, _ in path.chain] == ["neg", "exp", "add", "div"]
    assert abs(path.product.approx - path.fused.approx) < 1e-35
    assert float(path.fused.approx) == pytest.approx(0.19661193324148185)


def test_the_page_offers_both_levels_where_expanding_changes_the_circuit() -> None:
    block = circuit_block(NEURON, 4, "neuron", 8, level="expanded")
    assert block.count('class="derive-circuit"') == 2
    assert '<div class="derive-circuit" id="derive-neuron-fused" data-level="fused" hidden>' in block
    assert 'data-level="expanded">' in block
    assert "is the product of the local derivatives along v1" in block
    assert circuit_block(LINEAR, 4, "l", 4).count('class="derive-circuit"') == 1


def test_the_circuit_key_of_the_exercise_file(tmp_path: Path) -> None:
    from derive.spec import read_spec
    from derive.spec.schema import read_valid_part

    path = tmp_path / "e.yaml"
    path.write_text("exercises:\n  - {id: a, title: A, function: sigmoid(x), at: {x: 1},"
                    " circuit: expanded}\n  - {id: b, title: B, function: x, at: {x: 1}}\n")  # fmt: skip
    spec = read_spec(path)
    assert [e.circuit for e in spec.exercises] == ["expanded", "fused"]
    path.write_text("exercises:\n  - {id: a, title: A, function: x, at: {x: 1}, circuit: big}\n")
    _, errors = read_valid_part(path)
    assert [str(e) for e in errors] == [
        f"{path}:2:57: circuit must be 'fused' or 'expanded', not 'big'"]


def test_a_graphviz_failure_is_a_derive_error_naming_the_circuit(monkeypatch: pytest.MonkeyPatch) -> None:
    layout_module._run.cache_clear()
    monkeypatch.setattr(drawing_module, "_RECENT", {})  # drawn before: lay it out again

    def timeout(*args: object, **kwargs: object) -> object:
        raise subprocess.TimeoutExpired("dot", 1)

    monkeypatch.setattr(layout_module.subprocess, "run", timeout)
    with pytest.raises(DeriveError, match=r"^linear-combination: Graphviz's dot took more than"):
        circuit_svg(LINEAR, 4, "linear-combination")

    def missing(*args: object, **kwargs: object) -> object:
        raise FileNotFoundError("dot")

    monkeypatch.setattr(layout_module.subprocess, "run", missing)
    with pytest.raises(DeriveError, match=r"^ex: Graphviz's dot is not installed"):
        circuit_svg(LINEAR, 4, "ex")

    def broken(*args: object, **kwargs: object) -> object:
        return subprocess.CompletedProcess(["dot"], 1, "", "Error: syntax error in line 1\n")

    monkeypatch.setattr(layout_module.subprocess, "run", broken)
    with pytest.raises(DeriveError, match=r"^ex: Graphviz's dot failed to lay out the circuit: "
                                          r"Error: syntax error in line 1$"):
        circuit_svg(LINEAR, 4, "ex")
    layout_module._run.cache_clear()


def test_a_circuit_drawn_twice_is_laid_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page draws its circuit for the SVG and for the LaTeX download: one layout, under
    each caller's name, and the same boxes."""
    layout_module._run.cache_clear()
    monkeypatch.setattr(drawing_module, "_RECENT", {})
    runs: list[object] = []
    real = layout_module.subprocess.run

    def counted(*args: object, **kwargs: object) -> object:
        runs.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(layout_module.subprocess, "run", counted)
    first, second = drawing(LINEAR, 4, "page"), drawing(LINEAR, 4, "download")
    assert len(runs) == 1
    assert (first.name, second.name) == ("page", "download")
    assert [s.box for s in first.shapes] == [s.box for s in second.shapes]
    drawing(LINEAR, 3, "fewer digits")  # other labels: drawn again
    assert len(drawing_module._RECENT) == 2
