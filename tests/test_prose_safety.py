"""Exercise prose is safe by default (issue 8, area 1).

Every attack of the issue, in every prose field of an exercise file: either `derive check`
refuses it with FILE:LINE:COLUMN: naming the construct, or a real site built from it shows
it as inert text. A second build skips the refusals (as if the checker missed something)
to show that the renderer alone keeps every attack inert. Each built site is searched,
file by file, for a secret planted beside the build, for /etc/passwd and the process
environment, for script tags the clean site does not have, event handler attributes and
javascript: URLs; an HTTP server listening for `:url:` fetches must see no request.
"""

from __future__ import annotations

import html.parser
import http.server
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, sphinx_warnings_tolerated

from derive.errors import SpecError
from derive.render import prose
from derive.spec import parse_spec
from derive.spec import prose as checker

pytestmark = pytest.mark.usefixtures("hang_guard")

SECRET = "SECRET-7f3a9c-do-not-publish"
PASSWD = "root:x:0:0"
FIELDS = ("description", "statement", "notes", "instruction", "question", "ask")
"""Every prose field: the file's description, an exercise's statement and notes, an item of
its instructions, a question as text and as {ask: ...}."""


def attacks(secret: Path, port: int) -> dict[str, tuple[str, str, str]]:
    """name -> (prose, the construct's text the error points at, the message's detail)."""
    up = "../" * 12
    return {
        "literalinclude": (f"```{{literalinclude}} {secret}\n```", "{literalinclude}",
                           "the directive {literalinclude} is not allowed"),
        "literalinclude-environ": (f"```{{literalinclude}} {up}proc/self/environ\n```",
                                   "{literalinclude}", "the directive {literalinclude}"),
        "include": ("```{include} /etc/passwd\n```", "{include}", "the directive {include}"),
        "include-zero": (":::{include} /dev/zero\n:::", "{include}", "the directive {include}"),
        "raw-url": (f"```{{raw}} html\n:url: http://127.0.0.1:{port}/x\n```", "{raw}",
                    "the directive {raw}"),
        "csv-table": (f"```{{csv-table}}\n:file: {secret}\n```", "{csv-table}",
                      "the directive {csv-table}"),
        "eval-rst-include": (f"```{{eval-rst}}\n.. include:: {secret}\n```", "{eval-rst}",
                             "the directive {eval-rst}"),
        "eval-rst-raw": (f"```{{eval-rst}}\n.. raw:: html\n   :url: http://127.0.0.1:{port}/\n```",
                         "{eval-rst}", "the directive {eval-rst}"),
        "graphviz": (f"```{{graphviz}} {secret}\n```", "{graphviz}", "the directive {graphviz}"),
        "image": (f"```{{image}} {secret}\n```", "{image}", "the directive {image}"),
        "figure": (f"```{{figure}} {up}etc/passwd\n```", "{figure}", "the directive {figure}"),
        "download": (f"See {{download}}`notes <{secret}>`.", "{download}",
                     "the role {download} is not allowed"),
        "raw-role": ("A {raw}`<script>alert(1)</script>` here.", "{raw}", "the role {raw}"),
        "markdown-image": (f"![alt]({secret})", "![", "an image is not allowed"),
        "javascript-link": ("[click](javascript:alert(1))", "javascript:alert(1)",
                            "a link to 'javascript:alert(1)' is not allowed"),
        "javascript-autolink": ("<javascript:alert(1)>", "javascript:alert(1)",
                                "a link to 'javascript:alert(1)' is not allowed"),
        "relative-escape": (f"[x]({up}etc/passwd)", up + "etc/passwd", "is not allowed"),
        "substitution": ("{{ secret }}", "{{", "a substitution {{...}} is not allowed"),
        "latex-input": (f"$\\input{{{secret}}}$", "\\input", "the command \\input"),
        "latex-write18": ("$\\immediate\\write18{id}$", "\\immediate", "the command \\immediate"),
        "latex-catcode": ("$^^5cinput{/etc/passwd}$", "^^", "'^^' (a character code)"),
        "mathjax-href": ("$\\href{javascript:alert(1)}{x}$", "\\href", "the command \\href"),
    }


