"""`derive check` of the shipped exercises.yaml against `python -c "import sympy"`: whole
processes side by side, alternating, the median of each (issue 9's goal: at most 1.5x).

    python benchmarks/check_ratio.py [--runs 7]

Also timed, to show where the rest goes: importing every library `derive check` needs
(SymPy, rich, PyYAML, markdown-it) without doing anything. derive's bytecode is compiled
first, as pip does when it installs a package (an editable install under
PYTHONDONTWRITEBYTECODE would otherwise compile derive's source on every run).
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = "import sympy, rich.console, rich.progress, yaml, markdown_it, mdit_py_plugins"


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    compileall.compile_dir(ROOT / "derive", quiet=1)
    commands = {
        "import sympy": [sys.executable, "-c", "import sympy"],
        "import the libraries": [sys.executable, "-c", LIBRARIES],
        "derive check": [sys.executable, "-m", "derive.cli", "check", "exercises.yaml"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # alternate, so that a change in load hits all alike
        for name, command in commands.items():
            times[name].append(seconds(command))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["import sympy"]
    print(f"medians of {runs} runs, load average {os.getloadavg()[0]:.2f}:")
    for name, median in medians.items():
        print(f"  {name:<22} {median:6.3f} s  {median / base:5.2f}x")


if __name__ == "__main__":
    main()
