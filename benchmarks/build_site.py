"""Site build times: the shipped exercises and generated files of 100 and 500 exercises,
built from scratch, rebuilt with no change, and rebuilt after one exercise changes.

Run by hand: `python benchmarks/build_site.py [--counts 100 500]`. Each scenario runs in a
fresh process (as `derive build` does), which reports:

- seconds for the full build (and its CPU seconds, workers included), the no-change
  rebuild and the one-change rebuild (the fastest of 3 of each), with the ratio
  one-change / no-change (goal <= 1.3), in one process as `derive build --watch` runs
  them (which collects a build's garbage while it waits); then the two rebuilds again as
  whole `derive build` commands, each a new process, as a user runs them;
- derive's share of the full build: the time spent in derive's own code (deriving and
  rendering the pages, derive's Sphinx event handlers, the staging and the swap) over the
  wall time; Sphinx (reading, writing, Graphviz) is the rest (goal <= 1/3); and the same
  split of CPU seconds (worker processes included), steadier on a loaded machine;
- the peak memory (resident set) of the process and of its largest child (Graphviz).

At the end the full-build ratio of the largest count over the smallest is printed (goal
<= 5x for 500 over 100). Machines here are shared and noisy: read the ratios, not the
seconds. Everything happens in a temporary folder, with the minimal site derive ships.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


class Share:
    """Time spent in derive's own code during a build, measured by wrapping derive's
    entry points (Sphinx event handlers, the `derivation` directive) and the parts of
    build_site that are not Sphinx's (everything but constructing the application and
    app.build).

    Wall seconds (`derive`, `sphinx`) and CPU seconds (`derive_cpu`: this process's, plus
    its worker processes' that finished inside derive's code; Graphviz runs inside
    Sphinx's writing). On a loaded machine the CPU split is the steadier one."""

    def __init__(self) -> None:
        self.derive = 0.0
        self.sphinx = 0.0
        self.derive_cpu = 0.0
        self.sphinx_cpu = 0.0
        self.depth = {True: 0, False: 0}

    def wrap(self, function: Callable[..., Any], sphinx: bool = False) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth[sphinx]:  # nested in a call already timed
                return function(*args, **kwargs)
            self.depth[sphinx] += 1
            started, cpu = time.perf_counter(), _cpu()
            try:
                return function(*args, **kwargs)
            finally:
                self.depth[sphinx] -= 1
                wall, used = time.perf_counter() - started, _cpu() - cpu
                if sphinx:
                    self.sphinx, self.sphinx_cpu = self.sphinx + wall, self.sphinx_cpu + used
                else:
                    self.derive, self.derive_cpu = self.derive + wall, self.derive_cpu + used

        return timed

    @contextmanager
    def installed(self) -> Iterator[None]:
        import sphinx.application

        import derive.sphinx as extension
        from derive.sphinx import directives

        patched: list[tuple[Any, str, Any]] = []

        def patch(owner: Any, name: str, sphinx: bool = False) -> None:
            patched.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, self.wrap(owner.__dict__[name], sphinx))

        for name in ("generate_pages", "rewrite_all", "short_sidebar", "copy_mathjax",
                     "remove_outputs", "check_dot"):  # fmt: skip
            if name in extension.__dict__:
                patch(extension, name)
        # The `solution` directive only folds its content, which MyST parses (Sphinx's
        # share, as the rest of the page); `derivation` derives, and is derive's.
        patch(directives.DerivationDirective, "run")
        patch(sphinx.application.Sphinx, "__init__", sphinx=True)
        patch(sphinx.application.Sphinx, "build", sphinx=True)
        try:
            yield
        finally:
            for owner, name, original in patched:
                setattr(owner, name, original)


REPEAT = 3


def changed(text: str, k: int) -> str:
    """`text` with the first input of the k-th exercise 1/2 larger."""
    matches = list(re.finditer(r"(at: \{\w+: )(-?\d+(?:\.\d+)?)", text))
    found = matches[k % len(matches)]
    return f"{text[:found.start(2)]}{float(found[2]) + 0.5}{text[found.end(2):]}"


def _seconds(command: list[str], folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=folder)  # no docs/ there
    return time.perf_counter() - started


