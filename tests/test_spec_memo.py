"""Reading a file again after one exercise changed: the exercises whose text and place are
the same come from the last read (derive.spec.memo), the others are read again; what comes
out is what a first read gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from derive.errors import SpecErrors
from derive.spec import Spec, memo, parse_spec, read_valid_part, schema
from derive.spec.reader import Reader

FILE = """\
title: Two
defaults: {learning_rate: 0.1}
exercises:
  - id: one
    title: One
    function: f(x, y) = x * y
    at: {x: 2, y: 3}
    descent: {steps: 2}
  - id: two
    title: Two
    function: f(x) = sigmoid(x)
    at: {x: 1}
"""


@pytest.fixture(autouse=True)
def fresh() -> None:
    memo.keep({})


@pytest.fixture
def read(tmp_path: Path) -> object:
    """Write `text` to the same file and read it by path, as a build does."""
    path = tmp_path / "exercises.yaml"

    def reading(text: str) -> Spec:
        path.write_text(text, encoding="utf-8")
        spec, errors = read_valid_part(path)
        if errors:
            raise SpecErrors(errors)
        assert spec is not None
        return spec

    return reading


def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the exercises validated from their text (not taken from the last read)."""
    seen: list[str] = []
    real = schema._exercise

    def counted(r: Reader, node: object, defaults: dict[str, object]) -> object:
        exercise = real(r, node, defaults)  # type: ignore[arg-type]
        seen.append(getattr(exercise, "id", "?"))
        return exercise

    monkeypatch.setattr(schema, "_exercise", counted)
    return seen


def test_only_the_changed_exercise_is_read_again(read: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    seen = reads(monkeypatch)
    first = read(FILE)
    assert seen == ["one", "two"]
    changed = FILE.replace("at: {x: 1}", "at: {x: 1.5}")
    again = read(changed)
    assert seen == ["one", "two", "two"]
    assert again.exercises[0] is first.exercises[0]
    memo.keep({})
    assert read(changed) == again  # the same records as a first read


def test_text_given_to_parse_spec_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers of parse_spec get records of their own (their dicts are theirs to change)."""
    seen = reads(monkeypatch)
    first, again = parse_spec(FILE), parse_spec(FILE)
    assert seen == ["one", "two", "one", "two"]
    assert first == again and first.exercises[0] is not again.exercises[0]


@pytest.mark.parametrize("changed", [
    FILE.replace("learning_rate: 0.1", "learning_rate: 0.2"),  # a default it uses
    FILE.replace("title: Two\n", "title: Two\n\n", 1),  # a line lower: its messages move
    FILE.replace("\n  ", "\n   "),  # a column to the right
])  # fmt: skip
def test_a_change_around_an_exercise_reads_it_again(changed: str, read: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    read(FILE)
    seen = reads(monkeypatch)
    again = read(changed)
    assert seen == ["one", "two"]
    memo.keep({})
    assert read(changed) == again


def test_a_tag_directive_before_the_document_reads_it_again(read: Any) -> None:
    """%TAG lines say what a tag such as !!str means; they stand outside the exercise, and
    replacing a comment with one keeps every line where it was."""
    body = "---\n" + FILE.replace("title: One", "title: !!str One")
    read("# a comment\n" + body)
    with pytest.raises(SpecErrors, match=r":7:\d+: the tag 'tag:example.com,2000:str' is not"):
        read("%TAG !! tag:example.com,2000:\n" + body)


def test_an_alias_is_read_again_when_its_anchor_changes(read: Any) -> None:
    text = FILE.replace("at: {x: 2, y: 3}", "at: &point {x: 2, y: 3}").replace(
        "at: {x: 1}", "at: {x: 1}\n    variants: {b: \"x*y\"}\n  - id: three\n    title: Three\n"
        "    function: f(x, y) = x + y\n    at: *point")  # fmt: skip
    assert read(text).exercises[2].at["x"] == 2
    moved = read(text.replace("{x: 2, y: 3}", "{x: 5, y: 3}"))
    assert moved.exercises[2].at["x"] == 5  # exercise three's text did not change


def test_an_exercise_with_a_problem_is_reported_on_every_read(read: Any) -> None:
    bad = FILE.replace("f(x) = sigmoid(x)", "f(x) = sigmoid(x")
    for _ in range(2):
        with pytest.raises(SpecErrors, match=r"exercises.yaml:11:\d+: .*parenthes"):
            read(bad)


def test_remembered_exercises_still_count_toward_the_limit_on_values(
        read: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    read(FILE)
    values = Reader("x").seen
    counted: list[int] = []
    real = Reader.count

    def count(self: Reader, values: int = 1) -> None:
        counted.append(values)
        real(self, values)

    monkeypatch.setattr(Reader, "count", count)
    read(FILE)
    remembered_total = sum(counted)
    memo.keep({})
    counted.clear()
    read(FILE)
    assert remembered_total == sum(counted) > values


def test_the_prose_checker_is_part_of_what_is_remembered(read: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Tests switch the prose checker off; a record read without it is not reused with it."""
    text = FILE.replace("title: One", "title: 'One \\write18'")
    monkeypatch.setattr(schema.checker, "text_problem", lambda text: None)
    assert read(text).exercises[0].title.endswith("\\write18")
    monkeypatch.undo()
    with pytest.raises(SpecErrors, match="write"):
        read(text)
