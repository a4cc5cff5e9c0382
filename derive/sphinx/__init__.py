"""The Sphinx extension: `extensions = ["derive.sphinx"]`.

- At build time it solves the exercise file named by `derive_exercises` (relative to
  conf.py) and writes one MyST page per exercise under `exercises/`, plus an index; only
  pages whose exercise changed are re-derived and rewritten, so a rebuild after one edit
  rereads one page.
- `derive-derivation` embeds a worked derivation in any page; `derive-solution` folds
  content away (also as `derivation` and `solution` when no other extension has those).
- MathJax is served from the built site (`_static/mathjax`), never from a CDN. It is
  copied before any page is written, so every page links it the same way (with the same
  `?v=` checksum) in a fresh and in an incremental build.

Problems in the exercise file become Sphinx warnings at its file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from derive import __version__
from derive.sphinx.directives import (
    DerivationDirective,
    FoldSections,
    SolutionDirective,
    SourceDirective,
    depart_fold_other,
    depart_solution_html,
    register_aliases,
    solution,
    solution_fold,
    solution_marker,
    visit_fold_html,
    visit_fold_other,
    visit_solution_html,
)
from derive.sphinx.jinja import keep_templates
from derive.sphinx.mathjax import MATHJAX_PATH, copy_mathjax
from derive.sphinx.pages import (
    check_dot,
    generate_pages,
    keep_index,
    note_images,
    remove_outputs,
    rewrite_all,
    short_sidebar,
)
from derive.sphinx.publish import pause

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("myst_parser")
    app.setup_extension("sphinx.ext.graphviz")
    app.add_config_value("derive_exercises", "exercises.yaml", "env", types=[str])
    app.add_config_value("derive_solutions", True, "env", types=[bool])
    app.add_config_value("derive_folder", "exercises", "env", types=[str])
    app.add_config_value("derive_trust_exercises", False, "env", types=[bool])
    app.add_config_value("derive_jobs", 1, "", types=[int])  # worker processes; 0: per CPU
    app.add_event("derive-solved")  # (done, total) as exercises are derived: progress bars
    app.add_directive("derive-derivation", DerivationDirective)
    app.add_directive("derive-solution", SolutionDirective)
    app.add_directive("derive-source", SourceDirective)
    app.connect("builder-inited", register_aliases)  # `derivation`, `solution`, where free
    app.add_node(solution, html=(visit_solution_html, depart_solution_html),
                 latex=(_skip, _skip), text=(_skip, _skip), man=(_skip, _skip),
                 texinfo=(_skip, _skip))  # fmt: skip
    others = (visit_fold_other, depart_fold_other)
    app.add_node(solution_fold, html=(visit_fold_html, depart_solution_html), latex=others,
                 text=others, man=others, texinfo=others)  # fmt: skip
    app.add_node(solution_marker, html=(_skip, _skip), latex=(_skip, _skip),
                 text=(_skip, _skip), man=(_skip, _skip), texinfo=(_skip, _skip))  # fmt: skip
    app.add_transform(FoldSections)
    app.connect("config-inited", _configure)
    app.connect("builder-inited", check_dot)
    app.connect("builder-inited", keep_templates)
    app.connect("builder-inited", generate_pages)
    app.connect("builder-inited", copy_mathjax)
    app.connect("env-get-updated", rewrite_all)
    app.connect("write-started", keep_index)
    app.connect("env-updated", _read)
    app.connect("html-page-context", short_sidebar, priority=400)  # before furo's (500)
    app.connect("html-page-context", _writing)
    app.connect("html-collect-pages", _forget_words)
    app.connect("build-finished", remove_outputs)
    app.connect("build-finished", _written, priority=900)
    app.add_css_file("derive.css")
    app.add_css_file("derive-titles.css")  # titles break between words on every screen
    app.add_js_file("derive-solution.js")  # a link into a folded solution opens it
    app.add_css_file("derive-circuit.css")  # the circuits: inline SVG, fields, self-check
    app.add_js_file("derive-circuit.js", loading_method="defer")
    return {"version": __version__, "env_version": 1, "parallel_read_safe": True,
            "parallel_write_safe": True}  # fmt: skip


def _configure(app: Sphinx, config: Any) -> None:
    config.mathjax_path = MATHJAX_PATH
    config.graphviz_output_format = "svg"
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    if config.html_theme == "furo":  # its footer links to outside sites; ours does not
        config.templates_path = [*config.templates_path, str(TEMPLATES)]
    if not config.html_favicon:  # a page without one makes the browser request /favicon.ico
        config.html_favicon = str(STATIC / "derive-favicon.svg")
    extensions = set(config.myst_enable_extensions)
    config.myst_enable_extensions = sorted(extensions | {"dollarmath", "colon_fence"})
    _safe_mathjax(config)


def _safe_mathjax(config: Any) -> None:
    """MathJax typesets only math elements (class "math"), never text elsewhere in a page:
    a title in the navigation holding \\(\\href{javascript:...}{x}\\) stays text. Its
    'safe' extension also filters \\href, \\class and \\style in the math itself."""
    four = hasattr(config, "mathjax4_config") and not (
        config.mathjax3_config and not config.mathjax4_config)  # fmt: skip
    name = "mathjax4_config" if four else "mathjax3_config"
    settings = dict(getattr(config, name) or {})
    settings["options"] = {"ignoreHtmlClass": ".*", **settings.get("options", {})}
    loader = dict(settings.get("loader", {}))
    loader["load"] = [*loader.get("load", []), *(["ui/safe"] if "ui/safe" not in loader.get(
        "load", []) else [])]  # fmt: skip
    settings["loader"] = loader
    setattr(config, name, settings)


def _read(app: Sphinx, env: Any) -> None:
    pause("read")


def _writing(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
             doctree: Any) -> None:  # fmt: skip
    """Notes each document's circuit images as it is written (pages.remove_outputs)."""
    if pagename in app.env.found_docs:
        written = getattr(app, "derive_written", 0)
        app.derive_written = written + 1  # type: ignore[attr-defined]
        note_images(app, pagename, context)
        if not written:
            pause("writing")


def _forget_words(app: Sphinx) -> list[Any]:
    """html-collect-pages (before the search index is written): Sphinx keeps, in an
    incremental build, the words of removed or rewritten pages with no page left, which a
    fresh build does not have; drop them, so both write the same index."""
    indexer = getattr(app.builder, "indexer", None)
    if indexer is not None:
        indexer.prune(app.env.all_docs)
        for mapping in (indexer._mapping, indexer._title_mapping):
            for word in [w for w, pages in mapping.items() if not pages]:
                del mapping[word]
    return []


def _written(app: Sphinx, exception: BaseException | None) -> None:
    if exception is None:
        pause("written")


def _skip(translator: Any, node: Any) -> None:
    """Builders other than HTML show a solution's content without the fold."""
