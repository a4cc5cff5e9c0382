"""`derive check` of the shipped exercises.yaml against `python -c "import sympy"`: whole
processes side by side, alternating, the median of each (issue 9's goal: at most 1.5x).

    python benchmarks/check_ratio.py [--runs 7]

Also timed, to show where the rest goes: importing every library `derive check` needs
(SymPy, PyYAML, markdown-it) without doing anything; and SymPy imported as `derive` imports
it, with the garbage collector paused (derive.collector), which shows how much of the ratio
that alone moves. Beside the wall time, the CPU time of each process (user + system). The
machines here are shared: a run's load moves the median ratio by 0.2x or more between
runs, so the fastest run of each is shown beside it. derive's bytecode is compiled
first, as pip does when it installs a package (an editable install under
PYTHONDONTWRITEBYTECODE would otherwise compile derive's source on every run).
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = "import sympy, yaml, markdown_it, mdit_py_plugins"
LOADED = "from derive.collector import preload; preload('sympy')"  # as the derive program does


def seconds(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    compileall.compile_dir(ROOT / "derive", quiet=1)
    commands = {
        "import sympy": [sys.executable, "-c", "import sympy"],
        "import the libraries": [sys.executable, "-c", LIBRARIES],
        "import sympy, collector paused": [sys.executable, "-c", LOADED],
        "derive check": [sys.executable, "-m", "derive.cli", "check", "exercises.yaml"],
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):  # alternate, so that a change in load hits all alike
        for name, command in commands.items():
            times[name].append(seconds(command))
    print(f"{runs} runs, load average {os.getloadavg()[0]:.2f}: median and fastest run")
    for label, pick in (("median", statistics.median), ("fastest", min)):
        wall = {name: pick(w for w, _ in t) for name, t in times.items()}
        cpu = {name: pick(c for _, c in t) for name, t in times.items()}
        print(f"  {label:<30} {'wall':>8} {'':>6}  {'cpu':>8}")
        for name in commands:
            print(f"  {name:<30} {wall[name]:6.3f} s {wall[name] / wall['import sympy']:5.2f}x  "
                  f"{cpu[name]:6.3f} s {cpu[name] / cpu['import sympy']:5.2f}x")


if __name__ == "__main__":
    main()
