"""The `derive` program loads SymPy with the garbage collector paused and then freezes
the heap (derive.collector); each case runs in a fresh interpreter, since the test process
has SymPy loaded already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _state(code: str) -> dict[str, object]:
    """What the collector looks like after `code` runs in a fresh interpreter."""
    probe = (f"{code}\nimport gc, json, sys\n"
             "print(json.dumps({'frozen': gc.get_freeze_count(), 'enabled': gc.isenabled(),"
             " 'sympy': 'sympy' in sys.modules}))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=True)  # fmt: skip
    state: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return state


def test_loading_sympy_freezes_what_it_made_and_turns_the_collector_back_on() -> None:
    state = _state("from derive.collector import preload; preload('sympy')")
    assert state["sympy"] is True and state["enabled"] is True
    frozen = state["frozen"]
    assert isinstance(frozen, int) and frozen > 50_000  # SymPy's objects, out of the passes


def test_a_collector_that_was_off_stays_off() -> None:
    state = _state("import gc; gc.disable()\n"
                   "from derive.collector import preload; preload('sympy')")
    assert state["enabled"] is False and state["sympy"] is True


def test_a_caller_that_imported_sympy_itself_keeps_its_heap_as_it_was() -> None:
    state = _state("import sympy\nfrom derive.collector import preload; preload('sympy')")
    assert state["frozen"] == 0 and state["enabled"] is True


def test_a_command_loads_sympy_that_way() -> None:
    code = ("import contextlib, io\nfrom derive.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['grad', 'x * y', '--at', 'x=2, y=3']) == 0")  # fmt: skip
    state = _state(code)
    frozen = state["frozen"]
    assert isinstance(frozen, int) and frozen > 50_000 and state["enabled"] is True


def test_help_answers_without_loading_sympy() -> None:
    state = _state("import contextlib, io\nfrom derive.cli import main\n"
                   "with contextlib.redirect_stdout(io.StringIO()):\n"
                   "    try:\n        main(['--help'])\n    except SystemExit:\n        pass")
    assert state["sympy"] is False and state["frozen"] == 0
