"""Benchmark: gradients of a 2-layer network, derive's reverse mode against SymPy's diff + subs.

The network is written out as one scalar expression. The data (3 inputs) and the target are
numeric constants inside it, and the parameters (weights, biases) are its inputs:

    (a0*tanh(w0_0*0.5 + w0_1*(-1.2) + w0_2*0.3 + b0) + ... + c - 0.7)^2 / 2

With N data inputs (--inputs, default 8 as in issue 9's measurements) and H hidden units there
are P = (N + 2)H + 1 parameters (N = 8, H = 20, 40, 80, 160 gives 201, 401, 801, 1601).
For each size the script times, in the same process:

- derive: `backprop(text, at)`, the whole pipeline (parse, graph, exact forward pass, backward
  pass, closed-form gradients, three-way check). Best of a few runs.
- baseline: the same function built directly from SymPy objects, then for every parameter p
  `diff(f, p).xreplace(point)` evaluated with `N`. The baseline gets --baseline-cap seconds per
  size; past that it stops and extrapolates from the components it finished.
- symengine (optional; skipped if symengine is not installed): the same function built from
  symengine objects, then for every parameter p `diff(f, p).subs(point).evalf()`, capped and
  extrapolated the same way.

SymPy's cache is cleared before every timed run, so no run reuses another's work.
Run by hand (it is not a test):

    cd /work/main && .venv/bin/python benchmarks/network.py            # about 10 minutes
    .venv/bin/python benchmarks/network.py --quick                     # a few seconds
    .venv/bin/python benchmarks/network.py --sizes 80 --no-baseline --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy
from sympy.core.cache import clear_cache

from derive import backprop

try:  # an optional baseline
    import symengine
except ImportError:  # pragma: no cover - depends on the machine
    symengine = None

DATA = ("0.5", "-1.2", "0.3", "0.8", "-0.4", "1.1", "-0.9", "0.2")
"""The one training example's inputs, written into the expression as constants (the first
--inputs of them)."""
TARGET = "0.7"
"""The target output, also a constant of the expression."""
DEFAULT_SIZES = (20, 40, 80, 160)
QUICK_SIZES = (2, 5, 10)
ACTIVATIONS = ("tanh", "sigmoid")
SLOW_RUN = 10.0
"""Seconds past which one run of derive is not repeated."""


# -- the network --------------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    """One 2-layer network as derive's expression text, with its parameters' values."""

    hidden: int
    activation: str
    data: tuple[str, ...]
    text: str
    params: tuple[str, ...]
    """Parameter names in the order the baseline differentiates them (unit by unit)."""
    values: dict[str, Fraction]
    """Exact value of every parameter."""

    @property
    def at(self) -> dict[str, float]:
        """The point as derive's API takes it: floats, which derive reads as the decimals
        they print as (0.35 is 7/20 exactly), so both sides use the same exact point."""
        return {name: float(value) for name, value in self.values.items()}


def parameter_value(k: int) -> Fraction:
    """The k-th parameter's value: deterministic, nonzero, short decimals in [-0.65, 0.65]."""
    magnitude = Fraction(1 + (7 * k) % 13, 20)
    return magnitude if k % 2 == 0 else -magnitude


def network(hidden: int, activation: str = "tanh", inputs: int = len(DATA)) -> Network:
    data = DATA[:inputs]
    values: dict[str, Fraction] = {}

    def parameter(name: str) -> str:
        values[name] = parameter_value(len(values))
        return name

    units = []
    for j in range(hidden):
        weighted = " + ".join(
            f"{parameter(f'w{j}_{i}')}*{_constant(x)}" for i, x in enumerate(data)
        )
        bias, out = parameter(f"b{j}"), parameter(f"a{j}")
        units.append(f"{out}*{activation}({weighted} + {bias})")
    bias = parameter("c")
    text = f"({' + '.join(units)} + {bias} - {TARGET})^2 / 2"
    return Network(hidden, activation, data, text, tuple(values), values)


