"""Shared by the tests of `derive build`'s output handling, faults, concurrency and
determinism: a tiny exercise file, running the command in a fresh process, and digests of
a built site."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TINY = """\
title: Tiny
description: Two exercises.
exercises:
  - id: product
    title: A product
    function: f(x, y) = x * y
    at: {x: 2, y: 3}
  - id: descent
    title: A descent
    function: f(w) = (w - 1)^2
    at: {w: 3}
    descent: {steps: 2, learning_rate: 0.25}
"""

CHANGED = TINY.replace("title: A product", "title: A renamed product").replace(
    "at: {w: 3}", "at: {w: 5}") + """\
  - id: quotient
    title: A quotient
    function: f(x, y) = x / y
    at: {x: 1, y: 4}
"""
"""A second version: a title changes (every page's navigation), an exercise changes and
one is added."""


def derive(*args: str, cwd: Path, env: dict[str, str] | None = None,
           **kwargs: object) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """`derive ARGS` in a new process, from `cwd`, with this tree's derive."""
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], cwd=cwd,
                          env=environment(env), capture_output=True, text=True, timeout=120, check=False,
                          **kwargs)  # type: ignore[call-overload]  # fmt: skip


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
           "COLUMNS": "200"}  # fmt: skip
    env.pop("DERIVE_TEST_PAUSE", None)
    return {**env, **(extra or {})}


def digest(root: Path) -> dict[str, str]:
    """Every file under `root` (relative name -> sha256), links and all."""
    found: dict[str, str] = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def tree(root: Path) -> list[str]:
    """Every path under `root`, folders included, sorted: what a command left behind."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def interruptible() -> None:
    """preexec_fn of a build a test interrupts: Ctrl-C as in a terminal, even when the
    tests run with SIGINT ignored (nohup, `&`), which derive keeps, as it should."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
