"""Where a build writes, and how the new site replaces the old one without ever losing it.

Layout beside the output folder OUT (default `docs/_build/html`):

- `OUT` is the published site, always a real folder holding one whole site;
- `.OUT.building` (the staging folder) is where Sphinx writes. Before a build it is made a
  copy of `OUT` by copying only the files whose size or time stamp differ, so a rebuild
  copies what the previous build changed, not the whole site. After the build the two
  folders are exchanged in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`): a reader,
  or a build killed at any instant, sees the old site or the new one, whole. The previous
  site stays in `.OUT.building` for the next build; it is removed after a failed build.
- Where the kernel or file system cannot exchange two folders, the swap is two renames
  (`OUT` -> `.OUT.old`, `.OUT.building` -> `OUT`); a build killed between them leaves the
  old site in `.OUT.old`, and the next build puts it back before anything else.
- Builds lock the output's parent folder (and the Sphinx source folder) with `flock`: a
  second build of the same output (or of one sharing its `.doctrees` and `site-source`)
  waits for the first, saying so.

Nothing is written through a symbolic link: symbolic links found where derive writes are
refused (the output, the staging folder) or replaced, never followed.

`DERIVE_TEST_PAUSE=STEP:FILE` (tests only) makes the build create FILE on reaching STEP
and wait there while FILE exists, for up to a minute, so a test can kill it at that exact
point (or let it go on by removing FILE). Steps, in
order: locked, synced, generated, read, writing, written, swap, renamed (two-rename swap
only), swapped.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from derive.errors import DeriveError

PAUSE = "DERIVE_TEST_PAUSE"
PAUSE_SECONDS = 60.0


def pause(step: str) -> None:
    """The test hook described in the module's docstring; does nothing by default."""
    wanted = os.environ.get(PAUSE, "")
    name, _, marker = wanted.partition(":")
    if name != step or not marker:
        return
    Path(marker).write_text(f"{os.getpid()}\n", encoding="utf-8")
    deadline = time.monotonic() + PAUSE_SECONDS
    while time.monotonic() < deadline and Path(marker).exists():
        time.sleep(0.02)


def staging_of(out: Path) -> Path:
    return out.parent / f".{out.name}.building"


def old_of(out: Path) -> Path:
    return out.parent / f".{out.name}.old"


def check_output(out: Path, exercises: Path, docs: Path | None) -> Path:
    """The output folder as an absolute path; a DeriveError (one line) when it cannot be
    one: a file, under a file, read-only, the current folder or one holding it, the
    exercise file's or the Sphinx sources' folder, a folder of other files, a symbolic
    link, or derive's own working names taken by something that is not a folder."""
    shown = str(out)
    out = _absolute(out)
    here = Path.cwd()
    if out == here or out in here.parents:
        raise DeriveError(f"--out {shown}: that is the current folder or holds it; give the "
                          "site a folder of its own, such as docs/_build/html")  # fmt: skip
    if out in _absolute(exercises).parents:
        raise DeriveError(f"--out {shown}: the exercise file {exercises} is in it; give the "
                          "site a folder of its own, such as docs/_build/html")  # fmt: skip
    if docs is not None and (out == _absolute(docs) or out in _absolute(docs).parents):
        raise DeriveError(f"--out {shown}: the Sphinx sources {docs} are in it; give the "
                          "site a folder of its own, such as docs/_build/html")  # fmt: skip
    existing = out
    while not os.path.lexists(existing):
        existing = existing.parent
    if existing != out:
        if not existing.is_dir():
            raise DeriveError(f"--out {shown}: {_shown(existing)} is a file, not a folder")
        if not _writable(existing):
            raise DeriveError(f"--out {shown}: cannot create it, {_shown(existing)} is "
                              "read-only")  # fmt: skip
        return out
    mode = os.lstat(out).st_mode
    if stat.S_ISLNK(mode):
        raise DeriveError(f"--out {shown}: is a symbolic link; give the folder it points to")
    if not stat.S_ISDIR(mode):
        raise DeriveError(f"--out {shown}: is a file, not a folder")
    if not _writable(out):
        raise DeriveError(f"--out {shown}: the folder is read-only")
    if not _writable(out.parent):
        raise DeriveError(f"--out {shown}: {_shown(out.parent)} is read-only (the new site "
                          "takes the old one's place there)")  # fmt: skip
    if not (out / ".buildinfo").is_file() and any(out.iterdir()):
        raise DeriveError(f"--out {shown}: the folder holds other files, not a site derive "
                          "built; give an empty or new folder")  # fmt: skip
    for own in (staging_of(out), old_of(out)):
        if os.path.lexists(own) and not stat.S_ISDIR(os.lstat(own).st_mode):
            raise DeriveError(f"{_shown(own)}: is a file, not derive's working folder; "
                              "remove it")  # fmt: skip
    return out


