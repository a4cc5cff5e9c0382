"""Exercise files: every validation error names FILE:LINE:COLUMN of the offending value.

Each test writes a small YAML text (to a file under tmp_path, or straight to `parse_spec`)
and checks the exact line and column of every problem reported. Columns are counted in
the test from the text itself (`col`), so each expected position can be read off the YAML
above it. Errors that only show up when an exercise is derived (a missing input value, a
value for a name that is not an input, an unknown name in `where`) come from `solve`/`load`
and must point at the same kind of place.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import sympy
from conftest import HANG_GUARD_SECONDS

from derive.errors import DeriveError, SpecError, SpecErrors
from derive.pipeline import load, solve
from derive.spec import Exercise, Limit, Spec, parse_spec, read_spec, read_valid_part

pytestmark = pytest.mark.usefixtures("hang_guard")


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

EXERCISE = """\
exercises:
  - id: a
    title: A
    function: f(x) = x^2
    at: {x: 1}
"""
"""A valid file of one exercise; tests append keys to it or replace one of its lines."""


def col(text: str, line: int, fragment: str, nth: int = 1) -> int:
    """1-based column of the `nth` occurrence of `fragment` on `line` (1-based) of `text`."""
    row = text.splitlines()[line - 1]
    index = -1
    for _ in range(nth):
        index = row.index(fragment, index + 1)
    return index + 1


def problems(text: str, path: str = "ex.yaml") -> list[SpecError]:
    """Every SpecError parse_spec reports for `text`."""
    with pytest.raises(SpecError) as info:
        parse_spec(text, path)
    return list(getattr(info.value, "errors", (info.value,)))


def problem(text: str, path: str = "ex.yaml") -> SpecError:
    """The single SpecError parse_spec reports for `text`."""
    found = problems(text, path)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def solve_problem(text: str, path: str = "ex.yaml") -> SpecError:
    """The SpecError solving the (valid) file's first exercise raises."""
    spec = parse_spec(text, path)
    with pytest.raises(SpecError) as info:
        solve(spec.exercises[0])
    found = list(getattr(info.value, "errors", (info.value,)))
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def assert_at(error: SpecError, line: int, column: int, *fragments: str,
              path: str = "ex.yaml") -> None:  # fmt: skip
    """The error is at (line, column), its message starts FILE:LINE:COLUMN: and holds the
    fragments."""
    assert (error.line, error.column) == (line, column), str(error)
    assert str(error) == f"{path}:{line}:{column}: {error.detail}"
    assert "\n" not in str(error)
    for fragment in fragments:
        assert fragment in error.detail, str(error)


def spec_of(text: str) -> Spec:
    return parse_spec(text, "ex.yaml")


# --------------------------------------------------------------------------------------
# Unknown keys at every level, with the nearest valid key suggested
# --------------------------------------------------------------------------------------


def test_unknown_key_in_the_file(tmp_path: Path) -> None:
    text = "titel: Backprop\n" + EXERCISE
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    with pytest.raises(SpecErrors) as info:
        read_spec(path)
    [error] = info.value.errors
    assert_at(error, 1, 1, "unknown key 'titel' in the file", "did you mean 'title'?",
              path=str(path))  # fmt: skip
    assert str(info.value) == f"{path}:1:1: unknown key 'titel' in the file; did you mean 'title'?"


def test_unknown_key_in_defaults() -> None:
    text = "defaults:\n  digits: 3\n  learning_rat: 0.2\n" + EXERCISE
    assert_at(problem(text), 3, 3, "unknown key 'learning_rat' in defaults",
              "did you mean 'learning_rate'?")  # fmt: skip


def test_unknown_key_in_flow_style_defaults() -> None:
    text = "defaults: {digits: 3, stesp: 2}\n" + EXERCISE
    assert_at(problem(text), 1, col(text, 1, "stesp"), "unknown key 'stesp'",
              "did you mean 'steps'?")  # fmt: skip


def test_unknown_key_in_an_exercise_suggests_function() -> None:
    text = EXERCISE.replace("    function:", "    fucntion:")
    found = problems(text)
    # the misspelt key is reported where it is, and the exercise lacks a function
    assert [(e.line, e.column) for e in found] == [(2, 5), (4, 5)]
    assert_at(found[0], 2, 5, "an exercise needs 'function'")
    assert_at(found[1], 4, 5, "unknown key 'fucntion' in an exercise",
              "did you mean 'function'?")  # fmt: skip


def test_unknown_key_in_an_exercise_suggests_the_nearest() -> None:
    text = EXERCISE + "    limit: [x -> 0]\n"
    assert_at(problem(text), 6, 5, "unknown key 'limit'", "did you mean 'limits'?")


def test_unknown_key_far_from_any_lists_the_valid_ones() -> None:
    text = EXERCISE + "    colour: red\n"
    assert_at(problem(text), 6, 5, "unknown key 'colour' in an exercise",
              "valid keys: id, title, function, where, at, descent, limits, questions")  # fmt: skip


