"""`derive build --watch`: serve the site on 127.0.0.1 and rebuild when a source changes.

Polling once a second is enough for hand edits and needs no extra dependency."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from derive.errors import DeriveError
from derive.sphinx.build import collect_garbage


def watch(rebuild: Callable[[], object], sources: Sequence[Path], out: Path, port: int,
          report: Callable[[DeriveError], None]) -> None:  # fmt: skip
    """Serve `out`, and call rebuild() when a source changes; a build that fails is
    reported (as `derive build` reports it) and the site served stays as it was."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"serving http://127.0.0.1:{port}/ ; watching {', '.join(map(str, sources))} "
          "(Ctrl-C stops)")
    seen = _stamps(sources, out)
    collect_garbage()  # here, and after each rebuild: while nothing waits for it
    try:
        while True:
            time.sleep(1)
            now = _stamps(sources, out)
            if now == seen:
                continue
            seen = now
            try:
                rebuild()
                print(f"rebuilt at {time.strftime('%H:%M:%S')}")
            except DeriveError as exc:
                report(exc)
            collect_garbage()
            seen = _stamps(sources, out)
    finally:
        server.shutdown()


def _stamps(sources: Sequence[Path], out: Path) -> dict[str, float]:
    """Modification times of the sources, leaving out built and generated files (the
    output, the staging folder and the environment beside it: see derive.sphinx.publish)."""
    from derive.sphinx.publish import old_of, staging_of

    built = {p.absolute() for p in (out, staging_of(out), old_of(out), out.parent / ".doctrees")}
    stamps: dict[str, float] = {}
    for source in sources:
        files = [source] if source.is_file() else [
            p for p in source.rglob("*") if p.is_file() and "_build" not in p.parts
            and "exercises" not in p.relative_to(source).parts[:1]]  # fmt: skip
        for path in files:
            if built.isdisjoint(path.absolute().parents):
                stamps[str(path)] = path.stat().st_mtime
    return stamps