def _cpu() -> float:
    """CPU seconds of this process and of its finished children."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))  # fmt: skip
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def one(count: int | None, work: Path) -> dict[str, Any]:
    """Full build, no-change rebuild and one-change rebuild, in this process."""
    from derive.sphinx import pages
    from derive.sphinx.build import build_site, collect_garbage

    text = generate(count) if count else (ROOT / "exercises.yaml").read_text("utf-8")
    exercises, out = work / "exercises.yaml", work / "site" / "html"
    exercises.write_text(text, encoding="utf-8")
    share = Share()

    def timed() -> tuple[float, float, float, float]:
        """Wall seconds, derive's wall seconds, CPU seconds, derive's CPU seconds."""
        before, inside = share.derive, share.sphinx
        cpu_before, cpu_inside = share.derive_cpu, share.sphinx_cpu
        pages._read.clear()  # as in a new `derive build`: the file is read each build
        collect_garbage()  # what the build before left, as `derive build --watch` does while
        # it waits for a change (a full pass of the collector, outside the rebuild's time)
        started, cpu = time.perf_counter(), _cpu()
        build_site(exercises, out, jobs=0)  # as `derive build` does
        wall, used = time.perf_counter() - started, _cpu() - cpu
        # derive's part = handlers inside Sphinx + what build_site does outside Sphinx
        derive = (share.derive - before) + (wall - (share.sphinx - inside))
        derive_cpu = (share.derive_cpu - cpu_before) + (used - (share.sphinx_cpu - cpu_inside))
        return wall, derive, used, derive_cpu

    with share.installed():
        full, full_derive, cpu, derive_cpu = timed()
        # The fastest of REPEAT runs: the machines here are shared and noisy.
        unchanged = min(timed()[0] for _ in range(REPEAT))
        single = float("inf")
        for k in range(REPEAT):  # each time another exercise changes: its input gains 1/2
            text = changed(text, k)
            exercises.write_text(text, encoding="utf-8")
            single = min(single, timed()[0])
    # The same as whole `derive build` commands, each a new process, as a user runs them
    # (in one process, every build after the first also collects what the one before left)
    # (alternating, so that a change in the machine's load hits both alike)
    command = [sys.executable, "-m", "derive.cli", "build", str(exercises), "--out", str(out)]
    unchanged_command = single_command = float("inf")
    for k in range(REPEAT):
        unchanged_command = min(unchanged_command, _seconds(command, work))
        text = changed(text, REPEAT + k)
        exercises.write_text(text, encoding="utf-8")
        single_command = min(single_command, _seconds(command, work))
    return {"unchanged_command": unchanged_command, "one_command": single_command,
            "name": f"{count} generated" if count else "shipped exercises",
            "pages": sum(1 for _ in out.rglob("*.html")), "full": full,
            "share": full_derive / full, "cpu": cpu, "cpu_share": derive_cpu / cpu, "unchanged": unchanged, "one": single,
            "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="*", default=[100, 500],
                        help="generated exercise counts (default: 100 500)")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped file")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        work = Path(tempfile.mkdtemp(prefix="derive-bench-"))
        try:
            print(json.dumps(one(args.child or None, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    results = []
    for count in ([] if args.no_shipped else [0]) + list(args.counts):
        done = subprocess.run([sys.executable, __file__, "--child", str(count)], check=True,
                              capture_output=True, text=True)  # fmt: skip
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['name']:<18} {r['pages']:>4} pages  full {r['full']:7.2f} s "
              f"(derive {100 * r['share']:4.1f}%; CPU {r['cpu']:6.1f} s, derive "
              f"{100 * r['cpu_share']:4.1f}%)  "
              f"no change {r['unchanged']:6.2f} s  "
              f"one changed {r['one']:6.2f} s  one/no-change {r['one'] / r['unchanged']:4.2f}x  "
              f"(as commands: {r['unchanged_command']:.2f} s, {r['one_command']:.2f} s, "
              f"{r['one_command'] / r['unchanged_command']:4.2f}x)  "
              f"peak RSS {r['rss_self_mb']:.0f} MB (largest child {r['rss_children_mb']:.0f} MB)",
              flush=True)  # fmt: skip
    generated = [r for r in results if r["name"].endswith("generated")]
    if len(generated) >= 2:
        small, large = generated[0], generated[-1]
        print(f"full build {large['name']} / {small['name']}: "
              f"{large['full'] / small['full']:.2f}x")


if __name__ == "__main__":
    main()