def test_unknown_key_in_descent() -> None:
    text = EXERCISE + "    descent: {learning_rat: 0.1}\n"
    assert_at(problem(text), 6, col(text, 6, "learning_rat"),
              "unknown key 'learning_rat' in 'descent'", "did you mean 'learning_rate'?")


def test_unknown_key_in_block_style_descent() -> None:
    text = EXERCISE + "    descent:\n      learning_rate: 0.1\n      stpes: 2\n"
    assert_at(problem(text), 8, 7, "unknown key 'stpes' in 'descent'", "did you mean 'steps'?")


def test_unknown_key_in_a_question() -> None:
    text = EXERCISE + "    questions:\n      - asks: Why?\n        about: [limits]\n"
    found = problems(text)
    assert_at(found[0], 7, 9, "unknown key 'asks' in a question", "did you mean 'ask'?")
    assert_at(found[1], 7, 9, "a question needs 'ask'")
    assert len(found) == 2


# --------------------------------------------------------------------------------------
# Duplicate keys and duplicate ids
# --------------------------------------------------------------------------------------


def test_duplicate_key_in_an_exercise_points_at_the_second() -> None:
    text = EXERCISE + "    title: B\n"
    assert_at(problem(text), 6, 5, "duplicate key 'title' in an exercise", "(first on line 3)")


def test_duplicate_key_in_the_file() -> None:
    text = "title: One\ntitle: Two\n" + EXERCISE
    assert_at(problem(text), 2, 1, "duplicate key 'title' in the file", "(first on line 1)")


def test_duplicate_key_in_a_flow_mapping() -> None:
    text = EXERCISE.replace("{x: 1}", "{x: 1, x: 2}")
    assert_at(problem(text), 5, col(text, 5, "x", nth=2), "duplicate key 'x' in 'at'",
              "(first on line 5)")  # fmt: skip


def test_duplicate_id_points_at_the_second_id_and_names_the_first_line(tmp_path: Path) -> None:
    text = EXERCISE + "  - id: b\n    title: B\n    function: x\n    at: {x: 1}\n"
    text += "  - id: a\n    title: C\n    function: 2 * x\n    at: {x: 1}\n"
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    with pytest.raises(SpecErrors) as info:
        read_spec(path)
    [error] = info.value.errors
    assert text.splitlines()[10 - 1] == "  - id: a"
    assert_at(error, 10, 9, "duplicate id 'a'", "(first on line 2)", path=str(path))


def test_duplicate_id_is_reported_even_when_the_first_exercise_is_invalid() -> None:
    text = EXERCISE.replace("{x: 1}", "{x: one}") + (
        "  - id: a\n    title: C\n    function: 2 * x\n    at: {x: 1}\n")  # fmt: skip
    found = problems(text)
    assert any("duplicate id 'a'" in e.detail and e.line == 6 for e in found), found


def test_duplicate_id_is_reported_even_when_the_second_exercise_is_invalid() -> None:
    text = EXERCISE + "  - id: a\n    title: C\n    function: 2 * x\n    at: {x: one}\n"
    found = problems(text)
    assert any("duplicate id 'a'" in e.detail for e in found), found
    assert any("'one' is not a number" in e.detail for e in found), found


# --------------------------------------------------------------------------------------
# Wrong types
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("{x: 1}", "{x: one}", "input 'x': 'one' is not a number"),
        ("{x: 1}", "{x: true}", "input 'x' must be a number, not true"),
        ("{x: 1}", "{x: false}", "input 'x' must be a number, not false"),
        ("{x: 1}", "{x: null}", "'x' must be given a value"),
        ("{x: 1}", "{x: ~}", "'x' must be given a value"),
        ("{x: 1}", "{x: {y: 2}}", "input 'x' must be a single value"),
        ("{x: 1}", "{x: .nan}", "input 'x': .nan is not a finite number"),
        ("{x: 1}", "{x: -.inf}", "input 'x': -.inf is not a finite number"),
    ],
)
def test_wrong_value_for_an_input(old: str, new: str, fragment: str) -> None:
    text = EXERCISE.replace(old, new)
    assert_at(problem(text), 5, col(text, 5, "{") + 4, fragment)


def test_wrong_value_inside_a_vector() -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(x) = dot(x, x)").replace(
        "{x: 1}", "{x: [1, true, null, [2], two]}")  # fmt: skip
    found = problems(text)
    assert [(e.line, e.column) for e in found] == [
        (5, col(text, 5, "true")), (5, col(text, 5, "null")), (5, col(text, 5, "[2]")),
        (5, col(text, 5, "two"))]  # fmt: skip
    assert found[0].detail == "x[1] must be a number, not true"
    assert found[1].detail == "x[2] must be a single value"
    assert found[2].detail == "x[3] must be a single value"
    assert "x[4]: 'two' is not a number" in found[3].detail


def test_empty_value_for_an_input() -> None:
    text = EXERCISE.replace("{x: 1}", "\n      x:\n")
    # the empty value sits right after the colon
    assert_at(problem(text), 6, col(text, 6, ":") + 1, "'x' must be given a value")


