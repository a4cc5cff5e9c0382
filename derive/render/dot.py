"""Derivation -> a circuit diagram in Graphviz's DOT language, in the style of CS231n.

Inputs sit on the left; each operation is a gate showing its symbol and its name; each
wire carries the forward value of its source (green, above) and the gradient flowing back
along it (red, below). The text is written in a fixed order with sorted attributes, so
the same derivation always gives the same bytes and tests compare it without `dot`.
The terminal and legend nodes have ids starting with #, which no node name can.
"""

from __future__ import annotations

from html import escape

from derive.derivation import Derivation
from derive.render.notation import NOTATION
from derive.render.text import decimal

LARGE = 80
"""Graphs with more nodes than this are laid out with bounded effort."""
VALUE = "#1b7a3a"
GRADIENT = "#b3261e"
GATE_FILL = "#eef3fb"
GATE_LINE = "#4a6fa5"
INK = "#222222"
MUTED = "#666666"


def circuit(d: Derivation, digits: int = 4, name: str = "circuit") -> str:
    """The DOT text of the circuit diagram of `d`."""
    graph, values = d.graph, d.forward.values
    # On big graphs (a 400-parameter network) dot's crossing minimisation takes a minute;
    # bounding its iterations brings that to seconds, and small circuits keep the best layout.
    # Small circuits are scaled down, if need be, to the width of the page's text column
    # (8.6 in is 830 CSS pixels); big ones keep their size and scroll.
    bounded = ({"mclimit": "0.2", "nslimit": "2"} if len(graph.nodes) > LARGE else
               {"size": "8.6,30"})  # fmt: skip
    lines = [
        f"digraph {_quote(name)} {{",
        _statement("graph", bgcolor="transparent", fontname="Helvetica", nodesep="0.3",
                   rankdir="LR", ranksep="0.35", pad="0.15", **bounded),
        _statement("node", color=GATE_LINE, fillcolor=GATE_FILL, fontcolor=INK,
                   fontname="Helvetica", fontsize="12", penwidth="1.2"),
        _statement("edge", arrowsize="0.6", color=MUTED, fontname="Helvetica", fontsize="10"),
    ]  # fmt: skip
    for node in graph.nodes:
        if node.op == "input" and node.id in d.given:  # data: its value, and no gradient
            value = decimal(values[node.id].approx, digits)
            label = (f'<<B>{escape(node.id)}</B><BR/><FONT POINT-SIZE="9" COLOR="{MUTED}">'
                     f"= {escape(value)}</FONT>>")
            lines.append(_node(node.id, shape="plaintext", label=label))
        elif node.op == "input":  # the total gradient, the sum over the input's wires
            total = decimal(d.backward.gradients[node.id].approx, digits)
            label = (f'<<B>{escape(node.id)}</B><BR/><FONT POINT-SIZE="9" COLOR="{GRADIENT}">'
                     f"{escape(total)}</FONT>>")
            lines.append(_node(node.id, shape="plaintext", label=label))
        elif node.op == "const":
            lines.append(_node(node.id, shape="plaintext", fontcolor=MUTED,
                               label=f"<{escape(node.source)}>"))  # fmt: skip
        else:
            symbol = escape(NOTATION[node.op].symbol)
            label = (f'<<FONT POINT-SIZE="14">{symbol}</FONT><BR/>'
                     f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{escape(node.id)}</FONT>>')
            lines.append(_node(node.id, shape="circle", style="filled", label=label,
                               width="0.6", fixedsize="true"))  # fmt: skip
    flows = _edge_gradients(d)
    for node in graph.nodes:
        for source in dict.fromkeys(node.inputs):
            value = decimal(values[source].approx, digits)
            gradient = flows.get((source, node.id))
            lines.append(_edge(source, node.id, _wire(value, gradient, digits)))
    output = graph.output
    lines.append(_node("#output", shape="plaintext", label=f"<<B>{escape(output)}</B>>"))
    lines.append(_edge(output, "#output", _wire(decimal(values[output].approx, digits),
                                              d.backward.gradients[output].approx, digits)))
    lines.append(_legend())
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edge_gradients(d: Derivation) -> dict[tuple[str, str], object]:
    """The gradient flowing back along each wire: the sum of the chain-rule steps from the
    consumer into the source (two for x * x)."""
    flows: dict[tuple[str, str], object] = {}
    for step in d.backward.steps:
        key = (step.input, step.node)
        approx = step.downstream.approx
        flows[key] = flows[key] + approx if key in flows else approx
    return flows


def _wire(value: str, gradient: object, digits: int) -> str:
    top = f'<FONT COLOR="{VALUE}">{escape(value)}</FONT>'
    if gradient is None:
        return f"<{top}>"
    bottom = f'<FONT COLOR="{GRADIENT}">{escape(decimal(gradient, digits))}</FONT>'
    return f"<{top}<BR/>{bottom}>"


def _legend() -> str:
    """A small key, in the inputs' column on the left."""
    rows = (f'<TABLE BORDER="1" COLOR="{MUTED}" CELLBORDER="0" CELLSPACING="1" STYLE="ROUNDED">'
            f'<TR><TD ALIGN="LEFT"><FONT COLOR="{VALUE}">value (forward)</FONT></TD></TR>'
            f'<TR><TD ALIGN="LEFT"><FONT COLOR="{GRADIENT}">gradient (backward)</FONT></TD></TR>'
            f"</TABLE>")  # fmt: skip
    key = _node("#legend", fontsize="9", label=f"<{rows}>", shape="plaintext").strip()
    return f"  {{ rank=source; {key} }}"  # in the inputs' column, which is narrow


def _statement(kind: str, **attributes: str) -> str:
    return f"  {kind} [{_attributes(**attributes)}];"


def _node(node_id: str, **attributes: str) -> str:
    return f"  {_quote(node_id)} [{_attributes(**attributes)}];"


def _edge(source: str, target: str, label: str) -> str:
    return f"  {_quote(source)} -> {_quote(target)} [label={label}];"


def _attributes(**attributes: str) -> str:
    """Sorted, so the output never depends on the order of keyword arguments."""
    return ", ".join(f"{key}={_value(value)}" for key, value in sorted(attributes.items()))


def _value(value: str) -> str:
    return value if value.startswith("<") and value.endswith(">") else _quote(value)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
