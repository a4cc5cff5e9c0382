"""Fuzzing exercise files (issue 8): hypothesis writes files with random keys, values, YAML
forms and prose made of Markdown, HTML and directive fragments.

- `derive check`: exit 0, or exit 2 with every problem a FILE:LINE:COLUMN: line; never a
  traceback, never another status.
- `derive build` of a few files whose prose the checker accepts (raw HTML, Markdown, math,
  links: every accepted fragment): exit 0 with a whole site that has no script tag the
  clean site lacks, no event handler attribute, no javascript: URL and nothing from
  outside the exercise file (a secret beside it, /etc/passwd). (tests/test_prose_safety.py
  builds the refused constructs too, with the checker switched off.)
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import sphinx_warnings_tolerated
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_prose_safety import Tags

from derive.cli import main
from derive.spec.prose import problems

SECRET = "FUZZ-SECRET-41d2"

PROSE = [
    "Plain words.", "*em*", "**strong**", "`code`", "$x^2$", "$$\\frac{1}{2}$$", "é ü σ",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b onclick=alert(1)>b</b>",
    '<iframe src="javascript:alert(1)"></iframe>', "<a href='javascript:alert(1)'>a</a>",
    "[a](https://example.org)", "[b](javascript:alert(1))", "[c](../../../etc/passwd)",
    "[d](other-page#x)", "![i](/etc/passwd)", "![j](SECRET)", "{download}`x <SECRET>`",
    "{raw}`<script>alert(1)</script>`", "{math}`x`", "```{literalinclude} SECRET\n```",
    "```{include} /etc/passwd\n```", ":::{raw} html\n<script>alert(1)</script>\n:::",
    "```{eval-rst}\n.. include:: SECRET\n```", "```{image} SECRET\n```",
    "```python\nprint(1)\n```", "````\n```\n````", "- item\n- item", "1. one\n2. two",
    "> quote", "# heading", "{{ sub }}", "$\\input{SECRET}$", "$^^5cinput{SECRET}$",
    "$\\href{javascript:alert(1)}{x}$", "&lt;script&gt;", "\\", "| a | b |\n|---|---|",
    "(target)=", "% comment", "+++", "----", "<!-- c -->", "[^1]\n\n[^1]: note",
    "<http://example.org>", "<javascript:alert(1)>", "{note}", "`{raw}`", "x\ty",
]  # fmt: skip
VALUES = [
    "0x10", "1:30", "0b11", "017", "!!int abc", "!!bool maybe", "!!float x", "yes", "no",
    "~", "[]", "{}", "[1, [2, [3]]]", "!!binary aGk=", "2001-12-14", "'text'", '"\\e[2J"',
    "1e400", "-.inf", ".nan", "pi/2", "1/3", "0", "-1", "100", "open", "collapsed",
    "!!python/object:os.system x", "!foo x", "{a: 1}", "[open]", "'f(x) = x'", "x +",
]  # fmt: skip
FUNCTIONS = ["f(x) = x^2", "f(x, y) = x*y + sin(x)", "f(w, x) = sigmoid(dot(w, x))",
             "f(x) = log(x)", "f(x, y) = x / y", "x +", "f(x) = __import__('os')",
             "f(E, L, J, loss) = E*L + J*loss", "f(x, y) = dot([x, y], [y, x])"]  # fmt: skip
POINTS = ["{x: 1}", "{x: 1, y: 2}", "{w: [1, 2], x: [3, 4]}", "{x: 0}", "{x: 0x10, y: 1}",
          "{E: 1, L: 2, J: 3, loss: 4}", "{x: [1, 2]}", "{}"]  # fmt: skip
KEYS = ["where", "descent", "limits", "questions", "variants", "solution", "digits",
        "instructions", "trusted"]  # fmt: skip


ACCEPTED = [p for p in PROSE if not problems(p) and not problems(p, inline=True)]
"""The fragments the checker accepts (raw HTML among them): a site is built from these."""


@st.composite
def prose(draw: st.DrawFn, pool: list[str] = PROSE) -> str:
    parts = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5))
    separators = draw(st.lists(st.sampled_from([" ", "\n", "\n\n"]), min_size=len(parts),
                               max_size=len(parts)))  # fmt: skip
    return "".join(p + s for p, s in zip(parts, separators, strict=True)).strip()


def scalar(text: str, indent: int, style: str) -> str:
    """`text` as a YAML value: a literal block, or a double-quoted one-line string."""
    if style == "block":
        return "|\n" + "\n".join(" " * indent + line for line in text.split("\n"))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace(
        "\t", "\\t") + '"'  # fmt: skip


@st.composite
def exercise_file(draw: st.DrawFn, secret: str = "SECRET", valid: bool = False) -> str:
    """A file of random keys, values and prose; `valid` keeps to what the checker accepts
    (only the prose varies, with every accepted fragment, raw HTML included)."""
    style = draw(st.sampled_from(["block", "quoted"]))

    def text() -> str:
        return draw(prose(ACCEPTED if valid else PROSE)).replace("SECRET", secret)

    if valid:
        return (f"title: {scalar(text(), 2, 'quoted')}\n"
                f"description: {scalar(text(), 2, style)}\nexercises:\n  - id: a0\n"
                f"    title: {scalar(text(), 6, 'quoted')}\n"
                "    function: f(x, y) = x*y + sin(x)\n    at: {x: 1, y: 2}\n"
                "    descent: {steps: 2}\n"
                f"    statement: {scalar(text(), 6, style)}\n"
                f"    notes: {scalar(text(), 6, style)}\n"
                f"    instructions: [{scalar(text(), 0, 'quoted')}]\n"
                f"    questions: [{scalar(text() + ' limit', 0, 'quoted')}]\n"
                "    variants: {plain: 'f(x, y) = x*y'}\n")  # fmt: skip

    lines = [f"title: {scalar(text(), 2, 'quoted')}",
             f"description: {scalar(text(), 2, style)}"]  # fmt: skip
    if draw(st.booleans()):
        lines.append(f"defaults: {{steps: {draw(st.sampled_from(VALUES))}}}")
    if draw(st.booleans()):
        key = draw(st.from_regex(r"[a-z_]{1,8}", fullmatch=True))
        lines.append(f"{key}: {draw(st.sampled_from(VALUES))}")
    lines.append("exercises:")
    for number in range(draw(st.integers(1, 2))):
        identifier = draw(st.sampled_from(["a", "b-1", "index", "A", "a"])) + f"{number}"
        lines += [f"  - id: {identifier}", f"    title: {scalar(text(), 6, 'quoted')}",
                  f"    function: {draw(st.sampled_from(FUNCTIONS))}",
                  f"    at: {draw(st.sampled_from(POINTS))}",
                  f"    statement: {scalar(text(), 6, style)}",
                  f"    notes: {scalar(text(), 6, style)}",
                  f"    questions: [{scalar(text() + ' limit', 0, 'quoted')}]"]  # fmt: skip
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True)):
            value = draw(st.sampled_from(VALUES))
            if key == "instructions":
                value = f"[{scalar(text(), 0, 'quoted')}]"
            elif key == "descent" and draw(st.booleans()):
                value = f"{{steps: {draw(st.sampled_from(VALUES))}, ascent: no}}"
            elif key == "variants" and draw(st.booleans()):
                value = f"{{{scalar(text(), 0, 'quoted')}: f(x) = x}}"
            lines.append(f"    {key}: {value}")
    return "\n".join(lines) + "\n"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_problem_lines(path: Path, stderr: str) -> None:
    for line in stderr.splitlines():
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: \S", line) or re.fullmatch(
            rf"derive: \d+ problems? in {re.escape(str(path))}", line), line  # fmt: skip


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])  # fmt: skip
@given(text=exercise_file())
def test_check_exits_0_or_2_with_positions_never_a_traceback(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    code, stdout, stderr = run("check", str(path))
    assert code in (0, 2), (code, text, stderr)
    assert "Traceback" not in stdout + stderr
    if code == 2:
        assert stderr.strip(), text
    assert_problem_lines(path, stderr)
    assert "\x1b" not in stdout + stderr


@pytest.fixture(scope="module")
def clean_scripts(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    folder = tmp_path_factory.mktemp("clean")
    path = folder / "clean.yaml"
    path.write_text("exercises:\n  - id: a0\n    title: A\n    function: f(x) = x^2\n"
                    "    at: {x: 1}\n")  # fmt: skip
    with sphinx_warnings_tolerated(), contextlib.chdir(folder):  # no docs/ here: the minimal site
        code, _, stderr = run("build", str(path), "--out", str(folder / "html"))
    assert code == 0, stderr
    return {tag for page in (folder / "html").rglob("*.html")
            for tag in Tags(page.read_text()).scripts}  # fmt: skip


@settings(max_examples=4, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])  # fmt: skip
@given(data=st.data())
def test_a_built_site_of_a_fuzzed_file_is_safe(data: st.DataObject, tmp_path_factory: Any,
                                               clean_scripts: set[str]) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("fuzz")
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    text = data.draw(exercise_file(str(secret), valid=True))
    path = folder / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    out = folder / "html"
    with sphinx_warnings_tolerated(), contextlib.chdir(folder):
        code, _, stderr = run("build", str(path), "--out", str(out))
    assert code == 0, (code, stderr, text)  # accepted prose builds
    for page in out.rglob("*"):
        if not page.is_file():
            continue
        content = page.read_bytes().decode("utf-8", "replace")
        assert SECRET not in content and "root:x:0:0" not in content, page
        if page.suffix == ".html":
            tags = Tags(content)
            assert set(tags.scripts) <= clean_scripts, (page, tags.scripts)
            assert tags.handlers == [] and tags.javascript == [], (page, tags.handlers)