@pytest.mark.parametrize(
    ("extra", "value", "fragment"),
    [
        ("    descent: {learning_rate: fast}\n", "fast", "learning_rate: 'fast' is not a number"),
        ("    descent: {learning_rate: [0.1]}\n", "[0.1]",
         "'learning_rate' must be a single value"),
        ("    descent: {learning_rate: yes}\n", "yes", "learning_rate must be a number, not yes"),
        ("    descent: {learning_rate: -0.5}\n", "-0.5", "learning_rate must be positive"),
        ("    descent: {steps: ten}\n", "ten", "'steps' must be a whole number"),
        ("    descent: {steps: 2.5}\n", "2.5", "'steps' must be a whole number"),
        ("    descent: {steps: 0}\n", "0", "steps must be between 1 and 100, not 0"),
        ("    descent: {ascent: 1}\n", "1", "'ascent' must be true or false"),
        ("    descent: {ascent: 'true'}\n", "true'", "'ascent' must be true or false"),
        ("    descent: {parameters: x}\n", "x}", "'parameters' must be a list"),
        ("    descent: {objective: 3}\n", "3", "'objective' must be text (quote it)"),
        ("    descent: [0.1]\n", "[", "'descent' must be a mapping (key: value)"),
        ("    digits: 3.5\n", "3.5", "'digits' must be a whole number"),
        ("    digits: 31\n", "31", "digits must be between 1 and 30, not 31"),
        ("    solution: hidden\n", "hidden",
         "solution must be 'open' or 'collapsed', not 'hidden'"),
        ("    limits: {z: 0}\n", "{", "'limits' must be a list"),
        ("    where: [q]\n", "[", "'where' must be a mapping (key: value)"),
        ("    where: {q: 1.5}\n", "1.5", "'q' must be text (quote it)"),
        ("    instructions: [[a, b]]\n", "[a", "an instruction must be text"),
        ("    notes: {a: 1}\n", "{", "'notes' must be text"),
    ],
)
def test_wrong_type_for_a_setting(extra: str, value: str, fragment: str) -> None:
    text = EXERCISE + extra
    assert_at(problem(text), 6, col(text, 6, value), fragment)


def test_text_where_a_number_is_expected() -> None:
    text = EXERCISE.replace("{x: 1}", "{x: five}")
    assert_at(problem(text), 5, col(text, 5, "five"), "input 'x': 'five' is not a number")


def test_a_list_where_a_mapping_is_expected() -> None:
    text = EXERCISE.replace("{x: 1}", "[1, 2]")
    assert_at(problem(text), 5, col(text, 5, "["), "'at' must be a mapping (key: value)")


def test_a_mapping_where_a_list_is_expected() -> None:
    text = "exercises: {id: a}\n"
    assert_at(problem(text), 1, 12, "'exercises' must be a list")


def test_the_file_must_be_a_mapping() -> None:
    assert_at(problem("- id: a\n- id: b\n"), 1, 1, "the file must be a mapping (key: value)")


def test_an_exercise_must_be_a_mapping() -> None:
    text = "exercises:\n  - [1, 2]\n"
    assert_at(problem(text), 2, 5, "an exercise must be a mapping (key: value)")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("    title: true\n", "'title' must be text (quote it)"),
        ("    title: 5\n", "'title' must be text (quote it)"),
        ("    title: null\n", "'title' must be text"),
        ("    title: [A]\n", "'title' must be text"),
    ],
)
def test_text_fields_refuse_booleans_numbers_null_and_lists(line: str, fragment: str) -> None:
    text = EXERCISE.replace("    title: A\n", line)
    assert_at(problem(text), 3, 12, fragment)


def test_function_must_be_text() -> None:
    text = EXERCISE.replace("f(x) = x^2", "3")
    assert_at(problem(text), 4, 15, "'function' must be text (quote it)")


def test_required_keys_are_named_at_the_exercise() -> None:
    found = problems("exercises:\n  - id: a\n")
    assert [(e.line, e.column, e.detail) for e in found] == [
        (2, 5, "an exercise needs 'title'"), (2, 5, "an exercise needs 'function'"),
        (2, 5, "an exercise needs 'at'")]  # fmt: skip


def test_exercises_are_required() -> None:
    assert_at(problem("title: T\n"), 1, 1, "the file needs 'exercises'")


def test_an_empty_list_of_exercises() -> None:
    assert_at(problem("exercises: []\n"), 1, 12, "the list of exercises is empty")


def test_ids_name_pages() -> None:
    text = EXERCISE.replace("id: a", "id: Quotient_1")
    assert_at(problem(text), 2, 9, "id 'Quotient_1' must be lowercase letters, digits and "
                                   "single dashes")  # fmt: skip


def test_keys_must_be_names() -> None:
    text = EXERCISE.replace("{x: 1}", "{1: 2}")
    assert_at(problem(text), 5, col(text, 5, "1"), "keys of 'at' must be names")


def test_invalid_name_in_where() -> None:
    text = EXERCISE + "    where: {2q: x + 1}\n"
    assert_at(problem(text), 6, col(text, 6, "x + 1"), "'2q' is not a valid name in 'where'")


