"""`derive grad`: tables for people, JSON for scripts, one-line errors with a caret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from derive.cli import main

SEED = ["grad", "(x + y) * z", "--at", "x=-2,y=5,z=-4"]
NEURON = ["grad", "f(w, x) = sigmoid(dot(w, x))", "--at", "w=[2,-3,-3],x=[-1,-2,1]"]


def rows(output: str) -> list[list[str]]:
    """The cells of every table row rich printed (first line of each cell)."""
    return [[cell.strip() for cell in line.strip().strip("│").split("│")]
            for line in output.splitlines() if line.startswith("│")]  # fmt: skip


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------
# Good input
# --------------------------------------------------------------------------------------


def test_grad_prints_forward_values_steps_and_gradients(capsys) -> None:
    code, out, err = run([*SEED, "--where", "q=x+y"], capsys)
    assert code == 0
    assert err == ""
    assert out.splitlines()[0].strip() == "(x + y) * z  at  x = -2, y = 5, z = -4"
    assert out.splitlines()[1].strip() == "f = -12"
    table = rows(out)
    # forward pass: step, node, operation, values, exact, decimal
    assert ["1", "q", "x + y", "-2 + 5", "3", "3"] in table
    assert ["2", "f", "q * z", "3 * (-4)", "-12", "-12"] in table
    # backward pass: node, into, rule, local derivative, local, upstream, downstream
    assert ["f", "q", "product rule", "df/dq = z", "-4", "1", "-4"] in table
    assert ["f", "z", "product rule", "df/dz = q", "3", "1", "3"] in table
    assert ["q", "x", "sum rule", "dq/dx = 1", "1", "-4", "-4"] in table
    assert ["q", "y", "sum rule", "dq/dy = 1", "1", "-4", "-4"] in table
    # gradients: input, closed form, exact, decimal
    assert ["df/dx", "z", "-4", "-4"] in table
    assert ["df/dy", "z", "-4", "-4"] in table
    assert ["df/dz", "x + y", "3", "3"] in table
    assert "agree" in out
    assert "DISAGREE" not in out


def test_grad_shows_fan_out_sums(capsys) -> None:
    code, out, _ = run(["grad", "q*q + q", "--at", "x=2,y=3", "--where", "q=x*y"], capsys)
    assert code == 0
    assert "fan-out: df/dq = 1 + 6 + 6 = 13" in out
    assert next(c for c in rows(out) if c[0] == "df/dx")[-2:] == ["39", "39"]


def test_grad_json(capsys) -> None:
    code, out, err = run([*SEED, "--json"], capsys)
    assert code == 0
    assert err == ""
    data = json.loads(out)
    assert data["value"] == -12.0
    assert data["gradient"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert data["exact"]["gradient"] == {"x": "-4", "y": "-4", "z": "3"}
    assert data["check"]["agree"] is True


def test_grad_json_for_the_sigmoid_neuron(capsys) -> None:
    code, out, _ = run([*NEURON, "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["value"] == 0.7310585786300049
    dw = [round(data["gradient"][f"w{i}"], 8) for i in range(3)]
    assert dw == [-0.19661193, -0.39322387, 0.19661193]
    assert list(data["gradient"]) == ["w0", "w1", "w2", "x0", "x1", "x2"]


def test_grad_digits(capsys) -> None:
    _, default, _ = run(NEURON, capsys)
    _, short, _ = run([*NEURON, "--digits", "3"], capsys)
    assert "f = sigmoid(1) \u2248 0.731059" in default
    assert "f = sigmoid(1) \u2248 0.731" in short
    assert "0.731059" not in short
    assert next(r for r in rows(short) if r[0] == "df/dw1")[-1] == "-0.393"


def test_grad_keeps_exact_values(capsys) -> None:
    code, out, _ = run(["grad", "x*e^y + sin(z)", "--at", "x=1.5,y=-1,z=pi/2", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["point"] == {"x": "3/2", "y": "-1", "z": "pi/2"}
    assert data["exact"]["gradient"]["z"] == "0"
    assert data["gradient"]["z"] == 0.0


def test_at_may_be_repeated(capsys) -> None:
    code, out, _ = run(["grad", "(x + y) * z", "--at", "x=-2", "--at", "y=5,z=-4", "--json"],
                       capsys)  # fmt: skip
    assert code == 0
    assert json.loads(out)["value"] == -12.0


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == "derive 0.1.0"


# --------------------------------------------------------------------------------------
# Bad input: one line on stderr (plus text and caret for expressions), exit 2
# --------------------------------------------------------------------------------------


def caret_column(err: str) -> tuple[str, str, int]:
    """The message line, the quoted text and the 1-based column the caret points at."""
    lines = err.splitlines()
    assert len(lines) == 3, err
    message, text, caret = lines
    assert text.startswith("  ")
    assert caret.strip() == "^"
    return message, text[2:], caret.index("^") - 2 + 1


@pytest.mark.parametrize(
    ("expression", "column", "fragment"),
    [
        ("(x + sinn(y)) * z", 6, "unknown function 'sinn'"),
        ("(x + y) ** z @ 2", 14, "operator '@' is not allowed"),
        ("(x + y) * 2z", 11, "a number runs into a name"),
        ("(x + y) * z +", 14, "the expression ends with an operator"),
        ("__import__('os').system('true')", 1, "attribute access is not allowed"),
    ],
)
def test_expression_error_has_a_caret_under_the_column(
    capsys, expression: str, column: int, fragment: str
) -> None:
    code, out, err = run(["grad", expression, "--at", "x=-2,y=5,z=-4"], capsys)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    message, text, caret = caret_column(err)
    assert message.startswith("derive: ")
    assert fragment in message
    assert f"at column {column}" in message
    assert text == expression
    assert caret == column


def test_caret_in_a_long_expression_points_at_the_problem(capsys) -> None:
    expression = "x + " * 40 + "sinn(x) + " + "x + " * 40 + "x"
    code, _, err = run(["grad", expression, "--at", "x=1"], capsys)
    assert code == 2
    message, text, caret = caret_column(err)
    assert message.startswith("derive: unknown function 'sinn' at column 161")
    assert text.startswith("...") and text.endswith("...")
    assert text[caret - 1 : caret - 1 + 4] == "sinn"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["grad", "log(x)", "--at", "x=0"], "derive: node f = log(x): log(0) is undefined"),
        (["grad", "x + y", "--at", "x=1"], "derive: missing value for input 'y'"),
        (["grad", "x", "--at", "x=1,y=2"],
         "derive: value given for 'y', which is not an input (inputs: x)"),
        (["grad", "x", "--at", "x=nan"], "derive: input 'x': 'nan' is not a finite number"),
        (["grad", "x", "--at", "x"], "derive: --at: expected NAME=VALUE, got 'x'"),
        (["grad", "x", "--at", "x=1,x=2"], "derive: --at: 'x' is given twice"),
        (["grad", "x", "--at", "x=1", "--where", "q"],
         "derive: --where: expected NAME=EXPR, got 'q'"),
        (["grad", "x", "--at", "x=1", "--digits", "0"], "derive: --digits: expected 1 to 40, got 0"),
        (["grad", "1/(x - 1)", "--at", "x=1"], "derive: node f = 1/(x - 1): division by zero"),
    ],
)  # fmt: skip
def test_bad_input_prints_one_line_and_exits_2(capsys, argv: list[str], expected: str) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [expected]
    assert "Traceback" not in err


def test_empty_vector_on_the_command_line(capsys) -> None:
    code, out, err = run(["grad", "dot(w, x)", "--at", "w=[],x=[]"], capsys)
    assert code == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("derive: input 'w'")


def test_value_text_errors_keep_to_one_line(capsys) -> None:
    code, _, err = run(["grad", "x", "--at", "x=1/", "--json"], capsys)
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith("derive: input 'x': ")
    assert "Traceback" not in err


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_huge_exact_input_is_printed_or_refused(capsys, extra: list[str]) -> None:
    code, _, err = run(["grad", "x", "--at", "x=10^5000", *extra], capsys)
    assert code in (0, 2)
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------
# The installed console script
# --------------------------------------------------------------------------------------


def _script() -> Path:
    script = Path(sys.executable).parent / "derive"
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    return script


def test_console_script_entry_point() -> None:
    result = subprocess.run([str(_script()), *SEED, "--json"], capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["value"] == -12.0
    assert data["gradient"] == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_console_script_bad_input() -> None:
    result = subprocess.run([str(_script()), "grad", "sinn(x)", "--at", "x=1"],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "derive: unknown function 'sinn' at column 1 of 'sinn(x)'; did you mean 'sin'?",
        "  sinn(x)",
        "  ^",
    ]
