"""`derive grade`: a class's answer sheets marked with carry-forward (derive.marking).

Each student's variants are drawn again from the seed (the same numbers `derive assign`
gave them); every quantity of the answer key is marked, those the sheet leaves out as
blank. An answer that is not a number is marked wrong ("not a number") and counts as
blank for the carry-forward of later answers. The score of a student's exercise is
(right + carried) / quantities in the key: an answer carried forward from the student's
own earlier mistake earns its credit, the mistake itself none.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from derive.assign.key import number, quantities
from derive.assign.roster import Answer
from derive.assign.variants import Variant, point_text, variant
from derive.errors import DeriveError
from derive.spec import Exercise, Spec

GRADE_COLUMNS = ("student", "exercise", "quantity", "answer", "expected", "mark", "feedback")
SCORE_COLUMNS = ("student", "exercise", "right", "carried", "wrong", "blank", "total", "score")


@dataclass(frozen=True, slots=True)
class Graded:
    """The marked rows (GRADE_COLUMNS) and the scores (SCORE_COLUMNS) of one student."""

    rows: list[tuple[str, ...]]
    scores: list[tuple[str, ...]]


def parse_number(text: str) -> float | None:
    """A student's answer as a float: "-1.6", "1,5" (a decimal comma), "1/8", "" -> None;
    None too for anything else (checked by the caller for the "not a number" feedback)."""
    text = text.strip().replace("\u2212", "-")
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        if "/" in text:
            top, bottom = text.split("/", 1)
            value = float(top) / float(bottom)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def published_point(v: Variant, exercise: Exercise, quantity: str, answer: float | None) -> str:
    """": step 1 used the gradient at the published example's point ..." when a wrong
    first descent step of a student's variant is the step taken with the gradient at the
    exercise's own `at` (the worked example on the site): the seed notebook's error, made
    by copying. Empty otherwise."""
    from derive.marking import close

    table = v.solution.descent
    kind, _, parameter = quantity.partition(":")
    if kind != "step1" or table is None or answer is None or not exercise.vary:
        return ""
    published = variant(replace(exercise, vary=()), 0, "").solution.descent
    if published is None or not published.steps:
        return ""
    theirs = {u.parameter: u for u in published.steps[0].updates}
    mine = {u.parameter: u for u in table.steps[0].updates}
    if parameter not in theirs or parameter not in mine:
        return ""
    move = (1 if table.ascent else -1) * float(table.learning_rate)
    taken = float(mine[parameter].current.approx) + move * float(theirs[parameter].gradient.approx)
    if close(answer, taken, exercise.digits) and not close(
            answer, float(mine[parameter].new.approx), exercise.digits):  # fmt: skip
        return (f": step 1 used the gradient at another point (the worked example's, "
                f"{point_text(replace(exercise, vary=()))}); recompute it at your point")
    return ""


def check_sheet(spec: Spec, answers: Sequence[Answer], path: str,
                students: Sequence[str] | None) -> None:
    """One-line errors for rows naming an unknown exercise or student, or repeating a row."""
    ids = {e.id for e in spec.exercises}
    allowed = set(students) if students is not None else None
    seen: dict[tuple[str, str, str], int] = {}
    for a in answers:
        if a.exercise not in ids:
            raise DeriveError(f"{path}:{a.line}: unknown exercise {a.exercise!r} "
                              f"(exercises: {', '.join(sorted(ids))})")  # fmt: skip
        if allowed is not None and a.student not in allowed:
            raise DeriveError(f"{path}:{a.line}: student {a.student!r} is not in the roster")
        if not a.student:
            raise DeriveError(f"{path}:{a.line}: the student column is empty")
        key = (a.student, a.exercise, a.quantity)
        if key in seen:
            raise DeriveError(f"{path}:{a.line}: {a.quantity!r} of {a.exercise!r} for "
                              f"{a.student!r} is answered twice (first on line {seen[key]})")
        seen[key] = a.line


def grade_student(spec: Spec, seed: int, student: str, answers: Sequence[Answer]) -> Graded:
    """Mark one student's answers (rows of any exercise; missing quantities are blank)."""
    from derive.marking import mark

    rows: list[tuple[str, ...]] = []
    scores: list[tuple[str, ...]] = []
    totals = [0, 0, 0, 0, 0]
    for exercise in spec.exercises:
        v = variant(exercise, seed, student)
        digits = exercise.digits
        key = {q.name: number(q.value) for q in quantities(v.solution)}
        names = list(key)
        given = {a.quantity: a for a in answers if a.exercise == exercise.id}
        texts = {name: given[name].text if name in given else "" for name in names}
        numbers = {name: parse_number(text) for name, text in texts.items()}
        marks = {m.quantity: m for m in mark(v.solution.derivation, numbers, digits,
                                              v.solution.descent)}  # fmt: skip
        counts = dict.fromkeys(("right", "carried", "wrong", "blank"), 0)
        for name in names:
            m = marks[name]
            verdict, feedback = m.verdict, m.feedback
            if numbers[name] is None and texts[name]:
                verdict, feedback = "wrong", f"not a number: {texts[name][:40]!r}"
            elif verdict == "wrong" and ": " not in feedback:  # no mistake named yet
                feedback += published_point(v, exercise, name, numbers[name])
            counts[verdict] += 1
            rows.append((student, exercise.id, name, texts[name], key[name], verdict, feedback))
        for name in sorted(set(given) - set(names)):
            a = given[name]
            rows.append((student, exercise.id, name, a.text, "", "wrong",
                         f"unknown quantity {name!r} for this exercise (line {a.line})"))
        total = len(names)
        score = (counts["right"] + counts["carried"]) / total if total else 1.0
        scores.append((student, exercise.id, *(str(counts[k]) for k in counts), str(total),
                       f"{score:.3f}"))
        for i, k in enumerate(counts):
            totals[i] += counts[k]
        totals[4] += total
    overall = (totals[0] + totals[1]) / totals[4] if totals[4] else 1.0
    scores.append((student, "all", *(str(t) for t in totals), f"{overall:.3f}"))
    return Graded(rows, scores)