# --------------------------------------------------------------------------------------
# Errors found while deriving: they point at `at` and `at.<name>`
# --------------------------------------------------------------------------------------


def test_missing_value_for_an_input_points_at_at() -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(x, y) = x * y")
    error = solve_problem(text)
    assert_at(error, 5, col(text, 5, "{"), "missing value for input 'y'")


def test_missing_value_for_an_input_from_load(tmp_path: Path) -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(x, y) = x * y").replace("{x: 1}", "\n      x: 1")
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    with pytest.raises(SpecErrors) as info:
        load(path)
    [error] = info.value.errors
    # a block mapping starts at its first key
    assert_at(error, 6, 7, "missing value for input 'y'", path=str(path))


def test_value_for_a_name_that_is_not_an_input_points_at_that_value() -> None:
    text = EXERCISE.replace("{x: 1}", "{x: 1, z: 3}")
    error = solve_problem(text)
    assert_at(error, 5, col(text, 5, "3"), "value given for 'z', which is not an input",
              "(inputs: x)")  # fmt: skip


def test_value_for_a_name_that_is_not_an_input_in_block_style(tmp_path: Path) -> None:
    text = EXERCISE.replace("{x: 1}", "\n      x: 1\n      zz: 3")
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    with pytest.raises(SpecErrors) as info:
        load(path)
    [error] = info.value.errors
    assert_at(error, 7, 11, "value given for 'zz'", path=str(path))


def test_vector_for_a_scalar_input_points_at_the_function() -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(w, x) = dot(w, x)").replace(
        "{x: 1}", "{w: 1, x: [1, 2]}")  # fmt: skip
    error = solve_problem(text)
    # the column of the w inside dot(w, x)
    assert_at(error, 4, col(text, 4, "w, x)", nth=2), "dot() takes vectors, and 'w' is a scalar")


def test_point_outside_the_domain_points_at_at() -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(x) = log(x)").replace("{x: 1}", "{x: -1}")
    error = solve_problem(text)
    assert_at(error, 5, col(text, 5, "{"), "log of a negative number is not real")


def test_unknown_name_in_where_points_at_its_expression() -> None:
    text = EXERCISE + "    where: {q: z + 1}\n"
    error = solve_problem(text)
    assert_at(error, 6, col(text, 6, "z + 1"), "unknown name 'z' at column 1 of 'z + 1'")


def test_limit_of_a_name_that_is_not_an_input_points_at_limits() -> None:
    text = EXERCISE + "    limits: [z -> 0]\n"
    error = solve_problem(text)
    assert_at(error, 6, col(text, 6, "["), "limit 'z -> 0': 'z' is not an input")


def test_descent_parameter_that_is_not_an_input() -> None:
    text = EXERCISE + "    descent: {parameters: [w]}\n"
    error = solve_problem(text)
    assert_at(error, 6, col(text, 6, "[w]"), "descent parameter 'w' is not an input")


def test_a_variant_with_other_inputs_points_at_the_variant() -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(x, y) = x + y").replace("{x: 1}", "{x: 1, y: 2}")
    text += "    variants: {other: x + z}\n"
    error = solve_problem(text)
    assert error.line == 6, str(error)


# --------------------------------------------------------------------------------------
# Expression errors point at the offending character in the file
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "f(x, y) = x + $ y",      # plain
        "'f(x, y) = x + $ y'",    # single-quoted
        '"f(x, y) = x + $ y"',    # double-quoted
        "  f(x, y) = x + $ y",    # extra spaces before a plain scalar
    ],
)  # fmt: skip
def test_expression_error_in_function_points_at_the_character(written: str) -> None:
    text = EXERCISE.replace("f(x) = x^2", written).replace("{x: 1}", "{x: 1, y: 2}")
    error = problem(text)
    assert_at(error, 4, col(text, 4, "$"), "invalid syntax at column 15 of 'f(x, y) = x + $ y'")
    assert text.splitlines()[3][error.column - 1] == "$"


@pytest.mark.parametrize(
    ("written", "bad"),
    [
        ("f(x) = x + sinn(x)", "sinn"),
        ("f(x) = (x +* 2)", "*"),
        ("'f(x) = x + __import__(1)'", "__import__"),
        ('"f(x) = exp(x) @ 2"', "@"),
    ],
)
def test_expression_errors_of_every_kind_point_at_the_character(written: str, bad: str) -> None:
    text = EXERCISE.replace("f(x) = x^2", written)
    error = problem(text)
    assert (error.line, error.column) == (4, col(text, 4, bad)), str(error)


def test_expression_column_after_an_escape_in_a_double_quoted_scalar() -> None:
    text = EXERCISE.replace("f(x) = x^2", '"f(x) = \\x78 + $"')
    error = problem(text)
    assert (error.line, error.column) == (4, col(text, 4, "$")), str(error)


def test_expression_column_after_an_escape_in_a_single_quoted_scalar() -> None:
    text = EXERCISE.replace("f(x) = x^2", "'f(x) = x + ''a'' + $'")
    error = problem(text)
    assert (error.line, error.column) == (4, col(text, 4, "$")), str(error)


