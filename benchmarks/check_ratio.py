"""`derive check` of the shipped exercises.yaml against `python -c "import sympy"`: whole
processes side by side, alternating, the median of each (issue 9's goal: at most 1.5x).

    python benchmarks/check_ratio.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    baseline, check = [], []
    for _ in range(runs):  # alternate, so that a change in load hits both alike
        baseline.append(seconds([sys.executable, "-c", "import sympy"]))
        check.append(seconds([sys.executable, "-m", "derive.cli", "check", "exercises.yaml"]))
    b, c = statistics.median(baseline), statistics.median(check)
    print(f"import sympy {b:.3f} s; derive check {c:.3f} s (medians of {runs}); "
          f"ratio {c / b:.2f}x")


if __name__ == "__main__":
    main()
