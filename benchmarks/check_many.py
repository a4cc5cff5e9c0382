"""Benchmark: `derive check` on a generated file of 200 exercises.

The file mixes the shipped exercises at other points with random expressions from a small
grammar (sums, products, quotients with positive denominators, powers, exp, log, sqrt, sin,
cos, tanh, sigmoid, relu); about half take gradient-descent steps and some ask for limits.
Everything is drawn from a fixed seed, so every run checks the same file. The script runs
`derive check` on it in a subprocess and times the wall clock, then does the same for the
shipped exercises.yaml and prints the ratio. Run by hand (it is not a test):

    cd /work/main && .venv/bin/python benchmarks/check_many.py
    .venv/bin/python benchmarks/check_many.py --count 50 --seed 7 --keep /tmp/many.yaml
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "exercises.yaml"
LINE = re.compile(r"^(ok|!!|xx) (\S+)\s+(agree|DISAGREE|invalid)\s+(\d+\.\d+) s  (.+)$")
SUMMARY = re.compile(r"\((\d+\.\d+) s\)$")
MEMORY_CAP = 6 * 2**30
"""Address space allowed to `derive check`: a runaway SymPy evaluation fails with a
MemoryError instead of calling in the machine's OOM killer."""
TIME_CAP = 1800
"""Seconds allowed to one `derive check` run."""


# --------------------------------------------------------------------------------------
# Generating the file
# --------------------------------------------------------------------------------------


def number(rng: random.Random, low: int = -8, high: int = 8, nonzero: bool = False) -> str:
    """A value as an author writes it: an integer, a decimal, a fraction, or pi/k."""
    while True:
        kind = rng.random()
        if kind < 0.45:
            text = str(rng.randint(low, high))
        elif kind < 0.8:
            text = str(rng.randint(low * 4, high * 4) / 4)
        elif kind < 0.95:
            text = f"{rng.randint(low, high)}/{rng.randint(2, 7)}"
        else:
            text = rng.choice(["pi/2", "pi/4", "-pi/3", "pi/6"])
        if not nonzero or (text.lstrip("-") not in ("0", "0.0") and not text.startswith("0/")):
            return text


def expression(rng: random.Random, names: list[str], depth: int) -> str:
    """A random expression defined for every real input (denominators and log arguments
    are kept positive, exp arguments bounded)."""
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.8:
            return rng.choice(names)
        return str(rng.randint(1, 5))
    a = expression(rng, names, depth - 1)
    b = expression(rng, names, depth - 1)
    choice = rng.randrange(14)
    if choice == 0:
        return f"({a} + {b})"
    if choice == 1:
        return f"({a} - {b})"
    if choice in (2, 3):
        return f"{a} * {b}"
    if choice == 4:
        return f"{a} / (1 + ({b})^2)"
    if choice == 5:
        return f"({a})^{rng.randint(2, 3)}"
    if choice == 6:
        return f"exp(tanh({a}))"
    if choice == 7:
        return f"log(1 + ({a})^2)"
    if choice == 8:
        return f"sqrt(2 + sin({a}))"
    if choice == 9:
        return f"sin({a})"
    if choice == 10:
        return f"cos({a})"
    if choice == 11:
        return f"tanh({a})"
    if choice == 12:
        return f"sigmoid({a})"
    return f"relu({a})"


@dataclass
class Generated:
    exercises: list[dict[str, object]]
    kinds: dict[str, str]
    """Exercise id -> "shipped:<id>" or "random"."""