@dataclass(frozen=True, slots=True)
class GradeJob:
    spec_path: str
    seed: int
    students: tuple[str, ...]
    answers: tuple[Answer, ...]


_SPECS: dict[str, Spec] = {}


def run_grade_job(job: GradeJob) -> list[Graded]:
    from derive.spec import read_spec

    spec = _SPECS.get(job.spec_path) or _SPECS.setdefault(job.spec_path, read_spec(job.spec_path))
    try:
        return _grade_students(spec, job)
    except DeriveError as exc:  # SpecError cannot be unpickled across processes: its message can
        raise DeriveError(str(exc)) from None


def _grade_students(spec: Spec, job: GradeJob) -> list[Graded]:
    return [grade_student(spec, job.seed, student,
                          [a for a in job.answers if a.student == student])
            for student in job.students]  # fmt: skip


def grade(spec_path: Path, answers_path: Path, seed: int, out: Path,
          students: Sequence[str] | None = None, workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> tuple[Path, list[Graded]]:
    """Mark the sheet at `answers_path`; writes `out` (GRADE_COLUMNS) and the scores beside
    it (OUT-scores.csv, SCORE_COLUMNS), each replaced atomically. Returns the scores' path."""
    from derive.assign.batch import chunks, parallel
    from derive.assign.files import atomic_csv
    from derive.assign.roster import read_answers
    from derive.spec import read_spec

    spec = read_spec(spec_path)
    answers = read_answers(answers_path)
    check_sheet(spec, answers, str(answers_path), students)
    ids = list(students) if students is not None else list(dict.fromkeys(a.student for a in answers))
    if not ids:
        raise DeriveError(f"{answers_path}: the answer sheet has no answers and no roster was given")
    workers = workers or len(os.sched_getaffinity(0))
    mine: dict[str, list[Answer]] = {s: [] for s in ids}
    for a in answers:
        mine[a.student].append(a)
    jobs = [GradeJob(str(spec_path), seed, chunk,
                     tuple(a for s in chunk for a in mine[s])) for chunk in chunks(ids, workers)]
    graded = [g for batch in parallel(run_grade_job, jobs, [len(j.students) for j in jobs],
                                      workers, progress) for g in batch]  # fmt: skip
    scores = out.with_name(f"{out.stem}-scores{out.suffix or '.csv'}")
    atomic_csv(out, GRADE_COLUMNS, [r for g in graded for r in g.rows])
    atomic_csv(scores, SCORE_COLUMNS, [r for g in graded for r in g.scores])
    return scores, graded
