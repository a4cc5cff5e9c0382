"""The exercise file (issue 8, area 3): only regular files, read up to a cap; nesting
bounded; every YAML 1.1 scalar form and every odd value of every key a FILE:LINE:COLUMN:
error, never a traceback; reserved ids refused; a function whose inputs take every usual
objective name still gets one."""

from __future__ import annotations

import itertools
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from derive.errors import DeriveError, SpecError
from derive.pipeline import solve
from derive.spec import compose, parse_spec, read_spec
from derive.spec.schema import MAX_FILE_BYTES

pytestmark = pytest.mark.usefixtures("hang_guard")

ONE = "exercises:\n  - id: a\n    title: A\n    function: f(x) = x^2\n    at: {x: 1}\n"


def errors(text: str, path: str = "t.yaml") -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(text, path)
    return [str(e) for e in getattr(info.value, "errors", (info.value,))]


def derive_check(path: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(check=False, args=[sys.executable, "-m", "derive.cli", "check", path], cwd=cwd,
                          capture_output=True, text=True, timeout=30)  # fmt: skip


# -- what is read ----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a character device"),
                                            ("/dev/null", "a character device")])
def test_a_device_is_refused_before_reading(path: str, kind: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    run = derive_check(path, tmp_path)
    assert run.returncode == 2
    assert run.stderr == (f"{path}:1:1: not a regular file but {kind}; give an exercise file\n"
                          f"derive: 1 problem in {path}\n")  # fmt: skip
    assert time.perf_counter() - started < 20


def test_a_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "exercises.yaml"
    os.mkfifo(fifo)
    run = derive_check(str(fifo), tmp_path)  # a blocking open would hit the timeout
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == (f"{fifo}:1:1: not a regular file but a pipe (FIFO); "
                                          "give an exercise file")  # fmt: skip


def test_a_directory_a_socket_and_a_link_to_a_device_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not a regular file but a directory"):
        read_spec(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "s.yaml"))
    try:
        with pytest.raises(SpecError) as info:
            read_spec(tmp_path / "s.yaml")
        assert "cannot read the file" in str(info.value) or "a socket" in str(info.value)
    finally:
        server.close()
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    with pytest.raises(SpecError, match=r"zero\.yaml:1:1: not a regular file but a character"):
        read_spec(tmp_path / "zero.yaml")


def test_a_large_file_is_refused_after_reading_at_most_the_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(2_000_000_000)  # sparse: 2 GB that would take seconds to read
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(SpecError) as info:
        read_spec(big)
    assert str(info.value) == f"{big}:1:1: the file is larger than {MAX_FILE_BYTES} bytes"
    assert time.perf_counter() - started < 2
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 4 * MAX_FILE_BYTES / 1024


# -- nesting ----------------------------------------------------------------------------


def col(text: str, line: int, fragment: str, nth: int = 1) -> int:
    """1-based column of the `nth` occurrence of `fragment` on `line` (1-based)."""
    row, index = text.split("\n")[line - 1], -1
    for _ in range(nth):
        index = row.index(fragment, index + 1)
    return index + 1


@pytest.mark.parametrize("depth", [65, 500, 1000, 2000, 100_000])
def test_deep_flow_nesting_is_one_error(depth: int) -> None:
    text = "exercises:\n  - " + "[" * depth + "]" * depth + "\n"
    # The file's mapping is level 1, the list of exercises level 2: the 63rd [ is level 65
    assert errors(text) == [f"t.yaml:2:{col(text, 2, '[', 63)}: the file is nested more than "
                            "64 levels deep"]  # fmt: skip


@pytest.mark.parametrize("depth", [500, 2000])
def test_deep_block_nesting_is_one_error(depth: int) -> None:
    text = "exercises: []\nx:" + "".join("\n" + "  " * (i + 1) + "k:" for i in range(depth))
    # The mapping on line 3 is level 2, the one on line 66 level 65
    assert errors(text + " 1\n") == [f"t.yaml:66:{col(text, 66, 'k')}: the file is nested "
                                     "more than 64 levels deep"]  # fmt: skip


