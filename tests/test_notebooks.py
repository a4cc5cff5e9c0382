"""The notebook downloads, executed with nbclient in a real Jupyter kernel (the test
venv's own Python): every shipped exercise's notebook must run and print the page's
value and gradient, and every step of its descent table, to the printed 12 digits, exact
zeros as 0.

One kernel runs all the notebooks' code cells in turn, so the module costs one kernel
start (about 3 s).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

import nbformat
from program_output import close, descent_mismatches, parse

from derive.pipeline import load
from derive.render.notebook import notebook
from derive.solution import Solution

ROOT = Path(__file__).resolve().parent.parent
WORKBOOK = load(ROOT / "exercises.yaml")
TIMEOUT = 60


@pytest.fixture(scope="module")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A "python3" kernelspec running this interpreter, found first through JUPYTER_PATH
    (so whatever `python` a user's Jupyter would start does not matter)."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-I", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "derive test", "language": "python"}), encoding="utf-8")  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder))
        yield spec


SEPARATOR = "=== derive notebook: "


@pytest.fixture(scope="module")
def outputs(kernels: Path) -> dict[str, str]:
    """Every shipped notebook's cells, executed in turn in one kernel (each notebook
    defines everything it uses; one kernel start instead of one per notebook): the text
    each notebook's code cells printed, by exercise."""
    combined = nbformat.v4.new_notebook()
    combined.metadata = nbformat.reads(notebook(WORKBOOK.solutions[0]), as_version=4).metadata
    combined.cells.append(nbformat.v4.new_code_cell(
        f"import sys\nprint({SEPARATOR + 'kernel'!r})\nprint(sys.executable)"))
    for s in WORKBOOK.solutions:
        nb = nbformat.reads(notebook(s), as_version=4)
        nbformat.validate(nb)
        combined.cells.append(nbformat.v4.new_code_cell(f"print({SEPARATOR + s.exercise.id!r})"))
        combined.cells += [c for c in nb.cells if c.cell_type == "code"]
    client = nbclient.NotebookClient(combined, kernel_name="python3", timeout=TIMEOUT,
                                     allow_errors=False)  # fmt: skip
    client.execute()
    printed = []
    for cell in combined.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] == "stream" and output["name"] == "stdout", output
            printed.append(output["text"])
    chunks = "".join(printed).split(SEPARATOR)[1:]
    printed_by = {chunk.partition("\n")[0]: chunk.partition("\n")[2] for chunk in chunks}
    assert printed_by.pop("kernel") == f"{sys.executable}\n", "the kernel runs this Python"
    return printed_by


@pytest.mark.parametrize("s", [pytest.param(s, id=s.exercise.id) for s in WORKBOOK.solutions])
def test_the_notebook_prints_the_pages_value_and_gradient(s: Solution, outputs) -> None:
    printed = parse(outputs[s.exercise.id]).values
    d = s.derivation
    out = d.graph.output
    assert close(printed.pop(out), d.value)
    expected = {f"d{out}/d{g.input}": g.value.exact for g in d.gradients}
    assert sorted(printed) == sorted(expected)
    assert not [k for k, v in expected.items() if not close(printed[k], v)]


DESCENTS = [pytest.param(s, id=s.exercise.id) for s in WORKBOOK.solutions if s.descent]


@pytest.mark.parametrize("s", DESCENTS)
def test_the_notebook_reproduces_the_descent_table(s: Solution, outputs) -> None:
    assert s.descent is not None
    printed = parse(outputs[s.exercise.id])
    assert not descent_mismatches(printed, s.descent)


def test_every_shipped_descent_is_covered() -> None:
    """Every exercise with a descent table, including the 8-step objective descent."""
    ids = [p.id for p in DESCENTS]
    assert "training-a-neuron" in ids and len(ids) >= 7


def test_training_a_neurons_final_weights(outputs) -> None:
    """The last row of the 8-step table: the weights after step 8 and E after it."""
    s = next(s for s in WORKBOOK.solutions if s.exercise.id == "training-a-neuron")
    assert s.descent is not None
    printed = parse(outputs["training-a-neuron"])
    last = s.descent.steps[-1]
    assert last.number == 8
    for u in last.updates:
        assert close(printed.new[f"step8:{u.parameter}"], u.new.approx)
    assert last.objective_after is not None
    assert close(printed.after if printed.after is not None else 0.0, last.objective_after.approx)


def test_exponential_and_sine_prints_an_exact_zero(outputs) -> None:
    assert "df/dz = 0\n" in outputs["exponential-and-sine"]


def test_a_derivation_displays_as_markdown_in_ipython() -> None:
    """Jupyter shows a Derivation as its Markdown summary: the formatter is registered by
    the record's name from derive's package (the record imports no renderer)."""
    from IPython.core.interactiveshell import InteractiveShell

    import derive
    from derive import backprop

    shell = InteractiveShell.instance()
    try:
        derive._register_display()
        data, _ = shell.display_formatter.format(backprop("(x + y) * z", at={"x": -2, "y": 5,
                                                                              "z": -4}))
        markdown = data["text/markdown"]
        assert "$f = -12$" in markdown and "Backward pass" in markdown
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("solutions", [True, False], ids=["solutions", "questions-only"])
def test_every_notebook_is_valid_and_written_as_nbformat_writes_it(solutions: bool) -> None:
    """derive writes the notebook's JSON itself (nbformat's import and validation were a
    third of a second per rendering build): the text must pass nbformat's schema, and
    nbformat reading and writing it again must give back the same bytes, so a diff of a
    notebook saved in Jupyter shows only what the user changed."""
    for s in WORKBOOK.solutions:
        text = notebook(s, solutions)
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert nbformat.writes(nb) == text, s.exercise.id
        assert [c.id for c in nb.cells] == [f"derive-{i}" for i in range(len(nb.cells))]
