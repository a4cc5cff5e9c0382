"""The command line: `derive grad`, `derive check`, `derive build`, `derive pdf`, and the
assignments' `derive assign`, `derive grade`, `derive export` (derive.assign.commands).

A thin shell over the public API. Heavy modules (SymPy, Sphinx) are imported inside the
commands, so `derive --help` answers at once. Bad input prints one line (and, for an
expression, the text with a caret under the column) on stderr and exits with status 2.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any


def _interrupted_early(signum: int, frame: object) -> None:
    """Ctrl-C while derive is still starting (importing): one line, nothing to clean up."""
    sys.stderr.write("derive: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def _on_interrupt(handler: Any) -> None:
    """Set what Ctrl-C does, unless derive was started with it ignored (nohup, `&`)."""
    if not _IGNORED:
        signal.signal(signal.SIGINT, handler)


_IGNORED = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
_on_interrupt(_interrupted_early)  # first thing: imports below take time

import argparse
import contextlib
import errno
import gc
import json
import math
import re
from pathlib import Path

from derive import __version__
from derive.assign.commands import add_assignment_commands
from derive.collector import preload
from derive.errors import DeriveError, ParseError, SpecErrors, window

if TYPE_CHECKING:
    from derive.sphinx.build import Result

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derive",
        description="Worked backpropagation solutions: graphs, chain-rule steps, gradients.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grad = commands.add_parser(
        "grad", help="derive one function at one point and print every step",
        description="Print the forward pass, the backward pass and the gradients of EXPR.",
        epilog='example: derive grad "(x + y) * z" --at x=-2,y=5,z=-4',
    )  # fmt: skip
    grad.add_argument("expression", metavar="EXPR",
                      help='the function, e.g. "(x + y) * z" or "f(w, x) = sigmoid(dot(w, x))"')
    grad.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                      help="input values: x=-2,y=5,z=pi/2 or w=[2,-3,-3] (repeatable)")
    grad.add_argument("--where", action="append", default=[], metavar="NAME=EXPR",
                      help="name an intermediate expression: q=x+y (repeatable)")
    grad.add_argument("--json", action="store_true", help="print the derivation as JSON")
    grad.add_argument("--digits", type=int, default=6, help="significant digits (default 6)")
    grad.set_defaults(run=_grad)

    check = commands.add_parser(
        "check", help="validate and derive every exercise of a file; no site",
        description="Validate FILE, derive every exercise and report one line each.",
    )
    check.add_argument("file", nargs="?", default="exercises.yaml", metavar="FILE",
                       help="the exercise file (default: exercises.yaml)")
    check.set_defaults(run=_check)

    build = commands.add_parser(
        "build", help="derive every exercise and build the website",
        description="Derive every exercise of FILE and build the HTML site with Sphinx.",
    )
    build.add_argument("file", nargs="?", default="exercises.yaml", metavar="FILE",
                       help="the exercise file (default: exercises.yaml)")
    build.add_argument("--out", default="docs/_build/html", metavar="DIR",
                       help="where the site goes (default: docs/_build/html)")
    build.add_argument("--docs", metavar="DIR",
                       help="the Sphinx folder with conf.py (default: docs, if it has one; "
                            "else a minimal site)")
    build.add_argument("--no-solutions", action="store_true",
                       help="leave every solution out (publish the exercises first)")
    build.add_argument("--watch", action="store_true",
                       help="serve the site on 127.0.0.1 and rebuild when a file changes")
    build.add_argument("--port", type=int, default=8000, help="port for --watch (default 8000)")
    build.add_argument("--jobs", type=int, default=0, metavar="N",
                       help="worker processes deriving the pages (default: one per CPU)")
    build.set_defaults(run=_build)

    pdf = commands.add_parser(
        "pdf", help="derive every exercise and write one PDF workbook",
        description="Derive every exercise of FILE and typeset them all in one PDF (LaTeX).",
    )
    pdf.add_argument("file", nargs="?", default="exercises.yaml", metavar="FILE",
                     help="the exercise file (default: exercises.yaml)")
    pdf.add_argument("--out", default="workbook.pdf", metavar="PATH",
                     help="the PDF to write (default: workbook.pdf)")
    pdf.add_argument("--no-solutions", action="store_true",
                     help="the statements only (a workbook to hand out)")
    pdf.set_defaults(run=_pdf)
    add_assignment_commands(commands)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, a cancelled CI job): derive stops as on Ctrl-C, cleanups included."""

    @staticmethod
    def raised(signum: int, frame: object) -> None:
        raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Whatever happens, the user sees at most one line about it: Ctrl-C is
    "derive: interrupted", exit 130 (SIGTERM: "terminated", 143); a full or failing stdout
    one line, exit 1; a reader that leaves early (`| head`) ends derive quietly (exit 1)."""
    _on_interrupt(_interrupted_early)
    try:
        args = build_parser().parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        preload("sympy")  # every command needs it; then frozen (derive.collector)
        _on_interrupt(signal.default_int_handler)  # from here, cleanups run
        main_thread = threading.current_thread() is threading.main_thread()  # or no signals
        previous = signal.signal(signal.SIGTERM, Terminated.raised) if main_thread else None
        try:
            code = run(args)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)
        sys.stdout.flush()  # now, not at exit, where a failure would print a traceback
        return code
    except DeriveError as exc:
        _report(exc)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        _on_interrupt(signal.SIG_IGN)  # a second Ctrl-C changes nothing
        terminated = isinstance(exc, Terminated)
        _say(f"derive: {'terminated' if terminated else 'interrupted'}")
        return 143 if terminated else 130
    except OSError as exc:
        _silence_stdout()
        if exc.errno == errno.EPIPE:  # `derive grad ... | head`: the reader left; stop
            return EXIT_FAILED  # quietly, with rich's status for the same case
        where = f": {exc.filename}" if exc.filename else " the output"
        _say(f"derive: cannot write{clean(str(where))}: {exc.strerror or exc}")
        return EXIT_FAILED
    finally:
        _on_interrupt(_interrupted_early)  # Ctrl-C while exiting: one line


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _say(line: str) -> None:
    """One line on stderr, even when stderr itself is gone."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """User text for a terminal: control characters (ESC, BEL, CR, bidirectional
    overrides...) as visible escapes such as \\x1b; line breaks are kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else (
        f"\\u{ord(m.group()):04x}"), text)  # fmt: skip


