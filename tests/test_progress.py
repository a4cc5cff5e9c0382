"""The progress bar of `derive check` and `derive assign`: it starts only on a terminal,
after DELAY seconds of work, counting the steps done before it appeared."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from derive.render import progress
from derive.render.progress import Steps


@pytest.mark.parametrize("terminal", [True, False])
def test_the_bar_starts_late_and_only_on_a_terminal(terminal: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    console = Console(file=io.StringIO(), force_terminal=terminal, width=80)
    with Steps(console, 5, "deriving") as steps:
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
        steps.print("ok a")
    assert "ok a" in console.file.getvalue()  # type: ignore[attr-defined]