@pytest.mark.parametrize("written", ["!!str f(x) = x + $", "!!str 'f(x) = x + $'"])
def test_expression_column_after_an_explicit_tag(written: str) -> None:
    text = EXERCISE.replace("f(x) = x^2", written)
    error = problem(text)
    assert (error.line, error.column) == (4, col(text, 4, "$")), str(error)


def test_the_str_tag_is_allowed() -> None:
    text = EXERCISE.replace("f(x) = x^2", "!!str f(x) = x^2")
    assert spec_of(text).exercises[0].function == "f(x) = x^2"


def test_expression_error_in_a_block_scalar_points_at_the_scalar() -> None:
    # a block scalar's text does not map column for column onto the file: the error points
    # at the scalar, and the message gives the column inside the expression
    text = EXERCISE.replace("f(x) = x^2", ">-\n      f(x) = x +\n      $")
    error = problem(text)
    assert_at(error, 4, 15, "at column 12 of 'f(x) = x + $'")


def test_expression_error_in_where() -> None:
    text = EXERCISE + "    where: {q: x ** * 2}\n"
    error = problem(text)
    assert_at(error, 6, col(text, 6, "* 2"), "invalid syntax at column 6 of 'x ** * 2'")


def test_expression_error_in_block_style_where() -> None:
    text = EXERCISE + "    where:\n      q: x + 1\n      r: 'q * cosh(x)'\n"
    error = problem(text)
    assert_at(error, 8, col(text, 8, "cosh"), "unknown function 'cosh'")


def test_expression_error_in_the_descent_objective() -> None:
    text = EXERCISE + "    descent: {objective: (f - 1)^^2}\n"
    error = problem(text)
    assert_at(error, 6, col(text, 6, "^2"), "invalid syntax at column 9 of '(f - 1)^^2'")


def test_expression_error_in_a_block_style_descent_objective() -> None:
    text = EXERCISE + "    descent:\n      objective: (f - 1)^2 / 2 + sinn(f)\n"
    error = problem(text)
    assert_at(error, 7, col(text, 7, "sinn"), "unknown function 'sinn'", "did you mean 'sin'?")


def test_unknown_name_in_the_descent_objective_surfaces_from_solve() -> None:
    text = EXERCISE + "    descent: {objective: (g - 1)^2}\n"
    error = solve_problem(text)
    assert_at(error, 6, col(text, 6, "g - 1"), "unknown name 'g' at column 2 of '(g - 1)^2'")


def test_expression_error_in_a_variant() -> None:
    text = EXERCISE + "    variants: {other: x + $}\n"
    error = problem(text)
    assert_at(error, 6, col(text, 6, "$"), "invalid syntax")


# --------------------------------------------------------------------------------------
# Limits and questions
# --------------------------------------------------------------------------------------


def test_bad_limit_arrow() -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(z) = 1 / z").replace("{x: 1}", "{z: 1}")
    text += "    limits: [z => 0]\n"
    assert_at(problem(text), 6, col(text, 6, "z =>"),
              "a limit is written 'z -> 0', 'z -> 0+' or 'x -> oo', not 'z => 0'")  # fmt: skip


def test_bad_limit_point() -> None:
    text = EXERCISE + "    limits:\n      - x -> 0\n      - x -> nowhere\n"
    error = problem(text)
    assert_at(error, 8, 14, "the limit point in 'x -> nowhere'")  # at 'nowhere' itself


def test_limits_are_read_with_their_sides() -> None:
    text = EXERCISE + "    limits: [x -> 0+, x -> 0-, x -> 0, x -> oo, x -> -oo, x -> pi/2]\n"
    limits = spec_of(text).exercises[0].limits
    assert limits == (
        Limit("x", sympy.S.Zero, "+", "x -> 0+"),
        Limit("x", sympy.S.Zero, "-", "x -> 0-"),
        Limit("x", sympy.S.Zero, "+-", "x -> 0"),
        Limit("x", sympy.oo, "-", "x -> oo"),
        Limit("x", -sympy.oo, "+", "x -> -oo"),
        Limit("x", sympy.pi / 2, "+-", "x -> pi/2"),
    )


def test_question_whose_topic_cannot_be_inferred() -> None:
    text = EXERCISE + "    questions:\n      - Is the sky blue today?\n"
    assert_at(problem(text), 7, 9, "cannot tell what this question asks about",
              "{ask: ..., about: [limits]}")  # fmt: skip


def test_question_mapping_without_about_whose_topic_cannot_be_inferred() -> None:
    text = EXERCISE + "    questions:\n      - ask: Why?\n"
    assert_at(problem(text), 7, 9, "cannot tell what this question asks about")


def test_question_with_an_unknown_topic() -> None:
    text = EXERCISE + "    questions:\n      - ask: Why?\n        about: [colour]\n"
    assert_at(problem(text), 8, 16, "unknown topic 'colour'", "topics are domain, limits")


