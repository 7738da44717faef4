"""The walk-through notebook is committed with the outputs of a run on the shipped examples, and
a fresh run of it (nbclient, a real kernel) comes out the same."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import headcheck
from conftest import CRICKET_TITLE, ROOT

NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"
KERNEL = "headcheck-tests"
EXAMPLES = "../examples/articles.jsonl"


def code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def outputs(notebook: Any) -> list[Any]:
    return [out for cell in code_cells(notebook) for out in cell.outputs]


def outcome(notebook: Any) -> dict[str, Any]:
    """The JSON line the last cell prints last."""
    last = code_cells(notebook)[-1].outputs
    text = "".join(o.text for o in last if o.output_type == "stream" and o.name == "stdout")
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """A copy of the notebook executed on the examples, and the folder it wrote its files to."""
    tmp = tmp_path_factory.mktemp("notebook")
    spec = tmp / "kernels" / KERNEL
    spec.mkdir(parents=True)
    # A kernel spec that runs this interpreter, importing the headcheck under test.
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "headcheck tests", "language": "python"})
    )
    work = tmp / "work"
    # The kernel starts in notebooks/: give it this headcheck by absolute path, whatever the
    # test run's own PYTHONPATH (often the relative `src`) says.
    package_root = str(Path(headcheck.__file__).resolve().parents[1])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(tmp))
        env.setenv(
            "PYTHONPATH",
            os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
        )
        env.setenv("HEADCHECK_WALKTHROUGH", "examples")
        env.setenv("HEADCHECK_WALKTHROUGH_WORK", str(work))
        notebook = nbformat.read(NOTEBOOK, as_version=4)  # a copy: the file is not touched
        for cell in code_cells(notebook):
            cell.outputs, cell.execution_count = [], None
        NotebookClient(
            notebook,
            kernel_name=KERNEL,
            timeout=600,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        ).execute()
    yield notebook, work


def test_a_fresh_run_comes_out_as_it_should(run: tuple[Any, Path]) -> None:
    """Every cell runs; the check, calibration, evaluation and report come out as they should."""
    notebook, work = run
    assert not [out for out in outputs(notebook) if out.output_type == "error"]
    # The distribution step shows the report's histogram as an image.
    assert any("image/png" in out.get("data", {}) for out in outputs(notebook))
    result = outcome(notebook)
    assert result["data"] == EXAMPLES
    assert (result["articles"], result["flagged"]) == (39, 12)
    assert result["calibration"] == "the shipped decision (fewer than 200 usable pairs)"
    assert result["roc_auc"] > 0.9 and result["flagged_calibrated"] > 0
    assert CRICKET_TITLE in result["flagged_titles"]
    report = (work / result["files"]["report"]).read_text(encoding="utf-8")
    assert report.count('<img src="data:image/png;base64,') >= 5
    calibration = json.loads((work / result["files"]["calibration"]).read_text(encoding="utf-8"))
    assert calibration["format"] == "headcheck-calibration" and calibration["mode"] == "default"
    assert (work / result["files"]["flagged"]).read_text(encoding="utf-8").count("\n") == 13


def test_the_committed_notebook_shows_a_run_on_the_examples(run: tuple[Any, Path]) -> None:
    """Each cell that prints or shows something in a fresh run has its output committed, none an
    error or a local path, and the committed run reached the fresh run's outcome."""
    committed = nbformat.read(NOTEBOOK, as_version=4)
    fresh, _ = run
    pairs = zip(code_cells(committed), code_cells(fresh), strict=True)
    for number, (kept, ran) in enumerate(pairs, 1):
        if ran.outputs:
            assert kept.outputs, f"code cell {number} is committed without its output"
    assert not [out for out in outputs(committed) if out.output_type == "error"]
    assert any("image/png" in out.get("data", {}) for out in outputs(committed))
    text = NOTEBOOK.read_text(encoding="utf-8")
    for local in {str(ROOT), str(ROOT.parent), str(Path.home())} - {"/"}:
        assert local not in text, f"the committed notebook holds the local path {local}"
    kept, ran = outcome(committed), outcome(fresh)
    for key in ("data", "articles", "flagged", "flagged_calibrated", "calibration"):
        assert kept[key] == ran[key], key
    assert sorted(kept["flagged_titles"]) == sorted(ran["flagged_titles"])
