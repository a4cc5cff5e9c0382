"""Deriving and rendering the exercises whose pages are out of date.

Each exercise is independent of the others, so a build with many pages to write derives
them in worker processes (`jobs`, by default one per CPU this process may use), and the
pages come back in the file's order: the bytes written do not depend on the number of
workers. A few pages are derived here (starting workers costs more than it saves).

A problem in an exercise comes back as (path, line, column, message), not as an
exception object, so it crosses from a worker process intact.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from derive.errors import SpecError
from derive.spec import Exercise

MARKER = "<!-- derive:"
POOL_FROM = 16
"""Pages to write from which worker processes are used."""

Problem = tuple[str, int, int, str]
Rendered = tuple[dict[str, str], list[Problem]]
"""The files of one exercise's page (name -> text, the page ID.md included) and its
problems."""


def render(exercise: Exercise, key: str, solutions: bool) -> Rendered:
    from derive.pipeline import solve
    from derive.render.myst import page
    from derive.render.prose import plain

    try:
        solved = solve(exercise)
        # A renderer that fails (a circuit tool that exits with an error or times out)
        # raises DeriveError: it becomes a problem at the exercise, as a bad value does.
        with exercise.located(""):
            rendered = page(solved, solutions=solutions, downloads=True)
    except SpecError as exc:
        problems = [(e.path, e.line, e.column, e.detail) for e in getattr(exc, "errors", (exc,))]
        text = (f"{MARKER} {key} -->\n(exercise-{exercise.id})=\n# {plain(exercise.title)}\n\n"
                f":::{{error}}\nThis exercise could not be derived: {plain(exc.detail)}\n:::\n")
        return {f"{exercise.id}.md": text}, problems
    files = dict(sorted(rendered.files.items()))
    files[f"{exercise.id}.md"] = f"{MARKER} {key} -->\n{rendered.text}"
    return files, []


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def render_all(work: Sequence[tuple[Exercise, str]], solutions: bool,
               jobs: int = 0) -> Iterator[Rendered]:  # fmt: skip
    """render() of each (exercise, key), in order; `jobs` workers (0: one per CPU)."""
    jobs = jobs or available_cpus()
    if jobs < 2 or len(work) < POOL_FROM:
        for exercise, key in work:
            yield render(exercise, key, solutions)
        return
    # spawn, not fork: the parent may run threads (a progress bar, the --watch server).
    # Workers are started with Ctrl-C ignored (an ignored signal stays ignored through
    # exec, and Python then installs no handler), so one still starting Python when
    # Ctrl-C comes cannot print a traceback; for those ~0.1 s the build ignores it too.
    main = threading.current_thread() is threading.main_thread()  # only it sets handlers
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        with _main_hidden():
            pool = multiprocessing.get_context("spawn").Pool(min(jobs, len(work)), _worker)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    try:
        yield from pool.imap(_render, [(e, k, solutions) for e, k in work])
    except BaseException:  # Ctrl-C or a failure: stop the workers now, not after their work
        pool.terminate()
        raise
    finally:
        pool.close()
        pool.join()


@contextmanager
def _main_hidden() -> Iterator[None]:
    """A spawned worker first imports the parent's __main__ (for what it defines), unless
    it has neither a module name nor a file. derive's workers need nothing from it, and a
    script calling build_site without an `if __name__ == "__main__":` guard would build
    again in each worker, which then waits for the parent's lock forever. So __main__ is
    a bare module while the pool starts its workers (the pool starts them all here)."""
    real = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = real


def _render(task: tuple[Exercise, str, bool]) -> Rendered:
    return render(*task)


def _worker() -> None:
    """Ctrl-C reaches every process of the terminal's group: the build itself answers it
    (one line, exit 130); a worker only stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
