"""A minimal derive site, used by `derive build` where there is no docs/conf.py."""

project = "derive"
extensions = ["derive.sphinx"]
html_theme = "furo"
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
exclude_patterns = ["_build"]
