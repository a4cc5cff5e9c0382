"""Building the site from an exercise file, as `derive build` does.

Sphinx writes into a staging folder beside the output, and the output is replaced only
when the build succeeded with no problem in the exercises, in one atomic step (see
derive.sphinx.publish): a failed, interrupted or killed build leaves the published site
as it was. Environment pickles live beside the output (`.doctrees`), so rebuilds stay
incremental. Without a `docs/conf.py`, a minimal site shipped with derive is used (its
sources are written to `site-source` beside the output).
"""

from __future__ import annotations

import errno
import gc
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derive.errors import DeriveError
from derive.sphinx.publish import (
    check_output,
    locked,
    pause,
    publish,
    real_folder,
    recover,
    staging_of,
    sync,
)

TEMPLATE = Path(__file__).parent / "template"
TEMPLATE_FILES = ("conf.py", "index.md")
"""The minimal site's files, named: an installed package may also hold bytecode there."""

Report = Callable[[str, int, int], None]
"""progress(phase, done, total): phase is "deriving", "reading" or "writing"."""


@dataclass
class Result:
    out: Path
    pages: int
    warnings: list[str] = field(default_factory=list)


def _tell(message: str) -> None:
    print(f"derive: {message}", file=sys.stderr, flush=True)


def build_site(exercises: Path, out: Path, docs: Path | None = None, solutions: bool = True,
               progress: Report | None = None, waiting: Callable[[str], None] = _tell,
               jobs: int = 1) -> Result:  # fmt: skip
    """Build the HTML site for `exercises` into `out`; raises DeriveError on a problem
    (one line for a bad output folder, a full disk or a file that cannot be written).
    `jobs`: worker processes deriving the pages (0: one per CPU, as `derive build` does;
    1: none, the default here)."""
    shown = out
    out = check_output(out, exercises, docs)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if docs is None:
            source = real_folder(out.parent / "site-source", "the Sphinx source folder")
        elif not (docs / "conf.py").is_file():
            raise DeriveError(f"{docs}: no conf.py there (use --docs with a Sphinx folder)")
        else:
            source = docs
        def wait() -> None:
            waiting(f"another build is running in {shown.parent} (the output or the sources "
                    "are the same); waiting for it to finish")  # fmt: skip

        with locked([out.parent, source], wait):
            pause("locked")
            return _build_locked(exercises, out, source, docs is None,
                                 {"derive_solutions": solutions, "derive_jobs": jobs}, progress)
    except OSError as exc:
        raise DeriveError(_os_message(exc, shown)) from None


