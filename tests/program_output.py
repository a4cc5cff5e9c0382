"""Reading what a generated program prints (derive.render.code): shared by the tests that
run the programs (test_generated_code) and the notebooks (test_notebooks).

    f = -12                              the value
    df/dx = -4                           each gradient
    step 1: f = -12                      the objective where step 1's gradient is taken
      step1:x = -1.6 (df/dx = -4)        the new value (and the gradient it used)
    after step 1: f = -22.3              the objective at the last point
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

NUMBER = r"(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|-?inf|nan)"
_VALUE = re.compile(rf"(\S+) = {NUMBER}\Z")
_BEFORE = re.compile(rf"step (\d+): (\S+) = {NUMBER}\Z")
_UPDATE = re.compile(rf"\s+step(\d+):(\S+) = {NUMBER} \(d\S+/d\S+ = {NUMBER}\)\Z")
_AFTER = re.compile(rf"after step (\d+): (\S+) = {NUMBER}\Z")

PRINTED = 1e-11
"""The programs print 12 significant digits: a relative rounding of at most 5e-12."""


@dataclass
class Printed:
    values: dict[str, float] = field(default_factory=dict)
    """f and df/dx, by the name printed."""
    before: dict[int, float] = field(default_factory=dict)
    """The objective where each step's gradient is taken."""
    new: dict[str, float] = field(default_factory=dict)
    """stepK:PARAM -> the new value."""
    gradient: dict[str, float] = field(default_factory=dict)
    """stepK:PARAM -> the gradient used."""
    after: float | None = None
    lines: list[str] = field(default_factory=list)


def parse(stdout: str) -> Printed:
    out = Printed(lines=stdout.splitlines())
    for line in out.lines:
        if match := _UPDATE.match(line):
            key = f"step{match[1]}:{match[2]}"
            out.new[key], out.gradient[key] = float(match[3]), float(match[4])
        elif match := _BEFORE.match(line):
            out.before[int(match[1])] = float(match[3])
        elif match := _AFTER.match(line):
            out.after = float(match[3])
        elif match := _VALUE.match(line):
            out.values[match[1]] = float(match[2])
        else:
            raise AssertionError(f"unexpected line printed: {line!r}")
    return out


def close(got: float, expected: Any, rel: float = PRINTED) -> bool:
    """An exact 0 must print as 0; anything else to the printed digits."""
    want = float(expected)
    return got == 0 if want == 0 else math.isclose(got, want, rel_tol=rel)


def descent_mismatches(printed: Printed, descent: Any) -> list[str]:
    """Where the printed descent differs from the page's descent table (the Descent)."""
    wrong = []
    for step in descent.steps:
        if not close(printed.before.get(step.number, math.nan), step.objective.approx):
            wrong.append(f"step {step.number}: objective {printed.before.get(step.number)}")
        for u in step.updates:
            key = f"step{step.number}:{u.parameter}"
            if not close(printed.new.get(key, math.nan), u.new.approx):
                wrong.append(f"{key} = {printed.new.get(key)}, page {float(u.new.approx)}")
            if not close(printed.gradient.get(key, math.nan), u.gradient.approx):
                wrong.append(f"{key} gradient {printed.gradient.get(key)}")
    last = descent.steps[-1].objective_after
    if last is not None and not close(printed.after if printed.after is not None else math.nan,
                                      last.approx):  # fmt: skip
        wrong.append(f"objective after the last step {printed.after}, page {float(last.approx)}")
    expected_keys = {f"step{s.number}:{u.parameter}" for s in descent.steps for u in s.updates}
    if set(printed.new) != expected_keys:
        wrong.append(f"steps printed {sorted(printed.new)}")
    return wrong
