"""derive: worked backpropagation solutions, computed.

    >>> from derive import backprop
    >>> d = backprop("(x + y) * z", at={"x": -2, "y": 5, "z": -4})
    >>> d.value, d.gradient
    (-12, {'x': -4, 'y': -4, 'z': 3})
    >>> workbook = load("exercises.yaml")   # every exercise of a file, derived, in order

The public API is re-exported here and imported lazily, so `derive --help` does not pay
for importing SymPy.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

from derive.errors import DeriveError

if TYPE_CHECKING:
    from derive.derivation import Derivation
    from derive.pipeline import backprop, load
    from derive.solution import Solution, Workbook

__all__ = ["Derivation", "DeriveError", "Solution", "Workbook", "backprop", "load"]
__version__ = "0.1.0"

_LAZY = {"Derivation": "derive.derivation", "Solution": "derive.solution",
         "Workbook": "derive.solution", "backprop": "derive.pipeline",
         "load": "derive.pipeline"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'derive' has no attribute {name!r}")


def _register_display() -> None:
    """Inside a running IPython (Jupyter) shell, display a Derivation as its Markdown
    summary. The formatter is registered by the record's name, so nothing heavy is
    imported until a Derivation is shown."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython else None
    if shell is not None and hasattr(shell, "display_formatter"):
        formatter = shell.display_formatter.formatters["text/markdown"]
        formatter.for_type_by_name("derive.derivation", "Derivation", _markdown)


def _markdown(derivation: Derivation) -> str:
    from derive.render.markdown import summary

    return summary(derivation)


_register_display()
