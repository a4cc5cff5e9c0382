"""Site build times: the shipped exercises and a generated file of 100, built from scratch,
rebuilt with no change, and rebuilt after one exercise changes.

Run by hand: `python benchmarks/build_site.py [--count 100]`. It prints seconds and the
ratios against the no-change rebuild measured in the same run (machines here are shared
and noisy: read the ratios, not the seconds). Everything happens in a temporary folder,
with the minimal site derive ships (no docs/ pages).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

from derive.sphinx.build import build_site

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [
    ("f(x, y, z) = (x + y) * z", ("x", "y", "z")),
    ("f(x, y, z) = (x + y) / z", ("x", "y", "z")),
    ("f(x, y, z) = x * e^y + sin(z)", ("x", "y", "z")),
    ("f(x, y) = log(x^2 + y^2 + 1)", ("x", "y")),
    ("f(x, y) = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)", ("x", "y")),
    ("f(x, y) = tanh(x * y) + relu(x - y)", ("x", "y")),
    ("f(a, b, c) = sigmoid(a * b + c) * (a - c)", ("a", "b", "c")),
]


def generate(count: int, seed: int = 7) -> str:
    """An exercise file of `count` exercises (fixed seed: the same file every run)."""
    rng = random.Random(seed)
    lines = ["title: Generated exercises", "defaults: {learning_rate: 0.1, digits: 4}",
             "exercises:"]  # fmt: skip
    for i in range(count):
        function, inputs = TEMPLATES[i % len(TEMPLATES)]
        point = ", ".join(f"{name}: {rng.choice([-3, -2, -1, 1, 2, 3])}" for name in inputs)
        lines += [f"  - id: exercise-{i:03d}", f"    title: Exercise {i}",
                  f"    function: {function}", f"    at: {{{point}}}",
                  "    descent: {steps: 2}", "    solution: collapsed" if i % 2 else ""]
    return "\n".join(line for line in lines if line) + "\n"


def timed(exercises: Path, out: Path) -> float:
    started = time.perf_counter()
    build_site(exercises, out)
    return time.perf_counter() - started


def scenario(name: str, text: str, work: Path) -> None:
    folder = work / name
    folder.mkdir()
    exercises, out = folder / "exercises.yaml", folder / "site" / "html"
    exercises.write_text(text, encoding="utf-8")
    full = timed(exercises, out)
    unchanged = timed(exercises, out)
    # Change one exercise: the first input of the first exercise gains 1/2.
    changed = re.sub(r"(at: \{\w+: )(-?\d+)", lambda m: f"{m[1]}{m[2]}.5", text, count=1)
    exercises.write_text(changed, encoding="utf-8")
    one = timed(exercises, out)
    pages = len(list(out.rglob("*.html")))
    print(f"{name:<22} {pages:>5} pages   full {full:7.2f} s   no change {unchanged:6.2f} s   "
          f"one changed {one:6.2f} s   one/no-change {one / unchanged:5.2f}x   "
          f"full/no-change {full / unchanged:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="generated exercises (100)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="derive-bench-"))
    try:
        scenario("shipped exercises", (ROOT / "exercises.yaml").read_text("utf-8"), work)
        scenario(f"{args.count} generated", generate(args.count), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
