"""The exercise's input values beyond `at`: the ranges a student's variant draws from
(`vary:`) and the points an input approaches (`limits:`), checked with exact positions."""

from __future__ import annotations

import re

import sympy
import yaml

from derive.spec.reader import Reader
from derive.spec.records import Limit, Place, Vary

VARY_KEYS = {"from": "scalar", "to": "scalar", "step": "scalar"}
MAX_VARY_VALUES = 10_000
"""Most values one `vary:` input may take (a range is written out)."""
_LIMIT = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*->\s*(.+?)\s*\Z")
_INFINITY = {"oo": sympy.oo, "+oo": sympy.oo, "inf": sympy.oo, "+inf": sympy.oo,
             "infinity": sympy.oo, "-oo": -sympy.oo, "-inf": -sympy.oo,
             "-infinity": -sympy.oo}  # fmt: skip


def read_vary(r: Reader, node: yaml.Node, places: dict[str, Place]) -> tuple[Vary, ...]:
    """`vary: {x: {from: -5, to: 5, step: 0.5}, y: [1, 2, 4]}`: each input's values."""
    varies = []
    for name, value in (r.mapping(node, "'vary'") or {}).items():
        places[f"vary.{name}"] = r.place(value)
        before = len(r.errors)
        if isinstance(value, yaml.SequenceNode):
            numbers = [r.number(item, f"vary.{name}[{i}]") for i, item in enumerate(value.value)]
            values = sorted({n for n in numbers if n is not None}, key=float)
        elif isinstance(value, yaml.MappingNode):
            found = r.mapping(value, f"vary.{name}", VARY_KEYS, required=("from", "to")) or {}
            low, high = (r.number(found[k], f"vary.{name}.{k}") if k in found else None
                         for k in ("from", "to"))  # fmt: skip
            step = r.number(found["step"], f"vary.{name}.step") if "step" in found else (
                sympy.S.One)  # fmt: skip
            if low is None or high is None or step is None:
                continue
            if not step.is_positive or not (high - low).is_nonnegative:
                r.fail(value, f"vary.{name}: needs from <= to and a positive step")
                continue
            count = int(sympy.floor((high - low) / step)) + 1
            if count > MAX_VARY_VALUES:
                r.fail(value, f"vary.{name}: {count} values, more than {MAX_VARY_VALUES}")
                continue
            values = [low + i * step for i in range(count)]
        else:
            r.fail(value, f"vary.{name} must be a range {{from: -5, to: 5}} or a list of values")
            continue
        if not values:
            r.fail(value, f"vary.{name}: no values to draw from")
        elif len(r.errors) == before:
            varies.append(Vary(name, tuple(values)))
    return tuple(varies)


def read_limits(r: Reader, node: yaml.Node) -> tuple[Limit, ...]:
    """`limits: [z -> 0, z -> 0+, x -> oo]`: each limit's input, point and side."""
    limits = []
    for text, item in r.texts(node, "a limit"):
        match = _LIMIT.match(text)
        if match is None:
            r.fail(item, f"a limit is written 'z -> 0', 'z -> 0+' or 'x -> oo', not {text!r}")
            continue
        variable, target_text = match.groups()
        side = "+-"
        target_text = target_text.strip()
        if target_text.lower() in _INFINITY:
            target = _INFINITY[target_text.lower()]
            side = "-" if target == sympy.oo else "+"  # approached from within the reals
        else:
            if target_text[-1] in "+-":
                side, target_text = target_text[-1], target_text[:-1]
            target = r.number(_Scalar(item, target_text), f"the limit point in {text!r}")
            if target is None:
                continue
        limits.append(Limit(variable, target, side, text.strip()))
    return tuple(limits)


class _Scalar(yaml.ScalarNode):
    """A piece of a scalar's text, keeping the scalar's position for messages."""

    def __init__(self, node: yaml.Node, value: str) -> None:
        super().__init__("tag:yaml.org,2002:str", value, node.start_mark, node.end_mark)