INERT = {
    "script": "<script>alert('x')</script>",
    "iframe": "<iframe src=\"javascript:alert(1)\"></iframe>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "raw-text": "{raw} html <b onclick=alert(1)>x</b>",
    "entity": "&lt;script&gt;alert(1)&lt;/script&gt;",
}
"""Prose that is accepted and must come out as text: raw HTML is shown, never passed."""


def exercise_file(field: str, text: str) -> str:
    """A valid file with `text` in `field` (a block scalar, so newlines are kept)."""
    body = "\n".join("      " + line for line in text.split("\n"))
    head = "title: Course\n"
    exercise = ("  - id: a\n    title: A\n    function: f(x, y) = x*y\n"
                "    at: {x: 2, y: 3}\n")  # fmt: skip
    if field == "description":
        head += f"description: |\n{body[2:] if False else _indent(text, 2)}\n"
    elif field in ("statement", "notes"):
        exercise += f"    {field}: |\n{body}\n"
    elif field == "instruction":
        exercise += f"    instructions:\n      - |\n{_indent(text, 8)}\n"
    elif field == "question":
        exercise += f"    questions:\n      - |\n{_indent(text + ' (limit)', 8)}\n"
    else:
        exercise += f"    questions:\n      - about: [limits]\n        ask: |\n{_indent(text, 10)}\n"
    return head + "exercises:\n" + exercise


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.split("\n"))


def position(yaml_text: str, snippet: str, after: str) -> tuple[int, int]:
    """Line and column (1-based) of `snippet`'s first occurrence after the line holding
    `after`."""
    lines = yaml_text.split("\n")
    start = next(i for i, line in enumerate(lines) if after in line)
    for number in range(start, len(lines)):
        if snippet in lines[number]:
            return number + 1, lines[number].index(snippet) + 1
    raise AssertionError(f"{snippet!r} not in the file")


FIELD_KEY = {"description": "description:", "statement": "statement:", "notes": "notes:",
             "instruction": "instructions:", "question": "questions:", "ask": "ask:"}  # fmt: skip
INLINE_FIELDS = ("instruction", "question", "ask")
"""One-paragraph prose: a ``` fence there is inline code (inert), not a directive."""


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("name", sorted(attacks(Path("/s"), 1)))
def test_every_attack_in_every_field_is_refused_at_its_position(name: str, field: str) -> None:
    text, snippet, detail = attacks(Path("/tmp/secret.txt"), 8)[name]
    yaml_text = exercise_file(field, text)
    if field in INLINE_FIELDS and text.startswith(("```", ":::")):
        # One-paragraph prose has no fences: this is inline code or text, accepted, inert
        parse_spec(yaml_text, "ex.yaml")
        shown = prose.inline(text)
        assert shown.startswith(("`", "\\:")), shown
        assert re.search(r"(?<![\\`]){[a-z-]+}`", shown) is None, shown
        return
    with pytest.raises(SpecError) as info:
        parse_spec(yaml_text, "ex.yaml")
    errors = getattr(info.value, "errors", (info.value,))
    assert len(errors) == 1, str(info.value)
    line, column = position(yaml_text, snippet, FIELD_KEY[field])
    what = {"description": "description", "statement": "statement", "notes": "notes",
            "instruction": "an instruction"}.get(field, "a question")  # fmt: skip
    assert str(errors[0]).startswith(f"ex.yaml:{line}:{column}: {what}: "), str(errors[0])
    assert detail in str(errors[0])
    assert "\n" not in str(errors[0])


def test_positions_inside_quoted_and_folded_prose() -> None:
    quoted = ('exercises:\n  - id: a\n    title: A\n    function: f(x) = x\n    at: {x: 1}\n'
              '    notes: "a \\"quote\\" then {download}`x </etc/passwd>`"\n')  # fmt: skip
    error = _single(quoted)
    assert (error.line, error.column) == (6, quoted.split("\n")[5].index("{download}") + 1)
    folded = ('exercises:\n  - id: a\n    title: A\n    function: f(x) = x\n    at: {x: 1}\n'
              '    statement: >\n      first line\n      then {raw}`<b>` here\n')  # fmt: skip
    error = _single(folded)
    assert (error.line, error.column) == (8, 12)