def test_question_topics_are_inferred_or_given() -> None:
    text = EXERCISE + (
        "    questions:\n"
        "      - How do gradients behave as x approaches zero?\n"
        "      - Which input has the greatest effect?\n"
        "      - ask: Why recompute?\n"
        "        about: [descent, stability]\n")  # fmt: skip
    questions = spec_of(text).exercises[0].questions
    assert [q.about for q in questions] == [("limits",), ("ranking",), ("descent", "stability")]
    assert questions[2].text == "Why recompute?"


# --------------------------------------------------------------------------------------
# Hostile YAML: tags, alias bombs, syntax, encodings, missing files
# --------------------------------------------------------------------------------------


def test_python_object_tags_are_refused_and_construct_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    text = EXERCISE.replace(
        "{x: 1}", f"{{x: !!python/object/apply:os.system ['touch {marker}']}}")  # fmt: skip
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    with pytest.raises(SpecErrors) as info:
        load(path)
    [error] = info.value.errors
    assert_at(error, 5, col(text, 5, "!!python"),
              "the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
              path=str(path))  # fmt: skip
    assert not marker.exists()


@pytest.mark.parametrize(
    ("tagged", "tag"),
    [
        ("!!python/object:derive.errors.DeriveError {}", "python/object:derive.errors.DeriveError"),
        ("!!python/name:os.system", "python/name:os.system"),
        ("!!binary aGVsbG8=", "binary"),
        ("!!set {a, b}", "set"),
    ],
)
def test_other_tags_are_refused(tagged: str, tag: str) -> None:
    text = EXERCISE.replace("    title: A", f"    title: {tagged}")
    assert_at(problem(text), 3, 12, f"the tag 'tag:yaml.org,2002:{tag}' is not allowed")


def test_a_tag_on_the_whole_document_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    assert_at(problem(text), 1, 1, "is not allowed")
    assert not marker.exists()


def test_local_tags_are_refused() -> None:
    text = EXERCISE.replace("    title: A", "    title: !custom A")
    assert_at(problem(text), 3, 12, "the tag '!custom' is not allowed")


def test_timestamps_are_not_numbers() -> None:
    text = EXERCISE.replace("{x: 1}", "{x: 2024-01-01}")
    assert_at(problem(text), 5, col(text, 5, "2024"), "timestamp' is not allowed")


def billion_laughs(levels: int = 9) -> list[str]:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return lines


def test_billion_laughs_fails_fast_with_a_clear_error(tmp_path: Path) -> None:
    # nine levels of nine aliases: 9^9 (387 million) strings if the aliases were expanded
    anchors = "\n".join("      " + line for line in billion_laughs())
    text = EXERCISE.replace("f(x) = x^2", "f(x) = dot(x, x)").replace("    at: {x: 1}\n", "")
    text += "    variants:\n" + anchors + "\n    at: {x: *l8}\n"
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    started = time.perf_counter()
    with pytest.raises(SpecErrors) as info:
        load(path)
    elapsed = time.perf_counter() - started
    found = info.value.errors
    # one error per value written in the file, not one per expanded string
    details = sorted(e.detail for e in found)
    assert details == sorted([f"'l{i}' must be text" for i in range(9)]
                             + [f"x[{i}] must be a single value" for i in range(9)])  # fmt: skip
    assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: ", str(e)) for e in found)
    assert elapsed < HANG_GUARD_SECONDS  # a guard, not a benchmark