def test_nesting_inside_a_value_and_a_self_referring_alias() -> None:
    deep = ONE.replace("at: {x: 1}", "at: {x: " + "[" * 70 + "]" * 70 + "}")
    # file 1, exercises 2, the exercise 3, at 4: the 61st [ is level 65
    assert errors(deep) == [f"t.yaml:5:{col(deep, 5, '[', 61)}: the file is nested more than "
                            "64 levels deep"]  # fmt: skip
    loop = ONE.replace("at: {x: 1}", "at: &a {x: *a}")
    assert errors(loop) == [f"t.yaml:5:{col(loop, 5, '*a')}: invalid YAML: found undefined "
                            "alias 'a'"]  # fmt: skip


def test_the_c_loader_is_used_and_gives_the_pure_loaders_positions() -> None:
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml")
    assert compose.Loader is yaml.CSafeLoader
    text = ('title: "T \\u00e9"\nexercises:\n  - id: a\n    title: A\n'
            '    notes: "\\u00e9 \\"q\\" {raw}`x`"\n'
            "    function: f(x) = x^2\n    at: {x: [1, 2]}\n    statement: |\n      é {raw}`x`\n")
    with_c = errors(text)
    compose.Loader = yaml.SafeLoader  # type: ignore[misc]
    try:
        assert errors(text) == with_c
    finally:
        compose.Loader = yaml.CSafeLoader  # type: ignore[misc]
    assert with_c == [
        f"t.yaml:5:{col(text, 5, '{raw}')}: notes: the role {{raw}} is not allowed in exercise "
        "prose",  # through the escapes \u00e9 and \"
        "t.yaml:9:9: statement: the role {raw} is not allowed in exercise prose"]


# -- scalars -----------------------------------------------------------------------------

INT_FORMS = ["0x10", "1:30", "0b11", "017", "!!int abc", "+0x1", "1_0", "99999999999",
             "!!int 1.5"]  # fmt: skip
"""What YAML 1.1 reads as whole numbers (hex, sexagesimal, binary, octal, underscores) or
is tagged as one: only plain decimal digits are accepted."""


@pytest.mark.parametrize("form", [*INT_FORMS, "0o17"])
@pytest.mark.parametrize("where", ["descent", "defaults", "digits"])
def test_yaml_11_integer_forms_are_errors_at_the_value(form: str, where: str) -> None:
    text = {"descent": ONE + f"    descent: {{steps: {form}}}\n",
            "defaults": f"defaults: {{steps: {form}}}\n" + ONE,
            "digits": ONE + f"    digits: {form}\n"}[where]  # fmt: skip
    key = "digits" if where == "digits" else "steps"
    line = 1 if where == "defaults" else 6
    value = form.removeprefix("!!int ")
    high = 100 if key == "steps" else 30
    found = errors(text)
    if form == "0o17":  # YAML 1.1 has no 0o: it is text
        assert found == [f"t.yaml:{line}:{col(text, line, form)}: {key!r} must be a whole number"]
        return
    assert found == [f"t.yaml:{line}:{col(text, line, value)}: {key} must be a whole number "
                     f"from 1 to {high} written in decimal digits, not {value!r}"]  # fmt: skip


@pytest.mark.parametrize(("form", "message"), [
    ("!!bool maybe", "ascent must be true or false, not 'maybe'"),
    ("maybe", "'ascent' must be true or false"),
    ("1", "'ascent' must be true or false"),
])  # fmt: skip
def test_odd_booleans_are_errors_at_the_value(form: str, message: str) -> None:
    text = ONE + f"    descent: {{ascent: {form}}}\n"
    assert errors(text) == [f"t.yaml:6:{col(text, 6, form.removeprefix('!!bool '))}: {message}"]


def test_yaml_11_booleans_and_trusted() -> None:
    spec = parse_spec(ONE + "    descent: {ascent: yes}\n")
    assert spec.exercises[0].descent is not None and spec.exercises[0].descent.ascent
    assert errors("trusted: perhaps\n" + ONE) == ["t.yaml:1:10: 'trusted' must be true or false"]
    assert errors("trusted: !!bool perhaps\n" + ONE) == [
        "t.yaml:1:17: trusted must be true or false, not 'perhaps'"]


