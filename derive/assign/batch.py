"""`derive assign`: every student's variant of every exercise, their pages and PDFs, and
the answer key, computed over a process pool and written atomically.

    DIR/key.csv                       student,exercise,quantity,value
    DIR/roster.csv                    the roster's columns, plus each student's folder
    DIR/students/ID/exercises.md|pdf  statements at the student's point, no solutions
    DIR/students/ID/solutions.md|pdf  the worked solutions, to release after the deadline

Everything is written into a temporary folder beside DIR and renamed into place at the
end: an interrupted or failed run leaves DIR as it was.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from derive.assign.files import replacing_folder, write_csv
from derive.assign.key import number, quantities
from derive.assign.roster import Roster
from derive.assign.variants import Variant, variant
from derive.errors import DeriveError
from derive.spec import Spec, read_spec

J = TypeVar("J")
R = TypeVar("R")

KEY_COLUMNS = ("student", "exercise", "quantity", "value")


@dataclass(frozen=True, slots=True)
class Job:
    spec_path: str
    seed: int
    students: tuple[str, ...]
    folder: str
    """Where this chunk's students' folders go (inside the temporary output)."""
    pdf: bool


def student_variants(spec: Spec, seed: int, student: str) -> list[Variant]:
    return [variant(exercise, seed, student) for exercise in spec.exercises]


def key_rows(student: str, variants: list[Variant]) -> list[tuple[str, str, str, str]]:
    return [(student, v.exercise.id, q.name, number(q.value))
            for v in variants for q in quantities(v.solution)]  # fmt: skip


_SPECS: dict[str, Spec] = {}


def run_job(job: Job) -> list[tuple[str, str, str, str]]:
    """One chunk of students: their pages in `job.folder`, their key rows returned."""
    try:
        return _run_job(job)
    except DeriveError as exc:  # SpecError cannot be unpickled across processes: its message can
        raise DeriveError(str(exc)) from None


def _run_job(job: Job) -> list[tuple[str, str, str, str]]:
    from derive.assign import pages

    spec = _SPECS.get(job.spec_path) or _SPECS.setdefault(job.spec_path, read_spec(job.spec_path))
    rows: list[tuple[str, str, str, str]] = []
    for student in job.students:
        variants = student_variants(spec, job.seed, student)
        folder = Path(job.folder) / student
        folder.mkdir(parents=True)
        (folder / "exercises.md").write_text(
            pages.exercises_page(student, spec.title, variants), encoding="utf-8")
        (folder / "solutions.md").write_text(
            pages.solutions_page(student, spec.title, variants), encoding="utf-8")
        if job.pdf:
            for solutions, name in ((False, "exercises.pdf"), (True, "solutions.pdf")):
                pages.pdf(student, spec.title, variants, solutions, folder / name)
        rows += key_rows(student, variants)
    return rows


def assign(spec_path: Path, roster: Roster, seed: int, out: Path, pdf: bool = True,
           workers: int | None = None,
           progress: Callable[[int], None] | None = None) -> list[tuple[str, str, str, str]]:
    """Write the class's pages and key into `out`; returns the key's rows. `progress` is
    called with the number of students done so far."""
    read_spec(spec_path)  # a bad file stops here, before any process starts
    workers = workers or len(os.sched_getaffinity(0))
    ids = roster.ids
    with replacing_folder(out) as tmp:
        folder = tmp / "students"
        jobs = [Job(str(spec_path), seed, chunk, str(folder), pdf)
                for chunk in chunks(ids, workers)]  # fmt: skip
        results = parallel(run_job, jobs, [len(j.students) for j in jobs], workers, progress)
        rows = [row for result in results for row in result]
        write_csv(tmp / "key.csv", KEY_COLUMNS, rows)
        write_csv(tmp / "roster.csv", (*roster.columns, "folder"),
                   [(*(r[c] for c in roster.columns), f"students/{r['id']}") for r in roster.rows])
    return rows


def parallel(function: Callable[[J], R], jobs: Sequence[J], weights: Sequence[int],
             workers: int, progress: Callable[[int], None] | None = None) -> list[R]:
    """`function` over `jobs` in a process pool (in this process when workers is 1), results
    in job order; `progress` gets the summed weights of the jobs done. A worker's error is
    raised here, and the jobs not started are cancelled."""
    results: dict[int, R] = {}
    if workers == 1 or len(jobs) == 1:
        for index, job in enumerate(jobs):
            results[index] = function(job)
            if progress:
                progress(sum(weights[i] for i in results))
        return [results[i] for i in range(len(jobs))]
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_quiet_worker)
    try:
        futures = {pool.submit(function, job): i for i, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                results[futures[future]] = future.result()
            if progress:
                progress(sum(weights[i] for i in results))
    except BaseException:  # a worker's error, or Ctrl-C: stop the others now, not later
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    pool.shutdown()
    return [results[i] for i in range(len(jobs))]


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the main process, which stops them (a worker interrupted
    inside the pool's machinery can leave the pool waiting forever), and end quietly when
    it terminates them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def chunks(items: Sequence[str], workers: int) -> list[tuple[str, ...]]:
    """Items in chunks small enough to spread over the workers and show progress."""
    size = max(1, min(10, len(items) // (workers * 4)))
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]
