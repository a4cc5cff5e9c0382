"""The garbage collector while the `derive` program loads SymPy.

SymPy makes some 95,000 objects that the collector tracks as it loads, and all of them
live until the process ends. At the collector's default pace (a pass every 700 new
objects) its passes walk them again and again while they load, and its full passes walk
them all afterwards: 0.08 s of a 1 s `derive check` (timed with gc.callbacks; 0.016 s
now). So SymPy loads with the collector paused, and what the process then holds is frozen:
left out of every later pass (an object that dies is still freed by its reference count;
only cycles alive at that moment, such as the argument parser's, stay). The objects a
command makes afterwards are collected at the usual pace. derive.sphinx.build does the
same while Sphinx loads its environment; derive.cli.run freezes the heap before exit.
"""

from __future__ import annotations

import gc
import importlib
import sys


def preload(module: str) -> None:
    """Import `module`, unless it is imported already (a caller that imported it has its
    own collector to look after), with the collector paused, then freeze the heap."""
    if module in sys.modules:
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        importlib.import_module(module)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
