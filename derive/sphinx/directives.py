"""The directives: `derivation` (a worked derivation in any page), `solution` (content
folded behind a summary, as HTML <details>, no JavaScript) and `derive-source` (registers
the exercise file as a dependency of the page that holds it)."""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from derive.errors import DeriveError

logger = logging.getLogger(__name__)


class solution(nodes.General, nodes.Element):
    """Content shown on request: <details><summary>...</summary>...</details> in HTML."""


def visit_solution_html(translator: Any, node: solution) -> None:
    translator.body.append(translator.starttag(node, "details", CLASS="derive-solution"))
    translator.body.append(f"<summary>{translator.encode(node['summary'])}</summary>\n"
                           '<div class="derive-solution-body">\n')  # fmt: skip


def depart_solution_html(translator: Any, node: solution) -> None:
    translator.body.append("</div>\n</details>\n")


class SolutionDirective(SphinxDirective):
    """```{solution} Show the worked solution
    ...content...
    ```"""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        node = solution(summary=self.arguments[0] if self.arguments else "Show the solution")
        self.set_source_info(node)
        node += self.parse_content_to_nodes()
        return [node]


class DerivationDirective(SphinxDirective):
    """```{derivation} (x + y) * z
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
