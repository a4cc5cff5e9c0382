"""Sphinx configuration of the derive site: the exercises of ../exercises.yaml, worked."""

project = "derive"
author = "the derive team"
copyright = "2026, the derive team"  # noqa: A001 - Sphinx's name for it

extensions = ["derive.sphinx"]
derive_exercises = "../exercises.yaml"

html_theme = "furo"
html_title = "derive: backpropagation, worked"
html_last_updated_fmt = None  # no dates: two builds of the same input are identical
html_copy_source = False
html_show_sourcelink = False
myst_heading_anchors = 3
exclude_patterns = ["_build"]
suppress_warnings = ["myst.header"]
