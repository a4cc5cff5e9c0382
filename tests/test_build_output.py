"""`derive build --out` where the site cannot go: one line on stderr naming the folder and
what is wrong, exit status 2, nothing written, and the published site byte-identical.

The checks run before any build (in-process, through derive.cli.main); a full disk and a
planted link are real builds in a new process."""

from __future__ import annotations

import errno
import gc
import os
import resource
import shutil
import signal
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from build_helpers import TINY, derive, digest, tree

from derive.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder with exercises.yaml and its site in site/html, built once."""
    root = tmp_path_factory.mktemp("built")
    (root / "exercises.yaml").write_text(TINY, encoding="utf-8")
    done = derive("build", "--out", "site/html", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the built project (time stamps kept), as the current folder."""
    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    monkeypatch.chdir(root)
    return root


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run `derive build ARGS`; it must exit 2 with one line on stderr, which is returned."""
    status = main(["build", *args])
    captured = capsys.readouterr()
    assert status == 2, captured
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def unchanged(project: Path, before: list[str], site: dict[str, str]) -> None:
    assert tree(project) == before, "nothing written"
    assert digest(project / "site" / "html") == site, "the published site is byte-identical"


def test_out_is_a_regular_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "notes.txt").write_text("mine\n")
    before, site = tree(project), digest(project / "site" / "html")
    assert refused(["--out", "notes.txt"], capsys) == (
        "derive: --out notes.txt: is a file, not a folder")
    unchanged(project, before, site)
    assert (project / "notes.txt").read_text() == "mine\n"


def test_out_under_a_regular_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "notes.txt").write_text("mine\n")
    before, site = tree(project), digest(project / "site" / "html")
    assert refused(["--out", "notes.txt/deeper/html"], capsys) == (
        "derive: --out notes.txt/deeper/html: notes.txt is a file, not a folder")
    unchanged(project, before, site)


def test_out_is_the_current_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, site = tree(project), digest(project / "site" / "html")
    for given in (".", "./", "..", str(project)):
        assert refused(["--out", given], capsys) == (
            f"derive: --out {Path(given)}: that is the current folder or holds it; give the site a "
            "folder of its own, such as docs/_build/html")  # fmt: skip
    unchanged(project, before, site)


def test_out_holds_the_exercise_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bank").mkdir()
    shutil.copyfile(project / "exercises.yaml", project / "bank" / "exercises.yaml")
    before, site = tree(project), digest(project / "site" / "html")
    assert refused(["bank/exercises.yaml", "--out", "bank"], capsys) == (
        "derive: --out bank: the exercise file bank/exercises.yaml is in it; give the site a "
        "folder of its own, such as docs/_build/html")  # fmt: skip
    unchanged(project, before, site)


def test_out_is_the_source_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(project / "site" / "site-source", project / "docs")
    before, site = tree(project), digest(project / "site" / "html")
    for given in ("docs", "."):
        line = refused(["--docs", "docs", "--out", given], capsys)
        assert line.startswith(f"derive: --out {given}: "), line
    assert refused(["--out", "docs"], capsys) == (  # docs/conf.py: the default --docs
        "derive: --out docs: the Sphinx sources docs are in it; give the site a folder of "
        "its own, such as docs/_build/html")  # fmt: skip
    unchanged(project, before, site)


def test_out_is_a_folder_of_other_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "photos").mkdir()
    (project / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    before, site = tree(project), digest(project / "site" / "html")
    assert refused(["--out", "photos"], capsys) == (
        "derive: --out photos: the folder holds other files, not a site derive built; give an "
        "empty or new folder")  # fmt: skip
    unchanged(project, before, site)


def test_out_is_a_symbolic_link(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "elsewhere").mkdir()
    (project / "link").symlink_to(project / "elsewhere")
    before, site = tree(project), digest(project / "site" / "html")
    assert refused(["--out", "link"], capsys) == (
        "derive: --out link: is a symbolic link; give the folder it points to")
    unchanged(project, before, site)


@pytest.mark.parametrize("leftover", [".html.building", ".html.old"])
def test_a_leftover_working_name_that_is_a_file(project: Path, leftover: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    shutil.rmtree(project / "site" / ".html.building", ignore_errors=True)
    (project / "site" / leftover).write_text("not a folder\n")
    before, site = tree(project), digest(project / "site" / "html")
    assert refused(["--out", "site/html"], capsys) == (
        f"derive: site/{leftover}: is a file, not derive's working folder; remove it")
    unchanged(project, before, site)


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` read-only for this user: chmod 555, or for root (who may write anywhere)
    the immutable attribute, which binds root too."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", str(folder)], capture_output=True, check=False).returncode != 0:  # fmt: skip
        pytest.skip("running as root without chattr +i: no folder is read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("where", ["parent", "out"])
def test_a_read_only_folder(project: Path, where: str) -> None:
    site = project / "site"
    before, published = tree(project), digest(site / "html")
    with read_only(site / "html" if where == "out" else site):
        done = derive("build", "--out", "site/html", cwd=project)
    expected = ("derive: --out site/html: the folder is read-only" if where == "out" else
                "derive: --out site/html: site is read-only (the new site takes the old one's "
                "place there)")  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (2, "", expected + "\n")
    unchanged(project, before, published)


def test_a_read_only_parent_of_a_new_out(project: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    (project / "locked").mkdir()
    before, site = tree(project), digest(project / "site" / "html")
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path).name != "locked")
    assert refused(["--out", "locked/site/html"], capsys) == (
        "derive: --out locked/site/html: cannot create it, locked is read-only")
    unchanged(project, before, site)


def test_a_full_disk(project: Path) -> None:
    """Writes fail part way (a file size limit stands in for a full disk): one line, the
    published site byte-identical, no staging folder left."""
    before = digest(project / "site" / "html")
    (project / "exercises.yaml").write_text(TINY.replace("x * y", "x * y + 1"))

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    shutil.rmtree(project / "site" / ".html.building", ignore_errors=True)
    shutil.rmtree(project / "site" / ".doctrees")  # everything is written again
    done = derive("build", "--out", "site/html", cwd=project, preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("derive: cannot build the site in site/html: File too large ("), lines
    assert lines[0].endswith("; the site there was not changed; free some space and build again")
    assert digest(project / "site" / "html") == before
    assert not (project / "site" / ".html.building").exists()


def test_a_linked_conf_py_is_replaced_not_written_through(project: Path) -> None:
    victim = project / "victim.py"
    victim.write_text("# someone else's file\n")
    conf = project / "site" / "site-source" / "conf.py"
    conf.unlink()
    conf.symlink_to(victim)
    done = derive("build", "--out", "site/html", cwd=project)
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "# someone else's file\n"
    assert not conf.is_symlink()
    assert stat.S_ISREG(conf.lstat().st_mode)


@pytest.mark.parametrize("folder", ["site/site-source", "site/site-source/exercises"])
def test_a_linked_source_folder_is_refused(project: Path, folder: str) -> None:
    outside = project / "outside"
    (project / folder).rename(outside)
    (project / folder).symlink_to(outside)
    before, site = digest(outside), digest(project / "site" / "html")
    done = derive("build", "--out", "site/html", cwd=project)
    what = ("the Sphinx source folder" if folder.endswith("source") else
            "the folder of generated exercise pages")  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", f"derive: {folder}: {what} is a symbolic link; derive writes there and never "
        "through a link: remove it\n")  # fmt: skip
    assert digest(outside) == before, "nothing written through the link"
    assert digest(project / "site" / "html") == site


def test_a_renderer_error_names_the_exercise(monkeypatch: pytest.MonkeyPatch) -> None:
    """A renderer that fails (Graphviz exiting with an error, say) raises DeriveError: the
    build turns it into a problem at the exercise's place in the file, and the page says
    the exercise could not be derived (the build then fails: derive's warnings do)."""
    from derive.errors import DeriveError
    from derive.render import myst
    from derive.spec import parse_spec
    from derive.sphinx.rendering import render

    def broken(*args: object, **kwargs: object) -> None:
        raise DeriveError("dot exited with status 1: syntax error in line 1")

    monkeypatch.setattr(myst, "page", broken)
    exercise = parse_spec(TINY, "exercises.yaml").exercises[1]
    files, problems = render(exercise, "k", solutions=True)
    assert problems == [("exercises.yaml", 8, 5, "dot exited with status 1: syntax error in line 1")]
    assert list(files) == ["descent.md"]
    assert "This exercise could not be derived: dot exited with status 1" in files["descent.md"]


def test_the_build_reads_the_exercise_file_once(project: Path, sphinx_isolation: Any,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """`derive build` validates the file, then builds from what it read: one read."""
    import derive.spec
    from derive.spec import schema

    reads: list[str] = []
    original = schema.read_valid_part

    def counted(path: Any) -> Any:
        reads.append(str(path))
        return original(path)

    monkeypatch.setattr(schema, "read_valid_part", counted)
    monkeypatch.setattr(derive.spec, "read_valid_part", counted)
    (project / "exercises.yaml").write_text(TINY.replace("x * y", "x * y + 1"))
    with sphinx_isolation():
        assert main(["build", "--out", "site/html"]) == 0, capsys.readouterr()
    assert reads == ["exercises.yaml"]
    assert gc.isenabled() and gc.get_freeze_count() == 0, "the collector is as it was"


def test_a_failed_build_leaves_the_collector_as_it_was(project: Path, sphinx_isolation: Any,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """The build pauses the collector while Sphinx starts, and freezes what is alive for the
    build; a build that fails as Sphinx starts thaws it all the same."""
    import sphinx.application

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EACCES, "Permission denied", "site/site-source/conf.py")

    monkeypatch.setattr(sphinx.application.Sphinx, "__init__", broken)
    (project / "exercises.yaml").write_text(TINY.replace("x * y", "x * y + 2"))
    with sphinx_isolation():
        assert main(["build", "--out", "site/html"]) == 2, capsys.readouterr()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_build_collects_what_the_build_before_left_once(
        project: Path, sphinx_isolation: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """Sphinx's environment is freed only by a full pass of the collector: a build makes
    it first when a build ran since the last one, and not when `derive build --watch` has
    made it while waiting for a change (collect_garbage)."""
    from derive.sphinx import build

    build.collect_garbage()  # whatever the tests before left
    collections: list[int] = []
    real = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or real(*a))

    def rebuild(change: str) -> int:
        before = len(collections)
        (project / "exercises.yaml").write_text(TINY.replace("x * y", f"x * y + {change}"))
        with sphinx_isolation():
            assert main(["build", "--out", "site/html"]) == 0, capsys.readouterr()
        return len(collections) - before

    assert rebuild("3") == 0, "nothing left to collect"
    assert rebuild("4") == 1, "what the build before left"
    build.collect_garbage()
    build.collect_garbage()
    assert len(collections) == 1 + 1, "once, and only while a build left something"
    assert rebuild("5") == 0


def test_the_template_copies_its_named_files_only(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed derive may hold compiled bytecode beside the template's conf.py
    (pip compiles it); the build copies the site's files and nothing else."""
    from derive.sphinx import build

    shipped = sorted(p.name for p in build.TEMPLATE.iterdir() if p.name != "__pycache__")
    assert shipped == sorted(build.TEMPLATE_FILES)  # the list names every shipped file
    template = tmp_path / "template"
    shutil.copytree(build.TEMPLATE, template)
    (template / "__pycache__").mkdir(exist_ok=True)
    (template / "__pycache__" / "conf.cpython-311.pyc").write_bytes(b"\0bytecode")
    monkeypatch.setattr(build, "TEMPLATE", template)
    source = tmp_path / "source"
    source.mkdir()
    build._copy_template(source)
    assert sorted(p.name for p in source.iterdir()) == ["conf.py", "index.md"]
    assert (source / "conf.py").read_bytes() == (template / "conf.py").read_bytes()


def _sidebar_depth(page: Path) -> tuple[int, int]:
    """Entries of the first and second level in the page's navigation sidebar."""
    html = page.read_text(encoding="utf-8")
    sidebar = html[html.index('class="sidebar-tree"'):html.index("<article")]
    return sidebar.count("toctree-l1"), sidebar.count("toctree-l2")


def test_past_the_limit_every_page_a_rebuild_rewrites_has_a_short_sidebar(
        tmp_path: Path, sphinx_isolation: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """The whole navigation tree costs O(exercises) a page: past SIDEBAR_LIMIT exercises the
    exercise pages and the pages every rebuild writes again (root, index, search, the
    exercise folder) show the top level only; below it, the whole tree."""
    from derive.sphinx import pages

    monkeypatch.chdir(tmp_path)
    (tmp_path / "exercises.yaml").write_text(TINY)  # two exercises
    pages_checked = ["index.html", "genindex.html", "search.html", "exercises/index.html",
                     "exercises/product.html"]  # fmt: skip
    with sphinx_isolation():
        assert main(["build", "--out", "small"]) == 0, capsys.readouterr()
        monkeypatch.setattr(pages, "SIDEBAR_LIMIT", 1)
        assert main(["build", "--out", "large"]) == 0, capsys.readouterr()
    assert [_sidebar_depth(tmp_path / "small" / p) for p in pages_checked] == [(1, 2)] * 5
    assert [_sidebar_depth(tmp_path / "large" / p) for p in pages_checked] == [(1, 0)] * 5
    listing = (tmp_path / "large" / "exercises" / "index.html").read_text(encoding="utf-8")
    assert 'href="product.html"' in listing and 'href="descent.html"' in listing  # the body
