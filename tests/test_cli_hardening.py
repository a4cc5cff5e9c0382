"""The command line (issue 8, area 6): strict JSON, user text printed literally with
control characters escaped, and a full or closed stdout or a Ctrl-C at any moment giving
one line, never a traceback. Every test runs `python -m derive.cli` as a user would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from build_helpers import interruptible
from conftest import ROOT

from derive.cli import clean, strict_json
from derive.pipeline import backprop

pytestmark = pytest.mark.usefixtures("hang_guard")

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "TERM": "dumb"}


def derive(*args: str, stdout: object = subprocess.PIPE,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, env=ENV, cwd=cwd or ROOT,
                          timeout=60, check=False)  # type: ignore[call-overload]  # fmt: skip


def strict(text: str) -> object:
    """JSON as the standard says: NaN, Infinity and -Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


# -- JSON ----------------------------------------------------------------------------------


def test_json_never_has_infinity_the_exact_value_stands_beside_null() -> None:
    run = derive("grad", "x*1e400", "--at", "x=1", "--json")
    assert run.returncode == 0, run.stderr
    data = strict(run.stdout)
    assert isinstance(data, dict)
    assert data["value"] is None and data["gradient"] == {"x": None}
    assert data["exact"]["value"] == "1" + "0" * 400
    assert data["gradients"][0]["float"] is None
    assert data["gradients"][0]["exact"] == "1" + "0" * 400


def test_json_of_a_tiny_and_a_huge_negative_value() -> None:
    run = derive("grad", "-x*1e400 + y*1e-400", "--at", "x=1,y=1", "--json")
    data = strict(run.stdout)
    assert isinstance(data, dict)
    assert data["gradient"] == {"x": None, "y": 0.0}
    assert data["exact"]["gradient"]["x"] == "-1" + "0" * 400


def test_to_dict_is_strict_json_too() -> None:
    d = backprop("x*1e400", at={"x": 1})
    data = d.to_dict()
    assert data["value"] is None and data["gradient"] == {"x": None}
    assert data["gradients"][0]["float"] is None
    assert data["gradients"][0]["exact"] == "1" + "0" * 400
    value = d.forward.values[d.graph.output].to_dict()
    assert value == {"exact": "1" + "0" * 400, "float": None}
    json.dumps([data["value"], data["gradient"], data["gradients"], value], allow_nan=False)


def test_strict_json_replaces_every_non_finite_float() -> None:
    data = {"a": float("inf"), "b": [float("-inf"), float("nan"), 1.5], "c": {"d": 2.0}}
    assert strict_json(data) == {"a": None, "b": [None, None, 1.5], "c": {"d": 2.0}}
    json.dumps(strict_json(data), allow_nan=False)


# -- user text -----------------------------------------------------------------------------


