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
    environment.bytecode_cache = _KEPT.setdefault(_kind(environment), _Kept())


def _kind(environment: jinja2.Environment) -> tuple[Any, ...]:
    """What the compiled code of a template depends on besides its source: the
    environment's class and extensions, its syntax and whitespace settings, and which
    filters and tests it has and what they are passed (the context, the environment).
    Sphinx sets these the same way for every HTML build; another builder or a site whose
    extensions add filters gets templates of its own."""
    syntax = ("block_start_string", "block_end_string", "variable_start_string",
              "variable_end_string", "comment_start_string", "comment_end_string",
              "line_statement_prefix", "line_comment_prefix", "trim_blocks", "lstrip_blocks",
              "newline_sequence", "keep_trailing_newline", "optimized", "is_async")  # fmt: skip

    def passed(functions: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((name, str(getattr(f, "jinja_pass_arg", None)))
                            for name, f in functions.items()))  # fmt: skip

    return (type(environment), tuple(sorted(environment.extensions)),
            tuple(str(getattr(environment, name, None)) for name in syntax),
            passed(environment.filters), passed(environment.tests),
            callable(environment.autoescape) or bool(environment.autoescape),
            environment.finalize is not None)  # fmt: skip