def test_an_alias_bomb_as_the_list_of_exercises() -> None:
    text = "\n".join(["title: T", "description: D", "x:", *("  " + x for x in billion_laughs())])
    text += "\nexercises: *l8\n"
    found = problems(text)
    assert found[0].detail.startswith("unknown key 'x' in the file")
    items = [e for e in found if e.detail == "an exercise must be a mapping (key: value)"]
    assert len(items) == 9


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("exercises: [\n", 2, 1, "expected the node content, but found '<stream end>'"),
        ("exercises:\n  - id: a\n   title: b\n", 3, 4, "expected <block end>"),
        (EXERCISE + "    notes: a: b\n", 6, 13, "mapping values are not allowed here"),
        ("exercises:\n\t- id: a\n", 2, 1, "found character '\\t' that cannot start any token"),
        ('title: "unterminated\n' + EXERCISE, 7, 1, "found unexpected end of stream"),
    ],
)
def test_invalid_yaml_syntax_names_line_and_column(
    text: str, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(text, "ex.yaml")
    assert_at(info.value, line, column, "invalid YAML", fragment)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"   \n# only a comment\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ex.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError) as info:
        read_spec(path)
    assert str(info.value) == f"{path}:1:1: the file is empty; it needs a list of exercises"


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "ex.yaml"
    path.write_bytes(EXERCISE.replace("title: A", "title: Caf\xe9").encode("latin-1"))
    with pytest.raises(SpecError) as info:
        read_spec(path)
    message = str(info.value)
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: the file is not UTF-8", message), message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    for reader in (read_spec, load):
        with pytest.raises(SpecError) as info:
            reader(path)
        assert str(info.value) == f"{path}:1:1: cannot read the file: No such file or directory"


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        read_spec(tmp_path)
    assert str(info.value) == f"{tmp_path}:1:1: not a regular file but a directory; give an exercise file"


def test_spec_errors_are_derive_errors_and_value_errors() -> None:
    error = problems("exercises: []\n")[0]
    assert isinstance(error, DeriveError)
    assert isinstance(error, ValueError)


# --------------------------------------------------------------------------------------
# Several errors: all of them, in file order
# --------------------------------------------------------------------------------------

SEVERAL = """\
title: Several problems
defaults: {learning_rate: fast}
exercises:
  - id: a
    title: A
    fucntion: f(x) = x
    at: {x: 1}
  - id: b
    title: 7
    function: f(x) = x +
    at: {x: true}
  - id: c
    title: C
    function: f(x) = x
    at: {x: 1}
    limits: [x => 0]
    questions:
      - Is the sky blue today?
"""


def test_a_file_with_several_errors_reports_all_of_them_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "several.yaml"
    path.write_text(SEVERAL)
    with pytest.raises(SpecErrors) as info:
        read_spec(path)
    found = info.value.errors
    t = SEVERAL
    assert [(e.line, e.column) for e in found] == [
        (2, col(t, 2, "fast")),
        (4, 5),                    # exercise a lacks 'function'...
        (6, 5),                    # ...because it is misspelt
        (9, col(t, 9, "7")),
        (10, col(t, 10, "+") + 1),  # the expression ends after the operator
        (11, col(t, 11, "true")),
        (16, col(t, 16, "x =>")),
        (18, col(t, 18, "Is")),
    ]  # fmt: skip
    details = [e.detail for e in found]
    assert "learning_rate: 'fast' is not a number" in details[0]
    assert details[1] == "an exercise needs 'function'"
    assert "did you mean 'function'?" in details[2]
    assert details[3] == "'title' must be text (quote it)"
    assert "the expression ends with an operator" in details[4]
    assert details[5] == "input 'x' must be a number, not true"
    assert "a limit is written" in details[6]
    assert "cannot tell what this question asks about" in details[7]
    # str() is one FILE:LINE:COLUMN: line per problem
    lines = str(info.value).splitlines()
    assert len(lines) == 8
    assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line) for line in lines)
    assert lines == [str(e) for e in found]


def test_load_reports_every_exercise_that_fails_to_derive_in_file_order(tmp_path: Path) -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(x, y) = x * y") + (
        "  - id: b\n    title: B\n    function: f(x) = log(x)\n    at: {x: 2}\n"
        "  - id: c\n    title: C\n    function: f(x) = x\n    at: {x: 1, z: 2}\n"
        "  - id: d\n    title: D\n    function: f(x) = 1 / x\n    at: {x: 0}\n")  # fmt: skip
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    with pytest.raises(SpecErrors) as info:
        load(path)
    found = info.value.errors
    assert [(e.line, e.column) for e in found] == [
        (5, col(text, 5, "{")), (13, col(text, 13, "2")), (17, col(text, 17, "{"))]
    assert "missing value for input 'y'" in found[0].detail
    assert "value given for 'z'" in found[1].detail
    assert "division by zero" in found[2].detail


def test_load_reports_schema_and_derivation_errors_together(tmp_path: Path) -> None:
    # the valid exercises are derived even when others are invalid, so one report lists
    # every problem of the file, in file order
    text = EXERCISE.replace("title: A", "title: 7") + (
        "  - id: b\n    title: B\n    function: f(x, y) = x * y\n    at: {x: 2}\n"
        "  - id: c\n    title: C\n    function: f(x) = x\n    at: {x: 1}\n    limits: [x => 0]\n"
    )  # fmt: skip
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    with pytest.raises(SpecErrors) as info:
        load(path)
    found = info.value.errors
    assert [(e.line, e.column) for e in found] == [
        (3, 12), (9, col(text, 9, "{")), (14, col(text, 14, "x =>"))]
    assert found[0].detail == "'title' must be text (quote it)"
    assert found[1].detail == "missing value for input 'y'"
    assert "a limit is written" in found[2].detail
    assert str(info.value).splitlines() == [str(e) for e in found]


def test_read_valid_part_keeps_the_valid_exercises_and_every_problem(tmp_path: Path) -> None:
    text = EXERCISE + "  - id: b\n    title: B\n    function: f(x) = x +\n    at: {x: 1}\n"
    text += "  - id: c\n    title: C\n    function: 2 * x\n    at: {x: one}\n"
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    spec, problems = read_valid_part(path)
    assert spec is not None
    assert [e.id for e in spec.exercises] == ["a"]
    assert [(e.line, e.column) for e in problems] == [
        (8, col(text, 8, "+") + 1), (13, col(text, 13, "one"))]


def test_read_valid_part_of_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "ex.yaml"
    path.write_text("exercises: [\n")
    spec, problems = read_valid_part(path)
    assert spec is None
    assert [(e.line, e.column) for e in problems] == [(2, 1)]


# --------------------------------------------------------------------------------------
# Values: exact, vectors, defaults
# --------------------------------------------------------------------------------------


