"""Run a computation that may not finish (a SymPy limit, a whole exercise) within a time
budget.

`within`: in the main thread a timer signal interrupts the computation; elsewhere (Sphinx may
derive in worker threads) it runs in a forked child process that is killed when time runs
out. Either way the caller gets None instead of a hang.

`budgeted`: the per-exercise budget (EXERCISE_SECONDS unless the caller gives another). In
the main thread a timer signal interrupts the computation and OverBudgetError is raised; in any
other thread no signal can be used, and the computation runs unbounded. Budgets nest: a
`within` inside a `budgeted` gets at most the time the outer budget has left. A timer that
goes off where Python drops the exception it raises (a __del__ method, a gc callback) still
spends the budget: the computation goes on, but its late result counts as over time.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from derive.errors import DeriveError

T = TypeVar("T")

EXERCISE_SECONDS = 60.0
"""Default time budget, in seconds, for deriving one exercise (`derive.pipeline.solve` and
`load` take `budget=`; None or 0 turns it off)."""


class OverBudgetError(DeriveError):
    """A computation ran past its time budget."""


class _OutOfTime(BaseException):
    """Raised by the timer; a BaseException so library code catching Exception lets it by."""


def within(seconds: float, compute: Callable[[], T]) -> T | None:
    """compute() if it returns within `seconds`, else None."""
    if _signals():
        return _with_signal(seconds, compute)
    return _in_child(seconds, compute)


def budgeted(seconds: float | None, compute: Callable[[], T]) -> T:
    """compute(), or OverBudgetError when it runs past `seconds` (main thread only; None or 0:
    no budget)."""
    if not seconds or not _signals():
        return compute()
    done = _with_signal(seconds, lambda: (compute(),))  # a tuple: compute() may be None
    if done is None:
        raise OverBudgetError(f"the derivation took longer than its time budget of {seconds:g} s")
    return done[0]


def _signals() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


def _with_signal(seconds: float, compute: Callable[[], T]) -> T | None:
    """The caller's own SIGALRM timer, if it had one, is put back with the time it had left."""

    expired = False

    def expire(signum: int, frame: Any) -> None:
        nonlocal expired
        expired = True
        raise _OutOfTime

    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_delay) if outer_delay else seconds)
    try:
        result = compute()
    except _OutOfTime:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay:
            left = max(outer_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)
    # The timer went off where Python drops what a handler raises (a __del__ method, a gc
    # callback): the computation went on, and its result came past the budget all the same
    return None if expired else result


def _in_child(seconds: float, compute: Callable[[], T]) -> T | None:
    import multiprocessing  # here: most runs never come here, and it takes 15 ms to import

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def run() -> None:
        # Ctrl-C and SIGTERM are the parent's to answer (it kills this child): no traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            sender.send(compute())
        except Exception:  # noqa: BLE001 - the parent treats any failure as running out of time
            sender.send(None)

    child = context.Process(target=run, daemon=True)
    child.start()
    try:
        return receiver.recv() if receiver.poll(seconds) else None
    finally:
        child.kill()
        child.join()
