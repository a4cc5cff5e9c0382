"""The command-line subcommands of assignments: `derive assign`, `derive grade`, `derive
export moodle|prairielearn`. derive.cli builds the parser and calls `add_assignment_commands`;
the handlers read the parsed options and call this package. Heavy modules are imported
inside the handlers, so `derive --help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from derive.errors import DeriveError

EXIT_OK = 0
"""derive.cli's exit status for success (the commands fail by raising DeriveError)."""


def add_assignment_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    assign = commands.add_parser(
        "assign", help="per-student variants of every exercise, their pages and an answer key",
        description="Draw each student's variant of every exercise (deterministic from the "
                    "seed and the student's id), write their exercises and solutions as "
                    "pages and PDFs, and the answer key DIR/key.csv.",
    )  # fmt: skip
    assign.add_argument("file", metavar="FILE", help="the exercise file")
    assign.add_argument("--students", required=True, metavar="ROSTER.csv",
                        help="the class: a CSV file with a column 'id'")
    assign.add_argument("--seed", required=True, type=int, metavar="N",
                        help="the assignment's seed (same seed and id: same numbers)")
    assign.add_argument("--out", required=True, metavar="DIR", help="the output folder")
    assign.add_argument("--no-pdf", action="store_true", help="write the pages only")
    assign.add_argument("--jobs", type=int, metavar="N",
                        help="worker processes (default: one per core)")
    assign.set_defaults(run=_assign)

    grade = commands.add_parser(
        "grade", help="mark answer sheets with carry-forward, against each student's variant",
        description="Mark every answer of ANSWERS.csv (student,exercise,quantity,value; "
                    "blanks allowed) right, wrong, carried or blank, with one line of "
                    "feedback; scores per student and exercise go to OUT-scores.csv.",
    )  # fmt: skip
    grade.add_argument("file", metavar="FILE", help="the exercise file")
    grade.add_argument("--answers", required=True, metavar="ANSWERS.csv",
                       help="the answers, in the key's format")
    grade.add_argument("--seed", required=True, type=int, metavar="N",
                       help="the seed the assignment was made with")
    grade.add_argument("--students", metavar="ROSTER.csv",
                       help="the class (default: the students in the answers); a student "
                            "with no answers gets blanks")
    grade.add_argument("--out", required=True, metavar="GRADES.csv", help="the marks")
    grade.add_argument("--jobs", type=int, metavar="N",
                       help="worker processes (default: one per core)")
    grade.set_defaults(run=_grade)

    export = commands.add_parser(
        "export", help="questions for a learning system: Moodle XML or PrairieLearn",
        description="Write N variants of every exercise as questions for a learning system.",
    )  # fmt: skip
    systems = export.add_subparsers(dest="system", required=True, metavar="SYSTEM")
    for system, target in (("moodle", "QUIZ.xml"), ("prairielearn", "DIR")):
        sub = systems.add_parser(
            system, help=f"{'a Moodle XML question bank (Cloze)' if system == 'moodle' else 'PrairieLearn question folders'}",
            description=f"Export FILE's exercises to {target}.")  # fmt: skip
        sub.add_argument("file", metavar="FILE", help="the exercise file")
        sub.add_argument("--variants", type=int, default=10, metavar="N",
                         help="variants per exercise that varies (default 10)")
        sub.add_argument("--seed", required=True, type=int, metavar="S", help="the seed")
        sub.add_argument("--out", required=True, metavar=target, help="where to write")
        sub.set_defaults(run=_export)


def _assign(args: argparse.Namespace) -> int:
    import resource
    import time

    from derive.assign.batch import assign
    from derive.assign.roster import read_roster
    from derive.render.progress import Steps
    from derive.render.terminal import Terminal

    if args.jobs is not None and not 1 <= args.jobs <= 256:
        raise DeriveError(f"--jobs: expected 1 to 256, got {args.jobs}")
    roster = read_roster(args.students)
    started = time.perf_counter()
    with Steps(Terminal(sys.stderr), len(roster.rows), "assigning") as steps:
        done = [0]

        def progress(count: int) -> None:
            for _ in range(count - done[0]):
                steps.advance()
            done[0] = count

        rows = assign(Path(args.file), roster, args.seed, Path(args.out), not args.no_pdf,
                      args.jobs, progress)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    exercises = len({row[1] for row in rows})
    print(f"assigned {len(roster.rows)} students x {exercises} exercises ({len(rows)} key rows) "
          f"in {time.perf_counter() - started:.1f} s, peak memory {peak:.0f} MB per process: "
          f"{Path(args.out) / 'key.csv'}")
    return EXIT_OK


def _grade(args: argparse.Namespace) -> int:
    from derive.assign.grading import grade
    from derive.assign.roster import read_roster

    if args.jobs is not None and not 1 <= args.jobs <= 256:
        raise DeriveError(f"--jobs: expected 1 to 256, got {args.jobs}")
    students = read_roster(args.students).ids if args.students else None
    scores, graded = grade(Path(args.file), Path(args.answers), args.seed, Path(args.out),
                           students, args.jobs)
    marks = [row[5] for g in graded for row in g.rows]
    counts = ", ".join(f"{marks.count(k)} {k}" for k in ("right", "carried", "wrong", "blank"))
    print(f"graded {len(graded)} students: {counts}: {args.out}, scores in {scores}")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from derive.spec import read_spec

    if not 1 <= args.variants <= 1000:
        raise DeriveError(f"--variants: expected 1 to 1000, got {args.variants}")
    spec = read_spec(args.file)
    out = Path(args.out)
    if args.system == "moodle":
        from derive.assign.files import atomic_text
        from derive.assign.moodle import quiz

        atomic_text(out, quiz(spec, args.variants, args.seed))
        print(f"wrote {len(spec.exercises)} categories of questions to {out}: import it in "
              "Moodle with Question bank -> Import -> Moodle XML format")
    else:
        from derive.assign.prairielearn import export

        folders = export(spec, args.variants, args.seed, out)
        print(f"wrote {len(folders)} PrairieLearn questions in {out}")
    return EXIT_OK
