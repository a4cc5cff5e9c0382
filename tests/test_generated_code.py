"""The plain-Python program on every page (derive.render.code.program), executed.

It must reproduce the page's numbers: the value and every gradient of every shipped
exercise (and of each variant), vectors included, to the 12 digits it prints (every
node to a relative 1e-12 in-process), exact zeros as 0, and every descent table: each
step's objective, gradient and new value. It runs in a fresh interpreter without
site-packages, so it cannot lean on SymPy, and in-process so that every intermediate
node can be compared too.
"""

from __future__ import annotations

import contextlib
import io
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import program_output
import pytest
from program_output import Printed, descent_mismatches, parse

from derive import backprop
from derive.derivation import Derivation
from derive.pipeline import load
from derive.render.code import program

ROOT = Path(__file__).resolve().parent.parent
WORKBOOK = load(ROOT / "exercises.yaml")

SHIPPED = [pytest.param(s.derivation, id=s.exercise.id) for s in WORKBOOK.solutions] + [
    pytest.param(d, id=f"{s.exercise.id}-variant-{label}")
    for s in WORKBOOK.solutions for label, d in s.variants]  # fmt: skip

RELATIVE = 1e-12
ZERO = 1e-15
"""An exact zero (cos(pi/2)) comes out of floating point as 6.1e-17: near zero the
comparison is absolute."""


def close(got: float, exact: Any) -> bool:
    expected = float(exact)
    return math.isclose(got, expected, rel_tol=RELATIVE, abs_tol=ZERO if expected == 0 else 0)


def run_in_subprocess(source: str, tmp_path: Path) -> Printed:
    """Run the program with no site-packages (-S) in isolated mode (-I); parse what it
    prints."""
    script = tmp_path / "generated.py"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", "-S", str(script)], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return parse(done.stdout)


