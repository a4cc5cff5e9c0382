"""Two `derive build`s of one output at once: the second waits for the first (saying so
on stderr), both succeed, and the output is one whole site, equal to a fresh build; no
traceback. Started together, and staggered (the second starts while the first is
writing pages). Two outputs in one folder share `.doctrees` and `site-source`: they are
serialised the same way."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from build_helpers import CHANGED, derive, digest, environment

pytestmark = pytest.mark.slow

WAITING = ("derive: another build is running in site (the output or the sources are the "
           "same); waiting for it to finish")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("fresh")
    (root / "exercises.yaml").write_text(CHANGED, encoding="utf-8")
    done = derive("build", "--out", "site/html", cwd=root)
    assert done.returncode == 0, done.stderr
    return digest(root / "site" / "html")


def start(project: Path, out: str, pause: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "derive.cli", "build", "--out", out],
                            cwd=project, env=environment({"DERIVE_TEST_PAUSE": pause} if pause
                                                         else None),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def finished(build: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = build.communicate(timeout=180)
    assert "Traceback" not in err
    return build.returncode, out, err


@pytest.mark.parametrize("outs", [("site/html", "site/html"), ("site/html", "site/other")])
def test_started_together(fresh: dict[str, str], tmp_path: Path, outs: tuple[str, str]) -> None:
    (tmp_path / "exercises.yaml").write_text(CHANGED, encoding="utf-8")
    first, second = start(tmp_path, outs[0]), start(tmp_path, outs[1])
    results = [finished(first), finished(second)]
    assert [status for status, _, _ in results] == [0, 0], results
    for _, out, err in results:
        assert out.startswith("built 7 pages in "), out
        assert err in ("", WAITING + "\n"), err
    assert sum(bool(err) for _, _, err in results) <= 1
    for out in set(outs):
        assert digest(tmp_path / out) == fresh, "one whole site"


def test_staggered(fresh: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "exercises.yaml").write_text(CHANGED, encoding="utf-8")
    marker = tmp_path / "writing"
    first = start(tmp_path, "site/html", f"writing:{marker}")
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.02)
    second = start(tmp_path, "site/html")
    assert second.stderr is not None
    line = second.stderr.readline()  # printed when it finds the first build holding the lock
    assert line == WAITING + "\n"
    assert second.poll() is None, "the second build waits"
    marker.unlink()  # the first build goes on
    one, two = finished(first), finished(second)
    assert (one[0], two[0]) == (0, 0), (one, two)
    assert one[2] == "" and two[2] == ""
    assert digest(tmp_path / "site" / "html") == fresh, "one whole site"
