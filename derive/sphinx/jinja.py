"""Compiled templates kept for the life of the process.

Sphinx makes a new Jinja environment for every build, and so compiles its templates again
each time: about a tenth of a second of every rebuild `derive build --watch` makes, and
more of a rebuild that writes a page (it needs the page templates, which a rebuild with
nothing to write does not load). The compiled code is kept here between builds. Jinja
checks it against the template's source (a checksum of it) before using it, so an edited
template is compiled again.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2.bccache import Bucket
from sphinx.application import Sphinx


class _Kept(jinja2.BytecodeCache):
    """Compiled templates in memory, for one kind of environment (its class and Jinja
    extensions: they change the compiled code)."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


_KEPT: dict[tuple[Any, ...], _Kept] = {}


def keep_templates(app: Sphinx) -> None:
    """builder-inited: let the builder's Jinja environment reuse the templates compiled by
    earlier builds in this process."""
    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if not isinstance(environment, jinja2.Environment) or environment.bytecode_cache:
        return
    kind = (type(environment), tuple(sorted(environment.extensions)))
    environment.bytecode_cache = _KEPT.setdefault(kind, _Kept())
