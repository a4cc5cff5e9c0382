"""The descent plot: a hand-written SVG (no matplotlib), accessible and deterministic."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from derive.passes.descent import Descent
from derive.pipeline import solve
from derive.render.plot import objective_plot
from derive.spec import parse_spec

SVG = "{http://www.w3.org/2000/svg}"
FILE = """\
title: Plot
exercises:
  - id: bowl
    title: A <bowl> & more
    function: f(w) = (w - 1)^2
    at: {w: 3}
    descent: {steps: 3, learning_rate: 0.25}
"""


def table() -> Descent:
    descent = solve(parse_spec(FILE).exercises[0]).descent
    assert descent is not None
    return descent


def test_the_plot_is_accessible_and_lists_every_value() -> None:
    text = objective_plot(table(), "A <bowl> & more")
    root = ET.fromstring(text)  # well-formed: the title is escaped
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "A <bowl> & more: f over the descent steps"
    assert root.findtext(f"{SVG}desc") == (
        "The objective f before the first step and after each step: step 0: 4, step 1: 1, "
        "step 2: 0.25, step 3: 0.0625.")  # fmt: skip
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"step", "f", "0", "1", "2", "3"} <= set(texts)
    # shown 480 px wide (myst.py's figure) of 520: every text at least 12 px
    assert int(root.get("font-size", "0")) * 480 / 520 >= 12
    assert not any(t.get("font-size") for t in root.iter(f"{SVG}text"))
    assert len(list(root.iter(f"{SVG}circle"))) == 4


def test_the_plot_is_deterministic_and_needs_no_matplotlib() -> None:
    code = ("import sys; from tests.test_build_plot import table; "
            "from derive.render.plot import objective_plot; "
            "print(objective_plot(table(), 'A <bowl> & more')); "
            "print('matplotlib' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.rstrip().endswith("</svg>\n\nFalse")
    assert done.stdout.rsplit("\n\n", 1)[0] + "\n" == objective_plot(table(), "A <bowl> & more")
    assert not re.search(r'id="(?!plot-title|plot-desc)', done.stdout)
