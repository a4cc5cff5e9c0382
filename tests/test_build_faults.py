"""Faults during `derive build` never lose the published site.

The build is stopped at named points (DERIVE_TEST_PAUSE=STEP:FILE makes it create FILE
and wait there; see derive.sphinx.publish), from taking the lock to just after the swap,
with SIGKILL and with SIGINT (Ctrl-C). Each time: the output path holds one whole site,
the old one or the new one, byte for byte; and the next build is complete and identical
to a fresh build of the same file in another folder (so an interrupted build cannot leave
stale navigation or stale pages behind)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from build_helpers import CHANGED, TINY, derive, digest, environment, interruptible

pytestmark = pytest.mark.slow

STEPS = ["locked", "synced", "generated", "read", "writing", "written", "swap", "swapped"]
"""In build order; the new site is at the output from "swapped" on."""


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A project with the site of TINY built, and the digests of the sites of TINY and
    of CHANGED, each built fresh in a folder of its own."""
    found: dict[str, object] = {}
    for name, text in (("old", TINY), ("new", CHANGED)):
        root = tmp_path_factory.mktemp(name)
        (root / "exercises.yaml").write_text(text, encoding="utf-8")
        done = derive("build", "--out", "site/html", cwd=root)
        assert done.returncode == 0, done.stderr
        found[name], found[f"{name} root"] = digest(root / "site" / "html"), root
    assert found["old"] != found["new"]
    return found


def stopped(sites: dict[str, object], tmp_path: Path, step: str, signum: int,
            extra: dict[str, str] | None = None) -> tuple[Path, int, str, str]:  # fmt: skip
    """The old project, given CHANGED and built until `step`, where `signum` stops it."""
    project = tmp_path / "project"
    shutil.copytree(sites["old root"], project, symlinks=True)  # type: ignore[arg-type]
    (project / "exercises.yaml").write_text(CHANGED, encoding="utf-8")
    marker = tmp_path / "reached"
    env = environment({"DERIVE_TEST_PAUSE": f"{step}:{marker}", **(extra or {})})
    build = subprocess.Popen([sys.executable, "-m", "derive.cli", "build", "--out", "site/html"],
                             cwd=project, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=interruptible)  # noqa: PLW1509  # fmt: skip
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert build.poll() is None, f"the build ended before {step}: {build.communicate()}"
        assert time.monotonic() < deadline, f"the build never reached {step}"
        time.sleep(0.02)
    build.send_signal(signum)
    out, err = build.communicate(timeout=60)
    return project, build.returncode, out, err


