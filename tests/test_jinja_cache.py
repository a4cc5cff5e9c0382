"""Compiled templates kept between builds in one process (derive.sphinx.jinja): a second
build compiles nothing, and an edited template is compiled again."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from build_helpers import TINY
from jinja2.sandbox import SandboxedEnvironment

from derive.sphinx import jinja
from derive.sphinx.build import build_site

pytestmark = pytest.mark.filterwarnings(r"ignore:'myst_parser\..*' is deprecated")


def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    real = jinja2.Environment.compile

    def compile(self: jinja2.Environment, source: str, name: str | None = None,
                *args: object, **kwargs: object) -> object:  # fmt: skip
        names.append(str(name))
        return real(self, source, name, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    return names


def test_an_edited_template_is_compiled_again(monkeypatch: pytest.MonkeyPatch) -> None:
    names = compiled(monkeypatch)
    cache = jinja._Kept()
    sources = {"page.html": "<p>{{ x }}</p>"}
    for expected, calls in (("<p>1</p>", 1), ("<p>1</p>", 1), ("<b>1</b>", 2)):
        if calls == 2:
            sources["page.html"] = "<b>{{ x }}</b>"
        environment = SandboxedEnvironment(loader=jinja2.DictLoader(dict(sources)),
                                           bytecode_cache=cache)  # fmt: skip
        assert environment.get_template("page.html").render(x=1) == expected
        assert len(names) == calls


def test_a_second_build_in_the_process_compiles_no_template(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    exercises = tmp_path / "exercises.yaml"
    exercises.write_text(TINY)
    build_site(exercises, tmp_path / "site")
    names = compiled(monkeypatch)
    exercises.write_text(TINY.replace("at: {w: 3}", "at: {w: 4}"))  # a page is written
    build_site(exercises, tmp_path / "site")
    assert [n for n in names if n != "None"] == []  # None: Jinja never caches from_string
    page = (tmp_path / "site" / "exercises" / "descent.html").read_text()
    assert "w = 4" in page or "w=4" in page.replace(" ", "")
