"""MathJax served from the built site: the parts of the MathJax 3 distribution that the
`tex-chtml` component loads (or may load on demand) are copied from the
sphinx-mathjax-offline package into `_static/mathjax` when the builder starts (before any
page links them), skipping files already there with the same size and time stamp."""

from __future__ import annotations

import shutil
from importlib.util import find_spec
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

MATHJAX_PATH = "mathjax/tex-chtml.js"
PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "input/mml.js",
         "ui", "a11y", "sre")  # fmt: skip
"""What tex-chtml.js loads, seen in a browser: itself, its web fonts, the TeX extensions it
may autoload, and the menu's accessibility explorer (a11y, sre, the MathML input)."""


def source() -> Path:
    spec = find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise ExtensionError("derive needs the sphinx-mathjax-offline package to serve MathJax "
                             "from the site: pip install sphinx-mathjax-offline")
    return Path(spec.origin).parent / "static" / "mathjax"


def copy_mathjax(app: Sphinx) -> None:
    """builder-inited."""
    if app.builder.format != "html":
        return
    root, target = source(), Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        origin = root / part
        files = [origin] if origin.is_file() else sorted(p for p in origin.rglob("*") if p.is_file())
        for path in files:
            destination = target / path.relative_to(root)
            if _same(path, destination):
                continue  # unchanged: keep it (a different version is replaced)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.unlink(missing_ok=True)  # a new file: never written through a link
            shutil.copy2(path, destination)


def _same(origin: Path, destination: Path) -> bool:
    try:
        theirs, mine = origin.stat(), destination.lstat()
    except FileNotFoundError:
        return False
    return (theirs.st_size, theirs.st_mtime_ns) == (mine.st_size, mine.st_mtime_ns)
