"""The CSV files of an assignment: the class roster and answer sheets.

A roster has a header line with a column `id` (other columns are kept and copied into
the output's roster); an answer sheet has the key's columns student,exercise,quantity,
value with blank values allowed. Problems are DeriveErrors naming the file and line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from derive.errors import DeriveError

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}\Z")
"""A student id names the student's folder: letters, digits and . _ @ + - (not first)."""
MAX_BYTES = 50_000_000
ANSWER_COLUMNS = ("student", "exercise", "quantity", "value")


@dataclass(frozen=True, slots=True)
class Roster:
    columns: tuple[str, ...]
    """The header, `id` included, in the file's order."""
    rows: tuple[dict[str, str], ...]
    """One per student, in file order."""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(row["id"] for row in self.rows)


@dataclass(frozen=True, slots=True)
class Answer:
    student: str
    exercise: str
    quantity: str
    text: str
    """The value as written (may be blank or not a number)."""
    line: int


def _rows(path: Path, what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DeriveError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise DeriveError(f"{path}: the {what} is larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeriveError(f"{path}:{line}: the {what} is not UTF-8") from None
    reader = csv.reader(text.splitlines())
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as exc:
        raise DeriveError(f"{path}:{reader.line_num}: bad CSV in the {what}: {exc}") from None
    if not rows:
        raise DeriveError(f"{path}: the {what} is empty; it needs a header line")
    return rows[0][1], rows[1:]


def read_roster(path: str | Path) -> Roster:
    """The students of a roster CSV, in file order."""
    path = Path(path)
    header, rows = _rows(path, "roster")
    if "id" not in header:
        raise DeriveError(f"{path}:1: the roster needs a column 'id' (found: {', '.join(header)})")
    if len(set(header)) != len(header):
        raise DeriveError(f"{path}:1: the roster's header repeats a column name")
    students: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if len(cells) != len(header):
            raise DeriveError(f"{path}:{line}: expected {len(header)} columns, got {len(cells)}")
        row = dict(zip(header, cells, strict=True))
        student = row["id"]
        if not STUDENT_ID.match(student):
            raise DeriveError(f"{path}:{line}: student id {student!r} must be letters, digits "
                              "and . _ @ + - (it names a folder)")  # fmt: skip
        if student in seen:
            raise DeriveError(f"{path}:{line}: duplicate id {student!r} (first on line "
                              f"{seen[student]})")  # fmt: skip
        seen[student] = line
        students.append(row)
    if not students:
        raise DeriveError(f"{path}: the roster lists no students")
    return Roster(tuple(header), tuple(students))


def read_answers(path: str | Path) -> list[Answer]:
    """The rows of an answer sheet (the key's format), blanks included."""
    path = Path(path)
    header, rows = _rows(path, "answer sheet")
    missing = [c for c in ANSWER_COLUMNS if c not in header]
    if missing:
        raise DeriveError(f"{path}:1: the answer sheet needs the columns "
                          f"{', '.join(ANSWER_COLUMNS)} (missing: {', '.join(missing)})")
    where = {c: header.index(c) for c in ANSWER_COLUMNS}
    answers = []
    for line, cells in rows:
        if len(cells) < len(header) - 1 or len(cells) > len(header):
            raise DeriveError(f"{path}:{line}: expected {len(header)} columns, got {len(cells)}")
        cells = cells + [""] * (len(header) - len(cells))
        student, exercise, quantity, value = (cells[where[c]] for c in ANSWER_COLUMNS)
        answers.append(Answer(student, exercise, quantity, value, line))
    return answers