def run_in_process(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "generated"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace


def check_reproduces(d: Derivation, tmp_path: Path) -> None:
    source = program(d)
    imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
    assert imports in ([], ["import math"]), "only the math module, and only where used"
    assert ("import math" in imports) == ("math." in source)
    out = d.graph.output

    printed = run_in_subprocess(source, tmp_path).values
    expected = {out: d.value, **{f"d{out}/d{name}": v for name, v in d.gradient.items()}}
    assert sorted(printed) == sorted(expected)
    wrong = {k: (printed[k], float(v)) for k, v in expected.items()
             if not program_output.close(printed[k], v)}  # fmt: skip
    assert not wrong, "printed value or gradient differs (got, expected)"

    namespace = run_in_process(source)
    values, gradient = namespace["values"], namespace["gradient"]
    wrong = {node: (values.get(node), float(v.exact)) for node, v in d.forward.values.items()
             if node in values and not close(float(values[node]), v.exact)}  # fmt: skip
    assert not wrong, "a forward value differs (got, expected)"
    missing = [n.id for n in d.graph.nodes if n.op != "const" and n.id not in values]
    assert not missing, "forward() returns every node"
    wrong = {name: (gradient.get(name), float(v)) for name, v in d.gradient.items()
             if name not in gradient or not close(float(gradient[name]), v)}  # fmt: skip
    assert not wrong, "a gradient differs (got, expected)"


@pytest.mark.parametrize("d", SHIPPED)
def test_generated_code_reproduces_every_shipped_exercise(d: Derivation, tmp_path: Path) -> None:
    check_reproduces(d, tmp_path)


def test_the_shipped_exercises_include_vectors() -> None:
    vectors = [s.exercise.id for s in WORKBOOK.solutions if s.derivation.graph.vectors]
    assert "sigmoid-neuron" in vectors and "training-a-neuron" in vectors


def test_the_seed_numbers_come_out_of_the_generated_code(tmp_path: Path) -> None:
    """The notebook's printed results, from derive's program for its neuron."""
    neuron = next(s for s in WORKBOOK.solutions if s.exercise.id == "sigmoid-neuron")
    printed = run_in_subprocess(program(neuron.derivation), tmp_path).values
    assert printed["f"] == 0.73105857863  # sigma(1) = 0.7310585786300049, to 12 digits
    for name, seed in (("w0", -0.19661193), ("w1", -0.39322387), ("w2", 0.19661193)):
        assert printed[f"df/d{name}"] == pytest.approx(seed, abs=5e-9)  # the seed's 8 places


DESCENTS = [pytest.param(s, id=s.exercise.id) for s in WORKBOOK.solutions if s.descent]


@pytest.mark.parametrize("s", DESCENTS)
def test_generated_code_reproduces_every_descent_table(s: Any, tmp_path: Path) -> None:
    """Every step of the page's descent table (the objective's gradient when the descent
    minimises one, as training-a-neuron's E = (f - 1)^2/2 does), and the page's value and
    gradient before it."""
    printed = run_in_subprocess(program(s.derivation, s.descent, s.objective), tmp_path)
    out = s.derivation.graph.output
    assert printed.values[out] == pytest.approx(float(s.derivation.value), rel=1e-11)
    assert not descent_mismatches(printed, s.descent)


def test_training_a_neuron_descends_on_the_error_not_on_f(tmp_path: Path) -> None:
    """The 8-step table minimises E = (f - 1)^2/2: its gradients are dE/dw = (f - 1) df/dw,
    not df/dw; the final weights and error are the table's."""
    s = next(s for s in WORKBOOK.solutions if s.exercise.id == "training-a-neuron")
    printed = run_in_subprocess(program(s.derivation, s.descent, s.objective), tmp_path)
    assert printed.gradient["step1:w0"] == pytest.approx((0.7310585786300049 - 1) * -0.19661193324148185, rel=1e-11)
    assert len(printed.before) == 8
    assert "step8:w1" in printed.new and printed.after is not None
    assert printed.after == pytest.approx(float(s.descent.steps[-1].objective_after.approx), rel=1e-11)


def test_an_exact_zero_prints_as_0(tmp_path: Path) -> None:
    """cos(pi/2) is 6.1e-17 in floating point; the page says 0, and so does the program."""
    s = next(s for s in WORKBOOK.solutions if s.exercise.id == "exponential-and-sine")
    printed = run_in_subprocess(program(s.derivation, s.descent, s.objective), tmp_path)
    assert "df/dz = 0" in printed.lines
    assert "  step1:z = 1.57079632679 (df/dz = 0)" in printed.lines


def test_tiny_true_values_are_not_printed_as_0(tmp_path: Path) -> None:
    """A gradient of 1.9e-22 is not floating-point residue: it prints as it is."""
    printed = run_in_subprocess(program(backprop("exp(x) + y", at={"x": -50, "y": 1})), tmp_path)
    assert printed.values["df/dx"] == pytest.approx(1.9287498479639178e-22, rel=1e-11)


# Every operation of the language, constants, exact inputs and repeated inputs.
MORE = [
    ("x / 3 - y", {"x": 2, "y": "1/3"}),
    ("x ^ 2 + e ^ y", {"x": 2, "y": 0.5}),
    ("pi * x - -y", {"x": "1/3", "y": 2}),
    ("relu(x - 1) + abs(y) + relu(-x)", {"x": 2, "y": -3}),
    ("tan(x) + tanh(y) + sqrt(z) + cos(w) + log(z)", {"x": 0.5, "y": 0.2, "z": 4, "w": 1}),
    ("x * x * x", {"x": 3}),
    ("x ^ y + 2 ^ x + x ^ 0.5", {"x": 2, "y": 3}),
    ("exp(x) * exp(-x) + sigmoid(x)", {"x": 5}),
    ("dot(a, b) * dot(a, a)", {"a": [1, 2], "b": [3, -1]}),
    ("sigmoid(dot(w, x) + b)", {"w": [0.5, -1.5, 2], "x": ["1/3", 2, "pi"], "b": -1}),
    ("f(u, v) = tanh(dot(u, v)) / (1 + abs(dot(u, u) - 7))", {"u": [1, -2], "v": [0.25, 0.75]}),
    ("1e3 * x + 2.5e-3 / y", {"x": 2, "y": 4}),
    ("sin(x) ^ 2 + cos(x) ^ 2", {"x": "pi/3"}),
    ("log(sigmoid(x)) - x", {"x": -3}),
]


@pytest.mark.parametrize(("function", "at"), MORE, ids=[f for f, _ in MORE])
def test_generated_code_reproduces_every_operation(function: str, at: dict[str, Any],
                                                    tmp_path: Path) -> None:  # fmt: skip
    check_reproduces(backprop(function, at=at), tmp_path)


@pytest.mark.parametrize(("function", "at"), [
    ("v * x + values", {"v": 2, "x": 3, "values": 1}),  # the program's own names
    ("name * value + gradient", {"name": 2, "value": 3, "gradient": 4}),
    ("math_ * sigmoid_ + forward_ * backward", {"math_": 2, "sigmoid_": 3, "forward_": 4,
                                                 "backward": 5}),
])  # fmt: skip
def test_input_names_that_the_program_uses_itself(function: str, at: dict[str, Any],
                                                  tmp_path: Path) -> None:  # fmt: skip
    check_reproduces(backprop(function, at=at), tmp_path)


def test_input_names_that_look_like_gradient_names(tmp_path: Path) -> None:
    check_reproduces(backprop("x * d_x", at={"x": 2, "d_x": 3}), tmp_path)