def test_mathjax_commands_are_refused_outside_math_too() -> None:
    """A learning system's MathJax (the Moodle and PrairieLearn exports) may typeset \\( \\)
    in plain text, where \\href would make a javascript: link: refused in text as in math."""
    line = "    statement: 'Text \\\\(\\href{javascript:alert(1)}{click}\\\\) here'"
    text = ("exercises:\n  - id: a\n    title: A\n    function: f(x) = x\n    at: {x: 1}\n"
            + line + "\n")  # fmt: skip
    error = _single(text)
    assert (error.line, error.column) == (6, line.index("\\href") + 1)
    assert "\\href is not allowed in exercise prose, even outside math" in str(error)
    assert checker.problems("Plain text with a {brace} and a \\frac{1}{2} is fine") == []


@pytest.mark.parametrize(("text", "command"), [
    ("\\(\\write18 rm x\\)", "write"), ("see \\def\\x here", "def"), ("\\input notes", "input")])
def test_a_command_outside_math_is_refused_without_any_brace(text: str, command: str) -> None:
    """TeX reads \\write18, \\def and \\input without braces: prose with no brace, bracket,
    < or dollar was once passed without being read at all."""
    assert checker.problems(text) == [(text.index("\\" + command), f"the command \\{command} "
                                       "is not allowed in exercise prose, even outside math")]


def test_a_title_refuses_the_commands_refused_outside_math() -> None:
    """A title is shown as text on the site, but it is also a question's name and category
    in the Moodle export, where a MathJax filter may typeset \\( \\)."""
    line = "    title: 'Click \\(\\href{javascript:alert(1)}{here}\\)'"
    text = "exercises:\n  - id: a\n" + line + "\n    function: f(x) = x\n    at: {x: 1}\n"
    error = _single(text)
    assert (error.line, error.column) == (3, line.index("\\href") + 1)
    assert "title: the command \\href is not allowed in exercise prose" in str(error)
    plain = "exercises:\n  - id: a\n    title: 'C:\\temp and $x$ {1} [2]'\n" \
            "    function: f(x) = x\n    at: {x: 1}\n"
    assert parse_spec(plain, "ex.yaml").exercises[0].title == "C:\\temp and $x$ {1} [2]"


