"""The directives: `derive-derivation` (a worked derivation in any page), `derive-solution`
(content folded behind a summary, as HTML <details>, no JavaScript needed) and
`derive-source` (registers the exercise file as a dependency of the page that holds it).

Names are namespaced so that a site can load derive beside sphinx-exercise or Jupyter
Book, whose own `solution` directive has nothing to do with ours. The short names
`derivation` and `solution` are added as aliases once every extension is set up, and
only when no other extension registered them (`register_aliases`).

A `derive-solution` without content folds the sections that follow it in its section:
they stay real sections (with their anchors and their "on this page" entries), inside
one <details> element. With content, it folds that content.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.transforms import Transform
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, is_directive_registered

from derive.errors import DeriveError

logger = logging.getLogger(__name__)
FOLD_ID = "worked-solution"
FOLD_TITLE = "Worked solution"


class solution(nodes.General, nodes.Element):
    """Content shown on request: <details><summary>...</summary>...</details> in HTML."""


class solution_marker(nodes.General, nodes.Element):
    """Where the sections to fold begin; replaced by a `solution_fold` when parsed."""


class solution_fold(nodes.section):
    """Sections folded behind a summary. A section itself (titled "Worked solution"), so
    that Sphinx lists it and the sections inside it under "on this page"."""


def visit_solution_html(translator: Any, node: solution) -> None:
    translator.body.append(translator.starttag(node, "details", CLASS="derive-solution"))
    translator.body.append(f"<summary>{translator.encode(node['summary'])}</summary>\n"
                           '<div class="derive-solution-body">\n')  # fmt: skip


def depart_solution_html(translator: Any, node: solution) -> None:
    translator.body.append("</div>\n</details>\n")


def visit_fold_html(translator: Any, node: solution_fold) -> None:
    """<details id=worked-solution><summary>...</summary> then the sections, which keep
    their heading levels (the fold is not a level of its own). Its title, used by the
    contents, is not printed again."""
    translator.body.append(translator.starttag(node, "details", CLASS="derive-solution"))
    translator.body.append(f"<summary>{translator.encode(node['summary'])}</summary>\n"
                           '<div class="derive-solution-body">\n')  # fmt: skip
    if node.children and isinstance(node.children[0], nodes.title):
        node.remove(node.children[0])


def visit_fold_other(translator: Any, node: solution_fold) -> None:
    translator.visit_section(node)


def depart_fold_other(translator: Any, node: solution_fold) -> None:
    translator.depart_section(node)


class FoldSections(Transform):
    """Moves the sections after a `solution_marker` into a `solution_fold` in its place.
    Runs right after parsing, before Sphinx collects the contents and the anchors."""

    default_priority = 200

    def apply(self, **kwargs: Any) -> None:
        for marker in list(self.document.findall(solution_marker)):
            parent = marker.parent
            position = parent.index(marker)
            fold = solution_fold(summary=marker["summary"], ids=[FOLD_ID], names=[FOLD_ID])
            fold += nodes.title("", FOLD_TITLE)
            for sibling in parent.children[position + 1 :]:
                parent.remove(sibling)
                fold += sibling
            parent.replace(marker, fold)
            self.document.note_implicit_target(fold, fold)


class SolutionDirective(SphinxDirective):
    """```{derive-solution} Show the worked solution
    ...content...
    ```
    or, with no content, the sections that follow in the same section, folded."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        summary = self.arguments[0] if self.arguments else "Show the solution"
        if not self.content:
            marker = solution_marker(summary=summary)
            self.set_source_info(marker)
            return [marker]
        node = solution(summary=summary)
        self.set_source_info(node)
        node += self.parse_content_to_nodes()
        return [node]


class DerivationDirective(SphinxDirective):
    """```{derive-derivation} (x + y) * z
    :at: x=-2, y=5, z=-4
    :where: q=x + y
    :digits: 4
    ```"""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = {
        "at": directives.unchanged_required,
        "where": directives.unchanged,
        "digits": directives.positive_int,
    }

    def run(self) -> list[nodes.Node]:
        from derive.cli import parse_assignments
        from derive.pipeline import backprop
        from derive.render.myst import derivation_body, rubric

        try:
            at = parse_assignments(self.options.get("at", ""), ":at:")
            where = {k: str(v) for k, v in parse_assignments(self.options["where"], ":where:").items()} if (
                "where" in self.options) else {}  # fmt: skip
            derivation = backprop(self.arguments[0], at=at, names=where)
        except DeriveError as exc:
            logger.warning("derivation: %s", exc, location=self.get_location(),
                           type="derive", subtype="derivation")  # fmt: skip
            return [nodes.warning("", nodes.paragraph(text=f"derive: {exc}"))]
        text = derivation_body(derivation, self.options.get("digits", 4), rubric,
                               f"derivation-{self.env.docname}-{self.lineno}")
        return self.parse_text_to_nodes(text)


class SourceDirective(SphinxDirective):
    """```{derive-source} ../exercises.yaml```: the page depends on that file."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(self.env.relfn2path(self.arguments[0])[1])
        return []


ALIASES = {"derivation": DerivationDirective, "solution": SolutionDirective}


def register_aliases(app: Sphinx) -> None:
    """builder-inited (every extension's setup has run): the short names, where free.
    Quietly left out when another extension (sphinx-exercise, Jupyter Book) owns one."""
    for name, directive in ALIASES.items():
        if not is_directive_registered(name):
            app.add_directive(name, directive)
