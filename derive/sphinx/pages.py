"""Generating the exercise pages before Sphinx reads its sources.

Each page starts with a comment carrying a key: a hash of the exercise as declared, the
solutions setting and derive's own source. A page whose key has not changed is neither
re-derived nor rewritten, so its file keeps its time stamp and Sphinx does not reread it;
a rebuild after one exercise changes derives and rereads that one page. Files are
replaced atomically (never written through a symbolic link); pages of exercises that no
longer exist are removed.

The key holds nothing of where the files are, so the same input gives the same pages in
any folder. The site remembers (in `.derive-index`) the index its pages were last written
with: a build interrupted after the index changed still rewrites every page's navigation
the next time, although the index file itself no longer changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from derive import __version__
from derive.errors import SpecError
from derive.render.prose import plain
from derive.spec import Exercise, Spec
from derive.sphinx.rendering import MARKER, render_all

logger = logging.getLogger(__name__)
STAMP = ".derive-index"
"""In the built site: the hash of the index its pages' navigation was written with."""

_read: dict[tuple[str, int, int, int, int], tuple[Spec | None, list[SpecError]]] = {}


def read_exercises(path: Path) -> tuple[Spec | None, list[SpecError]]:
    """derive.spec.read_valid_part, read once per version of the file: `derive build`
    validates the file before the build and the build reads it again; the second read
    costs nothing (the cache keeps one file, keyed by its identity, size and time)."""
    from derive.spec import read_valid_part

    try:
        info = path.stat()
    except OSError:
        return read_valid_part(path)  # it reports the problem
    key = (os.path.realpath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _read:
        _read.clear()
        _read[key] = read_valid_part(path)
    spec, errors = _read[key]
    return spec, list(errors)


def generate_pages(app: Sphinx) -> None:
    from derive.errors import SpecErrors
    from derive.sphinx.publish import pause, real_folder

    config = app.config
    source = (Path(app.confdir) / config.derive_exercises).resolve()
    folder = real_folder(Path(app.srcdir) / config.derive_folder,
                         "the folder of generated exercise pages")  # fmt: skip
    spec, errors = read_exercises(source)  # invalid exercises are warned about, not shown
    if errors:
        _warn(SpecErrors(errors))
    if spec is None:
        return
    if not _trust(spec, config.derive_trust_exercises):
        return
    listing = {e.name: e for e in os.scandir(folder)}  # one listing, not a glob per page
    kept: set[str] = set()
    total = len(spec.exercises)
    app.derive_exercise_count = total  # type: ignore[attr-defined]
    app.__dict__.pop("derive_sidebar", None)  # titles may have changed since the last build
    work = []
    for exercise in spec.exercises:
        key = _key(exercise, config.derive_solutions)
        page = folder / f"{exercise.id}.md"
        kept.add(page.name)
        if page.name in listing and _current_key(page) == key:
            kept.update(_assets(listing, exercise.id))
        else:
            work.append((exercise, key))
    done = total - len(work)
    app.emit("derive-solved", done, total)
    for files, problems in render_all(work, config.derive_solutions, config.derive_jobs):
        if problems:
            _warn(SpecErrors([SpecError(*problem) for problem in problems]))
        for name, content in files.items():
            write_if_changed(folder / name, content)
            kept.add(name)
        done += 1
        app.emit("derive-solved", done, total)
    index = _index(spec, source, folder, config.derive_folder)
    write_if_changed(folder / "index.md", index)
    # The index lists every title: when it changes, every page's sidebar and prev/next
    # links are stale, not only the pages Sphinx rereads. Compared with what the site's
    # pages were written with, so an interrupted build cannot hide the change.
    app.derive_index = hashlib.sha256(index.encode()).hexdigest()[:20]  # type: ignore[attr-defined]
    kept.add("index.md")
    for name in sorted(listing):
        if name not in kept and _generated(folder / name):
            (folder / name).unlink()
    pause("generated")


def rewrite_all(app: Sphinx, env: Any) -> list[str]:
    """env-get-updated: every page, when the list of exercises or a title changed since
    the site's pages were written."""
    if app.builder.format != "html" or not hasattr(app, "derive_index"):
        return []
    return [] if _index_written(app) else sorted(env.found_docs)


def _index_written(app: Sphinx) -> bool:
    """Whether the site's pages were written with the exercise index of this build."""
    try:
        written = (Path(app.outdir) / STAMP).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return written == getattr(app, "derive_index", None)


def keep_index(app: Sphinx, builder: Any) -> None:
    """write-started: Sphinx writes again every page whose toctree holds a page it read,
    for the titles the toctree shows. The exercise folder's index shows nothing of its
    pages but what its own text says, titles included; while that text is the one the
    site was written with, its page is the same, and writing it again after one exercise
    changed (a table of every exercise) was a third of the rebuild's work at 500. Sphinx's
    map of those parents is restored when the build ends (remove_outputs)."""
    if app.builder.format != "html" or not _index_written(app):
        return
    index, env = f"{app.config.derive_folder}/index", builder.env
    app.derive_parents = env.files_to_rebuild  # type: ignore[attr-defined]
    env.files_to_rebuild = {doc: parents - {index}
                            for doc, parents in env.files_to_rebuild.items()}  # fmt: skip


def remove_outputs(app: Sphinx, exception: BaseException | None) -> None:
    """build-finished: Sphinx never deletes the pages of documents that disappeared, nor
    the circuit images of diagrams that changed, nor downloads no page offers any more;
    an incremental build would keep them. Then the index stamp is written."""
    if hasattr(app, "derive_parents"):
        app.env.files_to_rebuild = app.__dict__.pop("derive_parents")
    if exception is not None or app.builder.format != "html":
        return
    out, env = Path(app.outdir), app.env
    folder = out / app.config.derive_folder
    for page in sorted(folder.glob("*.html")) if folder.is_dir() else []:
        docname = f"{app.config.derive_folder}/{page.stem}"
        if docname not in env.found_docs:
            page.unlink()
            (out / "_sources" / f"{docname}.md.txt").unlink(missing_ok=True)
    offered = {Path(os.fspath(dest)).parts[0] for _, dest in env.dlfiles.values()}
    downloads = out / "_downloads"
    for entry in sorted(downloads.iterdir()) if downloads.is_dir() else []:
        if entry.name not in offered:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    _remove_circuits(out, env.found_docs, getattr(app, "derive_images", {}))
    if hasattr(app, "derive_index"):
        write_if_changed(out / STAMP, app.derive_index + "\n")


IMAGES = ".derive-images"
"""In the built site: the circuit images (Graphviz's, named by a hash of the diagram) each
page shows, so a rebuild finds the unused ones without reading every page."""
GRAPHVIZ = re.compile(r"_images/(graphviz-[0-9a-f]+\.svg)")


def note_images(app: Sphinx, pagename: str, context: dict[str, Any]) -> None:
    """html-page-context: the circuit images of a page being written."""
    images = sorted(set(GRAPHVIZ.findall(context.get("body", ""))))
    app.__dict__.setdefault("derive_images", {})[pagename] = images


def _remove_circuits(out: Path, documents: Any, written: dict[str, list[str]]) -> None:
    """Delete the circuit images no page shows: the record of the pages' images, updated
    with the pages written in this build (without a record, every page is read)."""
    try:
        shown: dict[str, list[str]] = json.loads((out / IMAGES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pages = sorted(out.rglob("*.html"))
        shown = {p.relative_to(out).with_suffix("").as_posix(): sorted(set(GRAPHVIZ.findall(
            p.read_text("utf-8", errors="replace")))) for p in pages}  # fmt: skip
    shown.update(written)
    shown = {page: images for page, images in sorted(shown.items())
             if images and page in documents}  # fmt: skip
    used = {image for images in shown.values() for image in images}
    for image in sorted((out / "_images").glob("graphviz-*.svg")):
        if image.name not in used:
            image.unlink()
    write_if_changed(out / IMAGES, json.dumps(shown, indent=1, sort_keys=True) + "\n")


def check_dot(app: Sphinx) -> None:
    """builder-inited: without Graphviz, sphinx.ext.graphviz prints DOT text in place of
    every circuit and only says 'cannot be run'; say how to install it."""
    if shutil.which(app.config.graphviz_dot) is None:
        logger.warning("Graphviz's %r is not installed, so circuits cannot be drawn: "
                       "sudo apt-get install graphviz (Debian, Ubuntu), brew install graphviz "
                       "(macOS), or https://graphviz.org/download", app.config.graphviz_dot,
                       type="derive", subtype="graphviz")  # fmt: skip


def _index(spec: Spec, source: Path, folder: Path, name: str) -> str:
    from derive.render.prose import block
    from derive.render.tables import table

    rows = [[f"[{plain(e.title)}]({e.id}.md)", _function_cell(e),
             "worked example" if e.solution == "open" else "exercise"] for e in spec.exercises]
    # No dependency on the exercise file: this text changes exactly when the index must
    # be read again, and a change to one exercise should not make Sphinx reread the index.
    lines = [f"{MARKER} index -->", f"# {plain(spec.title)}", "",
             block(spec.description, spec.trusted is not None), "",
             ":::{container} derive-index",  # a phone shows it as a list (derive.css)
             table(["exercise", "function", "solution"], rows), ":::", "",
             "```{toctree}", ":hidden:", ":titlesonly:", "",
             *(e.id for e in spec.exercises), "```", ""]  # fmt: skip
    return "\n".join(lines)


def _function_cell(exercise: Exercise) -> str:
    """The function as written, followed by what its named parts stand for."""
    from derive.language import parse_expression, parse_function
    from derive.render import math

    cell = f"${math.written(parse_function(exercise.function))}$"
    names = [f"${math.name(n)} = {math.expression(t, parse_expression(t))}$"
             for n, t in exercise.where.items()]  # fmt: skip
    return cell + (" with " + ", ".join(names) if names else "")


def _trust(spec: Spec, allowed: bool) -> bool:
    """Whether the file's prose may be built: a file marked `trusted: true` (full MyST:
    directives, raw HTML, includes) needs `derive_trust_exercises = True` in conf.py too;
    the build says so when both are set."""
    if spec.trusted is None:
        return True
    if not allowed:
        _warn(SpecError(spec.path, spec.trusted.line, spec.trusted.column,
                        "the file is marked 'trusted: true' (its prose is full MyST, able to "
                        "read files and run HTML), but conf.py does not set "
                        "derive_trust_exercises = True; no page was written"))  # fmt: skip
        return False
    print(f"derive: trusted exercise prose is ON for {spec.path} (trusted: true and "
          "derive_trust_exercises = True): directives, roles and raw HTML are built as "
          "written", file=sys.stderr)  # fmt: skip
    return True


def _warn(exc: SpecError) -> None:
    for error in getattr(exc, "errors", (exc,)):
        # A "path:line" string: a (docname, line) pair would be read as a document name
        logger.warning(error.detail, location=f"{error.path}:{error.line}", type="derive",
                       subtype="exercise")  # fmt: skip


def _key(exercise: Exercise, solutions: bool) -> str:
    """The exercise as declared, without the folder of its file (pages built in two folders
    are the same bytes)."""
    declared = dataclasses.replace(exercise, path=Path(exercise.path).name)
    digest = hashlib.sha256(f"{__version__}\n{_code_digest()}\n{solutions}\n{declared!r}".encode())
    return digest.hexdigest()[:20]


@cache
def _code_digest() -> str:
    """A hash of derive's own source: pages rendered by other code are out of date."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _current_key(page: Path) -> str | None:
    try:
        if not stat.S_ISREG(os.lstat(page).st_mode):
            return None  # a link is not a page derive wrote
        with page.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return first[len(MARKER) :].strip().removesuffix("-->").strip() if first.startswith(
        MARKER) else None  # fmt: skip


ASSETS = ("-descent.svg", ".ipynb", ".tex")
"""What a page's files are named after its exercise's id (render.myst.page writes them)."""


def _assets(listing: dict[str, os.DirEntry[str]], exercise_id: str) -> set[str]:
    """The files the page of `exercise_id` links to that are there: ID.ipynb, ID.tex,
    ID-descent.svg (looked up by name: a scan of the folder per page is O(N^2))."""
    return {name for name in (exercise_id + suffix for suffix in ASSETS) if name in listing}


def _generated(path: Path) -> bool:
    if path.suffix == ".md":
        return _current_key(path) is not None
    return path.suffix in (".svg", ".ipynb", ".tex")


def write_if_changed(path: Path, text: str) -> bool:
    """Replace `path` with `text` atomically, only when the content differs: an unchanged
    file keeps its time stamp, so Sphinx does not read it again."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    Path(temporary).chmod(0o644)  # as a file written the usual way (mkstemp gives 0600)
    Path(temporary).replace(path)
    return True


SIDEBAR_LIMIT = 30
"""With more exercises than this, exercise pages show a short sidebar (see below)."""


def short_sidebar(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                  doctree: Any) -> None:
    """html-page-context, before furo's: furo renders the whole navigation tree on every
    page, which makes a site of N exercise pages cost O(N^2). Past SIDEBAR_LIMIT exercises
    the exercise pages get the top level only (with "exercises" marked current), computed
    once: every page in the folder shares it, relative links included. So do, each its
    own, the pages a rebuild after one change writes again: the root page, the index, the
    search page and the exercise folder's page (which lists every exercise in its body);
    the whole tree costs a tenth of a second a page at 100 exercises."""
    folder = app.config.derive_folder
    full = context.get("toctree")
    if full is None or getattr(app, "derive_exercise_count", 0) <= SIDEBAR_LIMIT:
        return
    exercise_page = pagename.startswith(f"{folder}/") and pagename != f"{folder}/index"
    written_every_time = (app.config.root_doc, f"{folder}/index", "genindex", "search")
    if not exercise_page and pagename not in written_every_time:
        return  # the author's other pages keep their sidebar
    cache: dict[tuple[Any, ...], Any] = (app.__dict__.setdefault("derive_sidebar", {})
                                         if exercise_page else {})  # fmt: skip

    def toctree(**options: Any) -> Any:
        options.update(maxdepth=1, collapse=True)
        key = tuple(sorted(options.items()))
        if key not in cache:
            cache[key] = full(**options)
        return cache[key]

    context["toctree"] = toctree
