"""Shared fixtures for the site tests: a copy of docs/ to build from, and one site built
from the shipped exercises for the whole session (the browser test and the site tests
both read it)."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises.yaml"
DOCS = ROOT / "docs"


@contextmanager
def sphinx_warnings_tolerated() -> Iterator[None]:
    """pytest turns warnings into errors; myst-parser 5.2 uses an API Sphinx 9 deprecates
    (`MystReferenceResolver.app`). That is myst-parser's business, not derive's: ignore
    exactly that one while Sphinx runs. And give each build its own docutils registry, as
    sphinx-build does, so builds in one process do not see each other's nodes (build_site
    itself does not: see test_site.py)."""
    from sphinx.util.docutils import docutils_namespace

    with warnings.catch_warnings(), docutils_namespace():
        warnings.filterwarnings("ignore", message=r"'myst_parser\..*' is deprecated")
        yield


def copy_docs(target: Path) -> Path:
    """A private copy of docs/ (sources only: no _build, no generated exercises/), so a
    build never writes into the repository and builds do not share generated pages."""
    shutil.copytree(DOCS, target, ignore=shutil.ignore_patterns("_build", "exercises"))
    return target


def build(
    exercises: Path, root: Path, solutions: bool = True, docs: Path | None = None, **kwargs: object
) -> Path:
    """Build the site of `exercises` under `root` (sources in root/src unless `docs` is
    given, output in root/out/html, doctrees in root/out/.doctrees); returns the output."""
    from derive.sphinx.build import build_site

    source = docs if docs is not None else copy_docs(root / "src")
    out = root / "out" / "html"
    with sphinx_warnings_tolerated():
        build_site(exercises, out, docs=source, solutions=solutions, **kwargs)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def site_builder() -> object:
    """`build`, for tests that build their own sites."""
    return build


@pytest.fixture(scope="session")
def sphinx_isolation() -> object:
    """`sphinx_warnings_tolerated`, for tests that run Sphinx themselves."""
    return sphinx_warnings_tolerated


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the shipped exercises.yaml and docs/, built once per session."""
    return build(EXERCISES, tmp_path_factory.mktemp("site"))


HANG_GUARD_SECONDS = 60
"""No single test should come near this; the guard only turns a hang into a failure."""


class HangError(Exception):
    """A test ran past HANG_GUARD_SECONDS."""


@pytest.fixture
def hang_guard() -> Iterator[None]:
    """Interrupts a test that hangs. A timer thread sends SIGUSR1, not SIGALRM: derive
    itself bounds SymPy's limits with SIGALRM, and the two must not cancel each other."""

    def interrupt(signum: int, frame: object) -> None:
        raise HangError(f"still running after {HANG_GUARD_SECONDS} s")

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(HANG_GUARD_SECONDS, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
