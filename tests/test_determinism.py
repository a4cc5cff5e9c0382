"""`derive build` output is byte-identical whatever the folder, and an incremental build
equals a fresh one (every page links MathJax the same way; no word of a removed page is
left in the search index; no page of a removed exercise is left)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from build_helpers import CHANGED, TINY, derive, digest

pytestmark = pytest.mark.slow


def built(root: Path, text: str, out: str = "site/html") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "exercises.yaml").write_text(text, encoding="utf-8")
    done = derive("build", "--out", out, cwd=root)
    assert done.returncode == 0, done.stderr
    return root / out


def differences(first: dict[str, str], second: dict[str, str]) -> list[str]:
    return sorted(n for n in set(first) | set(second) if first.get(n) != second.get(n))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(tmp_path_factory.mktemp("a") / "short", CHANGED)


def test_two_folders_give_the_same_bytes(fresh: Path, tmp_path: Path) -> None:
    other = built(tmp_path / "a much longer folder name" / "deeper", CHANGED)
    assert differences(digest(fresh), digest(other)) == []
    assert len(digest(fresh)) > 80
    for path in other.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".ipynb", ".tex", ".svg", ".txt"):
            assert str(tmp_path) not in path.read_text(encoding="utf-8", errors="replace"), path


def test_an_incremental_build_equals_a_fresh_one(fresh: Path, tmp_path: Path) -> None:
    """From TINY to CHANGED (a title, an exercise changed, one added), and back again
    (one removed): each time the same bytes as a fresh build."""
    out = built(tmp_path / "project", TINY)
    assert built(tmp_path / "project", CHANGED) == out
    assert differences(digest(out), digest(fresh)) == []
    built(tmp_path / "project", TINY)
    again = built(tmp_path / "again", TINY)
    assert differences(digest(out), digest(again)) == []
    assert not (out / "exercises" / "quotient.html").exists()


def test_every_page_links_mathjax_the_same_way(fresh: Path) -> None:
    """Every page with math loads MathJax with the same checksum, fresh or incremental
    (Sphinx adds it only when the file is in the site as the page is written)."""
    links = {page.relative_to(fresh).as_posix(): re.findall(
                r'src="[^"]*tex-chtml\.js(\?v=[0-9a-f]+)?"', page.read_text("utf-8"))
             for page in sorted(fresh.rglob("*.html"))}  # fmt: skip
    exercises = {name: found for name, found in links.items() if name.startswith("exercises/")}
    assert len(exercises) == 4
    first = exercises["exercises/product.html"]
    assert len(first) == 1 and first[0].startswith("?v=")
    assert all(found in ([], first) for found in links.values()), links
    assert all(found == first for found in exercises.values()), exercises


def test_worker_processes_give_the_same_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages derived in worker processes are the same, in the same order, as pages
    derived in the build's own process."""
    from derive.spec import parse_spec
    from derive.sphinx import rendering

    spec = parse_spec(CHANGED, "exercises.yaml")
    work = [(exercise, f"key-{i}") for i, exercise in enumerate(spec.exercises)]
    here = list(rendering.render_all(work, solutions=True, jobs=1))
    monkeypatch.setattr(rendering, "POOL_FROM", 2)
    workers = list(rendering.render_all(work, solutions=True, jobs=2))
    assert workers == here
    assert [sorted(files) for files, _ in here] == [
        ["product.ipynb", "product.md", "product.tex"],
        ["descent-descent.svg", "descent.ipynb", "descent.md", "descent.tex"],
        ["quotient.ipynb", "quotient.md", "quotient.tex"]]  # fmt: skip


def test_a_script_without_a_main_guard_builds_with_workers(tmp_path: Path) -> None:
    """Spawned workers import the parent's __main__ unless told not to: a script that
    builds at its top level, with workers and no `if __name__ == "__main__":`, then built
    again in each worker, where it waited for the parent's lock forever."""
    (tmp_path / "exercises.yaml").write_text(CHANGED, encoding="utf-8")
    script = tmp_path / "build.py"
    script.write_text(
        "from pathlib import Path\n"
        "from derive.sphinx import rendering\n"
        "from derive.sphinx.build import build_site\n"
        "rendering.POOL_FROM = 2\n"
        "print('started', flush=True)\n"
        "result = build_site(Path('exercises.yaml'), Path('site/html'), jobs=2)\n"
        "print('pages', result.pages)\n", encoding="utf-8")  # fmt: skip
    import subprocess
    import sys

    from build_helpers import environment

    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=environment(),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "started\npages 7\n"), done.stderr
    assert (tmp_path / "site" / "html" / "exercises" / "quotient.html").is_file()
