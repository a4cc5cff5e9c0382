"""Files written atomically: through a temporary file or folder beside the target, renamed
into place when complete, so an interrupted run never leaves anything half-written."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from derive.errors import DeriveError

MARKER = ".derive-assign"
"""A file in every output folder, so that a rerun may replace it (and nothing else)."""


def write_csv(path: Path, header: tuple[str, ...], rows: Sequence[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def atomic_csv(path: Path, header: tuple[str, ...], rows: Sequence[Sequence[str]]) -> None:
    """Write a CSV file through a temporary file beside `path`, renamed into place."""
    _atomic(path, lambda tmp: write_csv(tmp, header, rows))


def atomic_text(path: Path, text: str) -> None:
    """Write `text` through a temporary file beside `path`, renamed into place."""
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    if path.is_dir():
        raise DeriveError(f"--out {path}: is a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    Path(name).chmod(0o666 & ~_umask())  # as a plain open() would have made it
    try:
        write(Path(name))
        Path(name).replace(path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


@contextmanager
def replacing_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out` that replaces it when the block succeeds. An
    existing `out` is replaced only when it is empty or an earlier output (MARKER)."""
    if out.exists() and not out.is_dir():
        raise DeriveError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise DeriveError(f"--out {out}: the folder is not empty and was not written by "
                          "derive assign; choose a new folder")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp's 0700 would stay on the renamed folder
    try:
        yield tmp
        (tmp / MARKER).write_text("written by derive assign\n", encoding="utf-8")
        old = None
        if out.exists():
            old = out.parent / f"{tmp.name}.old"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
