"""The walk-through notebook runs end to end on the shipped examples (nbclient, a real kernel)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import headcheck
from conftest import CRICKET_TITLE, ROOT

NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"
KERNEL = "headcheck-tests"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernel spec that runs this interpreter, importing the headcheck under test."""
    spec = tmp_path / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "headcheck tests", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    # The kernel starts in notebooks/: give it this headcheck by absolute path, whatever the
    # test run's own PYTHONPATH (often the relative `src`) says.
    package_root = str(Path(headcheck.__file__).resolve().parents[1])
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setenv("HEADCHECK_WALKTHROUGH", "examples")
    return KERNEL


def test_walkthrough_runs_on_the_examples(kernel: str) -> None:
    """Every cell runs; the scan, calibration, evaluation and report come out as they should."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    NotebookClient(
        notebook,
        kernel_name=kernel,
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    # The distribution step shows the report's histogram as an image.
    assert any("image/png" in out.get("data", {}) for out in outputs)
    last = notebook.cells[-1].outputs
    outcome = json.loads("".join(o.text for o in last if o.output_type == "stream").strip())
    assert outcome["data"] == "examples"
    assert (outcome["articles"], outcome["flagged"]) == (39, 12)
    assert outcome["calibration"] == "the shipped decision (fewer than 200 usable pairs)"
    assert outcome["roc_auc"] > 0.9 and outcome["flagged_calibrated"] > 0
    assert CRICKET_TITLE in outcome["flagged_titles"]
    report = Path(outcome["files"]["report"]).read_text(encoding="utf-8")
    assert report.count('<img src="data:image/png;base64,') >= 5
    calibration = json.loads(Path(outcome["files"]["calibration"]).read_text(encoding="utf-8"))
    assert calibration["format"] == "headcheck-calibration" and calibration["mode"] == "default"