def next_build_is_fresh(project: Path, sites: dict[str, object]) -> None:
    done = derive("build", "--out", "site/html", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    now = digest(project / "site" / "html")
    new = sites["new"]
    assert isinstance(new, dict)
    differ = sorted(n for n in set(now) | set(new) if now.get(n) != new.get(n))
    assert differ == [], "the next build equals a fresh one"
    assert not (project / "site" / ".html.old").exists()


@pytest.mark.parametrize("step", STEPS)
def test_sigkill(sites: dict[str, object], tmp_path: Path, step: str) -> None:
    project, status, _, _ = stopped(sites, tmp_path, step, signal.SIGKILL)
    assert status == -signal.SIGKILL
    whole = sites["new"] if step == "swapped" else sites["old"]
    assert digest(project / "site" / "html") == whole, "one whole site at the output"
    next_build_is_fresh(project, sites)


@pytest.mark.parametrize("step", ["generated", "writing", "swap"])
def test_sigint(sites: dict[str, object], tmp_path: Path, step: str) -> None:
    project, status, out, err = stopped(sites, tmp_path, step, signal.SIGINT)
    assert (status, out, err) == (130, "", "derive: interrupted\n")
    whole = sites["new"] if step == "swapped" else sites["old"]
    assert digest(project / "site" / "html") == whole, "one whole site at the output"
    next_build_is_fresh(project, sites)


@pytest.mark.parametrize("step", ["generated", "swap"])
def test_sigterm(sites: dict[str, object], tmp_path: Path, step: str) -> None:
    """SIGTERM (a CI job cancelled, a service stopped) stops a build as Ctrl-C does."""
    project, status, out, err = stopped(sites, tmp_path, step, signal.SIGTERM)
    assert (status, out, err) == (143, "", "derive: terminated\n")
    assert digest(project / "site" / "html") == sites["old"], "the old site, whole"
    next_build_is_fresh(project, sites)


def test_sigkill_between_the_two_renames_of_the_fallback_swap(
        sites: dict[str, object], tmp_path: Path) -> None:  # fmt: skip
    """Where folders cannot be exchanged atomically (DERIVE_NO_EXCHANGE stands in for
    such a system) the swap is two renames; killed between them, the old site waits whole
    in .html.old and the next build puts it back first, then builds."""
    project, status, _, _ = stopped(sites, tmp_path, "renamed", signal.SIGKILL,
                                    {"DERIVE_NO_EXCHANGE": "1"})  # fmt: skip
    assert status == -signal.SIGKILL
    assert digest(project / "site" / ".html.old") == sites["old"]
    next_build_is_fresh(project, sites)


def test_the_fallback_swap_gives_the_same_site(sites: dict[str, object], tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(sites["old root"], project, symlinks=True)  # type: ignore[arg-type]
    (project / "exercises.yaml").write_text(CHANGED, encoding="utf-8")
    done = derive("build", "--out", "site/html", cwd=project, env={"DERIVE_NO_EXCHANGE": "1"})
    assert done.returncode == 0, done.stderr
    assert digest(project / "site" / "html") == sites["new"]
    assert sorted(p.name for p in (project / "site").iterdir()) == [".doctrees", ".html.building", "html",
                                                    "site-source"]  # fmt: skip


def deriving_in_workers(sites: dict[str, object], tmp_path: Path,
                        **popen: Any) -> tuple[Path, subprocess.Popen[str]]:  # fmt: skip
    """The old project given 20 more exercises, built with two workers, returned once both
    workers are running (in a session of their own, to find them after)."""
    project = tmp_path / "project"
    shutil.copytree(sites["old root"], project, symlinks=True)  # type: ignore[arg-type]
    many = "".join(f"  - id: p{i}\n    title: Product {i}\n    function: f(x, y) = x * y\n"
                   f"    at: {{x: {i}, y: 3}}\n" for i in range(20))  # fmt: skip
    (project / "exercises.yaml").write_text(TINY + many, encoding="utf-8")
    build = subprocess.Popen([sys.executable, "-m", "derive.cli", "build", "--out", "site/html",
                              "--jobs", "2"], cwd=project, env=environment(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, **popen)  # fmt: skip
    deadline = time.monotonic() + 90
    while len(children(build.pid)) < 3:  # two workers and multiprocessing's tracker
        assert build.poll() is None and time.monotonic() < deadline, build.communicate()
        time.sleep(0.05)
    return project, build


def stopped_cleanly(build: subprocess.Popen[str], status: int, message: str) -> None:
    """One line, the status, and no process of the build's session left running."""
    out, err = build.communicate(timeout=60)
    assert (build.returncode, out, err) == (status, "", message)
    deadline = time.monotonic() + 10
    while children(build.pid, session=True) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children(build.pid, session=True) == []


def test_ctrl_c_while_workers_derive(sites: dict[str, object], tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, worker processes included: one line, exit
    130, no worker left running, the site unchanged."""
    project, build = deriving_in_workers(sites, tmp_path,
                                         preexec_fn=interruptible)  # fmt: skip
    os.killpg(build.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    stopped_cleanly(build, 130, "derive: interrupted\n")
    assert digest(project / "site" / "html") == sites["old"]


def test_sigterm_while_workers_derive(sites: dict[str, object], tmp_path: Path) -> None:
    """SIGTERM reaches only derive (kill PID): it stops its workers itself, quietly. Before,
    derive died at once and its workers printed BrokenPipe tracebacks."""
    project, build = deriving_in_workers(sites, tmp_path)
    build.send_signal(signal.SIGTERM)
    stopped_cleanly(build, 143, "derive: terminated\n")
    assert digest(project / "site" / "html") == sites["old"]


def children(pid: int, session: bool = False) -> list[str]:
    found = subprocess.run(["pgrep", "-s" if session else "-P", str(pid)], capture_output=True,
                           text=True, check=False)  # fmt: skip
    return found.stdout.split()