def _absolute(path: Path) -> Path:
    """`path` from the root, with `.` and `..` worked out but links not followed."""
    return Path(os.path.normpath(path.absolute()))


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is inside it, as users type it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def real_folder(folder: Path, what: str) -> Path:
    """`folder`, created if missing; a DeriveError when it is a symbolic link or a file
    (derive writes there, and never through a link)."""
    if os.path.lexists(folder):
        mode = os.lstat(folder).st_mode
        if stat.S_ISLNK(mode):
            raise DeriveError(f"{_shown(folder)}: {what} is a symbolic link; derive writes "
                              "there and never through a link: remove it")  # fmt: skip
        if not stat.S_ISDIR(mode):
            raise DeriveError(f"{_shown(folder)}: {what} is a file, not a folder; remove it")
        return folder
    folder.mkdir(parents=True)
    return folder


@contextmanager
def locked(folders: list[Path], waiting: Callable[[], None]) -> Iterator[None]:
    """Hold an exclusive flock on each folder (once per distinct folder, in a fixed order,
    so two builds never wait on each other); `waiting` is told once if another build holds
    one."""
    seen: dict[tuple[int, int], Path] = {}
    for folder in folders:
        info = folder.stat()
        seen.setdefault((info.st_dev, info.st_ino), folder)
    with ExitStack() as stack:
        told = False
        for _, folder in sorted(seen.items()):
            handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            stack.callback(os.close, handle)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not told:
                    waiting()
                    told = True
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def recover(out: Path) -> None:
    """Undo what a build killed inside the two-rename swap left, before anything else."""
    old = old_of(out)
    if not os.path.lexists(old):
        return
    if not os.path.lexists(out):
        old.rename(out)  # killed between the two renames: the old site goes back
    else:
        shutil.rmtree(old)


def sync(source: Path, target: Path) -> int:
    """Make `target` a copy of `source` (regular files and folders only), copying the files
    whose size or modification time differ and removing what `source` does not hold; the
    copies keep their time stamps (Sphinx compares them with its sources'). Returns the
    number of files copied."""
    if os.path.lexists(target) and not stat.S_ISDIR(os.lstat(target).st_mode):
        target.unlink()
    target.mkdir(exist_ok=True)
    copied = 0
    with os.scandir(source) as entries:
        wanted = {e.name: e for e in entries}
    with os.scandir(target) as entries:
        present = {e.name: e for e in entries}
    for name, there in list(present.items()):
        here = wanted.get(name)
        if here is None or _kind(here) != _kind(there) or _kind(there) == "other":
            _remove(there)
            present.pop(name)
    for name, here in wanted.items():
        kind = _kind(here)
        if kind == "dir":
            copied += sync(Path(here.path), target / name)
        elif kind == "file":
            mine = here.stat(follow_symlinks=False)
            if name in present:
                theirs = present[name].stat(follow_symlinks=False)
                if (theirs.st_size, theirs.st_mtime_ns) == (mine.st_size, mine.st_mtime_ns):
                    continue
                (target / name).unlink()  # a new file, never a write into a shared one
            shutil.copy2(here.path, target / name, follow_symlinks=False)
            copied += 1
    return copied


def _kind(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        return "other"
    if entry.is_dir(follow_symlinks=False):
        return "dir"
    return "file" if entry.is_file(follow_symlinks=False) else "other"


def _remove(entry: os.DirEntry[str]) -> None:
    if _kind(entry) == "dir":
        shutil.rmtree(entry.path)
    else:
        Path(entry.path).unlink()


def publish(staging: Path, out: Path) -> None:
    """Put the site built in `staging` at `out`; the previous site (if any) ends in
    `staging`. Atomic where folders can be exchanged (see the module's docstring)."""
    pause("swap")
    if not os.path.lexists(out):
        staging.rename(out)
    elif not _exchange(staging, out):
        old = old_of(out)
        out.rename(old)
        pause("renamed")
        staging.rename(out)
        old.rename(staging)
    pause("swapped")


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where the system
    cannot (not Linux, an old kernel or C library, a file system without it)."""
    if not sys.platform.startswith("linux") or os.environ.get("DERIVE_NO_EXCHANGE"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                 _RENAME_EXCHANGE) == 0:  # fmt: skip
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))