def _build_locked(exercises: Path, out: Path, source: Path, template: bool,
                  settings: dict[str, Any], progress: Report | None) -> Result:  # fmt: skip
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.console import strip_colors
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    recover(out)
    if template:
        _copy_template(source)
    real_folder(source / "exercises", "the folder of generated exercise pages")
    doctrees = real_folder(out.parent / ".doctrees", "the Sphinx environment folder")
    _unlink_links(doctrees)
    staging = staging_of(out)
    warnings = io.StringIO()
    try:
        if out.exists():
            sync(out, staging)
        else:
            shutil.rmtree(staging, ignore_errors=True)
        pause("synced")
        # As sphinx-build does: docutils registrations are undone after the build, so the
        # next build in this process (derive build --watch) starts clean.
        with patch_docutils(source), docutils_namespace():
            try:
                with _collector_paused():  # Sphinx unpickles its environment here
                    app = Sphinx(str(source), str(source), str(staging), str(doctrees),
                                 "html", confoverrides={
                                     "derive_exercises": os.path.relpath(exercises, source),
                                     **settings},
                                 status=None, warning=warnings, freshenv=False)  # fmt: skip
                _report_progress(app, progress)
                app.build()
            finally:
                gc.unfreeze()  # whether the build got that far or not
    except (SphinxError, OSError, DeriveError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        cause = getattr(exc, "orig_exc", None)  # what an event handler raised
        if isinstance(cause, (OSError, DeriveError)):
            raise cause from None
        if isinstance(exc, (OSError, DeriveError)):
            raise
        raise DeriveError(f"the Sphinx build failed: {exc}") from None
    # Sphinx colours its warnings unless told not to (globally); a message gets none
    problems = [strip_colors(line) for line in warnings.getvalue().splitlines() if line.strip()]
    if app.statuscode != 0 or any(_fatal(p) for p in problems):
        shutil.rmtree(staging, ignore_errors=True)
        raise DeriveError("the site was not built:\n" + "\n".join(problems))
    publish(staging, out)
    return Result(out, sum(1 for _ in out.rglob("*.html")), problems)


_garbage = {"left": False}
"""Whether a build ran in this process since its garbage was last collected."""


def collect_garbage() -> None:
    """Free what the builds in this process left: Sphinx's environment and doctrees are
    held in reference cycles, which only a full pass of the collector frees (0.2 s at 100
    exercises, 0.5-1.2 s at 500). `derive build --watch` calls this while it waits for a
    change, so that a rebuild does not pay it; a build collects first if nobody did."""
    if _garbage["left"]:
        gc.collect()
        _garbage["left"] = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The garbage collector off while Sphinx loads its environment (every page's record:
    millions of objects at 500 exercises, whose loading the collector's passes slowed down
    by half), then everything alive frozen: left out of the passes during the build, which
    only make and drop short-lived objects. The build thaws it at the end. What an earlier
    build in this process dropped is collected first: frozen, it would never be freed. On
    a 500-exercise site this takes 40% off a rebuild."""
    collect_garbage()
    _garbage["left"] = True
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _fatal(problem: str) -> bool:
    """A warning that stops the publication: one of derive's (an exercise that is not
    right) or a file Sphinx could not write (the site would miss it)."""
    if "WARNING" not in problem:
        return False
    return ("[derive." in problem or "derive" in problem.split(":")[0]
            or "error writing file" in problem or "cannot copy" in problem
            or "No space left" in problem)  # fmt: skip


def _os_message(exc: OSError, out: Path) -> str:
    """One line for a failed file operation: what, where, and why."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    advice = "; free some space and build again" if exc.errno in (
        errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else ""  # fmt: skip
    return f"cannot build the site in {out}: {reason}{where}; the site there was not changed{advice}"


def _copy_template(source: Path) -> None:
    """The minimal site's sources; a file is replaced (never written through, if it is a
    link) when it differs from derive's."""
    for name in TEMPLATE_FILES:
        template, target = TEMPLATE / name, source / name
        wanted = template.read_bytes()
        if target.is_file() and not target.is_symlink() and target.read_bytes() == wanted:
            continue
        handle, temporary = tempfile.mkstemp(dir=source, prefix=f".{template.name}.")
        with os.fdopen(handle, "wb") as file:
            file.write(wanted)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(target)


def _unlink_links(folder: Path) -> None:
    """Sphinx writes its pickles with open(): a planted link there would be written
    through; remove any."""
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                path.unlink()


def _report_progress(app: Any, progress: Report | None) -> None:
    if progress is None:
        return
    counts = {"reading": 0, "writing": 0}
    totals = {"reading": 0, "writing": 0}

    def solved(app: Any, done: int, total: int) -> None:
        progress("deriving", done, total)

    def before_read(app: Any, env: Any, docnames: list[str]) -> None:
        totals["reading"] = totals["writing"] = len(docnames)
        progress("reading", 0, len(docnames))

    def read(app: Any, docname: str, source: list[str]) -> None:
        counts["reading"] += 1
        progress("reading", counts["reading"], max(totals["reading"], counts["reading"]))

    def written(app: Any, pagename: str, *args: Any) -> None:
        counts["writing"] += 1
        progress("writing", counts["writing"], max(totals["writing"], counts["writing"]))

    app.connect("derive-solved", solved)
    app.connect("env-before-read-docs", before_read)
    app.connect("source-read", read)
    app.connect("html-page-context", written)