def test_check_prints_square_brackets_literally(tmp_path: Path) -> None:
    path = tmp_path / "ex.yaml"
    path.write_text("exercises:\n  - id: dots\n    title: D\n"
                    "    function: f(x, y) = dot([x, y], [y, x])\n    at: {x: 1, y: 2}\n")
    run = derive("check", str(path), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("ok dots  agree ")
    assert lines[0].endswith(" s  f(x, y) = dot([x, y], [y, x])")


def test_a_file_name_with_brackets_is_printed_literally(tmp_path: Path) -> None:
    path = tmp_path / "[bold]x.yaml"  # rich would take [bold] for markup and drop it
    path.write_text("exercises:\n  - id: a\n    title: A\n    function: f(x) = x\n    at: {x: 1}\n")
    run = derive("check", str(path), cwd=tmp_path)
    assert f"checked in {path}:" in run.stdout


def test_control_characters_in_an_expression_are_escaped() -> None:
    run = derive("grad", "x + \x1b]0;pwned\x07y", "--at", "x=1,y=2")
    assert run.returncode == 2
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert run.stderr.splitlines() == [
        "derive: character '\\x1b' is not allowed at column 5 of 'x + \\x1b]0;pwned\\x07y'; "
        "use ASCII letters, digits, operators" + run.stderr.splitlines()[0].split(
            "use ASCII letters, digits, operators", 1)[1],
        "  x + \\x1b]0;pwned\\x07y",
        "      ^",
    ]


def test_control_characters_in_a_file_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "ex.yaml"
    path.write_text('exercises:\n  - id: a\n    title: A\n    function: "f(x) = x\\e[2J"\n'
                    "    at: {x: 1}\n")  # \e: ESC, written as YAML's escape
    run = derive("check", str(path), cwd=tmp_path)
    assert run.returncode == 2
    assert "\x1b" not in run.stderr + run.stdout
    assert "\\x1b" in run.stderr


@pytest.mark.parametrize(("text", "shown"), [
    ("a\x1b[31mred", "a\\x1b[31mred"), ("bell\x07", "bell\\x07"), ("cr\rx", "cr\\x0dx"),
    ("rtl\u202egnp.exe", "rtl\\u202egnp.exe"), ("two\nlines", "two\nlines"), ("é", "é"),
])  # fmt: skip
def test_clean(text: str, shown: str) -> None:
    assert clean(text) == shown


# -- stdout and Ctrl-C ---------------------------------------------------------------------


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_full_stdout_is_one_line(json_flag: list[str]) -> None:
    with Path("/dev/full").open("w") as full:
        run = derive("grad", "(x + y) * z", "--at", "x=-2,y=5,z=-4", *json_flag, stdout=full)
    assert run.returncode == 1
    assert run.stderr == "derive: cannot write the output: No space left on device\n"


def test_check_into_a_full_stdout_is_one_line() -> None:
    with Path("/dev/full").open("w") as full:
        run = derive("check", str(ROOT / "exercises.yaml"), stdout=full)
    assert run.returncode == 1
    assert run.stderr == "derive: cannot write the output: No space left on device\n"
    with Path("/dev/full").open("w") as full:
        run = derive("--help", stdout=full)  # argparse itself ignores the failed write
    assert (run.returncode, run.stderr) == (0, "")


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_reader_that_leaves_early_ends_derive_quietly(json_flag: list[str]) -> None:
    command = [sys.executable, "-m", "derive.cli", "grad", "f(w, x) = sigmoid(dot(w, x))",
               "--at", "w=[2,-3,-3],x=[-1,-2,1]", *json_flag]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=ENV, cwd=ROOT)  # fmt: skip
    assert process.stdout is not None
    process.stdout.close()  # the reader leaves before derive writes (`| head -0`)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr == b""


def test_ctrl_c_while_building_is_one_line_and_130(tmp_path: Path) -> None:
    """Interrupted in the middle of `derive build` of the shipped exercises."""
    process = subprocess.Popen([sys.executable, "-m", "derive.cli", "build",
                                str(ROOT / "exercises.yaml"), "--out", str(tmp_path / "html")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
                               cwd=tmp_path, preexec_fn=interruptible)  # noqa: PLW1509  # fmt: skip
    time.sleep(2.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.decode() == "derive: interrupted\n"


def test_ctrl_c_at_any_moment_after_start_up_is_one_line() -> None:
    """SIGINT sent at 24 moments over the first second of `derive grad`: while Python starts,
    while importing, while deriving, while printing. Before derive's own code runs (Python
    starting, the `derive` package's few lines) Python's handling applies; from the first
    line of derive.cli on, the user sees "derive: interrupted" and never a traceback."""
    source = (ROOT / "derive" / "cli.py").read_text().splitlines()
    armed = next(i for i, line in enumerate(source, 1)
                 if line.startswith("_on_interrupt(_interrupted_early)  # first thing"))
    interrupted = 0
    for step in range(24):
        process = subprocess.Popen(
            [sys.executable, "-m", "derive.cli", "grad", "tanh(x) * y", "--at", "x=1,y=2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT,
            preexec_fn=interruptible)  # noqa: PLW1509  # fmt: skip
        time.sleep(step * 0.04)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        text = stderr.decode()
        frames = [int(n) for n in re.findall(r'derive/cli\.py", line (\d+)', text)]
        assert all(n < armed for n in frames), (step, text)  # no traceback once armed
        if "derive: interrupted" in text:
            interrupted += 1
            assert text == "derive: interrupted\n", (step, text)
            assert process.returncode in (130, -signal.SIGINT), process.returncode
        elif process.returncode == 0:
            assert text == "", (step, text)  # finished before the signal
    # Some moments must fall inside derive (importing SymPy alone takes ~0.3 s); how many
    # depends on the machine's speed and load, so only a floor is asserted.
    assert interrupted >= 3


def test_started_with_ctrl_c_ignored_it_stays_ignored() -> None:
    """`nohup derive ...` or a background job: SIGINT is ignored, and derive keeps it so."""
    process = subprocess.Popen(
        [sys.executable, "-m", "derive.cli", "grad", "tanh(x) * y", "--at", "x=1,y=2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # noqa: PLW1509  # fmt: skip
    time.sleep(0.4)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (0, b"")
    assert b"f = 2*tanh(1)" in stdout
