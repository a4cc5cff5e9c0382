"""The progress bar of `derive check` and `derive assign`: it starts only on a terminal,
after DELAY seconds of work, counting the steps done before it appeared. And the terminal
writer under it: colour only where colour shows, as rich decides."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from derive.render import progress
from derive.render.progress import Steps
from derive.render.terminal import Terminal

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("terminal", [True, False])
def test_the_bar_starts_late_and_only_on_a_terminal(terminal: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    stream = io.StringIO()
    out = Terminal(stream, terminal=terminal)
    with Steps(out, 5, "deriving") as steps:
        steps.print(out.style("ok", "green") + " first")
        steps.advance()
        assert steps.bar is None, "not in the first moment"
        monkeypatch.setattr(progress, "DELAY", 0.0)
        steps.advance()
        steps.advance()
        if terminal:
            assert steps.bar is not None and steps.task is not None
            assert steps.bar.tasks[0].completed == 3 and steps.bar.tasks[0].total == 5
        else:
            assert steps.bar is None, "no bar in a pipe"
        steps.print(out.style("!!", "bold red") + " second")  # above the bar, if there is one
    text = stream.getvalue()
    if terminal:
        assert text.startswith("\x1b[32mok\x1b[0m first\n")
        assert "\x1b[1;31m!!\x1b[0m second" in text  # rich wrote it again, in the same colour
    else:
        assert text == "ok first\n!! second\n"


@pytest.mark.parametrize(("environment", "tty", "colour"), [
    ({}, True, True),
    ({}, False, False),
    ({"NO_COLOR": "1"}, True, False),
    ({"NO_COLOR": ""}, True, True),  # set but empty: no effect, as in rich
    ({"TERM": "dumb"}, True, False),
    ({"FORCE_COLOR": "1"}, False, True),
])  # fmt: skip
def test_colour_follows_the_environment(environment: dict[str, str], tty: bool, colour: bool,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    out = Terminal(Stream())
    assert out.colour is colour
    assert out.style("ok", "green") == ("\x1b[32mok\x1b[0m" if colour else "ok")


def test_a_closed_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    stream.close()
    assert Terminal(stream).is_terminal is False


def test_derive_check_imports_no_rich_when_it_shows_no_bar() -> None:
    """rich is a tenth of the time of a whole `derive check`: a run into a pipe, or one
    shorter than DELAY, must not import it."""
    code = ("import sys; from derive.cli import main; main(['check', 'exercises.yaml']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=ROOT)  # fmt: skip
    assert done.stdout.splitlines()[-1] == "[]", done.stdout + done.stderr
    assert "10 exercises checked" in done.stdout