def shipped_variants(rng: random.Random, count: int) -> list[tuple[str, dict[str, object]]]:
    """The shipped exercises again, at other points (vectors keep their lengths)."""
    source = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))["exercises"]
    out = []
    for i in range(count):
        base = dict(source[i % len(source)])
        at = {}
        for name, value in base["at"].items():
            if isinstance(value, list):
                at[name] = [number(rng, -4, 4) for _ in value]
            else:
                # the quotient divides by z: keep every point away from 0
                at[name] = number(rng, -6, 6, nonzero=True)
        exercise: dict[str, object] = {"function": base["function"], "at": at}
        for key in ("where", "variants", "descent", "limits", "questions", "digits"):
            if key in base:
                exercise[key] = base[key]
        out.append((str(base["id"]), exercise))
    return out


def random_exercise(rng: random.Random) -> dict[str, object]:
    names = ["x", "y", "z", "w"][: rng.randint(1, 4)]
    body = expression(rng, names, rng.randint(2, 4))
    used = [n for n in names if re.search(rf"\b{n}\b", body)] or names[:1]
    if not any(re.search(rf"\b{n}\b", body) for n in names):
        body = f"{body} * {names[0]}"
    exercise: dict[str, object] = {
        "function": f"f({', '.join(used)}) = {body}",
        "at": {n: number(rng, -3, 3) for n in used},
    }
    if rng.random() < 0.5:
        exercise["descent"] = {"learning_rate": rng.choice([0.01, 0.05, 0.1, 0.5]),
                               "steps": rng.randint(1, 5)}  # fmt: skip
    if rng.random() < 0.2:
        variable = rng.choice(used)
        exercise["limits"] = [rng.choice([f"{variable} -> oo", f"{variable} -> -oo",
                                          f"{variable} -> 0"])]  # fmt: skip
        exercise["questions"] = ["How do gradients behave as the input grows?"]
    elif rng.random() < 0.3:
        exercise["questions"] = ["Which input has the greatest effect on the output?"]
    return exercise


def generate(count: int, seed: int) -> Generated:
    rng = random.Random(seed)
    shipped_count = count // 4
    exercises: list[dict[str, object]] = []
    kinds: dict[str, str] = {}
    for i, (origin, body) in enumerate(shipped_variants(rng, shipped_count), 1):
        exercise_id = f"shipped-{i:03d}"
        kinds[exercise_id] = f"shipped:{origin}"
        exercises.append({"id": exercise_id, "title": f"{origin} at another point", **body})
    for i in range(1, count - shipped_count + 1):
        exercise_id = f"random-{i:03d}"
        kinds[exercise_id] = "random"
        exercises.append({"id": exercise_id, "title": f"Random expression {i}",
                          **random_exercise(rng)})  # fmt: skip
    return Generated(exercises, kinds)


def write(generated: Generated, path: Path, seed: int) -> None:
    document = {"title": f"{len(generated.exercises)} generated exercises (seed {seed})",
                "defaults": {"learning_rate": 0.1, "digits": 4},
                "exercises": generated.exercises}  # fmt: skip
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=200),
                    encoding="utf-8")  # fmt: skip


# --------------------------------------------------------------------------------------
# Running derive check
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    wall: float
    reported: float | None
    """The total derive check printed (its own clock, without interpreter start-up)."""
    rows: list[tuple[str, str, float, str]]
    """(id, verdict, seconds, function) per exercise, as printed."""
    stderr: str


