"""The circuit of a question: gates and wires with the blanks' numbers on the wires
instead of the numbers themselves (the inputs show their given values), drawn by
Graphviz's dot as SVG.

Wire labels: the value flowing forward above (an input's value, or [n] for blank n), the
gradient flowing back below ([m] for blank m). DOT is written with sorted attributes so
the same question always gives the same bytes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from html import escape

from derive.derivation import Derivation
from derive.errors import DeriveError
from derive.render.dot import GATE_FILL, GATE_LINE, GRADIENT, INK, MUTED, VALUE
from derive.render.notation import NOTATION
from derive.render.text import decimal

DOT_SECONDS = 60


def circuit_dot(d: Derivation, numbers: Mapping[str, int], digits: int) -> str:
    """DOT text of `d`'s circuit; `numbers` gives each blank's number by quantity name."""
    graph, values = d.graph, d.forward.values

    def value_label(node: str) -> str:
        if graph.node(node).op in ("input", "const"):
            return decimal(values[node].approx, digits)
        name = "f" if node == graph.output else f"value:{node}"
        return f"[{numbers[name]}]" if name in numbers else ""

    def gradient_label(source: str, target: str) -> str:
        for name in (f"grad:{source}->{target}", f"grad:{source}"):
            if name in numbers:
                return f"[{numbers[name]}]"
        return ""

    lines = ["digraph circuit {",
             '  graph [bgcolor="transparent", fontname="Helvetica", nodesep="0.3", '
             'rankdir="LR", ranksep="0.5"];',
             f'  node [color="{GATE_LINE}", fillcolor="{GATE_FILL}", fontcolor="{INK}", '
             'fontname="Helvetica", fontsize="14"];',
             f'  edge [arrowsize="0.6", color="{MUTED}", fontname="Helvetica", fontsize="13"];']
    for node in graph.nodes:
        if node.op == "input":
            lines.append(f'  "{node.id}" [label=<<B>{escape(node.id)}</B>>, shape="plaintext"];')
        elif node.op == "const":
            lines.append(f'  "{node.id}" [fontcolor="{MUTED}", label=<{escape(node.source)}>, '
                         'shape="plaintext"];')
        else:
            lines.append(f'  "{node.id}" [fixedsize="true", label=<<FONT POINT-SIZE="16">'
                         f'{escape(NOTATION[node.op].symbol)}</FONT><BR/><FONT POINT-SIZE="11" '
                         f'COLOR="{MUTED}">{escape(node.id)}</FONT>>, shape="circle", '
                         'style="filled", width="0.7"];')
    for node in graph.nodes:
        for source in dict.fromkeys(node.inputs):
            label = _wire(value_label(source), gradient_label(source, node.id))
            lines.append(f'  "{source}" -> "{node.id}" [label={label}];')
    output = graph.output
    lines.append(f'  "#output" [label=<<B>{escape(output)}</B>>, shape="plaintext"];')
    lines.append(f'  "{output}" -> "#output" [label={_wire(value_label(output), "")}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _wire(top: str, bottom: str) -> str:
    parts = [f'<FONT COLOR="{colour}">{escape(text)}</FONT>'
             for colour, text in ((VALUE, top), (GRADIENT, bottom)) if text]
    return f"<{'<BR/>'.join(parts)}>" if parts else '""'


def svg(dot_text: str) -> str:
    """The SVG that Graphviz draws from `dot_text` (its XML prologue removed)."""
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=dot_text, capture_output=True, text=True,
                              timeout=DOT_SECONDS, check=False)  # fmt: skip
    except FileNotFoundError:
        raise DeriveError("the circuit is drawn by Graphviz's dot, which is not installed: "
                          "sudo apt-get install graphviz") from None  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DeriveError(f"dot took more than {DOT_SECONDS} s to draw a circuit") from None
    if done.returncode != 0:
        raise DeriveError(f"dot could not draw a circuit: {done.stderr.strip()[:200]}")
    text = done.stdout
    return text[text.index("<svg") :]