ODD_VALUES = ["0x10", "1:30", "0b11", "0o17", "017", "!!int abc", "!!bool maybe", "!!float abc",
              "!!str 5", "!!null x", "~", "yes", ".nan", "-.inf", "1e400", "2001-12-14",
              "!!timestamp 2001", "!!binary aGk=", "!!set {a}", "!!omap [a: 1]", "[]", "{}",
              "[1, [2]]", "{a: 1}", '"\\e[31m"', "!foo x", "!!python/object:os.system x",
              "{<<: {a: 1}}", "=", "-3", "99999999999999999999999", "'" + "9" * 5000 + "'",
              '"1/0"', '"sqrt(-1)"', '"x +"', "''", '" "']  # fmt: skip
KEYS = ["id", "title", "function", "where", "at", "descent", "limits", "questions", "variants",
        "solution", "statement", "instructions", "notes", "digits", "descent.parameters",
        "descent.learning_rate", "descent.steps", "descent.ascent", "descent.objective",
        "at.x", "where.q", "variants.v", "defaults.learning_rate", "defaults.steps",
        "defaults.digits", "defaults.solution", "top.title", "top.description", "top.trusted",
        "top.defaults", "top.exercises"]  # fmt: skip


def odd_file(key: str, value: str) -> str:
    fields = {"id": "a", "title": "A", "function": "f(x) = x^2", "at": "{x: 1}"}
    head = ""
    section, _, sub = key.partition(".")
    if section == "descent" and sub:
        fields["descent"] = f"{{{sub}: {value}}}"
    elif section == "defaults":
        head += f"defaults: {{{sub}: {value}}}\n"
    elif section == "top":
        head += f"{sub}: {value}\n"
    elif sub:
        fields[section] = f"{{{sub}: {value}}}"
    else:
        fields[section] = value
    if key == "top.exercises":
        return head
    return head + "exercises:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in fields.items()) + "\n"


def test_every_odd_value_of_every_key_is_an_error_with_a_position() -> None:
    """{len(KEYS)} keys x {len(ODD_VALUES)} values: parsed, then derived; every problem is
    a one-line FILE:LINE:COLUMN: message, nothing else escapes."""
    outcomes = {"accepted": 0, "refused": 0}
    for key, value in itertools.product(KEYS, ODD_VALUES):
        text = odd_file(key, value)
        try:
            for exercise in parse_spec(text, "t.yaml").exercises:
                solve(exercise)
            outcomes["accepted"] += 1
        except DeriveError as exc:
            outcomes["refused"] += 1
            lines = str(exc).splitlines()
            assert lines, (key, value)
            for line in lines:
                assert line.startswith("t.yaml:"), (key, value, line)
                head = line.split(":")
                assert head[1].isdigit() and head[2].isdigit(), (key, value, line)
                assert "\x1b" not in line
    assert outcomes["refused"] > 0.8 * len(KEYS) * len(ODD_VALUES), outcomes


# -- ids and names -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["index", "genindex", "search"])
def test_reserved_ids_are_errors(name: str) -> None:
    assert errors(ONE.replace("id: a", f"id: {name}")) == [
        f"t.yaml:2:9: id {name!r} is the name of a page the site generates; choose another "
        "(reserved: index, genindex, search, searchindex, py-modindex, modindex)"]


def test_an_id_too_long_for_a_file_name_is_an_error() -> None:
    long_id = "a" * 300
    assert errors(ONE.replace("id: a", f"id: {long_id}")) == [
        f"t.yaml:2:9: id '{'a' * 37}...' must be lowercase letters, digits and single dashes, "
        "at most 80 characters (it names the page)"]


def test_a_function_whose_inputs_take_every_objective_name_gets_a_free_one() -> None:
    text = ("exercises:\n  - id: a\n    title: A\n    function: f(E, L, J, loss) = E*L + J*loss\n"
            "    at: {E: 1, L: 2, J: 3, loss: 4}\n    descent: {objective: (f - 1)^2/2}\n")
    solution = solve(parse_spec(text).exercises[0])
    assert solution.descent is not None
    assert solution.descent.output == "E1"
    assert float(solution.descent.steps[0].objective.approx) == 84.5  # f = 14: (14 - 1)^2 / 2
