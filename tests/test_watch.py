"""`derive build --watch`: the site is served on 127.0.0.1, an edit of the exercise file
rebuilds it (the served page shows the new value), a bad edit reports one line and keeps
the site, and Ctrl-C stops it with no traceback."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from build_helpers import TINY, environment, interruptible

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(process: subprocess.Popen[str], text: str, seconds: float = 90) -> list[str]:
    """The lines the process printed until one containing `text`."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    pytest.fail(f"no {text!r} in {lines}")


def test_an_edit_rebuilds_the_served_site(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises.yaml"
    exercises.write_text(TINY, encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "derive.cli", "build", "--watch", "--port", str(port),
         "--out", "site/html"], cwd=tmp_path, env=environment(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=interruptible)  # noqa: PLW1509  # fmt: skip
    try:
        wait_for(process, "serving http://127.0.0.1:")
        page = f"http://127.0.0.1:{port}/exercises/product.html"
        with urllib.request.urlopen(page, timeout=10) as response:
            assert r"\(2 \cdot 3\)" in response.read().decode()
        time.sleep(1.1)  # a new time stamp, whatever the file system's resolution
        exercises.write_text(TINY.replace("at: {x: 2, y: 3}", "at: {x: 2, y: 7}"),
                             encoding="utf-8")  # fmt: skip
        wait_for(process, "rebuilt at")
        with urllib.request.urlopen(page, timeout=10) as response:
            assert r"\(2 \cdot 7\)" in response.read().decode()
        time.sleep(1.1)
        exercises.write_text(TINY.replace("x * y", "x * "), encoding="utf-8")
        said = wait_for(process, "problem in")
        assert said[-2:] == ["exercises.yaml:6:28: the expression ends with an operator at "
                             "column 14 of 'f(x, y) = x *'\n",
                             "derive: 1 problem in exercises.yaml\n"], said  # as `derive build`
        with urllib.request.urlopen(page, timeout=10) as response:
            assert r"\(2 \cdot 7\)" in response.read().decode(), "the site was kept"
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 130
    assert rest.endswith("derive: interrupted\n") and "Traceback" not in rest, rest