def test_decimal_in_yaml_is_exactly_the_decimal_written() -> None:
    text = EXERCISE.replace("{x: 1}", "{x: 0.1}") + "    descent: {learning_rate: 0.1}\n"
    exercise = spec_of(text).exercises[0]
    assert exercise.at["x"] == sympy.Rational(1, 10)
    assert exercise.at["x"].is_Rational
    assert exercise.descent is not None
    assert exercise.descent.learning_rate == sympy.Rational(1, 10)
    assert exercise.descent.learning_rate != sympy.Float(0.1)


@pytest.mark.parametrize(
    ("written", "exact"),
    [
        ("pi/2", sympy.pi / 2),
        ("'pi/2'", sympy.pi / 2),
        ("1e-3", sympy.Rational(1, 1000)),
        ("1.0e-3", sympy.Rational(1, 1000)),
        ("'1e-3'", sympy.Rational(1, 1000)),
        ("-2.5", sympy.Rational(-5, 2)),
        ("1/3", sympy.Rational(1, 3)),
        ("0.30000000000000004", sympy.Rational(30000000000000004, 10**17)),
        ("1_000", sympy.Integer(1000)),
        ("sqrt(2)", sympy.sqrt(2)),
        ("e", sympy.E),
    ],
)
def test_value_texts_are_exact(written: str, exact: sympy.Expr) -> None:
    text = EXERCISE.replace("{x: 1}", f"{{x: {written}}}")
    value = spec_of(text).exercises[0].at["x"]
    assert value == exact
    assert sympy.simplify(value - exact) == 0
    assert not value.has(sympy.Float)


def test_vectors_are_tuples_of_exact_values() -> None:
    text = EXERCISE.replace("f(x) = x^2", "f(w, x) = sigmoid(dot(w, x))").replace(
        "{x: 1}", "{w: [2, -3, -3], x: [-1, 0.5, 'pi/2']}")  # fmt: skip
    at = spec_of(text).exercises[0].at
    assert at["w"] == (2, -3, -3)
    assert at["x"] == (-1, sympy.Rational(1, 2), sympy.pi / 2)


def test_empty_vector() -> None:
    text = EXERCISE.replace("{x: 1}", "{x: []}")
    assert_at(problem(text), 5, col(text, 5, "[]"), "input 'x': an empty vector")


DEFAULTS = """\
defaults: {learning_rate: 0.5, steps: 3, digits: 6, solution: collapsed}
exercises:
  - id: inherits
    title: Inherits
    function: f(x) = x^2
    at: {x: 1}
    descent: {}
  - id: overrides
    title: Overrides
    function: f(x) = x^2
    at: {x: 1}
    digits: 2
    solution: open
    descent: {learning_rate: 0.01, steps: 2, parameters: [x], ascent: true}
  - id: no-descent
    title: No descent
    function: f(x) = x^2
    at: {x: 1}
"""


def test_defaults_are_inherited_and_overridden() -> None:
    inherits, overrides, plain = spec_of(DEFAULTS).exercises
    assert (inherits.digits, inherits.solution) == (6, "collapsed")
    assert inherits.descent is not None
    assert inherits.descent.learning_rate == sympy.Rational(1, 2)
    assert inherits.descent.steps == 3
    assert inherits.descent.parameters is None
    assert inherits.descent.ascent is False
    assert inherits.descent.objective is None
    assert (overrides.digits, overrides.solution) == (2, "open")
    assert overrides.descent is not None
    assert overrides.descent.learning_rate == sympy.Rational(1, 100)
    assert overrides.descent.steps == 2
    assert overrides.descent.parameters == ("x",)
    assert overrides.descent.ascent is True
    assert plain.descent is None
    assert (plain.digits, plain.solution) == (6, "collapsed")


def test_built_in_defaults() -> None:
    exercise = spec_of(EXERCISE + "    descent: {}\n").exercises[0]
    assert (exercise.digits, exercise.solution) == (4, "open")
    assert exercise.descent is not None
    assert exercise.descent.learning_rate == sympy.Rational(1, 10)
    assert exercise.descent.steps == 1


def test_the_records_keep_the_text_and_places() -> None:
    text = """\
title: Title
description: Some *Markdown*.
exercises:
  - id: quotient
    title: A quotient
    function: f(x, y, z) = (x + y) / z
    where: {q: x + y}
    at: {x: 3, y: 2, z: 1}
    statement: The statement.
    instructions: [Do this., Then that.]
    notes: A note.
"""
    spec = spec_of(text)
    assert (spec.title, spec.description, spec.path) == ("Title", "Some *Markdown*.", "ex.yaml")
    [exercise] = spec.exercises
    assert isinstance(exercise, Exercise)
    assert exercise.function == "f(x, y, z) = (x + y) / z"
    assert exercise.where == {"q": "x + y"}
    assert exercise.instructions == ("Do this.", "Then that.")
    assert (exercise.statement, exercise.notes) == ("The statement.", "A note.")
    assert exercise.places["function"].line == 6
    assert exercise.places["at.z"].line == 8
    assert exercise.places["at.z"].column == col(text, 8, "1}")