def check(path: Path) -> Run:
    command = [sys.executable, "-m", "derive.cli", "check", str(path)]
    env = {**os.environ, "COLUMNS": "400"}

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT,
                              timeout=TIME_CAP, preexec_fn=cap, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        done = subprocess.CompletedProcess(command, -1, out, f"timed out after {TIME_CAP} s")
    wall = time.perf_counter() - started
    rows = []
    reported = None
    for line in done.stdout.splitlines():
        match = LINE.match(line.strip())
        if match:
            rows.append((match[2], match[3], float(match[4]), match[5]))
        elif (summary := SUMMARY.search(line)) is not None:
            reported = float(summary[1])
    return Run(done.returncode, wall, reported, rows, done.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="exercises to generate (200)")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed")
    parser.add_argument("--keep", metavar="FILE", help="also copy the generated file here")
    args = parser.parse_args(argv)

    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    generated = generate(args.count, args.seed)
    with tempfile.TemporaryDirectory(prefix="derive-check-many-") as folder:
        path = Path(folder) / "many.yaml"
        write(generated, path, args.seed)
        if args.keep:
            shutil.copyfile(path, args.keep)
        shipped_count = sum(k.startswith("shipped") for k in generated.kinds.values())
        print(f"generated {len(generated.exercises)} exercises (seed {args.seed}): "
              f"{shipped_count} shipped ones at other points, "
              f"{len(generated.exercises) - shipped_count} random expressions; "
              f"{sum('descent' in e for e in generated.exercises)} with descent, "
              f"{sum('limits' in e for e in generated.exercises)} with limits")  # fmt: skip
        many = check(path)
    shipped = check(SHIPPED)

    if many.code != 0 or len(many.rows) != len(generated.exercises):
        print(f"derive check exited {many.code} on the generated file after {many.wall:.1f} s "
              f"and {len(many.rows)} of {len(generated.exercises)} exercises:")  # fmt: skip
        print(many.stderr[-4000:])
        for row in [r for r in many.rows if r[1] != "agree"][:20]:
            print("  ", row)
        if len(many.rows) < len(generated.exercises):
            stuck = generated.exercises[len(many.rows)]
            print("the exercise it stopped at:")
            print(yaml.safe_dump(stuck, sort_keys=False, width=200))
        return 1

    n = len(many.rows)
    derive_time = sum(r[2] for r in many.rows)
    print()
    print(f"derive check, {n} generated exercises: exit {many.code}, "
          f"{sum(r[1] == 'agree' for r in many.rows)} agree")  # fmt: skip
    print(f"  wall time (subprocess, with start-up): {many.wall:8.2f} s")
    if many.reported is not None:
        print(f"  derive's own total:                    {many.reported:8.2f} s")
    print(f"  sum of per-exercise times:             {derive_time:8.2f} s")
    print(f"  per exercise (wall / {n}):             {many.wall / n * 1000:8.1f} ms")
    print(f"  per exercise (sum / {n}):              {derive_time / n * 1000:8.1f} ms")
    by_kind: dict[str, list[float]] = {}
    for exercise_id, _, seconds, _ in many.rows:
        kind = generated.kinds[exercise_id].split(":")[0]
        by_kind.setdefault(kind, []).append(seconds)
    for kind, times in sorted(by_kind.items()):
        print(f"  {kind:<8} {len(times):4d} exercises, mean {sum(times) / len(times) * 1000:7.1f}"
              f" ms, max {max(times) * 1000:7.1f} ms")  # fmt: skip
    print()
    print("slowest 5:")
    for exercise_id, _, seconds, function in sorted(many.rows, key=lambda r: -r[2])[:5]:
        extras = [k for k in ("descent", "limits") if k in next(
            e for e in generated.exercises if e["id"] == exercise_id)]  # fmt: skip
        print(f"  {seconds:6.2f} s  {exercise_id:<11} {generated.kinds[exercise_id]:<30} "
              f"{'+'.join(extras) or '-':<14} {function}")  # fmt: skip
    print()
    shipped_n = len(shipped.rows)
    print(f"shipped exercises.yaml, {shipped_n} exercises: exit {shipped.code}, wall "
          f"{shipped.wall:.2f} s"
          + (f", derive's own total {shipped.reported:.2f} s" if shipped.reported else ""))
    print(f"ratio generated/shipped: wall {many.wall / shipped.wall:.1f}x for "
          f"{n / shipped_n:.1f}x the exercises; per exercise "
          f"{(many.wall / n) / (shipped.wall / shipped_n):.2f}x (wall), "
          f"{(derive_time / n) / (sum(r[2] for r in shipped.rows) / shipped_n):.2f}x "
          "(derive's per-exercise times)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
