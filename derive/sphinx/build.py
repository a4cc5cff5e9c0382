"""Building the site from an exercise file, as `derive build` does.

The build runs in a copy of the output folder and replaces the output only when it
succeeded with no problem in the exercises, so a failed build never leaves a half-written
site. Environment pickles live beside the output (`.doctrees`), so rebuilds stay
incremental. Without a `docs/conf.py`, a minimal site shipped with derive is used.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derive.errors import DeriveError

TEMPLATE = Path(__file__).parent / "template"

Report = Callable[[str, int, int], None]
"""progress(phase, done, total): phase is "deriving", "reading" or "writing"."""


@dataclass
class Result:
    out: Path
    pages: int
    warnings: list[str] = field(default_factory=list)


def build_site(exercises: Path, out: Path, docs: Path | None = None, solutions: bool = True,
               progress: Report | None = None) -> Result:
    """Build the HTML site for `exercises` into `out`; raises DeriveError on a problem."""
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    source = _source(docs, out)
    staging = out.parent / f".{out.name}.building"
    shutil.rmtree(staging, ignore_errors=True)
    if out.exists():
        shutil.copytree(out, staging)
    warnings = io.StringIO()
    try:
        # As sphinx-build does: docutils registrations are undone after the build, so the
        # next build in this process (derive build --watch) starts clean.
        with patch_docutils(source), docutils_namespace():
            app = Sphinx(str(source), str(source), str(staging), str(out.parent / ".doctrees"),
                         "html", confoverrides={"derive_exercises": str(exercises.resolve()),
                                                "derive_solutions": solutions},
                         status=None, warning=warnings, freshenv=False)  # fmt: skip
            _report_progress(app, progress)
            app.build()
    except (SphinxError, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise DeriveError(f"the Sphinx build failed: {exc}") from None
    problems = [line for line in warnings.getvalue().splitlines() if line.strip()]
    if app.statuscode != 0 or any("[derive." in p or "derive" in p.split(":")[0] for p in problems
                                  if "WARNING" in p):  # fmt: skip
        shutil.rmtree(staging, ignore_errors=True)
        raise DeriveError("the site was not built:\n" + "\n".join(problems))
    _swap(staging, out)
    pages = sum(1 for _ in out.rglob("*.html"))
    return Result(out, pages, problems)


def _source(docs: Path | None, out: Path) -> Path:
    if docs is not None:
        if not (docs / "conf.py").is_file():
            raise DeriveError(f"{docs}: no conf.py there (use --docs with a Sphinx folder)")
        return docs
    source = out.parent / "site-source"
    source.mkdir(parents=True, exist_ok=True)
    for template in TEMPLATE.iterdir():
        target = source / template.name
        if not target.exists() or target.read_bytes() != template.read_bytes():
            shutil.copyfile(template, target)
    return source


def _swap(staging: Path, out: Path) -> None:
    """Put the new site in place: one rename after the old one is moved aside."""
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


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