def _constant(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def sympy_network(net: Network) -> tuple[sympy.Expr, list[sympy.Symbol], dict[Any, sympy.Expr]]:
    """The same function built from SymPy objects (no parsing), its parameters as symbols in
    `net.params` order, and the point as exact rationals."""
    symbols = {name: sympy.Symbol(name) for name in net.params}
    data = [sympy.Rational(Fraction(x)) for x in net.data]

    def activation(z: sympy.Expr) -> sympy.Expr:
        if net.activation == "tanh":
            return sympy.tanh(z)
        return 1 / (1 + sympy.exp(-z))  # SymPy has no sigmoid; this is its definition

    units = []
    for j in range(net.hidden):
        weighted = sympy.Add(*(symbols[f"w{j}_{i}"] * x for i, x in enumerate(data)))
        units.append(symbols[f"a{j}"] * activation(weighted + symbols[f"b{j}"]))
    target = sympy.Rational(Fraction(TARGET))
    f = (sympy.Add(*units) + symbols["c"] - target) ** 2 / 2
    point = {symbols[n]: sympy.Rational(v.numerator, v.denominator) for n, v in net.values.items()}
    return f, [symbols[n] for n in net.params], point


# -- timing -------------------------------------------------------------------------------


@dataclass
class DeriveRun:
    seconds: float
    """Best wall time over the runs."""
    cpu_seconds: float
    """Best CPU time of the process over the runs: less sensitive to other processes."""
    runs: int
    nodes: int
    check: str
    agree: bool
    gradient: dict[str, float]


@dataclass
class BaselineRun:
    seconds: float
    """Measured wall time (build + the components done)."""
    done: int
    total: int
    diff_seconds: float
    subs_seconds: float
    """subs + N, the evaluation at the point."""
    gradient: dict[str, float] = field(default_factory=dict)

    @property
    def capped(self) -> bool:
        return self.done < self.total

    @property
    def estimate(self) -> float:
        """The full time: measured, or extrapolated at the mean time per component done."""
        if not self.capped:
            return self.seconds
        per_component = (self.diff_seconds + self.subs_seconds) / self.done
        build = self.seconds - self.diff_seconds - self.subs_seconds
        return build + per_component * self.total


def time_derive(net: Network, repeats: int, slow: float = SLOW_RUN) -> DeriveRun:
    """Best of `repeats` cold-cache runs of backprop (one run if it takes over `slow` s)."""
    best, best_cpu, runs = math.inf, math.inf, 0
    d = None
    while runs == 0 or (runs < repeats and best <= slow):
        clear_cache()
        start, start_cpu = time.perf_counter(), time.process_time()
        d = backprop(net.text, net.at)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        runs += 1
    assert d is not None
    verdict = "agree" if d.check.agree else "DISAGREE"
    method = {"per input": "per input", "random direction": "direction"}.get(
        d.check.method, d.check.method
    )
    gradient = {name: float(value) for name, value in d.gradient.items()}
    return DeriveRun(
        best, best_cpu, runs, len(d.graph.nodes), f"{method}: {verdict}", d.check.agree, gradient
    )


def time_baseline(net: Network, cap: float) -> BaselineRun:
    """SymPy's route, one parameter at a time: diff(f, p), then xreplace(point) and N()."""
    clear_cache()
    start = time.perf_counter()
    f, symbols, point = sympy_network(net)
    run = BaselineRun(0.0, 0, len(symbols), 0.0, 0.0)
    for symbol in symbols:
        t0 = time.perf_counter()
        derivative = sympy.diff(f, symbol)
        t1 = time.perf_counter()
        value = sympy.N(derivative.xreplace(point), 30)
        t2 = time.perf_counter()
        run.gradient[symbol.name] = float(value)
        run.diff_seconds += t1 - t0
        run.subs_seconds += t2 - t1
        run.done += 1
        if t2 - start > cap:
            break
    run.seconds = time.perf_counter() - start
    return run


def symengine_network(net: Network) -> tuple[Any, list[Any], dict[Any, Any]]:
    """The same function built from symengine objects, its parameters in `net.params` order,
    and the point as exact rationals."""
    se: Any = symengine
    symbols = {name: se.Symbol(name) for name in net.params}
    data = [se.Rational(Fraction(x).numerator, Fraction(x).denominator) for x in net.data]

    def activation(z: Any) -> Any:
        return se.tanh(z) if net.activation == "tanh" else 1 / (1 + se.exp(-z))

    units = []
    for j in range(net.hidden):
        weighted = se.Add(*(symbols[f"w{j}_{i}"] * x for i, x in enumerate(data)))
        units.append(symbols[f"a{j}"] * activation(weighted + symbols[f"b{j}"]))
    target = Fraction(TARGET)
    f = (se.Add(*units) + symbols["c"] - se.Rational(target.numerator, target.denominator)) ** 2 / 2
    point = {symbols[n]: se.Rational(v.numerator, v.denominator) for n, v in net.values.items()}
    return f, [symbols[n] for n in net.params], point


def time_symengine(net: Network, cap: float) -> BaselineRun | None:
    """symengine's route, one parameter at a time: diff(f, p), then subs(point) and evalf()."""
    if symengine is None:
        return None
    start = time.perf_counter()
    f, symbols, point = symengine_network(net)
    run = BaselineRun(0.0, 0, len(symbols), 0.0, 0.0)
    for symbol in symbols:
        t0 = time.perf_counter()
        derivative = f.diff(symbol)
        t1 = time.perf_counter()
        value = derivative.subs(point).evalf(100)  # 100 bits, about 30 digits
        t2 = time.perf_counter()
        run.gradient[str(symbol)] = float(value)
        run.diff_seconds += t1 - t0
        run.subs_seconds += t2 - t1
        run.done += 1
        if t2 - start > cap:
            break
    run.seconds = time.perf_counter() - start
    return run


def growth_exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y against log x."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )


# -- output -------------------------------------------------------------------------------

COLUMNS = (
    ("H", 3), ("params", 6), ("nodes", 5), ("derive s", 8), ("cpu s", 6), ("runs", 4),
    ("derive check", 16), ("baseline s", 26), ("ratio", 8), ("max |diff| (compared)", 21),
    ("symengine s", 26), ("ratio ", 8), ("max |diff| (symengine)", 22),
)  # fmt: skip


def row(cells: Sequence[str]) -> str:
    return "  ".join(
        cell.ljust(width) if name == "derive check" else cell.rjust(width)
        for (name, width), cell in zip(COLUMNS, cells, strict=True)
    )


def baseline_cells(dr: DeriveRun, br: BaselineRun | None) -> tuple[str, str, str]:
    if br is None:
        return "skipped", "-", "-"
    diffs = [abs(dr.gradient[n] - v) for n, v in br.gradient.items()]
    compared = f"{max(diffs):.1e} ({br.done}/{br.total})"
    if br.capped:
        seconds = f">{br.seconds:.1f}, ~{br.estimate:.0f} extrapolated"
        return seconds, f"~{_ratio(br.estimate / dr.seconds)}x", compared
    return f"{br.seconds:.3f}", f"{_ratio(br.seconds / dr.seconds)}x", compared


def _ratio(ratio: float) -> str:
    return f"{ratio:.1f}" if ratio >= 1 else f"{ratio:.2f}"


def load() -> str:
    """The load average: other processes on the machine slow every timing down."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def header(args: argparse.Namespace) -> None:
    print(
        f"derive benchmark: gradient of a 2-layer {args.activation} network, "
        f"{args.inputs} data inputs {DATA[: args.inputs]}, target {TARGET}, squared-error loss"
    )
    print(
        f"Python {platform.python_version()}, SymPy {sympy.__version__}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {load()}"
    )
    runs = (
        "1 run"
        if args.repeats == 1
        else (f"{args.repeats} runs (1 if a run takes over {SLOW_RUN:g} s)")
    )
    print(
        f"derive:   backprop(text, at), the full pipeline; best of {runs}; "
        "SymPy cache cleared before every run"
    )
    if args.no_baseline:
        print("baseline: skipped (--no-baseline)")
    elif symengine is None:
        print("symengine: not installed, skipped")
    else:
        print(
            f"symengine {symengine.__version__}: for each parameter p: "
            f"diff(f, p).subs(point).evalf(); capped at {args.baseline_cap:g} s per size"
        )
    if not args.no_baseline:
        print(
            f"baseline: SymPy, for each parameter p: diff(f, p).xreplace(point), N(); "
            f"capped at {args.baseline_cap:g} s per size, then extrapolated"
        )
    print()
    print(row([name for name, _ in COLUMNS]))
    print(row(["-" * width for _, width in COLUMNS]))


def summary(
    sizes: list[int],
    derive_runs: list[DeriveRun],
    baseline_runs: list[BaselineRun | None],
    symengine_runs: list[BaselineRun | None],
    inputs: int = len(DATA),
) -> None:
    params = [len(network(h, "tanh", inputs).params) for h in sizes]
    print()
    if len(set(sizes)) >= 2 and sizes[-1] != sizes[-2]:
        print("derive growth exponent (log-log slope of time against parameters; 1 = linear):")
        for label, times in (
            ("wall time", [r.seconds for r in derive_runs]),
            ("CPU time ", [r.cpu_seconds for r in derive_runs]),
        ):
            slope = growth_exponent(params, times)
            last = growth_exponent(params[-2:], times[-2:])
            print(f"  {label}: {slope:.2f} over all sizes, {last:.2f} between the two largest")
        for name, runs in (("baseline", baseline_runs), ("symengine", symengine_runs)):
            measured = [(p, r) for p, r in zip(params, runs, strict=True) if r is not None]
            if len({p for p, _ in measured}) >= 2:
                slope = growth_exponent([p for p, _ in measured], [r.estimate for _, r in measured])
                extrapolated = any(r.capped for _, r in measured)
                print(
                    f"{name} growth exponent: {slope:.2f}"
                    + (" (including extrapolated times)" if extrapolated else "")
                )
    for h, br in zip(sizes, baseline_runs, strict=True):
        if br is not None:
            share = br.subs_seconds / max(br.diff_seconds + br.subs_seconds, 1e-12)
            note = f", capped after {br.done} of {br.total} components" if br.capped else ""
            print(
                f"baseline H={h}: diff {br.diff_seconds:.2f} s, xreplace + N {br.subs_seconds:.2f} s "
                f"({share:.0%} of the per-component time){note}"
            )
    if any(br is not None and br.capped for br in baseline_runs):
        print("extrapolated = build time + mean time per finished component x all components")
    print(f"at the end: {load()}")
    disagree = [h for h, r in zip(sizes, derive_runs, strict=True) if not r.agree]
    if disagree:
        print(f"WARNING: derive's own check disagrees at H = {disagree}")


# -- profile ------------------------------------------------------------------------------


def profile(net: Network) -> None:
    print(f"\n== cProfile of backprop at H={net.hidden} ({len(net.params)} parameters) ==")
    clear_cache()
    profiler = cProfile.Profile()
    profiler.enable()
    backprop(net.text, net.at)
    profiler.disable()
    for key, count in (("cumulative", 25), ("tottime", 15)):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key)
        stats.print_stats(count)
        text = out.getvalue()
        start = text.find("   ncalls")
        print(f"-- top {count} by {key} --")
        print(text[start:].rstrip() if start >= 0 else text.rstrip())
    pass_breakdown(net)


def calls(net: Network) -> int:
    """Python function calls of one cold-cache backprop: a measure of the work done that,
    unlike time, does not move with the machine's load."""
    clear_cache()
    profiler = cProfile.Profile()
    profiler.enable()
    backprop(net.text, net.at)
    profiler.disable()
    return int(pstats.Stats(profiler).total_calls)


def call_growth(small: Network, large: Network) -> None:
    """The growth exponent of the work (function calls) from the smallest size to the
    largest: time's exponent wanders by +-0.1 between runs on a shared machine, this one
    does not."""
    counts = [calls(small), calls(large)]
    exponent = math.log(counts[1] / counts[0]) / math.log(len(large.params) / len(small.params))
    print(f"derive's work (Python function calls, independent of the load): {counts[0]} at "
          f"{len(small.params)} parameters, {counts[1]} at {len(large.params)}: "
          f"growth exponent {exponent:.2f}")


def pass_breakdown(net: Network, runs: int = 3) -> None:
    """CPU time of each stage (steadier than wall time on a shared machine), calling derive's
    pipeline stages one by one (internal API:
    skipped with a note if it has changed)."""
    try:
        from derive.graph import build_graph
        from derive.language import parse_function
        from derive.passes.backward import backward
        from derive.passes.check import check
        from derive.passes.forward import forward
        from derive.passes.gradients import gradients
        from derive.values import resolve_point, vector_lengths
    except ImportError as exc:
        print(f"\n(per-pass breakdown unavailable: {exc})")
        return
    times: dict[str, float] = {}

    def timed(label: str, fn: Callable[..., Any], *args: Any) -> Any:
        start = time.process_time()
        result = fn(*args)
        seconds = time.process_time() - start
        times[label] = min(seconds, times.get(label, math.inf))
        return result

    for _ in range(runs):
        clear_cache()
        tree = timed("parse", parse_function, net.text)
        graph = timed(
            "graph (nodes and their SymPy expressions)",
            build_graph,
            tree,
            vector_lengths(net.at),
            None,
        )
        point = timed("resolve point", resolve_point, graph, net.at)
        fwd = timed("forward (exact + mpmath values)", forward, graph, point)
        bwd = timed("backward (chain-rule steps)", backward, graph, fwd)
        grads = timed("closed-form gradients", gradients, graph, bwd)
        timed("check (SymPy derivatives + finite difference)", check, graph, fwd, grads)
    total = sum(times.values())
    print(f"\n-- CPU time per pass (best of {runs} cold-cache runs each, sum {total:.3f} s) --")
    for label, seconds in times.items():
        print(f"  {label:42} {seconds:8.3f} s  {seconds / total:6.1%}")


# -- main ---------------------------------------------------------------------------------


def parse_sizes(values: Sequence[str]) -> list[int]:
    sizes = [int(part) for value in values for part in value.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes are numbers of hidden units, 1 or more")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        metavar="H",
        help="hidden units per size, e.g. --sizes 2 10 20 or 2,10,20 "
        f"(default {','.join(map(str, DEFAULT_SIZES))}; P = (N + 2)H + 1)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: sizes {','.join(map(str, QUICK_SIZES))}, baseline cap 5 s, one run each",
    )
    parser.add_argument("--activation", choices=ACTIVATIONS, default="tanh")
    parser.add_argument(
        "--inputs",
        type=int,
        choices=range(1, len(DATA) + 1),
        default=len(DATA),
        metavar="N",
        help=f"data inputs per hidden unit, 1 to {len(DATA)} (default {len(DATA)})",
    )
    parser.add_argument(
        "--baseline-cap",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time allowed to the baseline per size (default 60, --quick 5)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="time derive only")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="runs of derive per size, best kept (default 5, --quick 1)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile backprop at the largest size (cProfile, per pass)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = (
            parse_sizes(args.sizes)
            if args.sizes
            else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
        )
    except (ValueError, argparse.ArgumentTypeError) as exc:
        parser.error(f"--sizes: {exc}")
    if args.baseline_cap is None:
        args.baseline_cap = 5.0 if args.quick else 60.0
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5

    header(args)
    backprop(network(1, args.activation).text, network(1, args.activation).at)  # warm-up
    derive_runs: list[DeriveRun] = []
    baseline_runs: list[BaselineRun | None] = []
    symengine_runs: list[BaselineRun | None] = []
    for h in sizes:
        net = network(h, args.activation, args.inputs)
        dr = time_derive(net, args.repeats)
        br = None if args.no_baseline else time_baseline(net, args.baseline_cap)
        se = None if args.no_baseline else time_symengine(net, args.baseline_cap)
        derive_runs.append(dr)
        baseline_runs.append(br)
        symengine_runs.append(se)
        seconds, ratio, compared = baseline_cells(dr, br)
        se_cells = baseline_cells(dr, se)
        print(
            row(
                [
                    str(h),
                    str(len(net.params)),
                    str(dr.nodes),
                    f"{dr.seconds:.3f}",
                    f"{dr.cpu_seconds:.3f}",
                    str(dr.runs),
                    dr.check,
                    seconds,
                    ratio,
                    compared,
                    *se_cells,
                ]
            ),
            flush=True,
        )
    summary(sizes, derive_runs, baseline_runs, symengine_runs, args.inputs)
    if len(sizes) > 1:
        call_growth(*(network(h, args.activation, args.inputs) for h in (min(sizes), max(sizes))))
    if args.profile:
        profile(network(max(sizes), args.activation, args.inputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