def strict_json(value: Any) -> Any:
    """JSON without NaN or Infinity: a float that is not finite becomes null (the exact
    value stands beside it as a string)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(item) for item in value]
    return value


def _report(exc: DeriveError) -> None:
    if isinstance(exc, SpecErrors):  # one FILE:LINE:COLUMN: line per problem, as compilers do
        count = len(exc.errors)
        _say(clean(f"{exc}\nderive: {count} problem{'s' * (count != 1)} in {exc.path}"))
        return
    message = f"derive: {clean(str(exc))}"  # Sphinx's colours are gone (sphinx/build.py)
    if isinstance(exc, ParseError):
        snippet, caret = window(exc.text, exc.column)
        shown = clean(snippet)
        message += f"\n  {shown}\n  {' ' * len(clean(snippet[:caret]))}^"
    _say(message)


def _grad(args: argparse.Namespace) -> int:
    from derive.pipeline import backprop

    at: dict[str, object] = {}
    for text in args.at:
        at.update(parse_assignments(text, "--at"))
    where: dict[str, str] = {}
    for text in args.where:
        name, _, expression = text.partition("=")
        if not name.strip() or not expression.strip():
            raise DeriveError(f"--where: expected NAME=EXPR, got {text!r}")
        where[name.strip()] = expression.strip()
    if args.digits < 1 or args.digits > 40:
        raise DeriveError(f"--digits: expected 1 to 40, got {args.digits}")
    derivation = backprop(args.expression, at=at, names=where)
    if args.json:
        print(json.dumps(strict_json(derivation.to_dict()), indent=2, allow_nan=False))
    else:
        from rich.console import Console

        from derive.render.text import report

        Console(width=max(Console().width, 100)).print(report(derivation, args.digits))
    return EXIT_OK if derivation.check.agree else EXIT_FAILED


def _check(args: argparse.Namespace) -> int:
    from derive.errors import SpecError
    from derive.pipeline import solve
    from derive.render.progress import Steps
    from derive.render.terminal import Terminal
    from derive.spec import read_valid_part

    started = time.perf_counter()
    spec, problems = read_valid_part(args.file)  # valid exercises are checked all the same
    if spec is None:
        raise SpecErrors(problems)
    out = Terminal()
    marks = {"agree": out.style("ok", "green"), "DISAGREE": out.style("!!", "bold red")}
    width = max((len(e.id) for e in spec.exercises), default=0)
    counts = {"agree": 0, "DISAGREE": 0, "invalid": 0}
    with Steps(out, len(spec.exercises), "deriving") as steps:
        for exercise in spec.exercises:
            begun = time.perf_counter()
            try:
                verdict = solve(exercise, deep=False).derivation.check.verdict
            except SpecError as exc:
                verdict = "invalid"
                problems.extend(getattr(exc, "errors", (exc,)))
            counts[verdict] += 1
            mark = marks.get(verdict, out.style("xx", "red"))
            steps.print(f"{mark} {exercise.id:<{width}}  {verdict:<8} "
                        f"{time.perf_counter() - begun:6.2f} s  {clean(exercise.function)}")
            steps.advance()
    for problem in sorted(problems, key=lambda e: (e.line, e.column)):
        _say(clean(str(problem)))
    total = len(spec.exercises)
    out.print(f"{total} exercise{'s' * (total != 1)} checked in {clean(args.file)}: "
              f"{counts['agree']} "
              f"agree, {counts['DISAGREE']} disagree, {counts['invalid']} failed to derive; "
              f"{len(problems)} problem{'s' * (len(problems) != 1)} in the file "
              f"({time.perf_counter() - started:.1f} s)")
    if counts["invalid"] or problems:
        return EXIT_USAGE
    return EXIT_FAILED if counts["DISAGREE"] else EXIT_OK


def _build(args: argparse.Namespace) -> int:
    exercises, out = Path(args.file), Path(args.out)
    docs = Path(args.docs) if args.docs else (Path("docs") if Path("docs/conf.py").is_file()
                                              else None)  # fmt: skip
    _require_site_tools()
    from derive.sphinx.pages import read_exercises

    if args.jobs < 0:
        raise DeriveError(f"--jobs: expected 0 (one per CPU) or more, got {args.jobs}")

    def build() -> Result:
        _, problems = read_exercises(exercises)  # read once: the build reuses what it read
        if problems:  # invalid input stops here, before anything is written (and
            raise SpecErrors(problems)  # build_site checks the output folder first)
        return _build_once(exercises, out, docs, not args.no_solutions, args.jobs)

    started = time.perf_counter()
    result = build()
    print(f"built {result.pages} pages in {time.perf_counter() - started:.1f} s: "
          f"open {clean(str(result.out / 'index.html'))}")
    if args.watch:
        from derive.sphinx.watch import watch

        watch(build, [exercises, *([docs] if docs else [])], out, args.port, _report)
    return EXIT_OK


def _build_once(exercises: Path, out: Path, docs: Path | None, solutions: bool,
                jobs: int) -> Result:  # fmt: skip
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from derive.sphinx.build import build_site

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        tasks: dict[str, object] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)  # type: ignore[arg-type]

        return build_site(exercises, out, docs, solutions, progress, jobs=jobs)


def _pdf(args: argparse.Namespace) -> int:
    from derive.pdf import build_pdf, require_tools
    from derive.pipeline import load

    require_tools()
    started = time.perf_counter()
    result = build_pdf(load(args.file), Path(args.out), not args.no_solutions)
    for line in result.overfull:
        print(f"derive: warning: {line}", file=sys.stderr)
    print(f"wrote {result.out} ({result.exercises} exercises, {result.pages} pages) in "
          f"{time.perf_counter() - started:.1f} s")
    return EXIT_OK


def _require_site_tools() -> None:
    import shutil
    from importlib.util import find_spec

    missing = [name for name in ("sphinx", "myst_parser", "furo") if find_spec(name) is None]
    if missing:
        raise DeriveError(f"derive build needs {', '.join(missing)}: pip install 'derive[docs]'")
    if shutil.which("dot") is None:
        raise DeriveError("derive build draws circuits with Graphviz's dot, which is not "
                          "installed: sudo apt-get install graphviz (Debian, Ubuntu), "
                          "brew install graphviz (macOS), or see https://graphviz.org/download")


def parse_assignments(text: str, option: str) -> dict[str, object]:
    """`x=-2,w=[2,-3]` -> {"x": "-2", "w": ["2", "-3"]}: text, for the language to read."""
    pieces, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += char
    pieces.append(current)
    values: dict[str, object] = {}
    for piece in pieces:
        name, equals, value = piece.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name or not value:
            raise DeriveError(f"{option}: expected NAME=VALUE, got {piece.strip()!r}")
        if name in values:
            raise DeriveError(f"{option}: {name!r} is given twice")
        if value.startswith("[") and value.endswith("]"):
            inner = value[1:-1].strip()
            values[name] = [item.strip() for item in inner.split(",")] if inner else []
        else:
            values[name] = value
    return values


def run() -> None:
    """The `derive` program: main(), then exit without the collector's last passes over
    every object, which take a quarter of a second once SymPy's caches are full (the
    interpreter frees the memory at exit all the same). main() alone leaves the collector
    as it is, for callers that go on running."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