def _single(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_spec(text, "ex.yaml")
    errors = getattr(info.value, "errors", (info.value,))
    assert len(errors) == 1
    return errors[0]


def test_derive_check_names_each_refused_construct(tmp_path: Path) -> None:
    text = attacks(tmp_path / "secret", 8)["literalinclude"][0]
    path = tmp_path / "ex.yaml"
    path.write_text(exercise_file("statement", text) .replace(
        "title: A", "title: A\n    notes: 'see {download}`x </etc/passwd>`'"))  # fmt: skip
    run = subprocess.run(check=False, args=[sys.executable, "-m", "derive.cli", "check", str(path)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"{path}:5:17: notes: the role {{download}} is not allowed in exercise prose",
        f"{path}:9:10: statement: the directive {{literalinclude}} is not allowed in "
        "exercise prose",
    ]
    assert run.stdout.splitlines()[-1].startswith(
        f"0 exercises checked in {path}: 0 agree, 0 disagree, 0 failed to derive; 2 problems")
    assert "Traceback" not in run.stdout + run.stderr


# -- real builds -----------------------------------------------------------------------


@pytest.fixture()
def listener() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request (none may come)."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<script>alert('fetched')</script>" + SECRET.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], requests
    server.shutdown()
    server.server_close()


def hostile_file(secret: Path, port: int, refused: bool) -> str:
    """Every inert attack in every field, a title with a newline that would inject a
    directive, and (with `refused`) every refused attack too."""
    texts = list(INERT.values())
    if refused:
        texts += [t for t, _, _ in attacks(secret, port).values()]
    block = "\n\n".join(texts)
    one_line = " ".join(t.replace("\n", " ") for t in texts)
    yaml_block = _indent(block, 6)
    return (
        'title: "Course <script>alert(1)</script>\\n```{raw} html\\n<script>x</script>\\n```"\n'
        f"description: |\n{_indent(block, 2)}\n"
        "exercises:\n"
        '  - id: a\n    title: "A\\n```{raw} html\\n<script>alert(2)</script>\\n```"\n'
        "    function: f(x, y) = x*y\n    at: {x: 2, y: 3}\n"
        "    descent: {steps: 2}\n"
        f"    statement: |\n{yaml_block}\n    notes: |\n{yaml_block}\n"
        f"    instructions:\n      - {_flow(one_line)}\n"
        f"    questions:\n      - {_flow(one_line + ' (limit)')}\n"
        f"      - about: [limits]\n        ask: {_flow(one_line)}\n"
    )


def _flow(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def clean_file() -> str:
    return ("title: Course\nexercises:\n  - id: a\n    title: A\n"
            "    function: f(x, y) = x*y\n    at: {x: 2, y: 3}\n    descent: {steps: 2}\n"
            "    statement: Plain.\n    notes: Plain.\n    instructions: [Plain.]\n"
            "    questions: [Plain limit?, {about: [limits], ask: Plain?}]\n")  # fmt: skip


def build(tmp_path: Path, text: str, name: str) -> Path:
    from derive.sphinx.build import build_site

    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / name / "html"
    with sphinx_warnings_tolerated():
        build_site(path, out)
    return out


def outputs(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_bytes().decode("utf-8", "replace")
            for p in sorted(out.rglob("*")) if p.is_file()}  # fmt: skip


class Tags(html.parser.HTMLParser):
    """What a browser would run in a page: script tags, event handler attributes (on...)
    and javascript: URLs, read as a browser reads HTML (text in attribute values and
    escaped text in the page are not tags)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self.javascript: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(self.get_starttag_text() or "")
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}={value}")
            if value and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith("javascript:"):
                self.javascript.append(f"{tag} {name}={value}")


def assert_no_active_content(name: str, page: str, scripts: list[str]) -> None:
    """No script tag beyond `scripts` (the clean site's), no handler, no javascript: URL."""
    tags = Tags(page)
    assert sorted(tags.scripts) == sorted(scripts), (name, tags.scripts)
    assert tags.handlers == [], (name, tags.handlers)
    assert tags.javascript == [], (name, tags.javascript)


def assert_safe(out: Path, clean: Path, secret: Path, requests: list[str]) -> None:
    files, reference = outputs(out), outputs(clean)
    for name, content in files.items():
        assert SECRET not in content, name
        assert PASSWD not in content, name
        if name.endswith(".html"):
            assert_no_active_content(name, content, Tags(reference.get(name, "")).scripts)
            assert "<script>alert" not in content
    assert {n.split("/")[0] for n in files} == {n.split("/")[0] for n in reference}
    assert not [n for n in files if n.startswith("_downloads/") and not n.endswith(
        (".ipynb", ".tex"))]  # fmt: skip
    assert not [n for n in files if n.startswith("_images/") and "graphviz" not in n
                and not n.endswith("-descent.svg")]  # fmt: skip
    assert requests == []


def test_inert_attacks_build_a_safe_site(tmp_path: Path, listener: tuple[int, list[str]],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    port, requests = listener
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    monkeypatch.setenv("DERIVE_TEST_SECRET", SECRET)  # in /proc/self/environ
    clean = build(tmp_path, clean_file(), "clean")
    out = build(tmp_path, hostile_file(secret, port, refused=False), "hostile")
    assert_safe(out, clean, secret, requests)
    page = (out / "exercises" / "a.html").read_text()
    assert "&lt;script&gt;alert(‘x’)&lt;/script&gt;" in page  # as text (smart quotes)
    assert "&lt;iframe src=" in page
    heading = re.search(r"<h1>(.*?)<a", page, re.DOTALL)
    assert heading is not None
    assert heading.group(1) == "A ```{raw} html &lt;script&gt;alert(2)&lt;/script&gt; ```"
    tex = (out / "_downloads").rglob("a.tex").__next__().read_text()
    assert "<script>" not in tex and "\\textless{}script\\textgreater{}" in tex


def test_the_renderer_alone_keeps_refused_attacks_inert(
        tmp_path: Path, listener: tuple[int, list[str]],
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """As if the checker had missed every construct: the pages are still safe."""
    port, requests = listener
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    monkeypatch.setenv("DERIVE_TEST_SECRET", SECRET)
    monkeypatch.setattr(checker, "problems", lambda text, inline=False: [])
    monkeypatch.setattr(checker, "text_problem", lambda text: None)  # a title's check
    clean = build(tmp_path, clean_file(), "clean")
    out = build(tmp_path, hostile_file(secret, port, refused=True), "hostile")
    assert_safe(out, clean, secret, requests)
    tex = next((out / "_downloads").rglob("a.tex")).read_text()
    body = tex.split("\\begin{document}", 1)[1]  # derive's own preamble loads graphicx
    for command in ("\\input", "\\include", "\\write", "\\immediate", "\\openout", "^^",
                    "\\catcode", "\\href"):  # fmt: skip
        assert re.search(re.escape(command) + "(?![a-z])", body) is None, command
    notebook = next((out / "_downloads").rglob("a.ipynb")).read_text()
    assert "```{literalinclude}" not in notebook and "{download}`" not in notebook


def test_latex_of_hostile_prose_compiles_without_reading_files(tmp_path: Path) -> None:
    """pdflatex (no shell escape) on every attack: the secret's path may be printed, its
    content never is."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    text = "\n\n".join(t for t, _, _ in attacks(secret, 8).values()) + "\n\n" + "\n\n".join(
        INERT.values())  # fmt: skip
    body = prose.prose_to_latex(text)
    document = ("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\begin{document}\n"
                f"{body}\n\\end{{document}}\n")  # fmt: skip
    (tmp_path / "doc.tex").write_text(document)
    run = subprocess.run(check=False, args=["pdflatex", "-no-shell-escape", "-interaction=nonstopmode",
                          "-halt-on-error", "doc.tex"], cwd=tmp_path, capture_output=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout.decode()[-2000:]
    text_out = subprocess.run(check=False, args=["pdftotext", "doc.pdf", "-"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60).stdout  # fmt: skip
    assert SECRET not in text_out and PASSWD not in text_out
    assert "<img src=x onerror=alert(1)>" in text_out  # shown, as text
    assert f":file: {secret}" in text_out


# -- trusted files ---------------------------------------------------------------------

TRUSTED = ("trusted: true\nexercises:\n  - id: a\n    title: A\n    function: f(x) = x*x\n"
           "    at: {x: 3}\n    statement: |\n      :::{note}\n      Full MyST here.\n"
           "      :::\n")  # fmt: skip


def test_a_trusted_file_is_checked_without_the_subset(tmp_path: Path) -> None:
    spec = parse_spec(TRUSTED, "t.yaml")
    assert spec.trusted is not None and spec.trusted.line == 1
    assert spec.exercises[0].trusted
    assert prose.block(spec.exercises[0].statement, trusted=True).startswith(":::{note}")


def test_a_trusted_file_needs_the_conf_setting_too(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TRUSTED)
    run = subprocess.run(check=False, args=[sys.executable, "-m", "derive.cli", "build", str(path), "--out",
                          str(tmp_path / "html")], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)  # fmt: skip
    assert run.returncode == 2
    assert f"{path}:1: WARNING: the file is marked 'trusted: true'" in run.stderr
    assert "derive_trust_exercises = True" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "html").exists()


def test_a_trusted_build_says_so_and_keeps_full_myst(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    conf = (ROOT / "derive" / "sphinx" / "template" / "conf.py").read_text()
    (docs / "conf.py").write_text(conf + "derive_trust_exercises = True\n")
    (docs / "index.md").write_text("# Home\n\n```{toctree}\nexercises/index\n```\n")
    path = tmp_path / "t.yaml"
    path.write_text(TRUSTED)
    run = subprocess.run(check=False, args=[sys.executable, "-m", "derive.cli", "build", str(path), "--docs",
                          str(docs), "--out", str(tmp_path / "html")], capture_output=True,
                         text=True, cwd=tmp_path, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (f"derive: trusted exercise prose is ON for {path} (trusted: true and "
            "derive_trust_exercises = True)") in run.stderr
    page = (tmp_path / "html" / "exercises" / "a.html").read_text()
    assert 'class="admonition note"' in page and "Full MyST here." in page


def test_the_default_conf_trusts_nothing() -> None:
    from derive.sphinx import setup

    values: dict[str, object] = {}

    class App:
        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: values.setdefault(args[0], args[1]) if (
                name == "add_config_value") else None  # fmt: skip

    setup(App())  # type: ignore[arg-type]
    assert values["derive_trust_exercises"] is False


# -- the renderer, unit by unit ---------------------------------------------------------


@pytest.mark.parametrize(("text", "myst"), [
    ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
    ("{raw}`<b>x</b>`", "`<b>x</b>`"),
    ("a | b", "a &#124; b"),
    ("1\\. not a list", "1\\. not a list"),
    ("1. a list", "1. a list"),
    ("(target)=", "\\(target)="),
    ("% not a comment", "\\% not a comment"),
    ("*em* and **strong** and `code` and $x^2$", "*em* and **strong** and `code` and $x^2$"),
    ("[site](https://example.org)", "[site](https://example.org)"),
    ("[bad](javascript:alert(1))", "bad"),
    ("$\\input{/etc/passwd}$", "`\\input{/etc/passwd}`"),
    ("````\n````x\n````", "    ````x"),
])  # fmt: skip
def test_block_prose_is_reemitted_as_inert_myst(text: str, myst: str) -> None:
    assert prose.block(text) == myst


def test_a_title_is_one_line_of_plain_text() -> None:
    assert prose.plain("A\n```{raw} html\n<script>") == "A \\`\\`\\`\\{raw\\} html \\<script\\>"
    assert prose.plain("- x") == "\\- x"


def test_the_page_check_finds_active_content() -> None:
    """The check the builds rely on is not vacuous: it finds what a browser would run, and
    only that."""
    tags = Tags('<p title="&lt;img onerror=x&gt;">&lt;script&gt;</p><script src="a.js"></script>'
                '<img src=x onerror=alert(1)><a href=" java\tscript:alert(1)">a</a>')
    assert tags.scripts == ['<script src="a.js">']
    assert tags.handlers == ["img onerror=alert(1)"]
    assert tags.javascript == ["a href= java\tscript:alert(1)"]


# -- in the browser: MathJax must not turn text into links -------------------------------

MATHJAX_TEXT = (
    "title: 'Course \\(\\href{javascript:alert(1)}{click}\\)'\n"
    "exercises:\n  - id: a\n    title: 'A \\(\\href{javascript:alert(3)}{x}\\) $$\\style{x}{y}$$'\n"
    "    function: f(x) = x^2\n    at: {x: 1}\n"
    "    statement: 'S \\(\\href{javascript:alert(4)}{y}\\) and $x^2$.'\n"
)
"""Titles are plain text, but MathJax reads \\(...\\) and $$...$$ in any text of a page it
is told to scan: the navigation lists the titles on every page."""


BROWSER = """
import json, sys
from pathlib import Path
from playwright.sync_api import sync_playwright
args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
found = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
    page = browser.new_page()
    for name in sys.argv[2:]:
        page.goto((Path(sys.argv[1]) / name).as_uri())
        page.wait_for_function("() => window.MathJax && MathJax.startup && "
                               "MathJax.startup.promise", timeout=20000)
        page.evaluate("() => MathJax.startup.promise")
        found[name] = {
            "links": page.eval_on_selector_all("[href]", "els => els.map(e => e.getAttribute('href'))"),
            "typeset": page.eval_on_selector_all("mjx-container", "els => els.map(e => e.closest('.math') !== null)"),
            "text": page.inner_text("body"),
        }
    browser.close()
print(json.dumps(found))
"""
"""Run in its own process: the browser tests keep a Playwright loop open in this one."""


def test_mathjax_typesets_only_math_and_makes_no_javascript_link(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The checker refuses \\href in the statement and the title; switched off here, so
    that the page's MathJax setting alone is tested (the title is shown as text)."""
    pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").is_file():
        pytest.skip("/usr/bin/chromium is missing")
    monkeypatch.setattr(checker, "problems", lambda text, inline=False: [])
    monkeypatch.setattr(checker, "text_problem", lambda text: None)
    out = build(tmp_path, MATHJAX_TEXT, "mathjax")
    names = ["exercises/index.html", "exercises/a.html"]
    run = subprocess.run([sys.executable, "-c", BROWSER, str(out), *names], check=False,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    for name in names:
        links = found[name]["links"]
        assert not [h for h in links if h.strip().lower().startswith("javascript:")], name
        typeset = found[name]["typeset"]
        assert typeset and all(typeset), (name, typeset)  # math, and only math
        assert "\\href{javascript:alert(3)}{x}" in found[name]["text"]  # the title, as text
